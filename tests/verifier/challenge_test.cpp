// ChallengeKey (challenge.h): stateless nonces — bound to the device, to the
// key, to their expiry; any changed bit makes them unknown.
#include <doctest/doctest.h>

#include <set>

#include "challenge.h"

namespace paw::verifier {
namespace {

ChallengeKey key_of(std::uint8_t fill) {
  auto k = ChallengeKey::from(Bytes(kChallengeKeySize, fill));
  REQUIRE(k.ok());
  return std::move(k).value();
}

}  // namespace

TEST_CASE("challenge: an issued nonce checks for its device until it expires") {
  const ChallengeKey key = key_of(7);
  const std::int64_t now = 1'800'000'000;
  auto nonce = key.issue("dev-1", now + 120);
  REQUIRE(nonce.ok());
  CHECK(nonce->size() == kNonceSize);
  auto exp = key.check(*nonce, "dev-1", now);
  REQUIRE(exp.ok());
  CHECK(*exp == now + 120);
  CHECK(key.check(*nonce, "dev-1", now + 119).ok());
  CHECK(key.check(*nonce, "dev-1", now + 120).code() == Errc::nonce_expired);
  CHECK(key.check(*nonce, "dev-1", now + 100000).code() == Errc::nonce_expired);

  // Another device, a prefix or extension of the id, another key: unknown.
  CHECK(key.check(*nonce, "dev-2", now).code() == Errc::nonce_unknown);
  CHECK(key.check(*nonce, "dev-", now).code() == Errc::nonce_unknown);
  CHECK(key.check(*nonce, "dev-1x", now).code() == Errc::nonce_unknown);
  CHECK(key.check(*nonce, "", now).code() == Errc::nonce_unknown);
  CHECK(key_of(8).check(*nonce, "dev-1", now).code() == Errc::nonce_unknown);
}

TEST_CASE("challenge: every flipped bit, the expiry included, makes the nonce unknown") {
  const ChallengeKey key = key_of(1);
  const std::int64_t now = 1'800'000'000;
  auto nonce = key.issue("dev", now + 60);
  REQUIRE(nonce.ok());
  for (std::size_t bit = 0; bit < kNonceSize * 8; ++bit) {
    Bytes changed = *nonce;
    changed[bit / 8] = static_cast<std::uint8_t>(changed[bit / 8] ^ (1u << (bit % 8)));
    CAPTURE(bit);
    // A later expiry cannot be written in: the tag covers it.
    CHECK(key.check(changed, "dev", now).code() == Errc::nonce_unknown);
  }
  CHECK(key.check(Bytes(kNonceSize, 0), "dev", now).code() == Errc::nonce_unknown);
  CHECK(key.check(ByteView(*nonce).subspan(0, kNonceSize - 1), "dev", now).code() == Errc::nonce_unknown);
  Bytes longer = *nonce;
  longer.push_back(0);
  CHECK(key.check(longer, "dev", now).code() == Errc::nonce_unknown);
  CHECK(key.check(Bytes{}, "dev", now).code() == Errc::nonce_unknown);
}

TEST_CASE("challenge: nonces are fresh - keys and expiries are checked") {
  const ChallengeKey key = key_of(2);
  std::set<Bytes> seen;
  for (int i = 0; i < 256; ++i) {
    auto n = key.issue("dev", 2'000'000'000);
    REQUIRE(n.ok());
    CHECK(seen.insert(*n).second);
  }
  CHECK(ChallengeKey::from(Bytes(16, 1)).code() == Errc::config_error);
  CHECK(ChallengeKey::from(Bytes(33, 1)).code() == Errc::config_error);
  CHECK(key.issue("dev", 0).code() == Errc::internal);
  CHECK(key.issue("dev", std::int64_t{1} << 32).code() == Errc::internal);
  // A key never loaded issues nothing and accepts nothing.
  const ChallengeKey empty;
  CHECK(!empty.issue("dev", 2'000'000'000).ok());
  CHECK(empty.check(*key.issue("dev", 2'000'000'000), "dev", 1).code() == Errc::nonce_unknown);
}

}  // namespace paw::verifier
