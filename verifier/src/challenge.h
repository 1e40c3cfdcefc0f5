// challenge.h — stateless, device-bound attestation nonces.
//
// POST /v1/challenges used to write a row per nonce: an unauthenticated
// endpoint that made the database grow, and a write on every attestation's
// path. A nonce now carries its own proof instead; only its *use* is stored
// (Store::use_nonce, in the attestation's own transaction):
//
//   nonce (32 bytes) = random (12) ‖ expires_at (4, big-endian unix seconds)
//                      ‖ HMAC-SHA256(key, label ‖ len(device_id) ‖ device_id
//                                    ‖ random ‖ expires_at)[0..16)
//
// The key is 32 random bytes that every replica shares (Store::service_secret),
// so a nonce issued by one replica is accepted by another. Without the key a
// nonce cannot be predicted or forged (2^-128 per guess); it is bound to the
// device it was issued to (a nonce of device A is unknown for device B); its
// expiry is authenticated, so it cannot be extended; and since the store
// records a used nonce until its expiry (a primary key: one winner, also
// across replicas), it is single use for as long as it is valid at all.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/evidence.h"

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX

namespace paw::verifier {

inline constexpr std::size_t kChallengeKeySize = 32;

class ChallengeKey {
 public:
  ChallengeKey() = default;
  // Errc::config_error unless |key| is kChallengeKeySize bytes.
  static Result<ChallengeKey> from(ByteView key);

  // issue returns a fresh nonce for |device_id| valid until |expires_at|
  // (unix seconds, 1 … 2^32-1); Errc::internal if the CSPRNG fails.
  Result<Bytes> issue(std::string_view device_id, std::int64_t expires_at) const;

  // check returns the nonce's expiry if this key issued it to |device_id| and
  // it has not expired at |now|: Errc::nonce_unknown (wrong size, not issued
  // by this key, or issued to another device), Errc::nonce_expired. The tag
  // is compared in constant time. Whether it was used is the store's answer.
  Result<std::int64_t> check(ByteView nonce, std::string_view device_id, std::int64_t now) const;

 private:
  // tag is the 16-byte HMAC tag; false if OpenSSL fails (the caller fails closed).
  bool tag(std::string_view device_id, ByteView head, std::uint8_t out[16]) const;
  // An HMAC-SHA256 context keyed once; each tag works on a copy of it (no
  // algorithm fetch or key setup per nonce). Shared, never modified.
  std::shared_ptr<const evp_mac_ctx_st> mac_;
};

}  // namespace paw::verifier
