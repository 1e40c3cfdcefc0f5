// Fuzz target: the FIDO Metadata Service BLOB (a JWS around a large JSON
// payload), as `pawctl fido roots import` reads a file the admin downloaded.
// Whatever parses must also go through signature checking without a crash.
#include <openssl/x509_vfy.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "paw/attest/fido_mds.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto blob = paw::attest::parse_mds_blob(in);
  if (!blob.ok()) return 0;
  if (blob->x5c.empty()) __builtin_trap();  // the parser promises a signer certificate
  for (const auto& e : blob->entries) {
    if (e.aaguid.size() != 16) __builtin_trap();
  }
  X509_STORE* empty = X509_STORE_new();
  (void)paw::attest::verify_mds_blob(*blob, empty, 0);  // no root: must fail cleanly
  X509_STORE_free(empty);
  return 0;
}
