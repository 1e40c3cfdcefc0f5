// appraisal_eventlog.cpp — the event-log step of the appraisal: parse → bind
// to the quote (judged banks, every quoted firmware PCR compared) → facts
// from the bound PCRs only, data checked in the judged banks. Kept apart from
// evidence.h (see appraisal_internal.h).
#include "paw/attest/boot_events.h"
#include "paw/attest/bootfacts.h"
#include "paw/attest/eventlog.h"
#include "paw/attest/sbat.h"

#include "appraisal_internal.h"

namespace paw::detail {
namespace {

// boot_applications: the allowlist holds SHA-256 Authenticode digests, so it
// can be judged only when the SHA-256 bank is judged and binds PCR 4.
void boot_applications(const paw::BootFacts& f, const EventLogBinding& b, BootFacts& out) {
  if (!b.pcr_bound(HashAlg::sha256, 4)) {
    out.boot_applications_unknown = "PCR 4 is not bound by the quote in the SHA-256 bank";
    return;
  }
  std::vector<EventFact> apps;
  for (const auto& app : f.boot_applications) {
    if (!b.pcr_bound(HashAlg::sha256, app.pcr)) continue;
    const auto d = app.digests.find(HashAlg::sha256);  // a complete bank: every measured event has it
    if (d != app.digests.end()) apps.push_back({app.event, app.pcr, app.type, d->second, app.device_path});
  }
  out.boot_applications = std::move(apps);
}

// unverified_in: the first event of PCR |pcr| and type |type| whose data does
// not match its digest ("" if none): a rule over every such event cannot pass.
std::string unverified_in(const paw::BootFacts& f, std::uint32_t pcr, std::uint32_t type) {
  for (const auto& u : f.unverified) {
    if (u.pcr == pcr && u.type == type) return u.detail;
  }
  return "";
}

// key_facts: PK and KEK as PCR 7 measured them. Every measurement counts
// (one root appends after boot can only add entries, i.e. failures); any PCR 7
// variable whose data does not match its digest makes them unknown.
void key_facts(const paw::BootFacts& f, const EventLogBinding& b, BootFacts& out) {
  if (!b.pcr_bound(7)) {
    out.secure_boot_keys_unknown = "PCR 7 is not bound by the quote (not quoted in a complete SHA-256 or stronger bank)";
    return;
  }
  if (auto u = unverified_in(f, 7, ev::kEfiVariableDriverConfig); !u.empty()) {
    out.secure_boot_keys_unknown = "a Secure Boot variable event does not match its digest (" + u + ")";
    return;
  }
  std::vector<KeyVariable> keys;
  for (const auto& v : f.secure_boot_variables) {
    if (v.pcr != 7 || (v.name != "PK" && v.name != "KEK") || v.guid != "8be4df61-93ca-11d2-aa0d-00e098032b8c") continue;
    auto lists = parse_efi_signature_lists(v.value);
    if (!lists.ok()) {
      out.secure_boot_keys_unknown = v.name + " at event " + std::to_string(v.event) + " does not decode: " +
                                     lists.error().detail;
      return;
    }
    keys.push_back({v.event, v.pcr, v.type, v.name, std::move(lists->x509), lists->other + lists->sha256.size()});
  }
  out.secure_boot_keys = std::move(keys);
}

// sbat_facts: every SbatLevel shim measured (sbat.h). Every one counts: root
// can extend PCR 7 and append a higher level after boot, but cannot take the
// real one out, so the rule judges them all; an authority event whose data
// does not match its digest could be the real one, so none is judged then.
void sbat_facts(const paw::BootFacts& f, const EventLogBinding& b, BootFacts& out) {
  if (!b.pcr_bound(7)) {
    out.sbat_levels_unknown = "PCR 7 is not bound by the quote (not quoted in a complete SHA-256 or stronger bank)";
    return;
  }
  if (auto u = unverified_in(f, 7, ev::kEfiVariableAuthority); !u.empty()) {
    out.sbat_levels_unknown = "a PCR 7 authority event does not match its digest (" + u + ")";
    return;
  }
  std::vector<SbatLevelEvent> levels;
  for (const auto& a : f.authorities) {
    if (a.pcr != 7 || a.guid != kShimLockGuid || a.name != kSbatLevelName) continue;
    SbatLevelEvent e{a.event, a.pcr, a.type, std::nullopt, ""};
    auto level = parse_sbat_level(a.value);
    if (level.ok()) {
      e.level = std::move(level).value();
    } else {
      e.error = level.error().detail;
    }
    levels.push_back(std::move(e));
  }
  out.sbat_levels = std::move(levels);
}

// rule_facts: the facts of the "boot" rules, each only when its PCR is bound.
void rule_facts(const paw::BootFacts& f, const EventLogBinding& b, BootFacts& out) {
  const std::string unbound = " is not bound by the quote (not quoted in a complete SHA-256 or stronger bank)";
  if (!b.pcr_bound(7)) {
    out.authorities_unknown = "PCR 7" + unbound;
  } else if (auto u = unverified_in(f, 7, ev::kEfiVariableAuthority); !u.empty()) {
    out.authorities_unknown = "an authority event does not match its digest (" + u + ")";
  } else {
    std::vector<EventFact> v;
    for (const auto& a : f.authorities) v.push_back({a.event, a.pcr, a.type, a.sha256, a.name});
    out.authorities = std::move(v);
  }
  if (!b.pcr_bound(8)) {
    out.kernel_cmdlines_unknown = "PCR 8" + unbound;
  } else if (auto u = unverified_in(f, 8, ev::kIpl); !u.empty()) {
    out.kernel_cmdlines_unknown = "a boot loader string does not match its digest (" + u + ")";
  } else {
    std::vector<EventFact> v;
    for (const auto& c : f.kernel_cmdline_events) v.push_back({c.event, c.pcr, ev::kIpl, {}, c.text});
    out.kernel_cmdlines = std::move(v);
  }
  key_facts(f, b, out);
  sbat_facts(f, b, out);
  if (f.dbx) {
    out.dbx = DbxEntries{f.dbx->event, f.dbx->pcr, f.dbx->type, f.dbx->sha256};
  } else {
    out.dbx_unknown = f.dbx_unknown;
  }
}

BootFacts to_facts(const paw::BootFacts& f, const EventLogBinding& b) {
  BootFacts out;
  out.log_present = true;
  out.secure_boot = f.secure_boot;
  out.secure_boot_unknown = f.secure_boot_unknown;
  boot_applications(f, b, out);
  rule_facts(f, b, out);
  auto sha256_of = [](const std::map<HashAlg, Bytes>& d) {
    const auto it = d.find(HashAlg::sha256);
    return it == d.end() ? Bytes{} : it->second;
  };
  for (const auto& v : f.secure_boot_variables) out.measurements[v.pcr].push_back({v.name, v.sha256});
  for (const auto& v : f.authorities) out.measurements[v.pcr].push_back({"authority " + v.name, v.sha256});
  for (const auto& app : f.boot_applications) out.measurements[app.pcr].push_back({"boot application", sha256_of(app.digests)});
  for (const auto& u : f.unverified) out.unverified.push_back(u.detail);
  return out;
}

}  // namespace

Result<BootFacts> check_event_log(ByteView log, const PcrValues& quoted) {
  // 1. parse, to the last byte.
  auto parsed = parse_event_log(log);
  if (!parsed.ok()) {
    const Errc c = parsed.code() == Errc::too_large || parsed.code() == Errc::trailing_data ? parsed.code()
                                                                                            : Errc::eventlog_malformed;
    return make_error(c, "event log: " + parsed.error().detail);
  }
  // 2. bind: a complete, quoted bank of SHA-256 or stronger, and every quoted
  //    firmware PCR of the judged banks equal to the replay (or reset value).
  PAW_TRY(EventLogBinding binding, bind_event_log(*parsed, quoted));
  // 3. facts only from events in bound PCRs; data checked in the judged banks
  //    (only their digests are pinned by the TPM). A mismatch makes that
  //    event's facts unknown; it does not refuse a log that replays.
  PAW_TRY(paw::BootFacts facts, extract_boot_facts(*parsed, FactScope{binding.judged, binding.bound_pcrs()}));
  BootFacts out = to_facts(facts, binding);
  out.events = boot_events(*parsed, binding);
  return out;
}

}  // namespace paw::detail
