// appraisal_policy.cpp — turns proven facts into a verdict with reasons. Every
// check states why it exists; every failure carries a stable code
// (appraisal.h, namespace reason) and a sentence a person can act on.
#include <algorithm>
#include <map>

#include "appraisal_policy.h"

namespace paw::detail {
namespace {

void fail(PolicyResult& r, std::string_view code, std::string message) {
  r.reasons.push_back({std::string(code), std::move(message)});
}
void note(PolicyResult& r, std::string_view code, std::string message) {
  r.notes.push_back({std::string(code), std::move(message)});
}
// rule: one RuleResult (appraisal.h); |reason| empty on pass.
void rule(PolicyResult& r, std::string name, std::string subject, std::string evidence, std::string value,
          std::string_view result, std::string_view reason = {}) {
  add_rule(r, {std::move(name), std::move(subject), std::move(evidence), std::move(value), std::string(result),
               std::string(reason)});
}
bool has_reason(const PolicyResult& r, std::initializer_list<std::string_view> codes) {
  return std::any_of(r.reasons.begin(), r.reasons.end(), [&](const ResultReason& x) {
    return std::find(codes.begin(), codes.end(), x.code) != codes.end();
  });
}

// pcr_purpose names what a PC Client PCR measures (TCG PFP 1.05, 3.3.4).
std::string pcr_purpose(std::uint32_t i) {
  switch (i) {
    case 0: return "firmware code";
    case 1: return "firmware configuration";
    case 2: return "option ROM code";
    case 3: return "option ROM configuration";
    case 4: return "boot loader code";
    case 5: return "boot configuration and partition table";
    case 6: return "platform manufacturer events";
    case 7: return "Secure Boot policy";
    case 8: case 9: return "boot loader measurements";
    case 10: return "IMA";
    case 11: return "kernel image";
    case 14: return "shim MOK lists";
    default: return "PCR " + std::to_string(i);
  }
}

std::string friendly(const std::string& name) {
  static const std::map<std::string, std::string> kNames = {
      {"SecureBoot", "Secure Boot state"}, {"PK", "Secure Boot PK"},   {"KEK", "Secure Boot KEK"},
      {"db", "Secure Boot db"},            {"dbx", "Secure Boot dbx"}, {"authority db", "Secure Boot authority (db)"},
      {"authority MokListRT", "shim MOK authority"}};
  const auto it = kNames.find(name);
  return it == kNames.end() ? name : it->second;
}

// describe_change names what differs between the pinned and the current
// measurements of one PCR ("Secure Boot db changed", "boot application added").
std::string describe_change(const std::vector<PinnedMeasurement>& pinned, const std::vector<Measurement>& now) {
  std::vector<std::string> changed, added, removed;
  std::map<std::string, std::vector<const Bytes*>> before, after;
  for (const auto& m : pinned) before[m.name].push_back(&m.digest);
  for (const auto& m : now) after[m.name].push_back(&m.digest);
  for (const auto& [name, digests] : after) {
    const auto& old = before[name];
    for (std::size_t k = 0; k < digests.size(); ++k) {
      if (k >= old.size()) {
        added.push_back(friendly(name));
      } else if (*old[k] != *digests[k]) {
        changed.push_back(friendly(name));
      }
    }
    for (std::size_t k = digests.size(); k < old.size(); ++k) removed.push_back(friendly(name));
  }
  for (const auto& [name, digests] : before) {
    if (after.count(name) == 0) {
      for (std::size_t k = 0; k < digests.size(); ++k) removed.push_back(friendly(name));
    }
  }
  auto join = [](std::vector<std::string> v) {
    v.erase(std::unique(v.begin(), v.end()), v.end());
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  std::string out;
  if (!changed.empty()) out += join(changed) + " changed";
  if (!added.empty()) out += (out.empty() ? "" : "; ") + join(added) + " added";
  if (!removed.empty()) out += (out.empty() ? "" : "; ") + join(removed) + " removed";
  return out;
}

// ChosenSet is the admin reference set the PCRs are judged against.
struct ChosenSet {
  const PcrValues* values = nullptr;   // nullptr: no admin reference at all (pins only)
  std::string label;                   // "" for the policy's "reference", else "reference set NAME"
  bool matched = false;                // every value of |values| equals the quoted one
  std::string expired_match;           // only an expired set matched: its name and end
};

// mismatches counts the values of |set| the quote does not carry or differs from.
std::size_t mismatches(const PcrValues& set, const PcrValues& quoted) {
  std::size_t n = 0;
  for (const auto& [bank, values] : set) {
    const auto qb = quoted.find(bank);
    for (const auto& [i, v] : values) {
      if (qb == quoted.end() || qb->second.count(i) == 0 || qb->second.at(i) != v) ++n;
    }
  }
  return n;
}

// choose_set: the policy's "reference" (when it has values) and its live named
// sets are candidates, in that order; the first whose values ALL equal the
// quoted ones is chosen. With none matching, the candidate with the fewest
// differences is chosen so the reasons name what differs from the nearest
// one, and a match with an expired set is reported as such. Values are never
// mixed across sets: old firmware's PCR 0 with new configuration's PCR 7 is
// no set.
ChosenSet choose_set(const PcrPolicy& p, const PcrValues& quoted, std::int64_t now) {
  std::vector<std::pair<const PcrValues*, std::string>> live;
  if (!p.reference.empty()) live.emplace_back(&p.reference, "");
  for (const auto& s : p.sets) {
    if (s.not_after == 0 || now < s.not_after) live.emplace_back(&s.values, "reference set " + s.name);
  }
  ChosenSet best;
  std::size_t best_n = 0;
  for (const auto& [values, label] : live) {
    const std::size_t n = mismatches(*values, quoted);
    if (n == 0) return ChosenSet{values, label, true, ""};
    if (best.values == nullptr || n < best_n) {
      best = ChosenSet{values, label, false, ""};
      best_n = n;
    }
  }
  for (const auto& s : p.sets) {
    if (s.not_after != 0 && now >= s.not_after && mismatches(s.values, quoted) == 0) {
      best.expired_match = s.name + " (ended " + std::to_string(s.not_after) + ")";
      if (best.values == nullptr) best = ChosenSet{&s.values, "reference set " + s.name, true, best.expired_match};
      break;
    }
  }
  return best;
}

// check_pcrs: every required PCR must be quoted and equal its reference (the
// chosen admin set's value, else the pinned one); unpinned ones are captured
// when all else is healthy.
void check_pcrs(const PolicyInputs& in, PolicyResult& r, PcrValues& to_pin) {
  const ChosenSet chosen = choose_set(in.policy.pcrs, in.body.pcrs, in.now);
  if (!chosen.expired_match.empty()) {
    fail(r, reason::kPcrMismatch,
         "the PCRs match only reference set " + chosen.expired_match + ", which has expired: capture the current "
         "firmware's values (pawctl policy capture ID --add) or update the machine");
  } else if (chosen.matched && !chosen.label.empty()) {
    note(r, reason::kPcrReferenceSet, "PCRs match " + chosen.label);
  }
  const std::string quoted_vs = "quote vs ";
  for (const auto& [bank, indices] : in.policy.pcrs.required) {
    for (const std::uint32_t i : indices) {
      const std::string label = "PCR " + std::to_string(i) + " (" + std::string(hash_name(bank)) + ")";
      const auto qb = in.body.pcrs.find(bank);
      if (qb == in.body.pcrs.end() || qb->second.count(i) == 0) {
        fail(r, reason::kPcrNotQuoted, label + " is required by policy but not quoted");
        rule(r, "pcrs.required", label, "quote", "", "fail", reason::kPcrNotQuoted);
        continue;
      }
      const Bytes& value = qb->second.at(i);
      const Bytes* ref = nullptr;
      bool pinned = false;
      if (chosen.values != nullptr) {
        if (auto b = chosen.values->find(bank); b != chosen.values->end() && b->second.count(i)) ref = &b->second.at(i);
      }
      if (ref == nullptr) {  // the chosen admin set does not name it: the device's pin
        if (auto p = in.previous.pinned_pcrs.find(bank); p != in.previous.pinned_pcrs.end() && p->second.count(i)) {
          ref = &p->second.at(i);
          pinned = true;
        }
      }
      const std::string against = pinned ? "the pinned value" : chosen.label.empty() ? "reference" : chosen.label;
      if (ref == nullptr) {
        if (in.policy.pcrs.pin_on_enroll) to_pin[bank][i] = value;
        rule(r, "pcrs.required", label,
             in.policy.pcrs.pin_on_enroll ? "quote (no reference yet: pinned if healthy)" : "quote (no reference)",
             hex(value), "pass");
        continue;
      }
      if (*ref == value) {
        rule(r, "pcrs.required", label, quoted_vs + against, hex(value), "pass");
        continue;
      }
      rule(r, "pcrs.required", label, quoted_vs + against, hex(value), "fail", reason::kPcrMismatch);
      if (!chosen.expired_match.empty() && !pinned) continue;  // said once above
      std::string msg = "PCR " + std::to_string(i) + " differs from " +
                        (pinned || chosen.label.empty() ? std::string("reference") : chosen.label);
      std::string what;
      const auto now_m = in.boot.measurements.find(i);
      const auto pin_m = in.previous.pinned_measurements.find(i);
      if (pinned && now_m != in.boot.measurements.end() && pin_m != in.previous.pinned_measurements.end()) {
        what = describe_change(pin_m->second, now_m->second);
      }
      msg += what.empty() ? " (" + pcr_purpose(i) + ")" : ": " + what;
      fail(r, reason::kPcrMismatch, msg);
    }
  }
}

// check_boot: the event log (bound to the quote) must be there where required,
// show Secure Boot on, and launch only allowed boot applications (by digest,
// or all verified by allowed signing authorities: authorities_vouch). A fact the
// log cannot prove (its PCR not bound, its event's data not matching its
// digest) is unknown, and a policy that needs it fails saying why.
void check_boot(const PolicyInputs& in, PolicyResult& r) {
  const Policy& p = in.policy;
  if (p.event_log_required) {
    if (!in.boot.log_present) fail(r, reason::kEventLogMissing, "the evidence carries no UEFI event log, which policy requires");
    rule(r, "event_log_required", "UEFI event log", "evidence", in.boot.log_present ? "present, bound to the quote" : "absent",
         in.boot.log_present ? "pass" : "fail", in.boot.log_present ? "" : reason::kEventLogMissing);
  }
  for (const auto& u : in.boot.unverified) {
    note(r, reason::kEventUnverified, u + ": facts from this event are unknown");
  }
  if (p.secure_boot_required) {
    const std::size_t before = r.reasons.size();
    if (!in.boot.log_present) {
      fail(r, reason::kSecureBootOff, "Secure Boot state unknown: no event log proves it");
    } else if (in.boot.secure_boot == false) {
      fail(r, reason::kSecureBootOff, "Secure Boot is disabled (event log, PCR 7)");
    } else if (!in.boot.secure_boot) {
      fail(r, reason::kSecureBootOff,
           in.boot.secure_boot_unknown.empty() ? "Secure Boot state is not in the event log"
                                               : "Secure Boot state unknown: " + in.boot.secure_boot_unknown);
    }
    const bool known = in.boot.secure_boot.has_value();
    rule(r, "secure_boot_required", "SecureBoot", "PCR 7 SecureBoot event (event log)",
         known ? (*in.boot.secure_boot ? "enabled" : "disabled") : "unknown",
         r.reasons.size() == before ? "pass" : known ? "fail" : "unknown",
         r.reasons.size() == before ? "" : reason::kSecureBootOff);
    // The agent's own reading of the SecureBoot variable must not contradict.
    if (in.body.host.secure_boot == false) {
      fail(r, reason::kHostSecureBootOff, "the agent reports Secure Boot disabled");
      rule(r, "secure_boot_required", "SecureBoot variable (agent)", "host facts (quote-covered)", "disabled", "fail",
           reason::kHostSecureBootOff);
    }
  }
  if (!p.boot_applications.empty()) {
    if (!in.boot.log_present) {
      fail(r, reason::kBootAppNotAllowed, "boot applications unknown: no event log proves them");
      rule(r, "boot_applications", "boot applications", "", "", "unknown", reason::kBootAppNotAllowed);
    } else if (!in.boot.boot_applications) {
      fail(r, reason::kBootAppNotAllowed, "boot applications unknown: " + in.boot.boot_applications_unknown);
      rule(r, "boot_applications", "boot applications", in.boot.boot_applications_unknown, "", "unknown",
           reason::kBootAppNotAllowed);
    } else {
      // With an authority rule that holds, any verified application is allowed.
      const bool vouched = authorities_vouch(in);
      for (const auto& app : *in.boot.boot_applications) {
        const Bytes& d = app.digest;
        const bool listed = p.boot_applications.contains(d);
        if (!listed && !vouched) {
          fail(r, reason::kBootAppNotAllowed, "boot application " + hex(d) + " is not in the policy's allowlist");
        }
        rule(r, "boot_applications", "boot application",
             listed ? "PCR 4 (event log), in the allowlist"
                    : vouched ? "PCR 4 (event log), verified by allowed boot.authorities" : "PCR 4 (event log)",
             hex(d), listed || vouched ? "pass" : "fail", listed || vouched ? "" : reason::kBootAppNotAllowed);
      }
    }
  }
}

// check_ima: runtime file measurements, where policy asks for them.
void check_ima(const PolicyInputs& in, PolicyResult& r) {
  const bool log_required = in.policy.ima.required || !in.policy.ima.required_files.empty();
  if (log_required) {
    if (!in.ima.present) fail(r, reason::kImaLogMissing, "the evidence carries no IMA log, which policy requires");
    rule(r, "ima.required", "IMA log", "evidence",
         in.ima.present ? "present, replay = quoted PCR 10 (" + std::to_string(in.ima.pcr10.size()) + " files)" : "absent",
         in.ima.present ? "pass" : "fail", in.ima.present ? "" : reason::kImaLogMissing);
  }
  check_ima_required(in, r);
  if (in.policy.ima.allowlist.empty()) return;
  std::size_t bad = 0;
  for (std::size_t k = 0; k < in.ima.file_digests.size(); ++k) {
    if (in.policy.ima.allowlist.contains(in.ima.file_digests[k])) continue;
    if (++bad <= 5) {
      const std::string path = k < in.ima.file_paths.size() ? in.ima.file_paths[k] : "?";
      fail(r, reason::kImaNotAllowed, "IMA measured " + path + " (" + hex(in.ima.file_digests[k]) + "), not allowed");
    }
  }
  if (bad > 5) fail(r, reason::kImaNotAllowed, std::to_string(bad - 5) + " more files not allowed");
  if (in.ima.violations > 0) {
    fail(r, reason::kImaNotAllowed, "IMA logged " + std::to_string(in.ima.violations) +
                                        " measurement violations (file changed while measured)");
  }
  // Without a log nothing was judged (an unenforced allowlist: see ima_allowlist_unenforced).
  const bool pass = bad == 0 && in.ima.violations == 0;
  rule(r, "ima.allowlist", std::to_string(in.ima.file_digests.size()) + " measured files",
       in.ima.present ? "IMA log (replay = quoted PCR 10)" : "no IMA log",
       std::to_string(bad) + " not allowed, " + std::to_string(in.ima.violations) + " violations",
       !in.ima.present ? "unknown" : pass ? "pass" : "fail", pass ? "" : reason::kImaNotAllowed);
}

// check_fido: the owner's key was plugged in and touched (and verified, if required).
void check_fido(const PolicyInputs& in, PolicyResult& r) {
  const FidoPolicy& f = in.policy.fido;
  const std::string assertion = "FIDO2 assertion (verified)";
  if (!in.presence.present) {
    if (f.required) {
      fail(r, reason::kFidoMissing,
           in.record.fido ? "no FIDO2 presence proof in the evidence" : "the device enrolled no FIDO2 key, policy requires one");
      rule(r, "fido.required", "owner's FIDO2 key", "evidence", "no assertion", "fail", reason::kFidoMissing);
    }
    return;
  }
  if (f.required) rule(r, "fido.required", "owner's FIDO2 key", assertion, "present", "pass");
  if (f.user_presence) {
    if (!in.presence.user_present) fail(r, reason::kFidoUpMissing, "FIDO2 key was not touched (UP flag clear)");
    rule(r, "fido.user_presence", "UP flag", assertion, in.presence.user_present ? "set" : "clear",
         in.presence.user_present ? "pass" : "fail", in.presence.user_present ? "" : reason::kFidoUpMissing);
  }
  if (f.user_verification) {
    if (!in.presence.user_verified) fail(r, reason::kFidoUvMissing, "FIDO2 user verification missing (UV flag clear)");
    rule(r, "fido.user_verification", "UV flag", assertion, in.presence.user_verified ? "set" : "clear",
         in.presence.user_verified ? "pass" : "fail", in.presence.user_verified ? "" : reason::kFidoUvMissing);
  }
  // A counter that stays 0 gives no clone detection; only some keys are built so.
  const bool frozen = in.presence.counter_stuck_at_zero && !f.allow_zero_counter;
  if (frozen) fail(r, reason::kFidoCounterFrozen, "FIDO2 signature counter stays 0 (no clone detection); policy refuses");
  rule(r, "fido.allow_zero_counter", "signature counter", assertion, std::to_string(in.presence.sign_count),
       frozen ? "fail" : "pass", frozen ? reason::kFidoCounterFrozen : "");
  // Presence proven with a key whose model no attestation chain proved: say so every time.
  if (in.record.fido && in.record.fido->attestation_type != "basic") {
    note(r, reason::kFidoModelUnproven, "FIDO2 key enrolled with " + in.record.fido->attestation_type +
                                            " attestation: its model (AAGUID) is the key's own claim");
  }
}

// check_host: facts the agent measured; the quote covers them, so they are the agent's word, unaltered.
void check_host(const PolicyInputs& in, PolicyResult& r) {
  const HostPolicy& h = in.policy.host;
  const std::string facts = "host facts (agent, quote-covered)";
  if (h.disk_encryption_required) {
    const auto& enc = in.body.host.disk_encrypted;
    if (enc != true) {
      fail(r, reason::kDiskNotEncrypted, enc ? "the root file system is not encrypted" : "disk encryption state unknown");
    }
    rule(r, "host.disk_encryption_required", "root file system", facts,
         !enc ? "unknown" : *enc ? "encrypted" : "not encrypted", enc == true ? "pass" : !enc ? "unknown" : "fail",
         enc == true ? "" : reason::kDiskNotEncrypted);
  }
  if (!h.os_release_allowlist.empty()) {
    const bool allowed = std::find(h.os_release_allowlist.begin(), h.os_release_allowlist.end(),
                                   in.body.host.os_release) != h.os_release_allowlist.end();
    if (!allowed) fail(r, reason::kOsNotAllowed, "operating system \"" + in.body.host.os_release + "\" is not allowed");
    rule(r, "host.os_release_allowlist", "PRETTY_NAME", facts, in.body.host.os_release.substr(0, 256),
         allowed ? "pass" : "fail", allowed ? "" : reason::kOsNotAllowed);
  }
}

// check_clock: resetCount/restartCount growing means a reboot since the last
// quote; the clock going back within one boot means a TPM that was tampered
// with or a quote replayed from the past (TPM 2.0 Part 2, 10.11.1).
void check_clock(const PolicyInputs& in, PolicyResult& r) {
  if (!in.previous.clock) return;
  const ClockInfo& was = *in.previous.clock;
  const ClockInfo& now = in.clock;
  const std::string counters = "resetCount " + std::to_string(was.reset_count) + " -> " +
                               std::to_string(now.reset_count) + ", restartCount " +
                               std::to_string(was.restart_count) + " -> " + std::to_string(now.restart_count);
  const std::string evidence = "TPM clock info (quote) vs the last attestation";
  if (now.reset_count < was.reset_count || (now.reset_count == was.reset_count && now.restart_count < was.restart_count)) {
    rule(r, "tpm clock", "reset counters", evidence, counters, "fail", reason::kClockAnomaly);
    fail(r, reason::kClockAnomaly, "TPM reset counters went back (resetCount " + std::to_string(was.reset_count) +
                                        " → " + std::to_string(now.reset_count) + "): TPM cleared or quote replayed");
    return;
  }
  if (now.reset_count == was.reset_count && now.restart_count == was.restart_count && now.clock < was.clock) {
    rule(r, "tpm clock", "clock", evidence, std::to_string(was.clock) + " -> " + std::to_string(now.clock) + " ms",
         "fail", reason::kClockAnomaly);
    fail(r, reason::kClockAnomaly, "TPM clock went back within one boot (" + std::to_string(was.clock) + " → " +
                                        std::to_string(now.clock) + " ms)");
    return;
  }
  if (now.reset_count > was.reset_count || now.restart_count > was.restart_count) {
    r.rebooted = true;
    const std::string what = now.reset_count > was.reset_count ? "rebooted" : "resumed or restarted";
    const std::string msg = "the workstation " + what + " since its last attestation (resetCount " +
                            std::to_string(was.reset_count) + " → " + std::to_string(now.reset_count) +
                            ", restartCount " + std::to_string(was.restart_count) + " → " +
                            std::to_string(now.restart_count) + ")";
    if (in.policy.reboot_allowed) {
      note(r, reason::kReboot, msg);
    } else {
      fail(r, reason::kReboot, msg + "; policy does not allow reboots");
      rule(r, "reboot.allow", "reboot since the last attestation", evidence, counters, "fail", reason::kReboot);
    }
  } else if (!in.policy.reboot_allowed) {
    rule(r, "reboot.allow", "reboot since the last attestation", evidence, counters, "pass");
  }
}

// trust_vector maps the outcome onto AR4SI claims (draft-ietf-rats-ar4si, 2.3).
TrustVector trust_vector(const PolicyInputs& in, const PolicyResult& r) {
  TrustVector t;
  // The quote verified with the enrolled AK: the instance is the enrolled one.
  t["instance-identity"] = ar4si::kTrustworthyInstance;
  // A chained EK certificate proves a genuine TPM; TOFU proves nothing about it.
  if (has_reason(r, {reason::kClockAnomaly})) {
    t["hardware"] = ar4si::kUnsafeHardware;
  } else {
    t["hardware"] = in.record.ek_tofu ? ar4si::kNoClaim : ar4si::kGenuineHardware;
  }
  if (has_reason(r, {reason::kSecureBootOff, reason::kHostSecureBootOff, reason::kDiskNotEncrypted,
                     reason::kOsNotAllowed, reason::kPcrNotQuoted, reason::kReboot, reason::kCmdlineMissing,
                     reason::kCmdlineForbidden, reason::kDbxOutdated, reason::kSecureBootKeysUnexpected,
                     reason::kKernelOutdated, reason::kSbatOutdated, reason::kSbatUnknown})) {
    t["configuration"] = ar4si::kUnsupportableConfig;
  } else {
    t["configuration"] = ar4si::kApprovedConfig;
  }
  if (has_reason(r, {reason::kPcrMismatch, reason::kBootAppNotAllowed, reason::kBootAuthorityNotAllowed,
                     reason::kEventLogMissing, reason::kKernelUnknown})) {
    t["executables"] = ar4si::kContraindicatedRuntime;
  } else {
    t["executables"] = in.boot.log_present ? ar4si::kApprovedBoot : ar4si::kNoClaim;
  }
  if (has_reason(r, {reason::kImaNotAllowed, reason::kImaLogMissing, reason::kImaRequiredMissing,
                     reason::kImaRequiredDigestMismatch})) {
    t["file-system"] = ar4si::kContraindicatedFiles;
  } else {
    t["file-system"] = in.ima.present && !in.policy.ima.allowlist.empty() ? ar4si::kApprovedFiles : ar4si::kNoClaim;
  }
  t["runtime-opaque"] = ar4si::kNoClaim;
  if (in.body.host.disk_encrypted == true) {
    t["storage-opaque"] = ar4si::kSwKeysEncryptedSecrets;
  } else {
    t["storage-opaque"] = in.body.host.disk_encrypted == false ? ar4si::kUnencryptedSecrets : ar4si::kNoClaim;
  }
  if (has_reason(r, {reason::kFidoMissing, reason::kFidoUpMissing, reason::kFidoUvMissing, reason::kFidoCounterFrozen})) {
    t["sourced-data"] = ar4si::kUntrustedSources;
  } else {
    // Trusted only from a key whose model an attestation chain proved.
    const bool proven = in.record.fido && in.record.fido->attestation_type == "basic";
    t["sourced-data"] = !in.presence.present ? ar4si::kNoClaim : proven ? ar4si::kTrustedSources : ar4si::kUntrustedSources;
  }
  return t;
}

}  // namespace

PolicyResult evaluate_policy(const PolicyInputs& in) {
  PolicyResult r;
  PcrValues to_pin;
  check_pcrs(in, r, to_pin);
  check_boot(in, r);
  check_boot_rules(in, r);
  check_ima(in, r);
  check_fido(in, r);
  check_host(in, r);
  check_clock(in, r);
  r.trust = trust_vector(in, r);

  DeviceState& next = r.next_state;
  next = in.previous;
  if (in.presence.present) next.fido_sign_count = in.presence.sign_count;
  next.clock = in.clock;
  next.last_attested_at = in.now;
  // Pin only from an otherwise healthy attestation: a reference captured from a
  // compromised boot would make that boot look healthy forever.
  if (r.reasons.empty() && !to_pin.empty()) {
    std::string list;
    for (const auto& [bank, values] : to_pin) {
      for (const auto& [i, v] : values) {
        next.pinned_pcrs[bank][i] = v;
        const auto m = in.boot.measurements.find(i);
        if (bank == HashAlg::sha256 && m != in.boot.measurements.end()) {
          auto& dst = next.pinned_measurements[i];
          dst.clear();
          for (const auto& x : m->second) dst.push_back({x.name, x.digest});
        }
        list += (list.empty() ? "" : ", ") + std::string(hash_name(bank)) + ":" + std::to_string(i);
      }
    }
    note(r, reason::kPcrPinned, "reference values pinned for PCRs " + list);
  }
  if (r.reasons.empty()) next.last_healthy_at = in.now;
  return r;
}

}  // namespace paw::detail
