// x509_chain.h — one chain check for certificates a peer sent (leaf first,
// then the intermediates it offers), used by FIDO2 attestation (x5c) and the
// FIDO Metadata Service BLOB signer.
#pragma once

#include <openssl/x509.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "paw/attest/error.h"
#include "paw/attest/secure.h"

namespace paw::detail {

// verify_x509_chain verifies certs[0] through certs[1..] up to an anchor in
// |roots| at time |now| (unix seconds), with extra X509_V_FLAG_* |flags|.
// Errc::untrusted_chain, its detail prefixed by |what|, when it does not
// verify; Errc::internal when OpenSSL cannot allocate. |certs| must not be
// empty; the certificates stay owned by the caller.
Status verify_x509_chain(const std::vector<UniquePtr<X509, X509_free>>& certs, X509_STORE* roots, std::int64_t now,
                         unsigned long flags, std::string_view what);

}  // namespace paw::detail
