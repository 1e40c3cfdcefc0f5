// The test binaries' main: doctest's, after registering the software FIDO2
// authenticator where the build has it (platform::register_virtual_fido).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#ifdef PAW_VIRTUAL_FIDO
#include "paw/platform/fido.h"
#include "paw/virtual_fido.h"
#endif

int main(int argc, char** argv) {
#ifdef PAW_VIRTUAL_FIDO
  paw::platform::register_virtual_fido(&paw::vfido::install);
#endif
  return doctest::Context(argc, argv).run();
}
