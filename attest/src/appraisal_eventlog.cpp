// appraisal_eventlog.cpp — the event-log step of the appraisal, in the order
// eventlog.h prescribes: parse → replay → compare with the quoted PCRs →
// check event data in the quoted banks → boot facts. Kept apart from
// evidence.h (see appraisal_internal.h).
#include "paw/attest/bootfacts.h"
#include "paw/attest/eventlog.h"

#include "appraisal_internal.h"

namespace paw::detail {
namespace {

std::vector<HashAlg> banks_of(const PcrValues& quoted) {
  std::vector<HashAlg> out;
  for (const auto& [bank, values] : quoted) {
    if (!values.empty()) out.push_back(bank);
  }
  return out;
}

BootFacts to_facts(const paw::BootFacts& f) {
  BootFacts out;
  out.log_present = true;
  out.secure_boot = f.secure_boot;
  for (const auto& v : f.secure_boot_variables) out.measurements[v.pcr].push_back({v.name, v.sha256});
  for (const auto& v : f.authorities) out.measurements[v.pcr].push_back({"authority " + v.name, v.sha256});
  for (const auto& app : f.boot_applications) {
    const auto d = app.digests.find(HashAlg::sha256);
    Bytes digest = d == app.digests.end() ? Bytes{} : d->second;
    if (!digest.empty()) out.boot_applications.push_back(digest);
    out.measurements[app.pcr].push_back({"boot application", std::move(digest)});
  }
  return out;
}

}  // namespace

Result<BootFacts> check_event_log(ByteView log, const PcrValues& quoted) {
  auto parsed = parse_event_log(log);
  if (!parsed.ok()) {
    const Errc c = parsed.code() == Errc::too_large || parsed.code() == Errc::trailing_data ? parsed.code()
                                                                                            : Errc::eventlog_malformed;
    return make_error(c, "event log: " + parsed.error().detail);
  }
  PAW_TRY(PcrValues replayed, replay_event_log(*parsed));
  PAW_CHECK(compare_pcrs(replayed, quoted).status());
  // Only the quoted banks' digests are pinned by the TPM: check the data against those.
  PAW_TRY(paw::BootFacts facts, extract_boot_facts(*parsed, banks_of(quoted)));
  return to_facts(facts);
}

}  // namespace paw::detail
