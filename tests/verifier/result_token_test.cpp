// Result tokens: ES256 JWS with raw r||s, JWKS, and every refusal.
#include <doctest/doctest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "paw/attest/result_token.h"

namespace paw {
namespace {

ResultClaims sample(std::int64_t now) {
  ResultClaims c;
  c.iss = "paw-verifier";
  c.sub = "device-1";
  c.iat = now;
  c.exp = now + 600;
  c.jti = "00ff";
  c.verdict = "healthy";
  c.reasons = {{"pcr_pinned", "PCR references captured"}};
  c.trust = {{"hardware", 2}, {"instance-identity", 2}, {"executables", 3}};
  c.policy = "default@1";
  return c;
}

Jwks jwks_of(const SigningKey& k) {
  auto jwk = public_jwk(k);
  REQUIRE(jwk.ok());
  auto set = parse_jwks(build_jwks({*jwk}));
  REQUIRE(set.ok());
  return std::move(*set);
}

std::string b64url_json(std::string_view s) { return base64url(as_bytes(s)); }

}  // namespace

TEST_CASE("result token: signs, verifies against the JWKS, round-trips claims") {
  auto key = generate_signing_key();
  REQUIRE(key.ok());
  CHECK(key->kid.size() == 43);  // base64url SHA-256 thumbprint
  const std::int64_t now = 1'800'000'000;
  const auto claims = sample(now);
  auto jwks = jwks_of(*key);
  // r or s with leading zero bytes appear about 1 in 128 signatures: sign enough
  // tokens that the fixed 32-byte padding is exercised.
  for (int i = 0; i < 300; ++i) {
    auto token = sign_result_token(claims, *key);
    REQUIRE(token.ok());
    auto got = verify_result_token(*token, jwks, now + 1, "paw-verifier");
    REQUIRE_MESSAGE(got.ok(), got.error().what());
    CHECK(*got == claims);
    const auto sig = unbase64url(token->substr(token->rfind('.') + 1));
    REQUIRE(sig.ok());
    CHECK(sig->size() == 64);
  }
}

TEST_CASE("result token: refusals") {
  auto key = generate_signing_key();
  auto other = generate_signing_key();
  REQUIRE((key.ok() && other.ok()));
  const std::int64_t now = 1'800'000'000;
  auto token = sign_result_token(sample(now), *key);
  REQUIRE(token.ok());
  auto jwks = jwks_of(*key);

  SUBCASE("expired and not yet valid") {
    CHECK(verify_result_token(*token, jwks, now + 600 + 31, "").code() == Errc::token_expired);
    CHECK(verify_result_token(*token, jwks, now - 31, "").code() == Errc::token_expired);
    CHECK(verify_result_token(*token, jwks, now + 600, "", 0).code() == Errc::token_expired);
  }
  SUBCASE("wrong issuer") { CHECK(verify_result_token(*token, jwks, now, "someone-else").code() == Errc::token_invalid); }
  SUBCASE("unknown kid") { CHECK(verify_result_token(*token, jwks_of(*other), now).code() == Errc::token_invalid); }
  SUBCASE("forged signature: signed by another key under our kid") {
    SigningKey forger{key->kid, std::move(other->key)};
    auto forged = sign_result_token(sample(now), forger);
    REQUIRE(forged.ok());
    CHECK(verify_result_token(*forged, jwks, now).code() == Errc::bad_signature);
  }
  SUBCASE("payload changed after signing") {
    auto c = sample(now);
    c.verdict = "unhealthy";
    auto t2 = sign_result_token(c, *key);
    REQUIRE(t2.ok());
    const auto p1 = token->find('.'), p2 = token->rfind('.');
    const auto q1 = t2->find('.'), q2 = t2->rfind('.');
    const std::string spliced = token->substr(0, p1 + 1) + t2->substr(q1 + 1, q2 - q1 - 1) + token->substr(p2);
    CHECK(verify_result_token(spliced, jwks, now).code() == Errc::bad_signature);
  }
  SUBCASE("alg none and HS256 are refused") {
    const std::string payload = token->substr(token->find('.') + 1, token->rfind('.') - token->find('.') - 1);
    const std::string none = b64url_json(R"({"alg":"none","kid":")" + key->kid + R"("})") + "." + payload + ".";
    CHECK(verify_result_token(none, jwks, now).code() == Errc::token_invalid);
    const std::string hs = b64url_json(R"({"alg":"HS256","kid":")" + key->kid + R"("})") + "." + payload + ".AAAA";
    CHECK(verify_result_token(hs, jwks, now).code() == Errc::token_invalid);
  }
  SUBCASE("shape") {
    CHECK(verify_result_token("", jwks, now).code() == Errc::malformed);
    CHECK(verify_result_token("a.b", jwks, now).code() == Errc::malformed);
    CHECK(verify_result_token("a.b.c.d", jwks, now).code() == Errc::malformed);
    CHECK(verify_result_token(std::string(kMaxResultTokenSize + 1, 'a'), jwks, now).code() == Errc::too_large);
    CHECK(verify_result_token(*token + "x", jwks, now).code() != Errc{});
  }
}

TEST_CASE("result token: key PEM round trip keeps the kid, JWKS parsing") {
  auto key = generate_signing_key();
  REQUIRE(key.ok());
  auto pem = signing_key_to_pem(*key);
  REQUIRE(pem.ok());
  auto back = signing_key_from_pem(pem->view());
  REQUIRE(back.ok());
  CHECK(back->kid == key->kid);
  auto t = sign_result_token(sample(100), *back);
  REQUIRE(t.ok());
  CHECK(verify_result_token(*t, jwks_of(*key), 100).ok());

  // Non-EC keys are skipped, duplicates and off-curve points refused.
  auto jwk = public_jwk(*key);
  REQUIRE(jwk.ok());
  auto mixed = parse_jwks(R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"r"},)" + *jwk + "]}");
  REQUIRE(mixed.ok());
  CHECK(mixed->keys.size() == 1);
  CHECK(parse_jwks(build_jwks({*jwk, *jwk})).code() == Errc::malformed);
  const std::string bad = R"({"keys":[{"kty":"EC","crv":"P-256","kid":"x","x":")" + base64url(Bytes(32, 1)) +
                          R"(","y":")" + base64url(Bytes(32, 2)) + R"("}]})";
  CHECK(parse_jwks(bad).code() == Errc::malformed);
  CHECK(parse_jwks("[]").code() == Errc::malformed);
}

}  // namespace paw
