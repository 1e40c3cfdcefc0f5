// Fuzz target: the UEFI event log parser, data checks, replay and boot facts
// (untrusted: the event log arrives in the evidence body).
#include <cstddef>
#include <cstdint>

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
  return 0;
}
