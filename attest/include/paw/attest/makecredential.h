// paw/attest/makecredential.h — TPM2_MakeCredential in software, so a verifier
// without a TPM can bind an AK to an EK (TPM 2.0 Part 1, 24 "Credential
// Protection"; Part 3, 12.6 TPM2_MakeCredential).
//
// The TPM holding the EK recovers |credential| with TPM2_ActivateCredential only
// if the AK named |ak_name| is loaded in that same TPM.
#pragma once

#include <openssl/evp.h>

#include <string>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/tpm.h"

namespace paw {

// CredentialBlob is what TPM2_ActivateCredential takes.
struct CredentialBlob {
  Bytes credential_blob;   // marshalled TPM2B_ID_OBJECT (integrity HMAC + encrypted credential)
  Bytes encrypted_secret;  // marshalled TPM2B_ENCRYPTED_SECRET (OAEP-wrapped seed, or ephemeral ECC point)
};

// make_credential wraps |credential| (1..digest size of the EK's nameAlg bytes,
// typically a fresh 32-byte secret) for the EK |ek| and the object |ak_name|
// (nameAlg || H(TPMT_PUBLIC), see object_name). The EK must be a restricted
// decryption key (RSA with OAEP seed, or ECC NIST P-256/384 with ECDH + KDFe)
// with AES-CFB symmetric protection, as the TCG EK templates are.
// Errc::unsupported (EK type, curve, symmetric), Errc::malformed (sizes),
// Errc::internal (RNG/OpenSSL failure).
Result<CredentialBlob> make_credential(const TpmPublic& ek, ByteView credential, ByteView ak_name);

// tpm2_tools_credential_file returns the file `tpm2_activatecredential -i` reads:
// 0xBADCC0DE, version 1 (both big-endian u32), TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET.
Bytes tpm2_tools_credential_file(const CredentialBlob& blob);
// parse_tpm2_tools_credential_file reads that file back (e.g. from `tpm2_makecredential -o`).
Result<CredentialBlob> parse_tpm2_tools_credential_file(ByteView file);

namespace detail {
// make_credential_with is make_credential with caller-chosen randomness, for
// tests only: |randomness| is the seed (RSA; OAEP padding stays random) or the
// ephemeral private scalar, big-endian (ECC; then the output is deterministic).
Result<CredentialBlob> make_credential_with(const TpmPublic& ek, ByteView credential, ByteView ak_name,
                                            ByteView randomness);
// kdfa is TPM 2.0 Part 1, 11.4.10.2 (HMAC counter mode; |label| without its NUL).
Result<Bytes> kdfa(HashAlg alg, ByteView key, std::string_view label, ByteView context_u, ByteView context_v,
                   std::size_t bits);
// kdfe is TPM 2.0 Part 1, 11.4.10.3 (hash counter mode; |label| without its NUL).
Result<Bytes> kdfe(HashAlg alg, ByteView z, std::string_view label, ByteView party_u, ByteView party_v,
                   std::size_t bits);
}  // namespace detail

}  // namespace paw
