// replay.cpp — the event-log half of paw-check-evidence: the verifier's own
// binding (bind_event_log), so this tool and the verifier agree.
#include "paw/attest/eventlog.h"

paw::Status replay_agrees(paw::ByteView event_log, const paw::PcrValues& quoted) {
  PAW_TRY(const paw::EventLog log, paw::parse_event_log(event_log));
  auto bound = paw::bind_event_log(log, quoted);
  if (!bound.ok()) return bound.error();
  return paw::ok_status();
}
