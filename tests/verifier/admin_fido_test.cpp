// FIDO2 admins through the real verifier (SQLite, TLS) and a virtual FIDO2
// key driven through libfido2 (paw::platform::fido_* → libfido2 → the
// software authenticator): registration, sign-in, a session carrying the
// admin's scope, sign-out; and the attacks — replayed assertion, assertion
// over another challenge, expired challenge, unknown credential, counter
// rollback, no user presence, session after logout, session after expiry,
// scope escalation — each refused with a 4xx and no state change.
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "clock.h"
#include "manual_clock.h"
#include "paw/attest/admin_fido.h"
#include "paw/attest/bytes.h"
#include "paw/attest/json.h"
#include "paw/platform/fido.h"
#include "paw/virtual_fido.h"
#include "store/store.h"
#include "test_data.h"
#include "util.h"
#include "verifier_fixture.h"

namespace paw::test {
namespace {

struct Key {
  TempDir dir;
  std::string state = (dir / "key.state").string();
  [[nodiscard]] platform::FidoDeviceConfig config() const { return {"virtual:" + state, 5000}; }
};

std::string body_of(const Poco::JSON::Object::Ptr& o) { return json::stringify(o); }

// add_admin registers |key| as admin |name| with |scope| using |cred|; the answer of POST /v1/admin/admins.
HttpAnswer add_admin(const HttpsClient& c, const std::string& cred, const std::string& name, const std::string& scope,
                     const Key& key) {
  auto ch = c.post("/v1/admin/admins/challenge", R"({"name":")" + name + R"("})", cred);
  REQUIRE_MESSAGE(ch.status == 200, ch.body);
  auto challenge = unbase64(ch.json()->getValue<std::string>("challenge"));
  REQUIRE(challenge.ok());
  platform::FidoEnrollOptions o;
  o.rp_id = ch.json()->getValue<std::string>("rp_id");
  o.user_name = name;
  o.client_data_hash = attest::admin_register_client_data_hash(*challenge, name);
  auto made = platform::fido_enroll(key.config(), o);
  REQUIRE(made.ok());
  Poco::JSON::Object::Ptr reg = new Poco::JSON::Object();
  reg->set("name", name);
  reg->set("scope", scope);
  reg->set("challenge", base64(*challenge));
  reg->set("credential_id", base64(made->credential_id));
  reg->set("fmt", made->fmt);
  reg->set("auth_data", base64(made->auth_data));
  reg->set("att_stmt", base64(made->attestation_cbor));
  return c.post("/v1/admin/admins", body_of(reg), cred);
}

// Login is one sign-in's pieces: the challenge answer and the assertion body.
struct Login {
  Bytes challenge;
  Bytes credential_id;
  std::string rp_id;
};

Login login_challenge(const HttpsClient& c, const std::string& name) {
  auto ch = c.post("/v1/admin/login/challenge", R"({"name":")" + name + R"("})");
  REQUIRE_MESSAGE(ch.status == 200, ch.body);
  Login l;
  l.challenge = unbase64(ch.json()->getValue<std::string>("challenge")).value();
  l.credential_id = unbase64(ch.json()->getValue<std::string>("credential_id")).value();
  l.rp_id = ch.json()->getValue<std::string>("rp_id");
  return l;
}

// assertion_body signs over |signed_challenge| and names |sent_challenge|.
std::string assertion_body(const Key& key, const Login& l, const Bytes& signed_challenge, const Bytes& sent_challenge) {
  platform::FidoPresenceOptions o;
  o.rp_id = l.rp_id;
  o.credential_id = l.credential_id;
  o.client_data_hash = attest::admin_login_client_data_hash(signed_challenge, l.credential_id);
  auto a = platform::fido_prove_presence(key.config(), o);
  REQUIRE_MESSAGE(a.ok(), a.error().what());
  Poco::JSON::Object::Ptr b = new Poco::JSON::Object();
  b->set("credential_id", base64(a->credential_id));
  b->set("challenge", base64(sent_challenge));
  b->set("auth_data", base64(a->auth_data));
  b->set("signature", base64(a->signature));
  return body_of(b);
}

std::string sign_in_body(const HttpsClient& c, const Key& key, const std::string& name) {
  const Login l = login_challenge(c, name);
  return assertion_body(key, l, l.challenge, l.challenge);
}

// session_of signs |name| in and returns the session secret.
std::string session_of(const HttpsClient& c, const Key& key, const std::string& name) {
  auto r = c.post("/v1/admin/login", sign_in_body(c, key, name));
  REQUIRE_MESSAGE(r.status == 201, r.body);
  return r.json()->getValue<std::string>("session");
}

// state is what a refused sign-in must not change: the admins' counters and the sessions.
std::string state(TestVerifier& v) {
  auto admins = v.service().store().list_admins();
  auto creds = v.service().store().list_credentials();
  REQUIRE((admins.ok() && creds.ok()));
  std::string s;
  for (const auto& a : *admins) s += a.name + ":" + std::to_string(a.sign_count) + ",";
  for (const auto& cr : *creds) s += cr.id + ":" + std::to_string(cr.revoked_at) + ",";
  return s;
}

std::string error_of(const HttpAnswer& r) { return r.json()->getValue<std::string>("error"); }

}  // namespace

TEST_CASE("fido admins: add, sign in, a session with the admin's scope, audited by name, sign out") {
  TestVerifier v;
  auto c = v.client();
  Key key;
  auto added = add_admin(c, v.admin(), "alice", "devices", key);
  REQUIRE_MESSAGE(added.status == 201, added.body);
  CHECK(added.json()->getValue<std::string>("scope") == "devices");
  CHECK(add_admin(c, v.admin(), "alice", "full", key).status == 409);  // the name is taken
  auto listed = c.get("/v1/admin/admins", v.admin());
  REQUIRE(listed.status == 200);
  CHECK(listed.body.find(R"("name":"alice")") != std::string::npos);

  auto r = c.post("/v1/admin/login", sign_in_body(c, key, "alice"));
  REQUIRE_MESSAGE(r.status == 201, r.body);
  CHECK(r.json()->getValue<std::string>("admin") == "alice");
  CHECK(r.json()->getValue<std::string>("scope") == "devices");
  const std::int64_t expires = r.json()->getValue<std::int64_t>("expires_at");
  CHECK(expires > verifier::system_unix_now() + 800);  // the 15-minute default
  CHECK(expires <= verifier::system_unix_now() + 900);
  const std::string session = r.json()->getValue<std::string>("session");
  CHECK(session.rfind("pawses_", 0) == 0);

  // The session works within its scope, and the audit trail names the person.
  CHECK(c.get("/v1/admin/devices", session).status == 200);
  CHECK(c.post("/v1/admin/tokens", R"({"ttl_seconds":3600})", session).status == 201);
  auto events = c.get("/v1/admin/events?limit=1000", v.admin()).body;
  CHECK(events.find(R"("type":"admin_login")") != std::string::npos);
  CHECK(events.find(R"("admin":"alice")") != std::string::npos);
  CHECK(events.find(R"("type":"admin_added")") != std::string::npos);

  // Sign-out: the session is refused from then on; an API credential cannot "log out".
  auto out = c.post("/v1/admin/logout", "{}", session);
  REQUIRE_MESSAGE(out.status == 200, out.body);
  const std::string after_logout = state(v);
  CHECK(c.get("/v1/admin/devices", session).status == 401);
  CHECK(c.post("/v1/admin/logout", "{}", session).status == 401);
  CHECK(c.post("/v1/admin/logout", "{}", v.admin()).status == 409);
  CHECK(state(v) == after_logout);

  // Removing the admin revokes its sessions at once and ends its sign-ins.
  const std::string again = session_of(c, key, "alice");
  CHECK(c.get("/v1/admin/devices", again).status == 200);
  auto removed = c.request("DELETE", "/v1/admin/admins/alice", "", v.admin());
  REQUIRE_MESSAGE(removed.status == 200, removed.body);
  CHECK(removed.json()->getValue<std::int64_t>("sessions_revoked") == 1);
  CHECK(c.get("/v1/admin/devices", again).status == 401);
  CHECK(c.post("/v1/admin/login/challenge", R"({"name":"alice"})").status == 404);
}

TEST_CASE("fido admins: registration needs a full credential and a challenge for that name") {
  TestVerifier v;
  auto c = v.client();
  Key key;
  auto devices = c.post("/v1/admin/credentials", R"({"scope":"devices"})", v.admin());
  REQUIRE(devices.status == 201);
  const std::string dev_cred = devices.json()->getValue<std::string>("credential");
  auto refused = c.post("/v1/admin/admins/challenge", R"({"name":"mallory"})", dev_cred);
  CHECK(refused.status == 403);
  CHECK(error_of(refused) == "insufficient_scope");
  CHECK(c.post("/v1/admin/admins/challenge", R"({"name":"Bad Name"})", v.admin()).status == 400);
  // A credential made over bob's challenge does not register carol.
  auto ch = c.post("/v1/admin/admins/challenge", R"({"name":"bob"})", v.admin());
  REQUIRE(ch.status == 200);
  const Bytes challenge = unbase64(ch.json()->getValue<std::string>("challenge")).value();
  platform::FidoEnrollOptions o;
  o.rp_id = ch.json()->getValue<std::string>("rp_id");
  o.client_data_hash = attest::admin_register_client_data_hash(challenge, "bob");
  auto made = platform::fido_enroll(key.config(), o);
  REQUIRE(made.ok());
  Poco::JSON::Object::Ptr reg = new Poco::JSON::Object();
  reg->set("name", "carol");
  reg->set("scope", "full");
  reg->set("challenge", base64(challenge));
  reg->set("credential_id", base64(made->credential_id));
  reg->set("fmt", made->fmt);
  reg->set("auth_data", base64(made->auth_data));
  reg->set("att_stmt", base64(made->attestation_cbor));
  auto r = c.post("/v1/admin/admins", body_of(reg), v.admin());
  CHECK(r.status >= 400);
  CHECK(r.status < 500);
  // Under its own name it registers once; the same challenge twice does not.
  reg->set("name", "bob");
  CHECK(c.post("/v1/admin/admins", body_of(reg), v.admin()).status == 201);
  reg->set("name", "bob2");
  CHECK(c.post("/v1/admin/admins", body_of(reg), v.admin()).status >= 400);
  auto admins = v.service().store().list_admins();
  REQUIRE(admins.ok());
  CHECK(admins->size() == 1);
}

TEST_CASE("fido admins: forged, replayed and stale sign-ins are refused with no state change") {
  TestVerifier v;
  auto c = v.client();
  Key key;
  REQUIRE(add_admin(c, v.admin(), "alice", "read", key).status == 201);
  Key other;
  REQUIRE(add_admin(c, v.admin(), "bob", "read", other).status == 201);

  SUBCASE("replayed assertion") {
    const std::string body = sign_in_body(c, key, "alice");
    REQUIRE(c.post("/v1/admin/login", body).status == 201);
    const std::string before = state(v);
    auto r = c.post("/v1/admin/login", body);
    CHECK(r.status >= 400);
    CHECK(r.status < 500);
    CHECK(state(v) == before);
  }
  SUBCASE("assertion over a different challenge") {
    const Login first = login_challenge(c, "alice");
    const Login second = login_challenge(c, "alice");
    const std::string before = state(v);
    auto r = c.post("/v1/admin/login", assertion_body(key, second, first.challenge, second.challenge));
    CHECK(r.status == 422);
    CHECK(error_of(r) == "fido_bad_signature");
    CHECK(state(v) == before);
  }
  SUBCASE("another admin's challenge") {
    const Login bobs = login_challenge(c, "bob");
    Login forged = login_challenge(c, "alice");
    forged.challenge = bobs.challenge;  // a challenge bound to bob's credential
    const std::string before = state(v);
    auto r = c.post("/v1/admin/login", assertion_body(key, forged, forged.challenge, forged.challenge));
    CHECK(r.status == 409);
    CHECK(error_of(r) == "nonce_unknown");
    CHECK(state(v) == before);
  }
  SUBCASE("unknown credential id") {
    Key stranger;
    platform::FidoEnrollOptions o;
    o.rp_id = "paw";
    o.client_data_hash = Bytes(32, 7);
    auto made = platform::fido_enroll(stranger.config(), o);
    REQUIRE(made.ok());
    Login l = login_challenge(c, "alice");
    l.credential_id = made->credential_id;
    const std::string before = state(v);
    auto r = c.post("/v1/admin/login", assertion_body(stranger, l, l.challenge, l.challenge));
    CHECK(r.status == 422);
    CHECK(error_of(r) == "fido_unknown_credential");
    CHECK(state(v) == before);
  }
  SUBCASE("counter rollback: a copy of the key from before") {
    const std::string copy = (key.dir / "old.state").string();
    std::filesystem::copy_file(key.state, copy);
    (void)session_of(c, key, "alice");
    (void)session_of(c, key, "alice");
    std::filesystem::copy_file(copy, key.state, std::filesystem::copy_options::overwrite_existing);
    const std::string before = state(v);
    auto r = c.post("/v1/admin/login", sign_in_body(c, key, "alice"));
    CHECK(r.status == 422);
    CHECK(error_of(r) == "fido_counter_rollback");
    CHECK(state(v) == before);
    // The key itself signed this: a possible clone, audited.
    auto events = c.get("/v1/admin/events?limit=1000", v.admin()).body;
    CHECK(events.find(R"("reason":"fido_counter_rollback")") != std::string::npos);
  }
  SUBCASE("no user presence") {
    REQUIRE(vfido::set_fault(key.state, vfido::Fault::clear_up, true).ok());
    const std::string before = state(v);
    auto r = c.post("/v1/admin/login", sign_in_body(c, key, "alice"));
    CHECK(r.status == 422);
    CHECK(error_of(r) == "fido_up_missing");
    CHECK(state(v) == before);
  }
  SUBCASE("garbage") {
    auto last = v.service().store().last_event_id();
    REQUIRE(last.ok());
    const std::string before = state(v);
    CHECK(c.post("/v1/admin/login", "{").status == 400);
    const std::string junk = R"({"credential_id":"AAAA","challenge":"AAAA","auth_data":"AAAA","signature":"AAAA")";
    CHECK(c.post("/v1/admin/login", junk + R"(,"x":1})").status == 400);  // unknown field
    CHECK(c.post("/v1/admin/login", junk + "}").status == 422);           // no admin holds credential 0x000000
    CHECK(c.post("/v1/admin/login/challenge", R"({"name":"nobody"})").status == 404);
    CHECK(state(v) == before);
    // Unauthenticated junk writes nothing, not even an event.
    CHECK(*v.service().store().last_event_id() == *last);
  }
  SUBCASE("scope escalation: a read session calls write endpoints") {
    const std::string session = session_of(c, key, "alice");
    const std::string before = state(v) + c.get("/v1/admin/tokens", v.admin()).body;
    auto r = c.post("/v1/admin/tokens", R"({"ttl_seconds":3600})", session);
    CHECK(r.status == 403);
    CHECK(error_of(r) == "insufficient_scope");
    CHECK(c.post("/v1/admin/credentials", R"({"scope":"full"})", session).status == 403);
    CHECK(c.post("/v1/admin/admins/challenge", R"({"name":"alice2"})", session).status == 403);
    CHECK(c.request("DELETE", "/v1/admin/admins/bob", "", session).status == 403);
    CHECK(state(v) + c.get("/v1/admin/tokens", v.admin()).body == before);
    CHECK(c.get("/v1/admin/devices", session).status == 200);
    auto events = c.get("/v1/admin/events?limit=1000", v.admin()).body;
    CHECK(events.find(R"("admin":"alice","credential")") != std::string::npos);
    CHECK(events.find(R"("error":"insufficient_scope")") != std::string::npos);
  }
}

TEST_CASE("fido admins: an expired challenge and an expired session are refused") {
  // The service's clock is a manual one: expiry is reached by moving it, to
  // the second, not by sleeping past it.
  ManualClock clock;
  TestVerifier v([&](verifier::Config& cfg) {
    cfg.clock = clock.clock();
    cfg.challenge_ttl = 60;
    cfg.admin_session_ttl = 900;
  });
  auto c = v.client();
  Key key;
  auto added = add_admin(c, v.admin(), "alice", "full", key);
  REQUIRE_MESSAGE(added.status == 201, added.body);

  // Two challenges issued now; each is good for challenge_ttl seconds.
  const Login early = login_challenge(c, "alice");
  const Login other = login_challenge(c, "alice");
  // |other| is signed first: had |early| not expired, its higher signature
  // counter would let it through.
  const std::string other_body = assertion_body(key, other, other.challenge, other.challenge);
  const std::string early_body = assertion_body(key, early, early.challenge, early.challenge);
  clock.advance(59);  // the last second of both challenges
  auto in_time = c.post("/v1/admin/login", other_body);
  REQUIRE_MESSAGE(in_time.status == 201, in_time.body);
  clock.advance(1);  // now == expires_at: expired
  const std::string before = state(v);
  auto r = c.post("/v1/admin/login", early_body);
  CHECK(r.status == 409);
  CHECK(error_of(r) == "nonce_expired");
  CHECK(state(v) == before);

  // A session lasts admin_session_ttl seconds, to the second.
  auto ok = c.post("/v1/admin/login", sign_in_body(c, key, "alice"));
  REQUIRE_MESSAGE(ok.status == 201, ok.body);
  const std::string session = ok.json()->getValue<std::string>("session");
  CHECK(ok.json()->getValue<std::int64_t>("expires_at") == clock.now() + 900);
  CHECK(c.get("/v1/admin/devices", session).status == 200);
  clock.advance(899);
  CHECK(c.get("/v1/admin/devices", session).status == 200);
  clock.advance(1);
  auto late = c.get("/v1/admin/devices", session);
  CHECK(late.status == 401);
  // The answer's Date is the service's clock too.
  CHECK(late.header("Date") == Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(clock.now()),
                                                               Poco::DateTimeFormat::HTTP_FORMAT));
  CHECK(c.post("/v1/admin/tokens", R"({"ttl_seconds":3600})", session).status == 401);
}

}  // namespace paw::test
