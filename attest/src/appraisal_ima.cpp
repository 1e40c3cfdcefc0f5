// appraisal_ima.cpp — the IMA step of the appraisal: parse the runtime
// measurement list, replay it into PCR 10 for the quoted banks and require the
// quoted PCR 10 to be exactly that. Kept apart from evidence.h (see
// appraisal_internal.h).
#include "paw/attest/ima.h"

#include "appraisal_internal.h"

namespace paw::detail {

Result<ImaFacts> check_ima_log(ByteView log, const PcrValues& quoted) {
  auto parsed = parse_ima_list(log);
  if (!parsed.ok()) {
    const Errc c = parsed.code() == Errc::too_large ? Errc::too_large : Errc::ima_malformed;
    return make_error(c, "IMA log: " + parsed.error().detail);
  }
  std::vector<HashAlg> banks;
  for (const auto& [bank, values] : quoted) {
    if (values.count(kImaPcr) != 0) banks.push_back(bank);
  }
  // An IMA list no quoted PCR pins proves nothing.
  if (banks.empty()) return make_error(Errc::eventlog_replay_mismatch, "IMA log: PCR 10 is not quoted");
  auto replayed = replay_ima(*parsed, banks);
  if (!replayed.ok()) {
    const Errc c = replayed.code() == Errc::unsupported ? Errc::unsupported : Errc::ima_malformed;
    return make_error(c, "IMA log: " + replayed.error().detail);
  }
  for (HashAlg bank : banks) {
    const auto b = replayed->find(bank);
    const bool agree = b != replayed->end() && b->second.count(kImaPcr) != 0 &&
                       b->second.at(kImaPcr) == quoted.at(bank).at(kImaPcr);
    if (!agree) {
      return make_error(Errc::eventlog_replay_mismatch,
                        "IMA log: replay does not reach the quoted PCR 10 (" + std::string(hash_name(bank)) + ")");
    }
  }
  ImaFacts facts;
  facts.present = true;
  for (const auto& e : parsed->entries()) {
    if (e.violation) {
      ++facts.violations;
      continue;
    }
    if (e.path == "boot_aggregate" || e.file_digest.empty()) continue;
    facts.file_digests.emplace_back(e.file_digest.begin(), e.file_digest.end());
    facts.file_paths.push_back(e.path);
    // Only PCR 10 is compared with the quote: an entry for another PCR proves nothing was measured.
    if (e.pcr == kImaPcr) facts.pcr10.push_back({e.index, e.path, e.file_hash_alg + ":" + hex(e.file_digest)});
  }
  return facts;
}

}  // namespace paw::detail
