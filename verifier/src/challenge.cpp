#include "challenge.h"

#include <algorithm>
#include <string>

#include "paw/attest/digest.h"
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
  ChallengeKey k;
  k.key_.assign(key.begin(), key.end());
  return k;
}

Bytes ChallengeKey::tag(std::string_view device_id, ByteView head) const {
  // label ‖ len(device_id) (4, big-endian) ‖ device_id ‖ head
  const auto n = static_cast<std::uint32_t>(device_id.size());
  std::string msg(kLabel);
  for (int shift = 24; shift >= 0; shift -= 8) msg.push_back(static_cast<char>((n >> shift) & 0xFF));
  msg.append(device_id);
  msg.append(reinterpret_cast<const char*>(head.data()), head.size());
  auto mac = hmac(HashAlg::sha256, key_, as_bytes(msg));
  if (!mac.ok() || mac->size() < kTag) return Bytes(kTag, 0);  // never equals a real tag: fails closed
  mac->resize(kTag);
  return std::move(mac).value();
}

Result<Bytes> ChallengeKey::issue(std::string_view device_id, std::int64_t expires_at) const {
  if (key_.size() != kChallengeKeySize) return make_error(Errc::internal, "challenge key not loaded");
  if (expires_at <= 0 || expires_at > 0xFFFFFFFFll) return make_error(Errc::internal, "challenge expiry out of range");
  PAW_TRY(const Bytes random, random_bytes(kRandom));
  Bytes nonce(kNonceSize);
  std::copy(random.begin(), random.end(), nonce.begin());
  const auto exp = static_cast<std::uint32_t>(expires_at);
  for (std::size_t i = 0; i < 4; ++i) nonce[kRandom + i] = static_cast<std::uint8_t>(exp >> (24 - 8 * i));
  const Bytes t = tag(device_id, ByteView(nonce).subspan(0, kHead));
  std::copy(t.begin(), t.end(), nonce.begin() + kHead);
  return nonce;
}

Result<std::int64_t> ChallengeKey::check(ByteView nonce, std::string_view device_id, std::int64_t now) const {
  if (key_.size() != kChallengeKeySize || nonce.size() != kNonceSize) {
    return make_error(Errc::nonce_unknown, "nonce was not issued to this device");
  }
  const ByteView head = nonce.subspan(0, kHead);
  if (!ct_equal(tag(device_id, head), nonce.subspan(kHead))) {
    return make_error(Errc::nonce_unknown, "nonce was not issued to this device");
  }
  std::int64_t expires_at = 0;
  for (std::size_t i = kRandom; i < kHead; ++i) expires_at = (expires_at << 8) | nonce[i];
  if (expires_at <= now) return make_error(Errc::nonce_expired, "nonce expired");
  return expires_at;
}

}  // namespace paw::verifier
