// paw/attest/certify.h — TPM2_Certify verification, and the login key it
// certifies (docs/protocol.md, "Login key").
//
// verify_certify shares verify_quote's decoder and first steps; its order is
// fixed, each failure names its check with its own code:
//   sizes (Errc::too_large) → signature by the AK over the raw TPMS_ATTEST
//   bytes (bad_signature) → parse (malformed, trailing_data) → magic
//   TPM_GENERATED_VALUE (bad_magic) → type TPM_ST_ATTEST_CERTIFY (bad_type) →
//   qualifying data (nonce_mismatch) → certified name == nameAlg ‖
//   H(TPMT_PUBLIC) of the presented public area (certified_name_mismatch).
// verify_login_key then requires the certified key's attributes
// (login_key_attributes) and algorithm (login_key_algorithm).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/tpm.h"

namespace paw {

// VerifiedCertify is a TPM2_Certify whose every check passed: |certified| is
// an object the AK's TPM holds (loaded when it certified).
struct VerifiedCertify {
  TpmPublic certified;
  ClockInfo clock_info;
  std::uint64_t firmware_version = 0;
};

// verify_certify checks a TPM2_Certify made by |ak| (order above).
// |attest| = TPMS_ATTEST, |signature| = TPMT_SIGNATURE (both as the TPM
// returned them), |certified_public| = TPM2B_PUBLIC of the certified object.
Result<VerifiedCertify> verify_certify(const TpmPublic& ak, ByteView attest, ByteView signature,
                                       ByteView expected_qualifying_data, ByteView certified_public);

// LoginKey is a device's login key as the verifier stores it.
struct LoginKey {
  Bytes public_tpm2b;      // TPM2B_PUBLIC, as certified
  std::string jkt;         // RFC 7638 thumbprint of its public JWK (RFC 7800 cnf "jkt")
  std::int64_t added_at = 0;  // unix seconds the verifier accepted it
  bool operator==(const LoginKey&) const = default;
};

// LoginKeyCertify is what an agent presents for its login key.
struct LoginKeyCertify {
  Bytes public_tpm2b;   // TPM2B_PUBLIC of the login key
  Bytes certify_info;   // TPMS_ATTEST of TPM2_Certify(login key, AK)
  Bytes signature;      // TPMT_SIGNATURE by the AK
  bool operator==(const LoginKeyCertify&) const = default;
};

// check_login_key_properties requires an unrestricted signing-only key the
// TPM made and can never release: fixedTPM, fixedParent,
// sensitiveDataOrigin, sign set; restricted, decrypt clear
// (Errc::login_key_attributes naming the first bit that fails), then ECC
// NIST P-256, nameAlg SHA-256, scheme NULL or ECDSA/SHA-256, kdf NULL
// (Errc::login_key_algorithm).
Status check_login_key_properties(const TpmPublic& key);

// verify_login_key runs verify_certify, then check_login_key_properties, and
// returns the key to store (added_at = |now|).
Result<LoginKey> verify_login_key(const TpmPublic& ak, const LoginKeyCertify& c, ByteView expected_qualifying_data,
                                  std::int64_t now);

// Qualifying data of the login key's TPM2_Certify (docs/protocol.md):
// at enrollment SHA-256("paw/v1/login-key" ‖ 0x00 ‖ SHA-256(token) ‖ SHA-256(ak_public));
// when added later  SHA-256("paw/v1/login-key-add" ‖ 0x00 ‖ nonce ‖ SHA-256(ak_public) ‖ device_id).
// |ak_public| is the AK's TPM2B_PUBLIC as sent in the enrollment request.
Bytes login_key_enrollment_qualifying_data(ByteView token, ByteView ak_public);
Bytes login_key_add_qualifying_data(ByteView nonce, ByteView ak_public, std::string_view device_id);

// login_key_proof_message is what the login key signs at every attestation
// (ECDSA over SHA-256 of it): "paw/v1/login-key-proof" ‖ 0x00 ‖ nonce ‖ device_id.
Bytes login_key_proof_message(ByteView nonce, std::string_view device_id);
// verify_login_key_proof checks |signature| (TPMT_SIGNATURE, ECDSA/SHA-256)
// by |key| over login_key_proof_message(nonce, device_id).
// Errc::bad_signature (also for another scheme), malformed, unsupported.
Status verify_login_key_proof(const LoginKey& key, ByteView signature, ByteView nonce, std::string_view device_id);

}  // namespace paw
