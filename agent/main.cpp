// paw-agent — the workstation side of paw. All logic lives in agent/src
// (paw_agent_core); see dispatch.h for the subcommands.
#include <cstdlib>

#include "dispatch.h"
#ifdef PAW_VIRTUAL_FIDO
#include "paw/platform/fido.h"
#include "paw/virtual_fido.h"
#endif

int main(int argc, char** argv) {
  // tpm2-tss logs every failed command to stderr; paw reports failures itself
  // (decoded with Tss2_RC_Decode), and some are expected (a stale AK after a
  // TPM clear). TSS2_LOG set by the user still wins.
  ::setenv("TSS2_LOG", "all+NONE", 0);
#ifdef PAW_VIRTUAL_FIDO
  paw::platform::register_virtual_fido(&paw::vfido::install);
#endif
  return paw::agent::run_agent(argc, argv);
}
