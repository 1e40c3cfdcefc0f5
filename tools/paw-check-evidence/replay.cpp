// replay.cpp — the event-log half of paw-check-evidence.
#include "paw/attest/eventlog.h"

paw::Status replay_agrees(paw::ByteView event_log, const paw::PcrValues& quoted) {
  PAW_TRY(const paw::EventLog log, paw::parse_event_log(event_log));
  PAW_CHECK(paw::check_event_data(log));
  PAW_TRY(const paw::PcrValues replayed, paw::replay_event_log(log));
  return paw::compare_pcrs(replayed, quoted).status();
}
