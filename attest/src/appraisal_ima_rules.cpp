// appraisal_ima_rules.cpp — the policy's "ima.required" rule: files (an EDR
// sensor, the agent, a kernel module) that must have been measured since
// boot, each with one of the digests the policy lists.
//
// Only entries extended into PCR 10, in a log whose replay equals the quoted
// PCR 10 (check_ima_log), count: an entry root appends to the list without
// extending it makes the replay differ (the evidence is refused), and an
// entry for another PCR replays into a value nobody compared, so it is not
// looked at. What this cannot catch: root who extends PCR 10 itself with a
// forged entry's template hash (docs/policy.md says so).
#include <algorithm>

#include "appraisal_policy.h"

namespace paw::detail {
namespace {

void fail(PolicyResult& r, std::string_view code, std::string message) {
  r.reasons.push_back({std::string(code), std::move(message)});
}

// shown: a path from the log or the policy, safe to print and bounded.
std::string shown(std::string_view text, std::size_t max = 200) {
  std::string out(text.substr(0, max));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return text.size() > max ? out + "..." : out;
}

std::string entry_name(const ImaMeasurement& m) { return "IMA entry " + std::to_string(m.index) + " (PCR 10)"; }

// judge_one: the first entry of |req.path| whose digest is not listed fails
// the rule (a replaced binary stays replaced even if the right one ran
// first); otherwise the first entry passes it; no entry: missing.
void judge_one(const ImaRequirement& req, const std::vector<ImaMeasurement>& pcr10, PolicyResult& r) {
  const ImaMeasurement* first = nullptr;
  std::size_t seen = 0;
  for (const auto& m : pcr10) {
    if (m.path != req.path) continue;
    ++seen;
    if (first == nullptr) first = &m;
    if (req.digests.contains(m.digest)) continue;
    fail(r, reason::kImaRequiredDigestMismatch,
         shown(req.path) + " was measured at " + entry_name(m) + " with " + m.digest +
             ", which is not one of the digests \"ima.required\" lists for it");
    add_rule(r, {"ima.required", req.path, entry_name(m), m.digest, "fail",
                 std::string(reason::kImaRequiredDigestMismatch)});
    return;
  }
  if (first != nullptr) {
    add_rule(r, {"ima.required", req.path,
                 entry_name(*first) + (seen > 1 ? " and " + std::to_string(seen - 1) + " later" : ""),
                 first->digest, "pass", ""});
    return;
  }
  fail(r, reason::kImaRequiredMissing,
       shown(req.path) + " was not measured since boot: no entry of the IMA log bound to the quoted PCR 10 names it "
                         "(not run or loaded yet, or the kernel's IMA policy does not measure it)");
  add_rule(r, {"ima.required", req.path, "IMA log (" + std::to_string(pcr10.size()) + " entries in PCR 10)", "",
               "fail", std::string(reason::kImaRequiredMissing)});
}

}  // namespace

void add_rule(PolicyResult& r, RuleResult rule) {
  if (r.rules.size() < kMaxRuleResults) r.rules.push_back(std::move(rule));
}

void check_ima_required(const PolicyInputs& in, PolicyResult& r) {
  const auto& files = in.policy.ima.required_files;
  if (files.empty()) return;
  // No log: ima_missing (check_ima) already fails the appraisal, and it can
  // never be graced; each file is unknown.
  if (!in.ima.present) {
    for (const auto& req : files) {
      add_rule(r, {"ima.required", req.path, "", "", "unknown", std::string(reason::kImaLogMissing)});
    }
    return;
  }
  for (const auto& req : files) judge_one(req, in.ima.pcr10, r);
}

}  // namespace paw::detail
