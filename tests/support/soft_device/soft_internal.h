// soft_internal.h — helpers shared by the soft device's files (private).
#pragma once

#include <openssl/evp.h>

#include "soft_device.h"

namespace paw::soft {

// generate_p256 makes a fresh NIST P-256 key.
Result<EvpPkeyPtr> generate_p256();
// ec_point returns the uncompressed point coordinates (x, y), 32 bytes each.
Result<std::pair<Bytes, Bytes>> ec_point(const EVP_PKEY* key);
// ecdsa_sign_der signs SHA-256(|message|) and returns the DER ECDSA-Sig-Value.
Result<Bytes> ecdsa_sign_der(EVP_PKEY* key, ByteView message);
// issue_ek_cert / issue_fido_attestation_cert issue end-entity certificates from |ca|.
Result<Bytes> issue_ek_cert(const SoftCa& ca, EVP_PKEY* ek);
Result<Bytes> issue_fido_attestation_cert(const SoftCa& ca, EVP_PKEY* attestation_key, ByteView aaguid);

}  // namespace paw::soft
