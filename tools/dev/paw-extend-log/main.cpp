// paw-extend-log --tcti TCTI LOG — extend every measured event of a binary
// UEFI event log (binary_bios_measurements format) into the TPM's PCRs, so a
// quote from swtpm agrees with a log captured on a real machine.
// Exit 0 and "extended N digests" on stdout; 1 on failure; 64 on bad usage.
#include <cstdio>

#include "extend_log.h"
#include "paw/attest/cli.h"
#include "paw/platform/tcti.h"
#include "paw/platform/tpm.h"

int main(int argc, char** argv) {
  auto args = paw::Args::parse(std::vector<std::string>(argv + 1, argv + argc), {"tcti"});
  if (!args.ok() || args->positional().size() != 1) {
    std::fprintf(stderr, "usage: paw-extend-log [--tcti TCTI] LOGFILE   (TCTI also from TPM2TOOLS_TCTI)\n");
    return 64;
  }
  const std::string tcti = paw::platform::resolve_tcti(args->get("tcti"), std::nullopt);
  auto log = paw::read_file(args->positional()[0]);
  if (!log.ok()) {
    std::fprintf(stderr, "paw-extend-log: %s\n", log.error().what().c_str());
    return 1;
  }
  auto tpm = paw::platform::Tpm::open(tcti);
  if (!tpm.ok()) {
    std::fprintf(stderr, "paw-extend-log: %s\n", tpm.error().what().c_str());
    return 1;
  }
  auto n = paw::test::extend_event_log(*tpm, *log);
  if (!n.ok()) {
    std::fprintf(stderr, "paw-extend-log: %s\n", n.error().what().c_str());
    return 1;
  }
  std::printf("extended %zu digests\n", *n);
  return 0;
}
