#include "challenge.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "paw/attest/secure.h"

namespace paw::verifier {

namespace {
constexpr std::size_t kRandom = 12;
constexpr std::size_t kHead = kRandom + 4;  // random ‖ expires_at: what the tag covers with the device id
constexpr std::size_t kTag = kNonceSize - kHead;
constexpr std::string_view kLabel = "paw challenge v1";
static_assert(kTag == 16);
}  // namespace

Result<ChallengeKey> ChallengeKey::from(ByteView key) {
  if (key.size() != kChallengeKeySize) return make_error(Errc::config_error, "the challenge key must be 32 bytes");
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
  EVP_MAC_free(mac);  // the context keeps its own reference
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END};
  if (ctx == nullptr || EVP_MAC_init(ctx, key.data(), key.size(), params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return make_error(Errc::internal, "cannot set up HMAC-SHA256 for challenges");
  }
  ChallengeKey k;
  k.mac_ = std::shared_ptr<const EVP_MAC_CTX>(ctx, [](const EVP_MAC_CTX* c) { EVP_MAC_CTX_free(const_cast<EVP_MAC_CTX*>(c)); });
  return k;
}

bool ChallengeKey::tag(std::string_view device_id, ByteView head, std::uint8_t out[kTag]) const {
  if (!mac_) return false;
  // label ‖ len(device_id) (4, big-endian) ‖ device_id ‖ head
  const auto n = static_cast<std::uint32_t>(device_id.size());
  const std::uint8_t len[4] = {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                               static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> c(EVP_MAC_CTX_dup(mac_.get()), &EVP_MAC_CTX_free);
  std::uint8_t full[EVP_MAX_MD_SIZE];
  std::size_t full_len = 0;
  const bool ok = c && EVP_MAC_update(c.get(), reinterpret_cast<const std::uint8_t*>(kLabel.data()), kLabel.size()) == 1 &&
                  EVP_MAC_update(c.get(), len, sizeof len) == 1 &&
                  EVP_MAC_update(c.get(), reinterpret_cast<const std::uint8_t*>(device_id.data()), device_id.size()) == 1 &&
                  EVP_MAC_update(c.get(), head.data(), head.size()) == 1 &&
                  EVP_MAC_final(c.get(), full, &full_len, sizeof full) == 1 && full_len >= kTag;
  if (!ok) return false;
  std::memcpy(out, full, kTag);
  return true;
}

Result<Bytes> ChallengeKey::issue(std::string_view device_id, std::int64_t expires_at) const {
  if (!mac_) return make_error(Errc::internal, "challenge key not loaded");
  if (expires_at <= 0 || expires_at > 0xFFFFFFFFll) return make_error(Errc::internal, "challenge expiry out of range");
  PAW_TRY(const Bytes random, random_bytes(kRandom));
  Bytes nonce(kNonceSize);
  std::copy(random.begin(), random.end(), nonce.begin());
  const auto exp = static_cast<std::uint32_t>(expires_at);
  for (std::size_t i = 0; i < 4; ++i) nonce[kRandom + i] = static_cast<std::uint8_t>(exp >> (24 - 8 * i));
  if (!tag(device_id, ByteView(nonce).subspan(0, kHead), nonce.data() + kHead)) {
    return make_error(Errc::internal, "HMAC failed");
  }
  return nonce;
}

Result<std::int64_t> ChallengeKey::check(ByteView nonce, std::string_view device_id, std::int64_t now) const {
  std::uint8_t expected[kTag];
  if (nonce.size() != kNonceSize || !tag(device_id, nonce.subspan(0, kHead), expected) ||
      !ct_equal(ByteView(expected, kTag), nonce.subspan(kHead))) {
    return make_error(Errc::nonce_unknown, "nonce was not issued to this device");
  }
  std::int64_t expires_at = 0;
  for (std::size_t i = kRandom; i < kHead; ++i) expires_at = (expires_at << 8) | nonce[i];
  if (expires_at <= now) return make_error(Errc::nonce_expired, "nonce expired");
  return expires_at;
}

}  // namespace paw::verifier
