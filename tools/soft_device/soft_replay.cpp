#include "soft_replay.h"

#include "paw/attest/eventlog.h"
#include "paw/attest/ima.h"

namespace paw::soft {

Result<PcrValues> replay_log(ByteView log) {
  PAW_TRY(EventLog parsed, parse_event_log(log));
  return replay_event_log(parsed);
}

Result<PcrValues> replay_ima_log(ByteView log) {
  PAW_TRY(ImaLog parsed, parse_ima_list(log));
  return replay_ima(parsed, {HashAlg::sha1, HashAlg::sha256});
}

}  // namespace paw::soft
