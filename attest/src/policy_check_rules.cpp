// policy_check_rules.cpp — the policy lint's rules over a parsed Policy
// (fields that only mean something together: a rule and the PCR that binds
// its facts, a grace and the rule that could ever need it), and the findings'
// text and JSON forms.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "paw/attest/appraisal.h"
#include "paw/attest/ima.h"
#include "policy_check_internal.h"

namespace paw::detail {
namespace {

// required_strong: |pcr| is required in a bank of SHA-256 or stronger, the
// banks whose events the appraisal binds (eventlog_bind.cpp).
bool required_strong(const Policy& p, std::uint32_t pcr) {
  for (const auto& [bank, indices] : p.pcrs.required) {
    if (hash_size(bank) >= 32 && indices.contains(pcr)) return true;
  }
  return false;
}

bool named_by_reference(const Policy& p, HashAlg bank, std::uint32_t pcr) {
  auto names = [&](const PcrValues& v) {
    const auto b = v.find(bank);
    return b != v.end() && b->second.contains(pcr);
  };
  if (names(p.pcrs.reference)) return true;
  return std::any_of(p.pcrs.sets.begin(), p.pcrs.sets.end(),
                     [&](const ReferenceSet& s) { return names(s.values); });
}

// Rules that read the event log need the PCR whose events carry their facts
// quoted; the same rule check_policy_bindings applies when a policy is set.
void check_bindings(CheckContext& c, const Policy& p) {
  if (p.secure_boot_required && !required_strong(p, 7)) {
    c.error("rule_needs_pcr", "$.secure_boot_required",
            "\"secure_boot_required\" needs PCR 7 in \"pcrs\": {\"required\": {\"sha256\": [..., 7]}}: the "
            "Secure "
            "Boot state is read from PCR 7's events, which only a quoted PCR 7 binds");
  }
  if (!p.boot_applications.empty() && !required_strong(p, 4)) {
    c.error(
        "rule_needs_pcr", "$.boot_applications",
        "a \"boot_applications\" allowlist needs PCR 4 in \"pcrs\": {\"required\": {\"sha256\": [..., 4]}}: "
        "boot applications are read from PCR 4's events, which only a quoted PCR 4 binds");
  }
  const std::pair<bool, const char*> boot_rules[] = {
      {!p.boot.authorities.empty(), "authorities"},
      {!p.boot.dbx_required.empty(), "dbx"},
      {!p.boot.owner_pk.empty() || !p.boot.owner_kek.empty(), "secure_boot_owners"},
      {!p.boot.cmdline_required.empty() || !p.boot.cmdline_forbidden.empty(), "kernel_cmdline"},
      {!p.boot.min_sbat.empty(), "min_sbat"}};
  for (const auto& [used, rule] : boot_rules) {
    const std::uint32_t pcr = std::string_view(rule) == "kernel_cmdline" ? 8 : 7;
    if (!used || required_strong(p, pcr)) continue;
    const std::string n = std::to_string(pcr);
    c.error("rule_needs_pcr", std::string("$.boot.") + rule,
            "\"boot." + std::string(rule) + "\" needs PCR " + n + " in \"pcrs\": {\"required\": {\"sha256\": [..., " +
                n + "]}}: its facts are read from PCR " + n + "'s events, which only a quoted PCR " + n + " binds");
  }
  if (!p.boot.min_kernel.empty() && (!required_strong(p, 4) || !required_strong(p, 7))) {
    c.error("rule_needs_pcr", "$.boot.min_kernel",
            "\"boot.min_kernel\" needs PCRs 4 and 7 in \"pcrs\": {\"required\": {\"sha256\": [..., 4, 7]}}: the "
            "booted kernel is read from PCR 4's events and judged only with Secure Boot proven on by PCR 7's");
  }
  if (!p.boot.min_kernel.empty() &&
      std::none_of(p.boot.images.begin(), p.boot.images.end(), [](const KnownImage& k) { return k.kind == "kernel"; })) {
    c.error("min_kernel_without_kernels", "$.boot.min_kernel",
            "\"boot.min_kernel\" is set but \"boot.images\" holds no kernel, so every device would be "
            "kernel_unknown: import the kernel packages first (pawctl refs import-deb --policy NAME FILE.deb)");
  }
  if (!p.boot.images.empty() && p.boot.min_kernel.empty()) {
    c.warning("images_unused", "$.boot.images",
              "\"boot.images\" judges nothing without \"boot.min_kernel\"");
  }
  if (p.event_log_required) {
    bool any = false;
    for (std::uint32_t i = 0; i <= 7; ++i) any = any || required_strong(p, i);
    if (!any) {
      c.warning(
          "eventlog_unbound", "$.event_log_required",
          "the event log is required but none of the PCRs it measures (0 to 7) is required in a sha256 (or "
          "stronger) bank, so the agent may quote none of them and no event of the log is bound: require "
          "the boot PCRs (\"sha256\": [0, 2, 4, 7]) or set \"event_log_required\": false");
    }
  }
  if (!p.ima.allowlist.empty() && !p.ima.required) {
    c.warning(
        "ima_allowlist_unenforced", "$.ima.required",
        "an IMA allowlist without \"ima\": {\"required\": true} is applied only when the agent chooses to "
        "send an IMA log: a workstation running something else sends none; set \"required\": true");
  }
}

// judged_by_events: a rule over |pcr|'s events judges it, so a required PCR
// without a reference value is compared after all (through its events).
bool judged_by_events(const Policy& p, std::uint32_t pcr) {
  if (pcr == 4) return !p.boot_applications.empty() || !p.boot.min_kernel.empty();
  if (pcr == 7) {
    return !p.boot.authorities.empty() || !p.boot.dbx_required.empty() || !p.boot.owner_pk.empty() ||
           !p.boot.owner_kek.empty() || !p.boot.min_sbat.empty();
  }
  if (pcr == 8) return !p.boot.cmdline_required.empty() || !p.boot.cmdline_forbidden.empty();
  return false;
}

void check_pcr_rules(CheckContext& c, const Policy& p) {
  for (const auto& [bank, indices] : p.pcrs.required) {
    if (indices.contains(kImaPcr)) {
      c.warning(
          "pcr_volatile", "$.pcrs.required." + std::string(hash_name(bank)),
          "PCR 10 is extended by IMA with every file measured, so its value differs at every attestation and "
          "a reference (or pin) of it turns every device pcr_mismatch: remove 10 from \"required\" and use "
          "\"ima\" rules, which judge the IMA log bound to PCR 10");
    }
  }
  if (!p.pcrs.pin_on_enroll) {
    std::string never;
    for (const auto& [bank, indices] : p.pcrs.required) {
      for (const auto i : indices) {
        if (!named_by_reference(p, bank, i) && !(hash_size(bank) >= 32 && judged_by_events(p, i))) {
          never += (never.empty() ? "" : ", ") + std::string(hash_name(bank)) + ":" + std::to_string(i);
        }
      }
    }
    if (!never.empty()) {
      c.warning("pcr_never_compared", "$.pcrs.pin_on_enroll",
                "required PCRs " + never +
                    " have no reference value and \"pin_on_enroll\" is false, so they must "
                    "be quoted but are never compared with anything: add reference values (pawctl policy "
                    "capture ID) "
                    "or set \"pin_on_enroll\": true");
    }
  }
}

// A grace only matters for a reason the policy can produce at all.
void check_grace_rules(CheckContext& c, const Policy& p) {
  bool any_required = false;
  for (const auto& [bank, indices] : p.pcrs.required) any_required = any_required || !indices.empty();
  for (const auto& [code, seconds] : p.enforcement.grace) {
    std::string why;
    if (code == reason::kImaNotAllowed && p.ima.allowlist.empty()) why = "\"ima.allowlist\" is empty";
    if (code == reason::kOsNotAllowed && p.host.os_release_allowlist.empty())
      why = "\"host.os_release_allowlist\" is empty";
    if (code == reason::kDiskNotEncrypted && !p.host.disk_encryption_required) {
      why = "\"host.disk_encryption_required\" is false";
    }
    if (code == reason::kReboot && p.reboot_allowed)
      why = "\"reboot.allow\" is true (a reboot is only a note)";
    if (code == reason::kBootAppNotAllowed && p.boot_applications.empty())
      why = "\"boot_applications\" is empty";
    if (code == reason::kPcrMismatch && !any_required) why = "no PCR is required";
    if (code == reason::kBootAuthorityNotAllowed && p.boot.authorities.empty()) why = "\"boot.authorities\" is empty";
    if (code == reason::kDbxOutdated && p.boot.dbx_required.empty()) why = "\"boot.dbx.required\" is empty";
    if ((code == reason::kKernelOutdated || code == reason::kKernelUnknown) && p.boot.min_kernel.empty()) {
      why = "\"boot.min_kernel\" is not set";
    }
    if (code == reason::kSbatOutdated && p.boot.min_sbat.empty()) why = "\"boot.min_sbat\" is not set";
    if (code == reason::kImaRequiredMissing && p.ima.required_files.empty()) {
      why = "\"ima.required\" lists no file";
    }
    if (!why.empty()) {
      c.warning("grace_no_effect", member("$.enforcement.grace", code),
                "\"" + code + "\" can never occur under this policy (" + why +
                    "), so its grace does nothing: "
                    "remove it, or add the rule it was meant to soften");
    }
  }
}

}  // namespace

void CheckContext::add(Severity s, std::string code, std::string path, std::string message) {
  if (findings.size() >= kMaxFindings) {
    ++dropped;
    dropped_error = dropped_error || s == Severity::error;
    return;
  }
  findings.push_back({s, std::move(code), std::move(path), std::move(message)});
}

std::vector<Finding> CheckContext::finish() {
  if (dropped > 0) {
    findings.push_back({dropped_error ? Severity::error : Severity::warning, "findings_truncated", "$",
                        std::to_string(dropped) + " more findings not shown: fix these first"});
    dropped = 0;
  }
  return std::move(findings);
}

std::string shown(std::string_view text, std::size_t max, bool escape_quotes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max; ++i) {
    const auto ch = static_cast<unsigned char>(text[i]);
    if (ch < 0x20 || ch >= 0x7f || (escape_quotes && (ch == '"' || ch == '\\'))) {
      out += "\\x";
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    } else {
      out += static_cast<char>(ch);
    }
  }
  if (text.size() > max) out += "...";
  return out;
}

std::string member(const std::string& path, std::string_view key) {
  const bool plain = !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
           ch == '-';
  });
  return plain ? path + "." + std::string(key) : path + "[\"" + shown(key) + "\"]";
}

std::optional<std::uint32_t> pcr_index(std::string_view key) {
  std::uint32_t index = 0;
  const char* end = key.data() + key.size();
  auto [ptr, ec] = std::from_chars(key.data(), end, index);
  if (ec != std::errc{} || ptr != end || key.empty() || (key.size() > 1 && key[0] == '0') ||
      index >= kPcrCount) {
    return std::nullopt;
  }
  return index;
}

// Learn mode queues digests an allowlist lacks; with no allowlist every
// digest is allowed already and nothing is ever queued. It learns only from
// otherwise healthy devices: a PCR 4 compared with a pin or reference
// changes with every new boot application (pcr_mismatch), so none is learnt.
void check_learn_rules(CheckContext& c, const Policy& p) {
  if (!p.learn.on()) return;
  if (p.boot_applications.empty() && p.ima.allowlist.empty()) {
    c.warning("learn_no_effect", "$.learn",
              "learn mode queues boot applications missing from \"boot_applications\" and files missing from "
              "\"ima.allowlist\", but both are empty (every digest is allowed): list the digests you know first");
    return;
  }
  if (p.boot_applications.empty()) return;
  for (const auto& [bank, indices] : p.pcrs.required) {
    if (!indices.contains(4) || (!p.pcrs.pin_on_enroll && !named_by_reference(p, bank, 4))) continue;
    c.warning("learn_pcr_compared", "$.pcrs",
              "PCR 4 (" + std::string(hash_name(bank)) + ") is compared with a " +
                  (named_by_reference(p, bank, 4) ? "reference" : "pin (pin_on_enroll)") +
                  ": a new boot application changes it, the device fails pcr_mismatch and learn mode learns "
                  "nothing from it; judge PCR 4 through its events only (no reference for PCR 4, "
                  "\"pin_on_enroll\": false, references for the other PCRs)");
    return;
  }
}

void check_min_sbat(CheckContext& c, json::ObjectPtr boot) {
  json::ObjectPtr m = boot->has("min_sbat") && !boot->isNull("min_sbat") ? boot->getObject("min_sbat") : nullptr;
  if (!m) return;  // absent, or not an object: the parser says so
  const std::string at = "$.boot.min_sbat";
  auto malformed = [&](const std::string& path, const std::string& what) {
    c.error("min_sbat_malformed", path, what + " (docs/policy.md, \"SBAT level\")");
    boot->remove("min_sbat");  // the rest of the policy is still linted
  };
  std::string date;
  if (m->has("date") && !m->isNull("date")) {
    const auto v = m->get("date");
    if (v.isString()) date = v.extract<std::string>();
    if (!v.isString() || (!date.empty() && !valid_sbat_date(date))) {
      return malformed(at + ".date", "\"date\" is an SBAT datestamp of ten digits, YYYYMMDDNN, as shim's "
                                     "SbatLevel writes it (\"sbat,1,2023012900\" → \"2023012900\")");
    }
  }
  std::size_t components = 0;
  if (json::ObjectPtr comps = m->has("components") ? m->getObject("components") : nullptr) {
    for (const auto& [name, v] : *comps) {
      ++components;
      const std::string path = member(at + ".components", name);
      if (!valid_sbat_component(name) || name == "sbat") {
        return malformed(path, "\"" + shown(name) + "\" is not an SBAT component name (\"shim\", \"grub\", "
                               "\"grub.debian\"; the \"sbat\" line's datestamp is \"date\")");
      }
      if (!v.isInteger() || v.isBoolean() || v.convert<std::int64_t>() < 1 ||
          v.convert<std::int64_t>() > kMaxSbatGeneration) {
        return malformed(path, "a component's minimum is its generation, an integer from 1 (\"grub\": 3)");
      }
    }
  }
  if (date.empty() && components == 0) {
    c.warning("min_sbat_empty", at,
              "\"boot.min_sbat\" names neither a datestamp nor a component, so it judges nothing: set \"date\" "
              "(the datestamp of the SbatLevel your shim ships, e.g. \"2023012900\") or remove it");
    boot->remove("min_sbat");
    return;
  }
  if (!date.empty() && c.now > 0) {
    const std::time_t t = static_cast<std::time_t>(c.now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char today[48];
    std::snprintf(today, sizeof today, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    if (date.substr(0, 8) > today) {
      c.warning("min_sbat_future", at + ".date",
                "datestamp " + date + " is after today (" + today + "): no shim measures it yet, so every device "
                "would be sbat_outdated; use the datestamp of the SbatLevel your shim ships");
    }
  }
}

void check_rules(CheckContext& c, const Policy& p) {
  check_bindings(c, p);
  check_pcr_rules(c, p);
  check_grace_rules(c, p);
  check_learn_rules(c, p);
}

}  // namespace paw::detail

namespace paw {

json::ArrayPtr findings_to_json(const std::vector<Finding>& findings) {
  json::ArrayPtr arr = new Poco::JSON::Array();
  for (const auto& f : findings) {
    json::ObjectPtr o = new Poco::JSON::Object();
    o->set("severity", std::string(severity_name(f.severity)));
    o->set("code", f.code);
    o->set("path", f.path);
    o->set("message", f.message);
    arr->add(o);
  }
  return arr;
}

std::vector<Finding> findings_from_json(const json::ArrayPtr& arr) {
  std::vector<Finding> out;
  for (std::size_t i = 0; arr && i < arr->size() && out.size() <= kMaxFindings; ++i) {
    json::ObjectPtr o = arr->getObject(static_cast<unsigned>(i));
    if (!o) continue;
    const std::string sev = o->optValue<std::string>("severity", "");
    if (sev != "error" && sev != "warning") continue;
    // The verifier's text: shown() keeps a hostile answer from writing terminal escapes.
    out.push_back({sev == "error" ? Severity::error : Severity::warning,
                   detail::shown(o->optValue<std::string>("code", ""), 64, false),
                   detail::shown(o->optValue<std::string>("path", ""), 512, false),
                   detail::shown(o->optValue<std::string>("message", ""), 2048, false)});
  }
  return out;
}

std::string format_finding(const Finding& f) {
  return std::string(severity_name(f.severity)) + " " + f.code + " " + f.path + ": " + f.message;
}

}  // namespace paw
