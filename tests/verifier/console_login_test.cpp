// The web console's WebAuthn sign-in (console.cpp, webauthn.h) through the
// real verifier over TLS, with a software FIDO2 key (soft::SoftFido) that
// signs as a browser's authenticator does: over authData ||
// SHA-256(clientDataJSON). Each check of the assertion is broken in turn
// (type, origin, rpIdHash, challenge, signature, counter, user presence,
// shape) and must be refused with its own error and no session; then the
// cookie session: read-only, CSRF header for POST, sign-out.
#include <doctest/doctest.h>

#include <string>

#include "api/console.h"
#include "api/webauthn.h"
#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"
#include "paw/attest/json.h"
#include "soft_device.h"
#include "store/store.h"
#include "util.h"
#include "verifier_fixture.h"

namespace paw::test {
namespace {

constexpr const char* kOrigin = "https://console.paw.test:8443";
constexpr const char* kRpId = "paw.test";

void console_config(verifier::Config& c) {
  c.rp_id = kRpId;
  c.console_origin = kOrigin;
}

// register_admin adds |key| as admin |name| (scope full) through the admin
// API with "none" attestation, as a browser-made credential would come.
void register_admin(const HttpsClient& c, const std::string& cred, const std::string& name,
                    soft::SoftFido& key) {
  auto ch = c.post("/v1/admin/admins/challenge", R"({"name":")" + name + R"("})", cred);
  REQUIRE_MESSAGE(ch.status == 200, ch.body);
  auto made = key.make_credential(Bytes(32, 0), soft::AttestationMode::none);
  REQUIRE(made.ok());
  Poco::JSON::Object::Ptr reg = new Poco::JSON::Object();
  reg->set("name", name);
  reg->set("scope", "full");
  reg->set("challenge", ch.json()->getValue<std::string>("challenge"));
  reg->set("credential_id", base64(made->credential_id));
  reg->set("fmt", "none");
  reg->set("auth_data", base64(made->auth_data));
  reg->set("att_stmt", base64(Bytes{0xa0}));
  auto r = c.post("/v1/admin/admins", json::stringify(reg), cred);
  REQUIRE_MESSAGE(r.status == 201, r.body);
}

Bytes challenge_for(const HttpsClient& c, const std::string& name) {
  auto ch = c.post("/v1/admin/login/challenge", R"({"name":")" + name + R"("})");
  REQUIRE_MESSAGE(ch.status == 200, ch.body);
  CHECK(ch.json()->getValue<std::string>("rp_id") == kRpId);
  return unbase64(ch.json()->getValue<std::string>("challenge")).value();
}

std::string client_data(const std::string& type, const Bytes& challenge, const std::string& origin) {
  return R"({"type":")" + type + R"(","challenge":")" + base64url(challenge) + R"(","origin":")" + origin +
         R"(","crossOrigin":false})";
}

// Assertion is what a browser posts to /console/login; |client_data_json|
// may be changed after signing (a bad signature).
struct Assertion {
  Bytes credential_id, auth_data, signature;
  std::string client_data_json;
  [[nodiscard]] std::string body() const {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
    o->set("credential_id", base64url(credential_id));
    o->set("client_data_json", base64url(as_bytes(client_data_json)));
    o->set("authenticator_data", base64url(auth_data));
    o->set("signature", base64url(signature));
    return json::stringify(o);
  }
};

Assertion sign(soft::SoftFido& key, const std::string& cdj, std::uint8_t flags = 0x01) {
  auto p = key.get_assertion(sha256(as_bytes(cdj)), flags);
  REQUIRE(p.ok());
  return {p->credential_id, p->auth_data, p->signature, cdj};
}

std::string error_of(const HttpAnswer& r) {
  return r.json()->getValue<std::string>("error");
}

// sessions counts the admin sessions the store holds.
std::size_t sessions(TestVerifier& v) {
  auto creds = v.service().store().list_credentials();
  REQUIRE(creds.ok());
  std::size_t n = 0;
  for (const auto& c : *creds) n += c.id.rfind("ses-", 0) == 0 ? 1 : 0;
  return n;
}

std::string cookie_of(const HttpAnswer& r) {
  const std::string set = r.header("Set-Cookie");
  const auto semi = set.find(';');
  return set.substr(0, semi);
}

struct Console {
  TestVerifier v{console_config};
  HttpsClient c = v.client();
  soft::SoftFido key = soft::SoftFido::create(kRpId, Bytes(16, 0), nullptr).value();
  Console() { register_admin(c, v.admin(), "alice", key); }
  HttpAnswer login(const Assertion& a) const { return c.post("/console/login", a.body()); }
  [[nodiscard]] std::string good_data() const {
    return client_data("webauthn.get", challenge_for(c, "alice"), kOrigin);
  }
};

}  // namespace

TEST_CASE(
    "console sign-in: a WebAuthn assertion gives a read-only, HttpOnly SameSite=Strict cookie session") {
  Console t;
  auto r = t.login(sign(t.key, t.good_data()));
  REQUIRE_MESSAGE(r.status == 201, r.body);
  CHECK(r.json()->getValue<std::string>("admin") == "alice");
  CHECK(r.json()->getValue<std::string>("scope") == "read");  // the admin is full; the console reads only
  CHECK(r.body.find("pawses_") == std::string::npos);         // the secret is only in the cookie
  const std::string set = r.header("Set-Cookie");
  CHECK(set.rfind("paw_session=pawses_", 0) == 0);
  for (const char* attr : {"; HttpOnly", "; Secure", "; SameSite=Strict", "; Path=/", "; Max-Age=900"}) {
    CHECK_MESSAGE(set.find(attr) != std::string::npos, attr);
  }
  const std::string cookie = cookie_of(r);
  // GET with the cookie reads; without it, 401.
  CHECK(t.c.request("GET", "/v1/admin/devices", "", "", {{"Cookie", cookie}}).status == 200);
  CHECK(t.c.get("/v1/admin/devices").status == 401);
  CHECK(t.c.request("GET", "/v1/admin/devices", "", "", {{"Cookie", "paw_session=pawses_0000"}}).status ==
        401);
  // Two paw_session cookies (one tossed in by a sibling domain) are none.
  CHECK(t.c.request("GET", "/v1/admin/devices", "", "", {{"Cookie", cookie + "; " + cookie}}).status == 401);
  // A POST with the cookie needs the CSRF header; with it, the read scope still stops a write.
  auto no_csrf = t.c.request("POST", "/v1/admin/tokens", R"({"ttl_seconds":3600})", "", {{"Cookie", cookie}});
  CHECK(no_csrf.status == 401);
  auto csrf = t.c.request("POST", "/v1/admin/tokens", R"({"ttl_seconds":3600})", "",
                          {{"Cookie", cookie}, {"X-Paw-Csrf", "1"}});
  CHECK(csrf.status == 403);
  CHECK(error_of(csrf) == "insufficient_scope");
  // Sign-out: POST with the CSRF header only; the cookie is cleared and the session ends.
  CHECK(t.c.request("POST", "/console/logout", "{}", "", {{"Cookie", cookie}}).status == 401);
  auto out = t.c.request("POST", "/console/logout", "{}", "", {{"Cookie", cookie}, {"X-Paw-Csrf", "1"}});
  REQUIRE_MESSAGE(out.status == 200, out.body);
  CHECK(out.header("Set-Cookie").find("Max-Age=0") != std::string::npos);
  CHECK(t.c.request("GET", "/v1/admin/devices", "", "", {{"Cookie", cookie}}).status == 401);
  // The audit trail says the person signed in through the console.
  auto events = t.c.get("/v1/admin/events?limit=1000", t.v.admin()).body;
  CHECK(events.find(R"("via":"console")") != std::string::npos);
}

TEST_CASE("console sign-in: each broken check is refused with its own error and makes no session") {
  Console t;
  auto refused = [&](const Assertion& a, int status, const std::string& error) {
    const std::size_t before = sessions(t.v);
    auto r = t.login(a);
    CHECK(sessions(t.v) == before);
    CHECK_MESSAGE(r.status == status, r.body);
    CHECK_MESSAGE(error_of(r) == error, r.body);
    CHECK(r.header("Set-Cookie").empty());
  };
  SUBCASE("wrong type") {
    refused(sign(t.key, client_data("webauthn.create", challenge_for(t.c, "alice"), kOrigin)), 422,
            "fido_challenge_mismatch");
  }
  SUBCASE("wrong origin") {
    refused(
        sign(t.key, client_data("webauthn.get", challenge_for(t.c, "alice"), "https://evil.paw.test:8443")),
        422, "fido_rp_mismatch");
    refused(
        sign(t.key, client_data("webauthn.get", challenge_for(t.c, "alice"), "http://console.paw.test:8443")),
        422, "fido_rp_mismatch");
  }
  SUBCASE("wrong rpId hash") {
    Assertion a = sign(t.key, t.good_data());
    a.auth_data[0] ^= 0x01;
    refused(a, 422, "fido_rp_mismatch");
  }
  SUBCASE("a challenge the verifier never issued") {
    refused(sign(t.key, client_data("webauthn.get", Bytes(32, 7), kOrigin)), 409, "nonce_unknown");
  }
  SUBCASE("replayed challenge, and replayed assertion") {
    const std::string cdj = t.good_data();
    const Assertion first = sign(t.key, cdj);
    REQUIRE(t.login(first).status == 201);
    refused(first, 422, "fido_counter_frozen");      // the same bytes again
    refused(sign(t.key, cdj), 409, "nonce_reused");  // a fresh signature over the used challenge
  }
  SUBCASE("bad signature") {
    Assertion a = sign(t.key, t.good_data());
    a.client_data_json.insert(a.client_data_json.size() - 1, R"(,"x":1)");  // still valid JSON, other bytes
    refused(a, 422, "fido_bad_signature");
  }
  SUBCASE("counter not increasing") {
    t.key.counter() = 10;
    REQUIRE(t.login(sign(t.key, t.good_data())).status == 201);  // counter 11 accepted
    t.key.counter() = 10;                                        // the next assertion repeats counter 11
    refused(sign(t.key, t.good_data()), 422, "fido_counter_frozen");
    t.key.counter() = 5;  // counter 6: went back
    refused(sign(t.key, t.good_data()), 422, "fido_counter_rollback");
  }
  SUBCASE("missing user presence") {
    refused(sign(t.key, t.good_data(), 0x00), 422, "fido_up_missing");
  }
  SUBCASE("cross-origin frame") {
    std::string cdj = t.good_data();
    cdj.replace(cdj.find(R"("crossOrigin":false)"), 19, R"("crossOrigin":true)");
    refused(sign(t.key, cdj), 422, "fido_rp_mismatch");
  }
  SUBCASE("malformed clientDataJSON and authData are 4xx") {
    Assertion a = sign(t.key, t.good_data());
    for (const std::string& bad : {std::string("not json"), std::string("[]"), std::string(R"({"type":1})"),
                                   std::string(R"({"type":"webauthn.get","challenge":"*","origin":"x"})")}) {
      Assertion m = a;
      m.client_data_json = bad;
      refused(m, 400, "malformed");
    }
    Assertion big = a;
    big.client_data_json = std::string(verifier::kMaxClientDataJson + 1, ' ');
    refused(big, 413, "too_large");
    Assertion shortad = sign(t.key, t.good_data());
    shortad.auth_data.resize(20);
    refused(shortad, 400, "malformed");
    CHECK(t.c.post("/console/login", "{").status == 400);
    CHECK(t.c.post("/console/login", R"({"credential_id":"!!"})").status == 400);
  }
  auto creds = t.v.service().store().list_credentials().value();
  for (const auto& cr : creds) {
    if (cr.id.rfind("ses-", 0) == 0) CHECK(cr.scope == verifier::AdminScope::read);
  }
}

TEST_CASE("console sign-in is off without console-origin, pages are served, data is not") {
  TestVerifier v([](verifier::Config& c) { c.rp_id = kRpId; });
  auto c = v.client();
  auto key = soft::SoftFido::create(kRpId, Bytes(16, 0), nullptr).value();
  register_admin(c, v.admin(), "bob", key);
  const std::string cdj = client_data("webauthn.get", challenge_for(c, "bob"), kOrigin);
  auto r = c.post("/console/login", sign(key, cdj).body());
  CHECK(r.status == 403);
  CHECK(error_of(r) == "forbidden");
  auto page = c.get("/");
  REQUIRE(page.status == 200);
  CHECK(page.content_type.rfind("text/html", 0) == 0);
  CHECK(page.body.find("<script src=\"/console/console.js\"") != std::string::npos);
  CHECK(page.header("Content-Security-Policy").find("default-src 'self'") != std::string::npos);
  CHECK(page.header("Content-Security-Policy").find("frame-ancestors 'none'") != std::string::npos);
  CHECK(page.header("Content-Security-Policy").find("unsafe-inline") == std::string::npos);
  CHECK(page.header("X-Frame-Options") == "DENY");
  CHECK(page.header("Referrer-Policy") == "no-referrer");
  CHECK(page.header("X-Content-Type-Options") == "nosniff");
  CHECK(c.get("/console/console.js").content_type.rfind("text/javascript", 0) == 0);
  CHECK(c.get("/console/console.css").content_type.rfind("text/css", 0) == 0);
  CHECK(c.get("/console/secrets.txt").status == 404);
  CHECK(c.get("/v1/admin/devices").status == 401);
}

TEST_CASE("webauthn: clientDataJSON checks and the console-origin rule") {
  auto cd = verifier::parse_webauthn_client_data(as_bytes(
      std::string(R"({"type":"webauthn.get","challenge":"AAEC","origin":"https://a.example","extra":[1]})")));
  REQUIRE(cd.ok());
  CHECK(cd->challenge == Bytes{0, 1, 2});
  CHECK(verifier::check_webauthn_client_data(*cd, "webauthn.get", "https://a.example").ok());
  auto type = verifier::check_webauthn_client_data(*cd, "webauthn.create", "https://a.example");
  REQUIRE_FALSE(type.ok());
  CHECK(type.error().detail.find("wrong type") == 0);
  auto origin = verifier::check_webauthn_client_data(*cd, "webauthn.get", "https://b.example");
  REQUIRE_FALSE(origin.ok());
  CHECK(origin.error().detail.find("wrong origin") == 0);
  CHECK(verifier::check_console_origin("https://paw.example.com:8443", "paw.example.com").ok());
  CHECK(verifier::check_console_origin("https://console.paw.example.com", "paw.example.com").ok());
  CHECK(verifier::check_console_origin("https://localhost:8443", "localhost").ok());
  CHECK_FALSE(verifier::check_console_origin("https://notpaw.example.com", "paw.example.com").ok());
  CHECK_FALSE(verifier::check_console_origin("http://paw.example.com", "paw.example.com").ok());
  CHECK_FALSE(verifier::check_console_origin("https://paw.example.com/console", "paw.example.com").ok());
  CHECK_FALSE(verifier::check_console_origin("https://localhost:8443", "paw").ok());
  CHECK(verifier::cookie_value("a=1; paw_session=x; b=2", "paw_session") == "x");
  CHECK(verifier::cookie_value("paw_session=x; paw_session=y", "paw_session").empty());
  CHECK(verifier::cookie_value("other_paw_session=x", "paw_session").empty());
}

}  // namespace paw::test
