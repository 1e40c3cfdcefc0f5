// appraisal_boot_rules.cpp — the policy's "boot" rules over events bound to
// the quote: signing authorities (PCR 7), kernel command-line items (PCR 8),
// a minimum dbx and the Secure Boot owners' PK and KEK (PCR 7), the minimum
// kernel by the digests of PCR 4's boot applications, shim's SBAT level (PCR 7).
// A rule whose facts are unknown fails saying why;
// every failure names the event (PCR, index, type) that decided it.
#include <algorithm>

#include "paw/attest/debian_version.h"
#include "paw/attest/eventlog.h"

#include "appraisal_policy.h"

namespace paw::detail {
namespace {

void fail(PolicyResult& r, std::string_view code, std::string message) {
  r.reasons.push_back({std::string(code), std::move(message)});
}

// unknown: the rule could not be judged; its reason says why.
void unknown(PolicyResult& r, std::string_view rule, std::string_view code, std::string message) {
  add_rule(r, {std::string(rule), "", "", "", "unknown", std::string(code)});
  fail(r, code, std::move(message));
}

std::string where(std::uint32_t pcr, std::size_t event, std::uint32_t type) {
  return "PCR " + std::to_string(pcr) + " event " + std::to_string(event) + " (" + event_type_name(type) + ")";
}

// shown: text from the log (root can extend PCR 8 with any bytes) made safe
// to print — control characters become '?' — and at most |max| bytes long.
std::string shown(std::string_view text, std::size_t max = 160) {
  std::string out(text.substr(0, max));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return text.size() > max ? out + "..." : out;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\n' && s[j] != '\r') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// check_authorities: every signing authority measured in the bound PCR 7 is
// one the policy allows. Root may append authority events to PCR 7 after boot,
// but an added event can only fail this rule, never make it pass; an event
// whose data does not match its digest makes the rule unknown (its real data
// could be any certificate).
void check_authorities(const PolicyInputs& in, PolicyResult& r) {
  const ByteSet& allowed = in.policy.boot.authorities;
  const std::string_view rule = "boot.authorities", code = reason::kBootAuthorityNotAllowed;
  if (!in.boot.log_present) return unknown(r, rule, code, "signing authorities unknown: no event log proves them");
  if (!in.boot.authorities) {
    return unknown(r, rule, code, "signing authorities unknown: " + in.boot.authorities_unknown);
  }
  if (in.boot.authorities->empty()) {
    return unknown(r, rule, code,
                   "the event log records no signing authority in PCR 7: nothing shows the boot applications were "
                   "verified (Secure Boot off, or firmware that does not measure EV_EFI_VARIABLE_AUTHORITY)");
  }
  for (const auto& a : *in.boot.authorities) {
    const bool ok = allowed.contains(a.digest);
    add_rule(r, {std::string(rule), shown(a.text, 64), where(a.pcr, a.event, a.type), hex(a.digest), ok ? "pass" : "fail",
                 ok ? "" : std::string(code)});
    if (ok) continue;
    fail(r, reason::kBootAuthorityNotAllowed,
         "signing authority " + hex(a.digest) + " (" + shown(a.text, 64) + ") at " + where(a.pcr, a.event, a.type) +
             " is not in the policy's boot.authorities");
  }
}

// check_cmdlines: every kernel command line measured in the bound PCR 8
// carries each required word and none of the forbidden ones. "Every", not
// "any": a command line root appends to PCR 8 after boot can only fail.
void check_cmdlines(const PolicyInputs& in, PolicyResult& r) {
  const BootRules& b = in.policy.boot;
  // Unknown is "missing": the command line the rule needs is not in the evidence.
  const std::string_view code = reason::kCmdlineMissing, rule = "boot.kernel_cmdline";
  if (!in.boot.log_present) return unknown(r, rule, code, "kernel command line unknown: no event log proves it");
  if (!in.boot.kernel_cmdlines) {
    return unknown(r, rule, code, "kernel command line unknown: " + in.boot.kernel_cmdlines_unknown);
  }
  if (in.boot.kernel_cmdlines->empty()) {
    return unknown(r, rule, code,
                "the event log measures no kernel command line in PCR 8 (a boot loader that does not measure it, "
                "or grub without its tpm module), so the policy's kernel_cmdline rule cannot be judged");
  }
  for (const auto& c : *in.boot.kernel_cmdlines) {
    const auto toks = words(c.text);
    const std::string at = where(c.pcr, c.event, c.type);
    for (const auto& item : b.cmdline_required) {
      const bool found =
          std::any_of(toks.begin(), toks.end(), [&](std::string_view t) { return cmdline_item_matches(item, t); });
      add_rule(r, {"boot.kernel_cmdline.required", item, at, shown(c.text), found ? "pass" : "fail",
                   found ? "" : std::string(reason::kCmdlineMissing)});
      if (!found) {
        fail(r, reason::kCmdlineMissing,
             "kernel command line at " + at + " lacks \"" + item + "\": \"" + shown(c.text) + "\"");
      }
    }
    for (const auto& item : b.cmdline_forbidden) {
      const bool present =
          std::any_of(toks.begin(), toks.end(), [&](std::string_view t) { return cmdline_item_matches(item, t); });
      add_rule(r, {"boot.kernel_cmdline.forbidden", item, at, shown(c.text), present ? "fail" : "pass",
                   present ? std::string(reason::kCmdlineForbidden) : ""});
      for (const auto t : toks) {
        if (!cmdline_item_matches(item, t)) continue;
        fail(r, reason::kCmdlineForbidden, "kernel command line at " + at + " has \"" + shown(t) +
                                               "\", which the policy forbids (\"" + item + "\")");
      }
    }
  }
}

// check_dbx: the dbx the firmware measured (before PCR 7's separator: one
// measured later came from the OS) revokes every digest the policy lists.
void check_dbx(const PolicyInputs& in, PolicyResult& r) {
  if (!in.boot.log_present) return unknown(r, "boot.dbx", reason::kDbxOutdated, "dbx unknown: no event log proves it");
  if (!in.boot.dbx) return unknown(r, "boot.dbx", reason::kDbxOutdated, "dbx unknown: " + in.boot.dbx_unknown);
  std::size_t missing = 0;
  std::string first;
  for (const auto& d : in.policy.boot.dbx_required) {
    if (in.boot.dbx->sha256.contains(d)) continue;
    if (++missing == 1) first = hex(d);
  }
  add_rule(r, {"boot.dbx", std::to_string(in.policy.boot.dbx_required.size()) + " required revocations",
               where(in.boot.dbx->pcr, in.boot.dbx->event, in.boot.dbx->type),
               std::to_string(in.boot.dbx->sha256.size()) + " SHA-256 entries, " + std::to_string(missing) + " missing",
               missing == 0 ? "pass" : "fail", missing == 0 ? "" : std::string(reason::kDbxOutdated)});
  if (missing == 0) return;
  fail(r, reason::kDbxOutdated,
       "the dbx at " + where(in.boot.dbx->pcr, in.boot.dbx->event, in.boot.dbx->type) + " lacks " +
           std::to_string(missing) + " of the " + std::to_string(in.policy.boot.dbx_required.size()) +
           " revocations the policy requires (first: " + first + ")");
}

// check_owners: every certificate of every measured PK (and KEK) is one the
// policy lists, and the variable is measured. "Every": a PK root appends to
// PCR 7 after boot can only fail; a replaced PK is tampering, never graced.
void check_owners(const PolicyInputs& in, PolicyResult& r) {
  const std::string_view rule = "boot.secure_boot_owners", code = reason::kSecureBootKeysUnexpected;
  if (!in.boot.log_present) return unknown(r, rule, code, "PK and KEK unknown: no event log proves them");
  if (!in.boot.secure_boot_keys) {
    return unknown(r, rule, code, "PK and KEK unknown: " + in.boot.secure_boot_keys_unknown);
  }
  for (const auto& [name, allowed] : {std::pair<std::string, const ByteSet*>{"PK", &in.policy.boot.owner_pk},
                                      std::pair<std::string, const ByteSet*>{"KEK", &in.policy.boot.owner_kek}}) {
    if (allowed->empty()) continue;
    bool measured = false;
    for (const auto& k : *in.boot.secure_boot_keys) {
      if (k.name != name) continue;
      measured = true;
      const std::string at = where(k.pcr, k.event, k.type);
      for (const auto& fp : k.x509) {
        const bool ok = allowed->contains(fp);
        add_rule(r, {std::string(rule), name + " certificate", at, hex(fp), ok ? "pass" : "fail", ok ? "" : std::string(code)});
        if (!ok) {
          fail(r, code, name + " at " + at + " holds certificate " + hex(fp) +
                            ", which is not in the policy's boot.secure_boot_owners." + (name == "PK" ? "pk" : "kek"));
        }
      }
      if (k.other != 0 || k.x509.empty()) {
        add_rule(r, {std::string(rule), name, at, std::to_string(k.other) + " entries that are not certificates",
                     "fail", std::string(code)});
        fail(r, code, name + " at " + at + " holds " + (k.x509.empty() && k.other == 0 ? std::string("no entry")
                                                      : std::to_string(k.other) + " entries that are not certificates"));
      }
    }
    if (!measured) {
      unknown(r, rule, code, "the event log measures no " + name + " in PCR 7, so the policy's secure_boot_owners rule "
                                 "cannot be judged");
    }
  }
}

// check_kernel: the kernel the firmware (or shim) measured into the bound
// PCR 4 is, by its digest, a packaged kernel of at least boot.min_kernel.
// Every PCR 4 application must be a known image: root can append a newer
// kernel's digest to PCR 4 after boot, but cannot remove the booted one, so
// "every kernel new enough, and nothing unknown" cannot be passed by adding
// events. It needs Secure Boot proven on: without it a boot loader may start
// a kernel it never measured into PCR 4, and the appended digest would be
// the only kernel the log shows.
void check_kernel(const PolicyInputs& in, PolicyResult& r) {
  const BootRules& b = in.policy.boot;
  const std::string_view rule = "boot.min_kernel", code = reason::kKernelUnknown;
  if (!in.boot.log_present) return unknown(r, rule, code, "booted kernel unknown: no event log proves it");
  if (!in.boot.boot_applications) {
    return unknown(r, rule, code, "booted kernel unknown: " + in.boot.boot_applications_unknown);
  }
  if (in.boot.secure_boot != true) {
    return unknown(r, rule, code,
                   "booted kernel unknown: Secure Boot is not proven on, and without it a boot loader may start a "
                   "kernel it never measures into PCR 4");
  }
  bool kernel_seen = false;
  for (const auto& app : *in.boot.boot_applications) {
    const std::string at = where(app.pcr, app.event, app.type);
    const KnownImage* k = b.known_image(app.digest);
    if (k == nullptr) {
      add_rule(r, {std::string(rule), "boot application", at, hex(app.digest), "fail", std::string(code)});
      fail(r, code, "boot application " + hex(app.digest) + " at " + at +
                        " is not in the policy's boot.images (pawctl refs import-deb records packaged kernels and "
                        "boot loaders)");
      continue;
    }
    const std::string what = k->package + " " + k->version + (k->file.empty() ? "" : " (" + k->file + ")");
    if (k->kind != "kernel") {
      add_rule(r, {std::string(rule), k->kind, at, what, "pass", ""});
      continue;
    }
    kernel_seen = true;
    const bool new_enough = compare_debian_versions(k->version, b.min_kernel) >= 0;
    add_rule(r, {std::string(rule), "kernel >= " + b.min_kernel, at, what, new_enough ? "pass" : "fail",
                 new_enough ? "" : std::string(reason::kKernelOutdated)});
    if (!new_enough) {
      fail(r, reason::kKernelOutdated, "kernel " + what + " at " + at + " is older than the policy's boot.min_kernel " +
                                           b.min_kernel);
    }
  }
  if (!kernel_seen) {
    unknown(r, rule, code,
            "no PCR 4 boot application is a kernel the policy's boot.images knows, so boot.min_kernel cannot be "
            "judged");
  }
}

// check_sbat: shim's SBAT revocation level is at least boot.min_sbat.
// EVERY SbatLevel measured into the bound PCR 7 must be: root can append a
// newer level after boot but cannot remove the one shim measured, so the
// lowest decides. It needs Secure Boot proven on (without it shim enforces
// no level) and at least one SbatLevel measured (a shim older than 15.3
// measures none, and then the level is unknown).
void check_sbat(const PolicyInputs& in, PolicyResult& r) {
  const SbatMinimum& min = in.policy.boot.min_sbat;
  const std::string_view rule = "boot.min_sbat", code = reason::kSbatUnknown;
  if (!in.boot.log_present) return unknown(r, rule, code, "SBAT level unknown: no event log proves it");
  if (!in.boot.sbat_levels) return unknown(r, rule, code, "SBAT level unknown: " + in.boot.sbat_levels_unknown);
  if (in.boot.secure_boot != true) {
    return unknown(r, rule, code,
                   "SBAT level unknown: Secure Boot is not proven on, and without it shim enforces no revocation "
                   "level");
  }
  if (in.boot.sbat_levels->empty()) {
    return unknown(r, rule, code,
                   "the event log measures no SbatLevel in PCR 7 (a shim older than 15.3, or a boot without shim), "
                   "so boot.min_sbat cannot be judged");
  }
  std::string wanted = min.date.empty() ? "" : "datestamp " + min.date;
  for (const auto& [name, gen] : min.components) wanted += (wanted.empty() ? "" : ", ") + name + " " + std::to_string(gen);
  for (const auto& e : *in.boot.sbat_levels) {
    const std::string at = where(e.pcr, e.event, e.type);
    if (!e.level) {
      add_rule(r, {std::string(rule), ">= " + wanted, at, shown(e.error), "unknown", std::string(code)});
      fail(r, code, "the SbatLevel at " + at + " does not decode: " + shown(e.error));
      continue;
    }
    const auto missing = sbat_shortfalls(*e.level, min);
    const std::string level = sbat_level_text(*e.level);
    add_rule(r, {std::string(rule), ">= " + wanted, at, level, missing.empty() ? "pass" : "fail",
                 missing.empty() ? "" : std::string(reason::kSbatOutdated)});
    if (missing.empty()) continue;
    std::string lacks;
    for (const auto& m : missing) lacks += (lacks.empty() ? "" : ", ") + m;
    fail(r, reason::kSbatOutdated, "the SbatLevel at " + at + " (" + level + ") is below the policy's boot.min_sbat: " +
                                       lacks);
  }
}

}  // namespace

void check_boot_rules(const PolicyInputs& in, PolicyResult& r) {
  const BootRules& b = in.policy.boot;
  if (!b.authorities.empty()) check_authorities(in, r);
  if (!b.cmdline_required.empty() || !b.cmdline_forbidden.empty()) check_cmdlines(in, r);
  if (!b.dbx_required.empty()) check_dbx(in, r);
  if (!b.owner_pk.empty() || !b.owner_kek.empty()) check_owners(in, r);
  if (!b.min_kernel.empty()) check_kernel(in, r);
  if (!b.min_sbat.empty()) check_sbat(in, r);
}

bool authorities_vouch(const PolicyInputs& in) {
  const auto& a = in.boot.authorities;
  if (in.policy.boot.authorities.empty() || in.boot.secure_boot != true || !a || a->empty()) return false;
  return std::all_of(a->begin(), a->end(),
                     [&](const EventFact& f) { return in.policy.boot.authorities.contains(f.digest); });
}

}  // namespace paw::detail
