// Fuzz target: the UEFI event log parser, data checks, replay, boot facts and
// the boot events kept for `policy diff`
// (untrusted: the event log arrives in the evidence body).
#include <cstddef>
#include <cstdint>

#include "paw/attest/boot_events.h"
#include "paw/attest/bootfacts.h"
#include "paw/attest/eventlog.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView bytes(data, size);
  auto log = paw::parse_event_log(bytes);
  if (!log.ok()) return 0;
  // A parsed log covers its input exactly: the last event ends at the last byte.
  const paw::Event& last = log->events().back();
  if (last.data.data() + last.data.size() != data + size) __builtin_trap();
  auto pcrs = paw::replay_event_log(*log);
  if (pcrs.ok()) {
    if (!paw::validate_pcr_values(*pcrs).ok()) __builtin_trap();
    // A replay agrees with itself, whatever PCRs are named.
    if (!paw::compare_pcrs(*pcrs, *pcrs, {0, 7, 10}).judged.empty() &&
        !paw::compare_pcrs(*pcrs, *pcrs).all_agree()) {
      __builtin_trap();
    }
  }
  (void)paw::check_event_data(*log);
  auto facts = paw::extract_boot_facts(*log);
  (void)facts;
  // Bound to its own replay (the quote a TPM that booted it would give), a
  // log with a complete SHA-256-or-stronger bank must bind, and its facts
  // must be readable within the binding.
  if (pcrs.ok()) {
    paw::PcrValues quote = *pcrs;
    for (auto& [bank, values] : quote) {
      for (std::uint32_t i = 0; i < paw::kFirmwareLogPcrs; ++i) values.try_emplace(i, paw::Bytes(paw::hash_size(bank), 0));
    }
    auto bound = paw::bind_event_log(*log, quote);
    if (bound.ok()) {
      auto scoped = paw::extract_boot_facts(*log, paw::FactScope{bound->judged, bound->bound_pcrs()});
      (void)scoped;
      // The events kept for `policy diff`: bounded, their JSON reads back
      // equal, and a boot differs from itself in nothing.
      const auto events = paw::boot_events(*log, *bound);
      if (events.events.size() > paw::kMaxBootEvents) __builtin_trap();
      auto back = paw::boot_events_from_json(paw::boot_events_to_json(events));
      if (!back.ok() || !(*back == events)) __builtin_trap();
      if (!paw::diff_boot_events(events, events).empty()) __builtin_trap();
    } else if (bound.code() == paw::Errc::eventlog_replay_mismatch) {
      __builtin_trap();  // the replay was computed from this very log
    }
  }
  return 0;
}
