// paw/attest/fido.h — FIDO2 verification on the verifier side (no device I/O).
//
// Signatures are checked by libfido2's verify API (fido_cred_verify,
// fido_cred_verify_self, fido_assert_verify); paw parses authenticator data,
// COSE keys and attestation statements itself (bounds-checked, fuzzed) to give
// each rejection its precise Errc and to enforce what libfido2 does not: the
// AAGUID allowlist and the signature counter. See docs/fido2.md.
#pragma once

#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/fido_roots.h"

namespace paw::attest {

// COSE algorithm identifiers paw accepts for credentials (RFC 9053).
inline constexpr int kCoseEs256 = -7;
inline constexpr int kCoseEdDsa = -8;

// Authenticator data flags (WebAuthn L2, 6.1).
inline constexpr std::uint8_t kFidoFlagUp = 0x01;
inline constexpr std::uint8_t kFidoFlagUv = 0x04;
inline constexpr std::uint8_t kFidoFlagAt = 0x40;
inline constexpr std::uint8_t kFidoFlagEd = 0x80;

// Size limits applied before any parsing.
inline constexpr std::size_t kFidoMaxAuthData = 4096;
inline constexpr std::size_t kFidoMaxCredentialId = 1023;  // WebAuthn L2, 6.5.1
inline constexpr std::size_t kFidoMaxSignature = 1024;
inline constexpr std::size_t kFidoMaxCertificate = 8192;
inline constexpr std::size_t kFidoMaxCertificates = 5;

// --- client-data hashes (docs/protocol.md, "Domain-separated hashes") ---

// fido_presence_client_data_hash = SHA-256("paw/v1/presence" || 0x00 || nonce || device_id (UTF-8)).
Bytes fido_presence_client_data_hash(ByteView nonce, std::string_view device_id);
// fido_enrollment_client_data_hash = SHA-256("paw/v1/enroll" || 0x00 || SHA-256(token) || SHA-256(ak_public)),
// |ak_public| being the AK's marshalled TPM2B_PUBLIC.
Bytes fido_enrollment_client_data_hash(std::string_view token, ByteView ak_public);
// ... the same from the two inner digests (32 bytes each), for a verifier that keeps only SHA-256(token).
Bytes fido_enrollment_client_data_hash_from_digests(ByteView token_sha256, ByteView ak_public_sha256);

// --- parsers of authenticator output (each has a fuzz target) ---

// FidoAuthData is parsed authenticator data (WebAuthn L2, 6.1).
struct FidoAuthData {
  Bytes rp_id_hash;          // 32 bytes
  std::uint8_t flags = 0;
  std::uint32_t sign_count = 0;
  bool attested = false;     // AT: the fields below are present
  Bytes aaguid;              // 16 bytes
  Bytes credential_id;
  Bytes public_key_cose;     // the COSE_Key exactly as encoded in authData
  Bytes extensions;          // ED: the raw CBOR extensions map
};
// parse_fido_auth_data parses RAW authenticator data (not CBOR-wrapped).
// Errc::too_large, Errc::malformed (short input, bad CBOR, bad key), Errc::trailing_data.
Result<FidoAuthData> parse_fido_auth_data(ByteView raw);

// FidoPublicKey is a parsed COSE_Key: ES256 (x, y: 32 bytes each) or EdDSA Ed25519 (x: 32 bytes).
struct FidoPublicKey {
  int algorithm = 0;
  Bytes x;
  Bytes y;  // empty for EdDSA
};
// parse_fido_cose_key accepts exactly {1:2,3:-7,-1:1,-2:x,-3:y} or {1:1,3:-8,-1:6,-2:x}
// (any key order, no duplicates, no other labels). Errc::unsupported for other algorithms.
Result<FidoPublicKey> parse_fido_cose_key(ByteView cose);
// fido_cose_key_to_spki converts a COSE_Key to a DER SubjectPublicKeyInfo.
Result<Bytes> fido_cose_key_to_spki(ByteView cose);

// FidoAttestation is a packed/none attStmt (WebAuthn L2, 8.2): alg, sig, x5c (DER, leaf first).
struct FidoAttestation {
  int alg = 0;
  Bytes sig;
  std::vector<Bytes> x5c;
};
// parse_fido_attestation_statement parses the attStmt CBOR map as an authenticator
// sends it ({} for "none"). Unknown keys (ecdaaKeyId, ...) are refused.
Result<FidoAttestation> parse_fido_attestation_statement(ByteView cbor);
// FidoAttestationObject is a WebAuthn attestationObject (the CBOR map
// {"fmt", "attStmt", "authData"} that navigator.credentials.create returns;
// CTAP2's makeCredential answer with text keys). att_stmt is the attStmt
// map's bytes, as parse_fido_attestation_statement reads them.
struct FidoAttestationObject {
  std::string fmt;
  Bytes att_stmt;
  Bytes auth_data;
};
// parse_fido_attestation_object reads one: exactly those three keys, once
// each, fmt at most 32 characters, authData a byte string within
// kFidoMaxAuthData, attStmt a map (Errc::malformed, trailing_data, too_large).
Result<FidoAttestationObject> parse_fido_attestation_object(ByteView cbor);
// encode_fido_attestation_statement writes the canonical CBOR map back ({} when empty).
Bytes encode_fido_attestation_statement(const FidoAttestation& st);
// unwrap_fido_cbor_bytes returns the content of one CBOR byte string (libfido2's
// fido_assert_authdata_ptr wraps authData so). Errc::malformed / trailing_data.
Result<Bytes> unwrap_fido_cbor_bytes(ByteView cbor);

// --- enrollment ---

struct FidoEnrollmentPolicy {
  std::string rp_id;                     // the verifier's relying-party id
  bool allow_self_attestation = false;   // packed without x5c: proves nothing about the model
  bool allow_none_attestation = false;   // fmt "none": proves nothing at all
  bool any_aaguid = false;               // true: skip the allowlist
  std::vector<Bytes> aaguid_allowlist;   // 16-byte AAGUIDs; empty + !any_aaguid refuses every key
  bool require_uv = false;
  std::vector<int> algorithms = {kCoseEs256, kCoseEdDsa};
  // attestation_roots are the trusted attestation roots per key model
  // (fido_roots.h; e.g. imported from the FIDO Metadata Service). An x5c is
  // "basic" attestation only when a root covers authData's AAGUID and the
  // chain reaches it, valid at |now| (unix seconds); an x5c that no root
  // covers (or null here) proves nothing anybody could not mint, so it counts
  // as "self" (allow_self_attestation decides). A non-empty AAGUID allowlist
  // accepts only "basic": any other AAGUID is the key's own claim.
  const FidoAttestationRoots* attestation_roots = nullptr;
  std::int64_t now = 0;
};

// FidoEnrollmentEvidence is what the agent sends (docs/protocol.md "fido").
struct FidoEnrollmentEvidence {
  Bytes credential_id;
  std::string fmt;                       // "packed" | "none"
  Bytes auth_data;                       // raw authData
  FidoAttestation attestation;           // empty for "none"
  int algorithm = kCoseEs256;
};

// FidoStoredCredential is the stored-credential record (same fields as
// paw::FidoCredential in appraisal.h). public_key is a DER
// SubjectPublicKeyInfo made from the COSE_Key in authData.
struct FidoStoredCredential {
  Bytes credential_id;
  int algorithm = kCoseEs256;
  Bytes public_key;
  std::uint32_t sign_count = 0;  // the last counter seen; update it after every verify_fido_presence
  Bytes aaguid;                  // 16 bytes
  std::string fmt;               // "packed" | "none"
  std::string attestation_type;  // "basic" (x5c chained to a configured root) | "self" | "none"
  bool x5c_unchained = false;    // "self" because the key's x5c reaches no configured root (not stored)
};

// verify_fido_enrollment checks a new credential against |client_data_hash|
// (fido_enrollment_client_data_hash) and |policy|, in this order: sizes,
// algorithm (unsupported), fmt/policy (fido_attestation_invalid), authData
// parse (malformed/trailing_data), credential id and key match,
// rpIdHash (fido_rp_mismatch), UP (fido_up_missing), UV (fido_uv_missing),
// attestation signature via fido_cred_verify / fido_cred_verify_self and the
// x5c leaf's AAGUID extension (fido_attestation_invalid), the x5c chain to
// the roots covering the AAGUID (untrusted_chain; no covering root: treated
// as self, fido_attestation_invalid unless allowed), AAGUID allowlist
// (fido_aaguid_not_allowed, also for an AAGUID no chain proves). Returns the
// record to store.
Result<FidoStoredCredential> verify_fido_enrollment(const FidoEnrollmentEvidence& evidence, ByteView client_data_hash,
                                              const FidoEnrollmentPolicy& policy);

// --- presence proof ---

struct FidoPresencePolicy {
  std::string rp_id;
  bool require_up = true;          // touch required (fido_assert_set_up(FIDO_OPT_TRUE))
  bool require_uv = false;
  bool allow_zero_counter = false; // accept a key whose counter is always 0 (no clone detection)
};

// FidoAssertionEvidence is the "fido" object of the evidence body.
struct FidoAssertionEvidence {
  Bytes credential_id;
  Bytes auth_data;         // raw authData
  Bytes signature;
  Bytes client_data_hash;  // the hash the agent signed over; optional (empty: a wrong
                           // challenge then shows as fido_bad_signature)
};

struct FidoPresenceResult {
  std::uint32_t sign_count = 0;  // store it as the credential's new sign_count
  std::uint8_t flags = 0;
  bool user_present = false;
  bool user_verified = false;
};

// verify_fido_presence checks an assertion from |enrolled| over
// |expected_client_data_hash| (fido_presence_client_data_hash(nonce, device_id)):
// sizes, credential id (fido_unknown_credential), authData parse, rpIdHash
// (fido_rp_mismatch), claimed client-data hash (fido_challenge_mismatch), UP
// (fido_up_missing), UV (fido_uv_missing), signature via fido_assert_verify
// (fido_bad_signature), counter (check_fido_counter). |enrolled| is not modified.
Result<FidoPresenceResult> verify_fido_presence(const FidoStoredCredential& enrolled, const FidoAssertionEvidence& evidence,
                                                ByteView expected_client_data_hash, const FidoPresencePolicy& policy);

// check_fido_counter: |reported| must be greater than |stored|. Equal →
// fido_counter_frozen, smaller → fido_counter_rollback (both: possible clone),
// except 0 == 0 when |allow_zero_counter| (a key without a counter).
Status check_fido_counter(std::uint32_t stored, std::uint32_t reported, bool allow_zero_counter);

// --- storage ---

// serialize_fido_credential writes the record as one JSON object:
// {"version":1,"credential_id":"<b64>","algorithm":-7,"public_key":"<b64 DER SPKI>",
//  "sign_count":N,"aaguid":"<hex>","fmt":"packed","attestation_type":"basic"}
std::string serialize_fido_credential(const FidoStoredCredential& cred);
// parse_fido_credential reads it back (Errc::malformed on anything else, unknown fields refused).
Result<FidoStoredCredential> parse_fido_credential(std::string_view json);

}  // namespace paw::attest
