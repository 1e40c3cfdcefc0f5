// Builds without the software authenticator (PAW_VIRTUAL_FIDO=OFF, as release
// packages are built) must refuse the virtual: device scheme.
#ifndef PAW_VIRTUAL_FIDO
#include <doctest/doctest.h>

#include "paw/platform/fido.h"

TEST_CASE("fido release build: the virtual: scheme is refused with config_error") {
  paw::platform::FidoPresenceOptions o{"paw.example", paw::Bytes(32, 1), paw::Bytes(32, 2), true};
  auto r = paw::platform::fido_prove_presence({"virtual:/tmp/paw-key.state", 1000}, o);
  CHECK(r.code() == paw::Errc::config_error);
  paw::platform::FidoEnrollOptions e;
  e.rp_id = "paw.example";
  e.client_data_hash = paw::Bytes(32, 3);
  CHECK(paw::platform::fido_enroll({"virtual:/tmp/paw-key.state", 1000}, e).code() == paw::Errc::config_error);
}
#endif  // !PAW_VIRTUAL_FIDO
