// appraisal_learn.cpp — learn mode (policy.h LearnPolicy): which digests of
// this attestation the policy's allowlists lack, when nothing else is wrong
// with the device.
//
// Only facts the appraisal proved count: boot applications read from PCR 4
// events bound to the quote (BootFacts::boot_applications is nullopt when
// PCR 4 is not), IMA entries extended into the quoted PCR 10 (ImaFacts::pcr10).
// "Otherwise healthy" is decided by judging the same facts again with every
// sighted digest allowed: the device is learnt from only if that leaves no
// reason at all, so a device failing anything else (a PCR, Secure Boot, FIDO2,
// an IMA entry outside PCR 10, a violation) teaches nothing.
#include <algorithm>

#include "appraisal_policy.h"

namespace paw::detail {
namespace {

bool only_allowlist_reasons(const PolicyResult& r) {
  return !r.reasons.empty() && std::all_of(r.reasons.begin(), r.reasons.end(), [](const ResultReason& x) {
    return x.code == reason::kBootAppNotAllowed || x.code == reason::kImaNotAllowed;
  });
}

void add_once(std::vector<LearnSighting>& out, std::string_view kind, Bytes digest, std::string description) {
  const bool seen = std::any_of(out.begin(), out.end(),
                                [&](const LearnSighting& s) { return s.kind == kind && s.digest == digest; });
  if (!seen) out.push_back({std::string(kind), std::move(digest), std::move(description)});
}

// ima_digest: the raw digest of an "<alg>:<hex>" IMA digest, empty if it is not one.
Bytes ima_digest(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return {};
  auto raw = unhex(std::string_view(text).substr(colon + 1));
  return raw.ok() ? *raw : Bytes{};
}

}  // namespace

std::vector<LearnSighting> learn_sightings(const PolicyInputs& in, const PolicyResult& judged) {
  const Policy& p = in.policy;
  if (!p.learn.on() || !only_allowlist_reasons(judged)) return {};
  std::vector<LearnSighting> out;
  // An empty allowlist allows everything: there is nothing to learn for it.
  if (!p.boot_applications.empty() && in.boot.boot_applications && !authorities_vouch(in)) {
    for (const auto& app : *in.boot.boot_applications) {
      if (!p.boot_applications.contains(app.digest)) add_once(out, kLearnBootApp, app.digest, "boot application (PCR 4)");
    }
  }
  if (!p.ima.allowlist.empty() && in.ima.present && in.ima.violations == 0) {
    for (const auto& m : in.ima.pcr10) {
      Bytes d = ima_digest(m.digest);
      if (!d.empty() && !p.ima.allowlist.contains(d)) add_once(out, kLearnIma, std::move(d), m.path);
    }
  }
  if (out.empty()) return {};
  // Judge again as if every sighted digest were allowed: any reason left
  // means the device is unhealthy for something else, and teaches nothing.
  Policy allowed = p;
  for (const auto& s : out) {
    (s.kind == kLearnBootApp ? allowed.boot_applications : allowed.ima.allowlist).insert(s.digest);
  }
  const PolicyInputs again{in.record, in.previous, in.body, in.clock, in.boot, in.ima, in.presence, allowed, in.now};
  if (!evaluate_policy(again).reasons.empty()) return {};
  if (out.size() > kMaxLearnSightings) out.resize(kMaxLearnSightings);
  return out;
}

}  // namespace paw::detail
