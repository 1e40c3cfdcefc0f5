// eventlog_bind.cpp — binding an event log to a quote: which banks can be
// judged, and which PCRs the quote vouches for. Everything the appraisal
// reads from a log must come from events in a PCR bound here (see
// eventlog.h, bind_event_log); a log that binds nothing is refused, because
// an unbound log is just text the workstation chose to send.
#include <algorithm>

#include "eventlog_internal.h"
#include "paw/attest/eventlog.h"

namespace paw {
namespace {

bool strong(HashAlg bank) { return hash_size(bank) >= 32; }  // SHA-256 or stronger

std::string bank_list(const std::vector<HashAlg>& banks) {
  std::string s;
  for (const HashAlg b : banks) s += (s.empty() ? "" : ", ") + std::string(hash_name(b));
  return s.empty() ? "none" : s;
}

// append moves one bank's comparison into the overall one.
void append(PcrComparison& to, PcrComparison&& from) {
  for (auto& j : from.judged) to.judged.push_back(std::move(j));
  for (auto& r : from.not_quoted) to.not_quoted.push_back(r);
  for (auto& r : from.named_missing) to.named_missing.push_back(r);
}

}  // namespace

bool EventLogBinding::pcr_bound(std::uint32_t pcr) const {
  return std::any_of(bound.begin(), bound.end(), [&](const auto& b) { return b.second.count(pcr) != 0; });
}

bool EventLogBinding::pcr_bound(HashAlg bank, std::uint32_t pcr) const {
  const auto it = bound.find(bank);
  return it != bound.end() && it->second.count(pcr) != 0;
}

std::set<std::uint32_t> EventLogBinding::bound_pcrs() const {
  std::set<std::uint32_t> out;
  for (const auto& [bank, pcrs] : bound) out.insert(pcrs.begin(), pcrs.end());
  return out;
}

Result<EventLogBinding> bind_event_log(const EventLog& log, const PcrValues& quoted) {
  EventLogBinding out;
  // 1. replay every bank the log declares.
  PAW_TRY(std::vector<BankReplay> banks, replay_event_log_banks(log));
  // 2. judged banks: complete and quoted. An incomplete bank is what real
  //    firmware writes (SHA-1 gaps), so it is reported, not an error.
  std::vector<HashAlg> quoted_banks;
  for (const auto& [bank, values] : quoted) {
    if (!values.empty()) quoted_banks.push_back(bank);
  }
  for (const BankReplay& b : banks) {
    const bool is_quoted = std::find(quoted_banks.begin(), quoted_banks.end(), b.bank) != quoted_banks.end();
    if (!b.complete) {
      out.unjudged.push_back({b.bank, "incomplete: event " + std::to_string(b.first_missing) + " has no " +
                                          std::string(hash_name(b.bank)) + " digest"});
    } else if (!is_quoted) {
      out.unjudged.push_back({b.bank, "not quoted"});
    } else {
      out.judged.push_back(b.bank);
    }
  }
  if (std::none_of(out.judged.begin(), out.judged.end(), strong)) {
    std::string why;
    for (const auto& u : out.unjudged) why += "; " + std::string(hash_name(u.bank)) + " " + u.why;
    return make_error(Errc::eventlog_no_complete_bank,
                      "no bank of SHA-256 or stronger is both complete in the event log and quoted (log banks: " +
                          bank_list(log.banks()) + "; quoted banks: " + bank_list(quoted_banks) + why +
                          "): nothing in the log is bound to the TPM");
  }
  // 3. every quoted firmware PCR of a judged bank, and every quoted PCR the log
  //    extends, equals the replay or its reset value.
  for (const BankReplay& b : banks) {
    if (std::find(out.judged.begin(), out.judged.end(), b.bank) == out.judged.end()) continue;
    const PcrBank& q = quoted.at(b.bank);
    std::set<std::uint32_t> firmware;
    for (const auto& [index, value] : q) {
      if (index < kFirmwareLogPcrs) firmware.insert(index);
    }
    PcrComparison c = compare_pcrs(PcrValues{{b.bank, b.values}}, PcrValues{{b.bank, q}}, firmware);
    if (strong(b.bank)) {
      for (const auto& j : c.judged) {
        if (j.agree) out.bound[b.bank].insert(j.pcr.index);
      }
    }
    append(out.comparison, std::move(c));
  }
  PAW_CHECK(out.comparison.status());
  return out;
}

}  // namespace paw
