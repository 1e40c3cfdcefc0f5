// extend_log.h — make a TPM's PCRs agree with a real event log: extend every
// measured event's digests into swtpm, so a quote from swtpm and a real log
// captured on a real machine replay to the same values (measured boot end to
// end without firmware). Built only where paw_platform exists.
#pragma once

#include <cstddef>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"

namespace paw::platform {
class Tpm;
}

namespace paw::test {

// extend_event_log parses |log| (paw::parse_event_log) and extends each event's
// digest into its PCR, for every bank the TPM has active and the event carries,
// exactly as replay_event_log counts them: EV_NO_ACTION never, PCR 0xFFFFFFFF never.
// Returns the number of TPM2_PCR_Extend calls. Fails with Errc::unsupported for
// a log whose StartupLocality is not 0 (PCR0's start value cannot be set from
// software), with the parser's error for a bad log, Errc::tpm_error otherwise.
// The TPM's PCRs should be fresh (just after start-up) for the values to agree.
Result<std::size_t> extend_event_log(platform::Tpm& tpm, ByteView log);

}  // namespace paw::test
