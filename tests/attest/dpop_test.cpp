// dpop_test.cpp — DPoP proofs (RFC 9449): a proof made by sign_dpop_proof
// passes; each one-field change (header, claims, signature, key, request)
// is refused with its own reason code; htu normalisation per RFC 3986.
#include <doctest/doctest.h>

#include <Poco/JSON/Object.h>

#include "paw/attest/digest.h"
#include "paw/attest/dpop.h"
#include "paw/attest/json.h"
#include "paw/attest/result_token.h"

namespace paw {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;
constexpr const char* kUrl = "https://app.example/private/page";
constexpr const char* kToken = "header.payload.signature";

struct Fixture {
  SigningKey key = generate_signing_key().value();
  std::string jkt = jwk_thumbprint(key.key.get()).value();
  DpopClaims claims{"GET", kUrl, kToken, kNow, "jti-0001"};
  DpopExpect expect() const {
    DpopExpect e;
    e.method = "GET";
    e.url = kUrl;
    e.access_token = kToken;
    e.jkt = jkt;
    e.now = kNow;
    return e;
  }
  std::string proof() const { return sign_dpop_proof(key.key.get(), claims).value(); }
};

std::string b64(std::string_view s) { return base64url(as_bytes(s)); }

// resign builds a proof from raw header and claims JSON, signed by |key|.
std::string resign(const EVP_PKEY* key, const std::string& header, const std::string& claims) {
  const std::string input = b64(header) + "." + b64(claims);
  return dpop_assemble(input, es256_sign_raw(key, input).value()).value();
}

std::string header_of(const EVP_PKEY* key, const std::string& typ = "dpop+jwt", const std::string& alg = "ES256") {
  return R"({"typ":")" + typ + R"(","alg":")" + alg + R"(","jwk":)" + ec_p256_public_jwk(key).value() + "}";
}

std::string claims_json(const std::string& jti, const std::string& htm, const std::string& htu, std::int64_t iat,
                        const std::string& ath) {
  std::string s = R"({"jti":")" + jti + R"(","htm":")" + htm + R"(","htu":")" + htu + R"(","iat":)" + std::to_string(iat);
  if (!ath.empty()) s += R"(,"ath":")" + ath + "\"";
  return s + "}";
}

}  // namespace

TEST_CASE("dpop: a proof signed by the cnf key for this request passes") {
  Fixture f;
  const DpopCheck c = verify_dpop_proof(f.proof(), f.expect());
  REQUIRE_MESSAGE(c.ok(), c.reason << ": " << c.detail);
  CHECK(c.proof.jkt == f.jkt);
  CHECK(c.proof.jti == "jti-0001");
  CHECK(c.proof.iat == kNow);
  // within the window and the skew
  DpopExpect later = f.expect();
  later.now = kNow + 60;
  CHECK(verify_dpop_proof(f.proof(), later).ok());
  DpopExpect earlier = f.expect();
  earlier.now = kNow - 5;
  CHECK(verify_dpop_proof(f.proof(), earlier).ok());
}

TEST_CASE("dpop: each one-field change is refused with its reason") {
  Fixture f;
  const EVP_PKEY* k = f.key.key.get();
  const std::string ath = dpop_ath(kToken);
  const std::string good_claims = claims_json("jti-1", "GET", kUrl, kNow, ath);
  // control: the hand-built proof passes
  REQUIRE(verify_dpop_proof(resign(k, header_of(k), good_claims), f.expect()).ok());
  struct Case {
    const char* name;
    std::string proof;
    std::string_view reason;
  };
  const std::string good = f.proof();
  const std::string sig = good.substr(good.rfind('.') + 1);
  std::string flipped = sig;
  flipped[3] = flipped[3] == 'A' ? 'B' : 'A';
  const SigningKey other = generate_signing_key().value();
  std::string with_d = header_of(k);
  with_d.insert(with_d.size() - 2, R"(,"d":"AAAA")");
  const std::vector<Case> cases = {
      {"empty", "", kDpopMissing},
      {"two parts", "a.b", kDpopMalformed},
      {"header not JSON", b64("nope") + "." + b64(good_claims) + ".AAAA", kDpopMalformed},
      {"unknown header member", resign(k, header_of(k).substr(0, header_of(k).size() - 1) + R"(,"kid":"x"})", good_claims),
       kDpopMalformed},
      {"typ JWT", resign(k, header_of(k, "JWT"), good_claims), kDpopBadType},
      {"alg none", resign(k, header_of(k, "dpop+jwt", "none"), good_claims), kDpopBadAlg},
      {"alg HS256", resign(k, header_of(k, "dpop+jwt", "HS256"), good_claims), kDpopBadAlg},
      {"jwk with a private member", resign(k, with_d, good_claims), kDpopBadKey},
      {"jwk not on the curve",
       resign(k, R"({"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":")" + b64(std::string(32, 'a')) +
                     R"(","y":")" + b64(std::string(32, 'b')) + R"("}})",
              good_claims),
       kDpopBadKey},
      {"signature changed", good.substr(0, good.rfind('.') + 1) + flipped, kDpopBadSignature},
      {"signed by another key than the jwk", resign(other.key.get(), header_of(k), good_claims), kDpopBadSignature},
      {"another key altogether", sign_dpop_proof(other.key.get(), f.claims).value(), kDpopKeyMismatch},
      {"no jti", resign(k, header_of(k), R"({"htm":"GET","htu":")" + std::string(kUrl) + R"(","iat":)" +
                                            std::to_string(kNow) + R"(,"ath":")" + ath + "\"}"),
       kDpopMalformed},
      {"iat a string", resign(k, header_of(k), R"({"jti":"j","htm":"GET","htu":")" + std::string(kUrl) +
                                                   R"(","iat":"1","ath":")" + ath + "\"}"),
       kDpopMalformed},
      {"jti too long", resign(k, header_of(k), claims_json(std::string(129, 'j'), "GET", kUrl, kNow, ath)), kDpopMalformed},
      {"htm POST", resign(k, header_of(k), claims_json("j", "POST", kUrl, kNow, ath)), kDpopMethodMismatch},
      {"htm lowercase", resign(k, header_of(k), claims_json("j", "get", kUrl, kNow, ath)), kDpopMethodMismatch},
      {"htu other path", resign(k, header_of(k), claims_json("j", "GET", "https://app.example/private/other", kNow, ath)),
       kDpopHtuMismatch},
      {"htu other host", resign(k, header_of(k), claims_json("j", "GET", "https://evil.example/private/page", kNow, ath)),
       kDpopHtuMismatch},
      {"htu http", resign(k, header_of(k), claims_json("j", "GET", "http://app.example/private/page", kNow, ath)),
       kDpopHtuMismatch},
      {"htu other port", resign(k, header_of(k), claims_json("j", "GET", "https://app.example:8443/private/page", kNow, ath)),
       kDpopHtuMismatch},
      {"htu garbage", resign(k, header_of(k), claims_json("j", "GET", "not a url", kNow, ath)), kDpopHtuMismatch},
      {"iat too old", resign(k, header_of(k), claims_json("j", "GET", kUrl, kNow - 61, ath)), kDpopStale},
      {"iat in the future", resign(k, header_of(k), claims_json("j", "GET", kUrl, kNow + 6, ath)), kDpopFuture},
      {"no ath", resign(k, header_of(k), claims_json("j", "GET", kUrl, kNow, "")), kDpopAthMismatch},
      {"ath of another token", resign(k, header_of(k), claims_json("j", "GET", kUrl, kNow, dpop_ath("other.token.x"))),
       kDpopAthMismatch},
      {"oversized", std::string(kMaxDpopProofSize + 1, 'a'), kDpopMalformed},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const DpopCheck r = verify_dpop_proof(c.proof, f.expect());
    CHECK(r.reason == c.reason);
  }
  // The token's cnf names another key: the proof is fine but not for this token.
  DpopExpect e = f.expect();
  const std::string other_jkt = jwk_thumbprint(other.key.get()).value();
  e.jkt = other_jkt;
  CHECK(verify_dpop_proof(good, e).reason == kDpopKeyMismatch);
  e.jkt = "";
  CHECK(verify_dpop_proof(good, e).reason == kDpopKeyMismatch);
}

TEST_CASE("dpop: htu normalisation (RFC 3986 6.2.2, 6.2.3)") {
  auto n = [](std::string_view u) { return normalize_htu(u); };
  CHECK(n("HTTPS://App.Example:443/a/b").value() == "https://app.example/a/b");
  CHECK(n("http://app.example:80").value() == "http://app.example/");
  CHECK(n("http://app.example:/x").value() == "http://app.example/x");
  CHECK(n("https://app.example:08443/x").value() == "https://app.example:8443/x");
  CHECK(n("https://app.example/a/./b/../c?q=1#frag").value() == "https://app.example/a/c");
  CHECK(n("https://app.example/%7euser/%2f%2Fx").value() == "https://app.example/~user/%2F%2Fx");
  CHECK(n("https://[2001:DB8::1]:443/x").value() == "https://[2001:db8::1]/x");
  CHECK(n("https://[2001:db8::1]:8443").value() == "https://[2001:db8::1]:8443/");
  CHECK(n("https://app.example/../../x").value() == "https://app.example/x");
  for (std::string_view bad : {"", "app.example/x", "ftp://app.example/", "https://", "https:///x", "https://u@app.example/",
                               "https://app.example:99999/", "https://app.example:8a/", "https://app.example/a b",
                               "https://app.example/%zz", "https://app.example/%4", "https://[::1/x", "https://app.example/\x01",
                               "https://app.example/\xc3\xa9"}) {
    CAPTURE(bad);
    CHECK(!n(bad).ok());
  }
  CHECK(normalize_htu("https://a.example/" + std::string(kMaxHtuSize, 'a')).error().code == Errc::too_large);
}

TEST_CASE("dpop: result tokens carry cnf.jkt, aud and owner and read them back") {
  auto key = generate_signing_key();
  REQUIRE(key.ok());
  ResultClaims c{"paw-verifier", "dev", 1, 1000, "j", "healthy", {}, {}, "default@1", "", "", ""};
  c.cnf_jkt = jwk_thumbprint(key->key.get()).value();
  c.aud = "paw-verifier";
  c.owner = "alice@example";
  auto tok = sign_result_token(c, *key);
  REQUIRE(tok.ok());
  auto back = decode_result_token(*tok);
  REQUIRE(back.ok());
  CHECK(*back == c);
  const std::string payload = tok->substr(tok->find('.') + 1, tok->rfind('.') - tok->find('.') - 1);
  const Bytes raw = unbase64url(payload).value();
  CHECK(std::string(raw.begin(), raw.end()).find(R"("cnf":{"jkt":")" + c.cnf_jkt + "\"}") != std::string::npos);
  // unbound tokens have no cnf member at all
  c.cnf_jkt.clear();
  auto plain = sign_result_token(c, *key);
  REQUIRE(plain.ok());
  CHECK(decode_result_token(*plain)->cnf_jkt.empty());
}

}  // namespace paw
