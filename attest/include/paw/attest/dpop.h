// paw/attest/dpop.h — DPoP proofs (RFC 9449) for proof-of-possession result
// tokens: the client proves, per request, that it holds the private key whose
// RFC 7638 thumbprint the token carries in "cnf": {"jkt": …} (RFC 7800).
//
// A proof is a compact JWS, ES256 only:
//   header  {"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":…,"y":…}}
//   claims  {"jti":…,"htm":"GET","htu":"https://host/path","iat":…,"ath":base64url(SHA-256(token))}
// verify_dpop_proof runs the checks of RFC 9449 4.3 that need no state, in
// this order: shape, typ, alg, jwk (public P-256, no private member),
// signature, claims present, jkt, htm, htu, iat window, ath. The caller keeps
// the jti single use (the verifier: Store::use_nonce) after the key matched.
// Pure: no I/O, no clock (|now| is given).
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"

namespace paw {

// kMaxDpopProofSize bounds a DPoP header before it is parsed.
inline constexpr std::size_t kMaxDpopProofSize = 8u << 10;
// kMaxDpopJtiSize bounds the jti (the replay store keys on it).
inline constexpr std::size_t kMaxDpopJtiSize = 128;
// kMaxHtuSize bounds a URL given to normalize_htu.
inline constexpr std::size_t kMaxHtuSize = 4096;

// Reason codes (stable; they appear in 401 answers and logs).
inline constexpr std::string_view kDpopMissing = "dpop_missing";             // no DPoP header
inline constexpr std::string_view kDpopMalformed = "dpop_malformed";         // not a JWS / bad JSON / missing or mistyped claim
inline constexpr std::string_view kDpopBadType = "dpop_bad_type";            // typ is not dpop+jwt
inline constexpr std::string_view kDpopBadAlg = "dpop_bad_alg";              // alg is not ES256
inline constexpr std::string_view kDpopBadKey = "dpop_bad_key";              // jwk not a public P-256 key
inline constexpr std::string_view kDpopBadSignature = "dpop_bad_signature";  // signature does not verify with jwk
inline constexpr std::string_view kDpopKeyMismatch = "dpop_key_mismatch";    // jwk thumbprint != the token's cnf.jkt
inline constexpr std::string_view kDpopMethodMismatch = "dpop_htm_mismatch"; // htm != the request's method
inline constexpr std::string_view kDpopHtuMismatch = "dpop_htu_mismatch";    // htu != the request's URL
inline constexpr std::string_view kDpopStale = "dpop_stale";                 // iat older than the window
inline constexpr std::string_view kDpopFuture = "dpop_future";               // iat ahead of now beyond the skew
inline constexpr std::string_view kDpopAthMismatch = "dpop_ath_mismatch";    // ath absent or not the token's hash
inline constexpr std::string_view kDpopReplayed = "dpop_replayed";           // jti seen within its window (caller)

// DpopExpect is what the request being admitted says.
struct DpopExpect {
  std::string_view method;        // htm: the original request's method
  std::string_view url;           // htu: the original request's URL (normalised here; query/fragment ignored)
  std::string_view access_token;  // the token the proof comes with (ath)
  std::string_view jkt;           // the token's cnf.jkt
  std::int64_t now = 0;           // unix seconds
  std::int64_t window = 60;       // a proof is accepted for |window| seconds after its iat
  std::int64_t skew = 5;          // and from |skew| seconds before it (clocks differ)
};

// DpopProof is what a verified proof says.
struct DpopProof {
  std::string jkt;  // RFC 7638 thumbprint of its jwk
  std::string jti;
  std::int64_t iat = 0;
};

// DpopCheck is the outcome: |reason| empty when the proof passed, else one of
// the codes above with |detail| for the log (never for the caller).
struct DpopCheck {
  std::string reason;
  std::string detail;
  DpopProof proof;
  [[nodiscard]] bool ok() const noexcept { return reason.empty(); }
};

// verify_dpop_proof checks |proof| (the DPoP header value) against |expect|.
DpopCheck verify_dpop_proof(std::string_view proof, const DpopExpect& expect);

// normalize_htu returns |url| as an htu compares: scheme and host lowercased,
// default port (80/443) and empty port removed, empty path "/", percent
// encodings of unreserved characters decoded and the others uppercased, dot
// segments removed (RFC 3986 6.2.2, 6.2.3), query and fragment dropped. Only
// http and https; no userinfo. Errc::malformed / too_large.
Result<std::string> normalize_htu(std::string_view url);

// DpopClaims is what a client signs.
struct DpopClaims {
  std::string method;
  std::string url;           // written as given (the client's view of the URL; query/fragment dropped)
  std::string access_token;  // "" = no ath
  std::int64_t iat = 0;
  std::string jti;           // unique per proof (e.g. 16 random bytes, base64url)
};

// dpop_signing_input is "base64url(header).base64url(claims)" for the public
// key |key| (EC P-256): what the holder of the private key signs (ES256).
Result<std::string> dpop_signing_input(const EVP_PKEY* key, const DpopClaims& claims);
// dpop_assemble appends the raw r||s signature (64 bytes) to a signing input.
Result<std::string> dpop_assemble(std::string_view signing_input, ByteView raw_signature);
// sign_dpop_proof signs with a software key (tests, tools). The agent signs
// dpop_signing_input with the TPM login key instead.
Result<std::string> sign_dpop_proof(const EVP_PKEY* key, const DpopClaims& claims);
// dpop_ath is base64url(SHA-256(access_token)) (RFC 9449 4.2).
std::string dpop_ath(std::string_view access_token);

}  // namespace paw
