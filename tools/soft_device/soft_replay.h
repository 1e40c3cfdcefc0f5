// soft_replay.h — event-log replay for the soft device, kept apart from
// evidence.h (private).
#pragma once

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/pcr.h"

namespace paw::soft {

// replay_log parses and replays a binary_bios_measurements log (eventlog.h).
Result<PcrValues> replay_log(ByteView log);
// replay_ima_log parses and replays an IMA measurement list into PCR 10 (ima.h)
// for the SHA-1 and SHA-256 banks.
Result<PcrValues> replay_ima_log(ByteView log);

}  // namespace paw::soft
