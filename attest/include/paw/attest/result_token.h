// paw/attest/result_token.h — attestation-result tokens (JWT, ES256, `kid`)
// and the JWKS that lets any relying party check them offline.
//
// The verifier signs a ResultClaims with its current SigningKey; relying
// parties fetch GET /.well-known/jwks.json once, parse it with parse_jwks and
// call verify_result_token for every token. Signatures are JOSE ES256: raw
// r||s (32 + 32 bytes), never DER (RFC 7518, 3.4). Pure: no I/O.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/secure.h"
#include "paw/attest/ossl.h"

namespace paw {

// kMaxResultTokenSize bounds a token before it is parsed (Authorization header, JWKS entry).
inline constexpr std::size_t kMaxResultTokenSize = 16u << 10;
// kMaxJwksSize bounds a JWKS document before it is parsed.
inline constexpr std::size_t kMaxJwksSize = 256u << 10;

// SigningKey is an ES256 (NIST P-256) key with its JWK key id. The key id is
// the RFC 7638 thumbprint of the public JWK (base64url SHA-256), so it is
// stable and derived from nothing secret.
struct SigningKey {
  std::string kid;
  EvpPkeyPtr key;  // owns the private key (or only the public half when parsed from a JWK)
};

// generate_signing_key creates a fresh P-256 key. Errc::internal if OpenSSL fails.
Result<SigningKey> generate_signing_key();
// signing_key_to_pem writes the private key as PKCS#8 PEM (a secret: store 0600).
Result<SecretBytes> signing_key_to_pem(const SigningKey& key);
// signing_key_from_pem reads a PKCS#8/SEC1 PEM private P-256 key; the kid is
// recomputed from the public half. Errc::malformed / Errc::unsupported.
Result<SigningKey> signing_key_from_pem(ByteView pem);
// jwk_thumbprint returns the RFC 7638 thumbprint (base64url SHA-256 of
// {"crv":"P-256","kty":"EC","x":…,"y":…}) of an EC P-256 public key — the kid
// of signing keys and the `jkt` of a device's login key (RFC 7800 cnf).
// Errc::unsupported for another key type.
Result<std::string> jwk_thumbprint(const EVP_PKEY* key);
// public_jwk returns the public key as a compact JSON JWK object
// {"kty":"EC","crv":"P-256","x":…,"y":…,"kid":…,"alg":"ES256","use":"sig"}.
Result<std::string> public_jwk(const SigningKey& key);

// TrustVector is an AR4SI-style trustworthiness vector: claim name
// ("instance-identity", "configuration", "executables", "hardware",
// "file-system", "runtime-opaque", "storage-opaque", "sourced-data") → tier
// value (0 no claim, 2 affirming, 32 warning, 96 contraindicated; RFC 9334
// companion draft-ietf-rats-ar4si).
using TrustVector = std::map<std::string, std::int64_t>;

// ResultReason is one verdict reason: a stable code and human text, and for
// a reason the policy graces (policy "enforcement", grace.h) the unix second
// until which it is tolerated (0 = not graced).
struct ResultReason {
  std::string code;
  std::string message;
  std::int64_t grace_until = 0;
  bool operator==(const ResultReason&) const = default;
};

// ResultClaims are the claims of a result token.
struct ResultClaims {
  std::string iss;                    // verifier name (rp id / configured issuer)
  std::string sub;                    // device id
  std::int64_t iat = 0;               // unix seconds
  std::int64_t exp = 0;               // unix seconds
  std::string jti;                    // unique token id (hex)
  std::string verdict;                // "healthy" | "warning" | "unhealthy"
  std::vector<ResultReason> reasons;
  TrustVector trust;                  // AR4SI vector
  std::string policy;                 // policy name@version the verdict used (may be empty)
  // Proof of possession (RFC 7800 "cnf": {"jkt": …}): the RFC 7638 thumbprint
  // of the device's TPM login key; empty when the device has none (the token
  // is then a bearer token). A PoP check (dpop.h) must prove this key.
  std::string cnf_jkt;
  std::string aud;                    // audience (RFC 7519 "aud"); empty = not set
  std::string owner;                  // the person the device is enrolled to ("" = none); sub stays the device
  std::int64_t grace_until = 0;       // verdict "warning": login allowed until then (exp <= it); else 0
  bool operator==(const ResultClaims&) const = default;
};

// sign_result_token returns the compact JWS "header.payload.signature" with
// header {"alg":"ES256","typ":"JWT","kid":key.kid}. Errc::internal if signing fails.
Result<std::string> sign_result_token(const ResultClaims& claims, const SigningKey& key);

// es256_sign_raw signs |message| (SHA-256, ECDSA P-256) and returns the JOSE
// form r||s (64 bytes); es256_verify_raw checks one (Errc::bad_signature).
// Shared by result tokens and DPoP proofs (dpop.h).
Result<Bytes> es256_sign_raw(const EVP_PKEY* key, std::string_view message);
Status es256_verify_raw(const EVP_PKEY* key, std::string_view message, ByteView raw);
// ec_p256_public_key builds a public P-256 key from its JWK coordinates (32
// bytes each; the point must be on the curve). Errc::malformed.
Result<EvpPkeyPtr> ec_p256_public_key(ByteView x, ByteView y);
// ec_p256_public_jwk writes {"crv":"P-256","kty":"EC","x":…,"y":…} of |key|
// (the members RFC 7638 hashes, in its order). Errc::unsupported.
Result<std::string> ec_p256_public_jwk(const EVP_PKEY* key);

// Jwks is a set of public verification keys by kid.
struct Jwks {
  std::map<std::string, EvpPkeyPtr> keys;
};

// build_jwks returns {"keys":[<jwk>,...]} from public JWK JSON objects (as public_jwk writes them).
std::string build_jwks(const std::vector<std::string>& public_jwks);
// parse_jwks reads a JWKS document: keeps EC P-256 keys with a kid (alg ES256
// or absent, use sig or absent) and ignores other key types; Errc::malformed on
// bad JSON, bad points or duplicate kids, Errc::too_large above kMaxJwksSize.
Result<Jwks> parse_jwks(std::string_view json_text);
// jwk_to_key parses one public EC P-256 JWK object text into a key (kid from the JWK).
Result<SigningKey> jwk_to_key(std::string_view jwk_json);

// verify_result_token checks the token's structure, that the header names
// ES256 and a kid present in |jwks|, the signature, `iss` == |issuer| (when
// non-empty) and `iat - leeway <= now < exp + leeway`. Failures:
// Errc::malformed (shape), Errc::token_invalid (unknown kid, wrong alg or
// issuer), Errc::bad_signature, Errc::token_expired (also for iat in the future).
Result<ResultClaims> verify_result_token(std::string_view token, const Jwks& jwks, std::int64_t now,
                                         std::string_view issuer = {}, std::int64_t leeway_seconds = 30);

// decode_result_token parses header and claims WITHOUT checking anything
// (for display and for fuzzing the parser). Errc::malformed.
Result<ResultClaims> decode_result_token(std::string_view token);

}  // namespace paw
