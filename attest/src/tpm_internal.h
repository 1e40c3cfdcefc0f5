// tpm_internal.h — private helpers shared by the TPM-structure sources.
#pragma once

#include <openssl/err.h>

#include <string>

#include "paw/attest/error.h"

namespace paw::detail {

// openssl_error drains OpenSSL's error queue into a short text (for details only;
// success is always decided by the call's documented return value).
inline std::string openssl_error() {
  std::string out;
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? std::string("no OpenSSL error") : out;
}

// crypto_error fails with |code|, the |what| and the drained OpenSSL queue.
inline Error crypto_error(Errc code, const std::string& what) {
  return make_error(code, what + " (" + openssl_error() + ")");
}

}  // namespace paw::detail
