// login_cache_test.cpp — the login fast path (verifier/src/login_cache.h):
// the verified-token cache against a real keyring in a real SQLite store
// (hits, expiry, bound, junk never stored, rotation), and through the real
// service over HTTPS: a cached token never outlives the device's state —
// revocation, rejection and a policy change hold at the next login, also at
// another replica (PostgreSQL, postgres_service_test.cpp's world).
#include <doctest/doctest.h>

#include <string>

#include "clock.h"
#include "keys.h"
#include "login_cache.h"
#include "paw/attest/result_token.h"
#include "soft_fleet.h"
#include "store/store.h"
#include "util.h"

namespace paw::test {
namespace {

struct Ring {
  TempDir dir;
  std::unique_ptr<verifier::Store> store;
  std::unique_ptr<verifier::Keyring> keys;
  std::int64_t now = verifier::system_unix_now();

  Ring() {
    auto s = verifier::open_store("sqlite:" + (dir / "paw.db").string());
    REQUIRE_MESSAGE(s.ok(), s.error().what());
    store = std::move(*s);
    keys = std::make_unique<verifier::Keyring>(*store);
    REQUIRE(keys->ensure_key(now).ok());
    REQUIRE(keys->load().ok());
  }

  std::string token(const std::string& sub, std::int64_t ttl = 600, std::int64_t iat_shift = 0) const {
    ResultClaims c;
    c.iss = "paw-verifier";
    c.sub = sub;
    c.iat = now + iat_shift;
    c.exp = now + iat_shift + ttl;
    c.jti = sub;
    c.verdict = "healthy";
    c.policy = "default@1";
    auto t = keys->sign(c);
    REQUIRE(t.ok());
    return *t;
  }
};

}  // namespace

TEST_CASE("login cache: a verified token is answered from the cache until its exp") {
  Ring r;
  verifier::TokenCache cache(1024);
  const std::string tok = r.token("dev-1", 60);
  // holds (the edge's question: answer it on the reactor?) is true exactly
  // when verify would answer from the cache.
  CHECK_FALSE(cache.holds(*r.keys, tok, r.now, "paw-verifier"));
  auto first = cache.verify(*r.keys, tok, r.now, "paw-verifier");
  REQUIRE_MESSAGE(first.ok(), first.error().what());
  CHECK((*first)->sub == "dev-1");
  CHECK(cache.misses() == 1);
  CHECK(cache.hits() == 0);
  CHECK(cache.size() == 1);
  CHECK(cache.holds(*r.keys, tok, r.now + 59, "paw-verifier"));
  CHECK_FALSE(cache.holds(*r.keys, tok, r.now + 60, "paw-verifier"));        // at exp
  CHECK_FALSE(cache.holds(*r.keys, tok, r.now + 59, "another-verifier"));    // another issuer
  CHECK_FALSE(cache.holds(*r.keys, tok + "x", r.now + 59, "paw-verifier"));  // another token
  CHECK(cache.hits() == 0);  // holds neither counts nor verifies
  auto again = cache.verify(*r.keys, tok, r.now + 59, "paw-verifier");
  REQUIRE(again.ok());
  CHECK(again->get() == first->get());  // the same parsed claims, no second verify
  CHECK(cache.hits() == 1);
  // At exp the cached entry no longer counts: the same refusal as without a cache.
  auto late = cache.verify(*r.keys, tok, r.now + 60, "paw-verifier");
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == Errc::token_expired);
  CHECK(cache.hits() == 1);
  CHECK(cache.size() == 0);
  // Before iat (a clock step back): refused like verify_result_token with no leeway.
  const std::string future = r.token("dev-2", 60, 100);
  auto early = cache.verify(*r.keys, future, r.now, "paw-verifier");
  REQUIRE_FALSE(early.ok());
  CHECK(early.error().code == Errc::token_expired);
  CHECK(cache.size() == 0);
  // The issuer is checked on the way in, and on a hit.
  const std::string cached = r.token("dev-3", 60);
  REQUIRE(cache.verify(*r.keys, cached, r.now, "paw-verifier").ok());
  auto other_iss = cache.verify(*r.keys, cached, r.now, "another-verifier");
  REQUIRE_FALSE(other_iss.ok());
  CHECK(other_iss.error().code == Errc::token_invalid);
}

TEST_CASE("login cache: junk, forged and foreign tokens never enter") {
  Ring r;
  verifier::TokenCache cache(1024);
  const std::string good = r.token("dev-1");
  // A token signed by a key the ring does not hold, with the ring's kid.
  auto foreign_key = generate_signing_key();
  REQUIRE(foreign_key.ok());
  foreign_key->kid = r.keys->current_kid();
  ResultClaims c = *decode_result_token(good);
  auto foreign = sign_result_token(c, *foreign_key);
  REQUIRE(foreign.ok());
  std::string flipped = good;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  const std::string payload_swapped =
      good.substr(0, good.find('.')) + "." + base64url(as_bytes(std::string(R"({"sub":"dev-evil"})"))) +
      good.substr(good.rfind('.'));
  for (const std::string& junk : {std::string(), std::string("x"), std::string("a.b.c"), flipped, *foreign,
                                  payload_swapped, std::string(kMaxResultTokenSize + 1, 'a')}) {
    for (int i = 0; i < 3; ++i) {
      auto v = cache.verify(*r.keys, junk, r.now, "paw-verifier");
      CHECK_FALSE(v.ok());
    }
  }
  CHECK(cache.size() == 0);
  CHECK(cache.hits() == 0);
  // The genuine token still verifies and is the only entry.
  REQUIRE(cache.verify(*r.keys, good, r.now, "paw-verifier").ok());
  CHECK(cache.size() == 1);
}

TEST_CASE("login cache: bounded - many tokens keep at most the capacity, the ones in use stay") {
  Ring r;
  verifier::TokenCache cache(64);  // 16 shards of 4
  const std::string hot = r.token("hot");
  REQUIRE(cache.verify(*r.keys, hot, r.now, "paw-verifier").ok());
  for (int i = 0; i < 500; ++i) {
    REQUIRE(cache.verify(*r.keys, r.token("dev-" + std::to_string(i)), r.now, "paw-verifier").ok());
    if (i % 2 == 0) REQUIRE(cache.verify(*r.keys, hot, r.now, "paw-verifier").ok());  // kept in use
  }
  CHECK(cache.size() <= 64);
  CHECK(cache.size() >= 16);
  const auto hits = cache.hits();
  REQUIRE(cache.verify(*r.keys, hot, r.now, "paw-verifier").ok());
  CHECK(cache.hits() == hits + 1);  // the token in use was never evicted (hit since each look: spared)
  verifier::TokenCache none(0);     // capacity 0: verifies every time, stores nothing
  REQUIRE(none.verify(*r.keys, hot, r.now, "paw-verifier").ok());
  REQUIRE(none.verify(*r.keys, hot, r.now, "paw-verifier").ok());
  CHECK(none.size() == 0);
  CHECK(none.hits() == 0);
}

TEST_CASE("login cache: a key rotation invalidates every entry - a dropped key's token is refused") {
  Ring r;
  verifier::TokenCache cache(1024);
  const std::string tok = r.token("dev-1");
  REQUIRE(cache.verify(*r.keys, tok, r.now, "paw-verifier").ok());
  REQUIRE(cache.verify(*r.keys, tok, r.now, "paw-verifier").ok());
  CHECK(cache.hits() == 1);
  // Rotation with the old key kept (overlap): the token is verified again, and still good.
  REQUIRE(r.keys->rotate(r.now, 3600).ok());
  REQUIRE(cache.verify(*r.keys, tok, r.now, "paw-verifier").ok());
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 2);
  // Rotation that drops the old key: the cached entry must not answer.
  REQUIRE(r.keys->rotate(r.now + 10, 0).ok());
  REQUIRE(r.keys->rotate(r.now + 20, 0).ok());
  auto gone = cache.verify(*r.keys, tok, r.now + 30, "paw-verifier");
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().code == Errc::token_invalid);
  // Another replica's rotation, seen when this keyring reloads, does the same.
  verifier::Keyring other(*r.store);
  REQUIRE(other.load().ok());
  const std::string fresh = r.token("dev-2");
  REQUIRE(cache.verify(*r.keys, fresh, r.now, "paw-verifier").ok());
  REQUIRE(other.rotate(r.now + 40, 0).ok());
  REQUIRE(other.rotate(r.now + 50, 0).ok());
  REQUIRE(r.keys->load().ok());
  CHECK_FALSE(cache.verify(*r.keys, fresh, r.now + 60, "paw-verifier").ok());
  // A reload that finds the same keys keeps the entries.
  const std::string current = r.token("dev-3");
  REQUIRE(cache.verify(*r.keys, current, r.now, "paw-verifier").ok());
  const auto hits = cache.hits();
  REQUIRE(r.keys->load().ok());
  REQUIRE(cache.verify(*r.keys, current, r.now, "paw-verifier").ok());
  CHECK(cache.hits() == hits + 1);
}

TEST_CASE("login cache: through the service, a cached token stops at once when the device is revoked") {
  Fleet f;
  f.v->use_bearer_logins();  // the software device has no TPM login key: a bearer token
  f.enroll();
  auto c = f.client();
  auto a = f.attest();
  REQUIRE_MESSAGE(a.status == 200, a.body);
  const std::string token = a.json()->getValue<std::string>("token");
  const auto& cache = f.v->service().token_cache();
  REQUIRE(c.get("/v1/authz", token).status == 204);
  const auto hits = cache.hits();
  REQUIRE(c.get("/v1/authz", token).status == 204);
  CHECK(cache.hits() == hits + 1);
  const std::string m = c.get("/metrics").body;
  CHECK(m.find("paw_login_token_cache_total{result=\"hit\"} " + std::to_string(cache.hits())) != std::string::npos);
  CHECK(m.find("paw_login_token_cache_entries 1\n") != std::string::npos);
  // Junk over HTTP never grows the cache.
  const auto size = cache.size();
  for (int i = 0; i < 20; ++i) CHECK(c.get("/v1/authz", "junk" + std::to_string(i)).status == 401);
  CHECK(cache.size() == size);
  auto rev = c.post("/v1/admin/devices/" + f.dev->device_id + "/revoke", "", f.v->admin());
  REQUIRE_MESSAGE(rev.status == 200, rev.body);
  CHECK(c.get("/v1/authz", token).status == 403);
  CHECK(cache.hits() >= hits + 2);  // answered from the cache, and refused anyway
}

}  // namespace paw::test
