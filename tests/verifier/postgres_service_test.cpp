// Two verifier replicas (two Services in this process, each with its own HTTPS
// listener and connection pool) on one real PostgreSQL database: what must
// hold across replicas holds in the database. Genuine evidence from the
// software workstation (tests/support/soft_device).
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "clock.h"
#include "paw/attest/evidence.h"
#include "postgres.h"
#include "service.h"
#include "soft_device.h"
#include "state.h"
#include "store/store.h"
#include "util.h"
#include "verifier_fixture.h"

namespace paw::test {
namespace {

constexpr const char* kRp = "paw.example";

struct Replicas {
  TempDir dir;
  soft::SoftCa ek_ca = soft::SoftCa::generate("paw test EK CA").value();
  soft::SoftCa fido_ca = soft::SoftCa::generate("paw test FIDO CA").value();
  std::string url;
  std::string admin;
  std::unique_ptr<verifier::Service> a, b;

  Replicas() {
    verifier::set_log_quiet(true);
    url = Postgres::shared().create_database();
    std::ofstream(dir / "ek-ca.pem") << ek_ca.cert_pem();
    std::filesystem::create_directory(dir / "fido-ca");
    std::ofstream(dir / "fido-ca" / "fido-ca.pem") << fido_ca.cert_pem();
    verifier::InitOptions o;
    o.state_dir = (dir / "state").string();
    o.database = url;
    auto cred = verifier::init_state(o);
    REQUIRE_MESSAGE(cred.ok(), cred.error().what());
    admin = *cred;
    a = start();
    b = start();
  }
  ~Replicas() {
    if (a) a->stop(5);
    if (b) b->stop(5);
  }

  std::unique_ptr<verifier::Service> start() {
    verifier::Config cfg;
    cfg.state_dir = (dir / "state").string();
    cfg.database = url;
    cfg.listen = "127.0.0.1:0";
    cfg.issuer = "paw-verifier";
    cfg.rp_id = kRp;
    cfg.ek_ca_dir = dir.path().string();
    cfg.fido_ca_dir = (dir / "fido-ca").string();
    cfg.rate_per_address = 100000;
    cfg.rate_per_device = 100000;
    auto svc = verifier::Service::create(cfg);
    REQUIRE_MESSAGE(svc.ok(), svc.error().what());
    REQUIRE((*svc)->start().ok());
    return std::move(*svc);
  }

  HttpsClient client(const verifier::Service& s) const {
    return HttpsClient("127.0.0.1", s.port(), (dir / "state/tls/cert.pem").string());
  }

  std::string token(const verifier::Service& s) {
    auto t = client(s).post("/v1/admin/tokens", R"({"ttl_seconds":600,"label":"replicas"})", admin);
    REQUIRE_MESSAGE(t.status == 201, t.body);
    return t.json()->getValue<std::string>("token");
  }

  // enroll: token made at b, spent at a, activated at b.
  void enroll(soft::SoftDevice& dev) {
    auto ca = client(*a), cb = client(*b);
    auto req = dev.enrollment_request(token(*b));
    REQUIRE(req.ok());
    auto e = ca.post("/v1/enrollments", serialize_enrollment_request(*req));
    REQUIRE_MESSAGE(e.status == 201, e.body);
    auto o = e.json();
    auto secret = dev.tpm.activate_credential(*unbase64(o->getValue<std::string>("credential_blob")),
                                              *unbase64(o->getValue<std::string>("encrypted_secret")));
    REQUIRE(secret.ok());
    auto act = cb.post("/v1/enrollments/" + o->getValue<std::string>("enrollment_id") + "/activation",
                       R"({"secret":")" + base64(secret->view()) + "\"}");
    REQUIRE_MESSAGE(act.status == 200, act.body);
    dev.device_id = act.json()->getValue<std::string>("device_id");
  }

  // attest_at runs challenge + attestation of |dev| at |s|: the HTTP status of the attestation.
  int attest_at(const verifier::Service& s, soft::SoftDevice& dev) {
    auto c = client(s);
    auto ch = c.post("/v1/challenges", R"({"device_id":")" + dev.device_id + "\"}");
    if (ch.status != 201) return ch.status;
    auto env = dev.attest(*unhex(ch.json()->getValue<std::string>("nonce")));
    REQUIRE(env.ok());
    return c.post("/v1/attestations", serialize_envelope(*env)).status;
  }

  soft::SoftDevice device() {
    auto d = soft::SoftDevice::create(kRp, &ek_ca, &fido_ca);
    REQUIRE(d.ok());
    REQUIRE(d->use_event_log(soft::make_event_log(soft::BootConfig{})).ok());
    return std::move(*d);
  }
};

}  // namespace

TEST_CASE("replicas on postgres: enroll at one and activate at the other - one evidence sent to both is accepted once") {
  Replicas r;
  auto ca = r.client(*r.a), cb = r.client(*r.b);
  // Signing keys live in the database: both replicas publish the same JWKS.
  CHECK(ca.get("/.well-known/jwks.json").body == cb.get("/.well-known/jwks.json").body);

  soft::SoftDevice dev = r.device();
  r.enroll(dev);

  for (int round = 0; round < 2; ++round) {
    // The nonce comes from one replica, the evidence goes to both at once.
    auto ch = (round == 0 ? ca : cb).post("/v1/challenges", R"({"device_id":")" + dev.device_id + "\"}");
    REQUIRE_MESSAGE(ch.status == 201, ch.body);
    auto env = dev.attest(*unhex(ch.json()->getValue<std::string>("nonce")));
    REQUIRE(env.ok());
    const std::string evidence = serialize_envelope(*env);
    std::atomic<int> accepted{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 16; ++i) {
      threads.emplace_back([&, i] {
        auto ans = (i % 2 == 0 ? ca : cb).post("/v1/attestations", evidence);
        if (ans.status == 200) ++accepted;
        else if (ans.status == 409 || ans.status == 400 || ans.status == 403) ++refused;
        else ++other;
      });
    }
    for (auto& t : threads) t.join();
    CHECK(accepted == 1);
    CHECK(refused == 15);
    CHECK(other == 0);
  }
  auto d = cb.get("/v1/admin/devices/" + dev.device_id, r.admin);
  REQUIRE(d.status == 200);
  CHECK(d.json()->getValue<std::string>("last_verdict") == "healthy");
}

TEST_CASE("replicas on postgres: one enrollment token raced at both replicas enrolls once") {
  Replicas r;
  const std::string tok = r.token(*r.a);
  std::vector<soft::SoftDevice> devs;
  for (int i = 0; i < 6; ++i) devs.push_back(r.device());
  std::vector<std::string> bodies;
  for (auto& d : devs) {
    auto req = d.enrollment_request(tok);
    REQUIRE(req.ok());
    bodies.push_back(serialize_enrollment_request(*req));
  }
  std::atomic<int> created{0}, refused{0};
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    threads.emplace_back([&, i] {
      auto ans = r.client(i % 2 == 0 ? *r.a : *r.b).post("/v1/enrollments", bodies[i]);
      if (ans.status == 201) ++created;
      else if (ans.status >= 400 && ans.status < 500) ++refused;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(created == 1);
  CHECK(refused == 5);
}

TEST_CASE("replicas on postgres: both fleet watchers see a stale device - one alert") {
  Replicas r;
  auto store = verifier::open_store(r.url);
  REQUIRE(store.ok());
  const std::int64_t long_ago = verifier::system_unix_now() - 40 * 86400;
  for (int i = 0; i < 20; ++i) {
    verifier::StoredDevice d;
    d.id = "old-" + std::to_string(i);
    d.status = verifier::DeviceStatus::enrolled;
    d.record_json = "{}";
    d.state_json = "{}";
    d.last_reasons = "[]";
    d.created_at = long_ago;
    d.last_attested_at = long_ago;
    d.updated_at = long_ago;
    REQUIRE((*store)->add_device(d).ok());
  }
  for (int round = 0; round < 3; ++round) {
    std::thread ta([&] { r.a->run_monitor_once(); });
    std::thread tb([&] { r.b->run_monitor_once(); });
    ta.join();
    tb.join();
  }
  auto events = (*store)->list_events(0, 1000);
  REQUIRE(events.ok());
  std::map<std::string, int> stale;
  for (const auto& e : *events) {
    if (e.type == "stale") ++stale[e.device_id];
  }
  CHECK(stale.size() == 20);
  for (const auto& [id, n] : stale) CHECK_MESSAGE(n == 1, id);
  auto counts = (*store)->count_devices_by_status();
  REQUIRE(counts.ok());
  CHECK(counts->at("stale") == 20);
}

TEST_CASE("replicas on postgres: attestations alternate between replicas - each sees the other's writes") {
  // Each replica keeps parsed device rows cached; the row's revision decides
  // whether a cached copy may be used, so a write at the other replica (a
  // newer FIDO2 counter, a revocation) is never missed.
  Replicas r;
  soft::SoftDevice dev = r.device();
  r.enroll(dev);
  for (int i = 0; i < 6; ++i) {
    CHECK_MESSAGE(r.attest_at(i % 2 == 0 ? *r.a : *r.b, dev) == 200, "round " << i);
  }
  // A nonce from a, then revoked at b: a refuses the evidence, and new challenges.
  auto ca = r.client(*r.a);
  auto ch = ca.post("/v1/challenges", R"({"device_id":")" + dev.device_id + "\"}");
  REQUIRE(ch.status == 201);
  auto env = dev.attest(*unhex(ch.json()->getValue<std::string>("nonce")));
  REQUIRE(env.ok());
  auto rv = r.client(*r.b).post("/v1/admin/devices/" + dev.device_id + "/revoke", "{}", r.admin);
  REQUIRE_MESSAGE(rv.status == 200, rv.body);
  auto late = ca.post("/v1/attestations", serialize_envelope(*env));
  CHECK_MESSAGE(late.status == 403, late.body);
  CHECK(r.attest_at(*r.a, dev) == 403);
}

// The login fast path (login_cache.h) caches a token's verified signature,
// never the device's state: whatever replica A writes, replica B — which
// has the token cached — refuses it on the very next login.
TEST_CASE("replicas on postgres: revocation, rejection and a policy change at one replica deny a token the other has cached") {
  Replicas r;
  auto ca = r.client(*r.a), cb = r.client(*r.b);
  auto rp = ca.post("/v1/admin/rp-credentials", R"({"label":"idp"})", r.admin);
  REQUIRE_MESSAGE(rp.status == 201, rp.body);
  const std::string rp_secret = rp.json()->getValue<std::string>("credential");
  // The software devices have no TPM login key: their tokens are bearer tokens.
  auto bearer = ca.request("PUT", "/v1/admin/policies/default", R"({"login":{"token_binding":"bearer"}})", r.admin);
  REQUIRE_MESSAGE(bearer.status == 200, bearer.body);

  // cached_at_b: a fresh healthy token of |dev| (attested at a), admitted
  // twice by b — the second time from b's cache.
  auto cached_at_b = [&](soft::SoftDevice& dev) {
    auto ch = ca.post("/v1/challenges", R"({"device_id":")" + dev.device_id + "\"}");
    REQUIRE_MESSAGE(ch.status == 201, ch.body);
    auto env = dev.attest(*unhex(ch.json()->getValue<std::string>("nonce")));
    REQUIRE(env.ok());
    auto att = ca.post("/v1/attestations", serialize_envelope(*env));
    REQUIRE_MESSAGE(att.status == 200, att.body);
    const std::string token = att.json()->getValue<std::string>("token");
    REQUIRE(cb.get("/v1/authz", token).status == 204);
    const auto hits = r.b->token_cache().hits();
    REQUIRE(cb.get("/v1/authz", token).status == 204);
    REQUIRE(r.b->token_cache().hits() == hits + 1);
    return token;
  };
  auto health_at_b = [&](const soft::SoftDevice& dev) {
    auto h = cb.get("/v1/devices/" + dev.device_id + "/health", rp_secret);
    REQUIRE_MESSAGE(h.status == 200, h.body);
    return h.json()->getValue<bool>("allow");
  };

  SUBCASE("revoked at a") {
    soft::SoftDevice dev = r.device();
    r.enroll(dev);
    const std::string token = cached_at_b(dev);
    CHECK(health_at_b(dev));
    REQUIRE(ca.post("/v1/admin/devices/" + dev.device_id + "/revoke", "", r.admin).status == 200);
    CHECK(cb.get("/v1/authz", token).status == 403);
    CHECK_FALSE(health_at_b(dev));
  }
  SUBCASE("rejected at a (a cloned FIDO2 key: the counter rolled back)") {
    soft::SoftDevice dev = r.device();
    r.enroll(dev);
    const std::string token = cached_at_b(dev);
    dev.fido.counter() = 0;
    auto ch = ca.post("/v1/challenges", R"({"device_id":")" + dev.device_id + "\"}");
    REQUIRE(ch.status == 201);
    auto env = dev.attest(*unhex(ch.json()->getValue<std::string>("nonce")));
    REQUIRE(env.ok());
    auto bad = ca.post("/v1/attestations", serialize_envelope(*env));
    REQUIRE_MESSAGE(bad.status == 422, bad.body);
    CHECK(cb.get("/v1/authz", token).status == 403);
    CHECK_FALSE(health_at_b(dev));
  }
  SUBCASE("the device's policy changed at a") {
    soft::SoftDevice dev = r.device();
    r.enroll(dev);
    const std::string token = cached_at_b(dev);
    auto pol = ca.get("/v1/admin/policies/default", r.admin);
    REQUIRE_MESSAGE(pol.status == 200, pol.body);
    auto put = ca.request("PUT", "/v1/admin/policies/default", pol.body, r.admin);
    REQUIRE_MESSAGE(put.status == 200, put.body);
    CHECK(cb.get("/v1/authz", token).status == 403);
    CHECK_FALSE(health_at_b(dev));
    // A token made under the new version passes at b (its parse now cached by version).
    const std::string fresh = cached_at_b(dev);
    CHECK(cb.get("/v1/authz", fresh).status == 204);
  }
}

}  // namespace paw::test

namespace paw::test {

TEST_CASE("replicas on postgres: a credential or token revoked at one replica is refused at the other at once") {
  Replicas r;
  auto ca = r.client(*r.a), cb = r.client(*r.b);
  // A second admin ("ops-laptop"), a relying party and a token, all working at b.
  auto second = verifier::create_admin_credential(r.url, "ops-laptop");
  REQUIRE(second.ok());
  REQUIRE(cb.get("/v1/admin/devices", *second).status == 200);
  auto rp = ca.post("/v1/admin/rp-credentials", R"({"label":"idp"})", r.admin);
  REQUIRE(rp.status == 201);
  const std::string rp_secret = rp.json()->getValue<std::string>("credential");
  const std::string rp_id = rp.json()->getValue<std::string>("id");
  CHECK(cb.get("/v1/devices/00000000000000000000000000000000/health", rp_secret).status == 404);  // known, no device
  const std::string tok = r.token(*r.a);

  // Revoke everything at a.
  auto list = ca.get("/v1/admin/credentials", r.admin);
  REQUIRE(list.status == 200);
  std::string second_id;
  auto creds = list.json()->getArray("credentials");
  for (std::size_t i = 0; i < creds->size(); ++i) {
    auto c = creds->getObject(static_cast<unsigned>(i));
    if (c->getValue<std::string>("label") == "ops-laptop") second_id = c->getValue<std::string>("id");
  }
  REQUIRE_FALSE(second_id.empty());
  REQUIRE(ca.post("/v1/admin/credentials/" + second_id + "/revoke", "", r.admin).status == 200);
  REQUIRE(ca.post("/v1/admin/credentials/" + rp_id + "/revoke", "", r.admin).status == 200);
  auto tokens = ca.get("/v1/admin/tokens", r.admin);
  REQUIRE(tokens.status == 200);
  auto tarr = tokens.json()->getArray("tokens");
  REQUIRE(tarr->size() == 1);
  const std::string token_id = tarr->getObject(0)->getValue<std::string>("id");
  REQUIRE(ca.post("/v1/admin/tokens/" + token_id + "/revoke", "", r.admin).status == 200);

  // b refuses all three on the very next request.
  CHECK(cb.get("/v1/admin/devices", *second).status == 401);
  CHECK(cb.get("/v1/devices/00000000000000000000000000000000/health", rp_secret).status == 401);
  auto dev = r.device();
  auto req = dev.enrollment_request(tok);
  REQUIRE(req.ok());
  auto e = cb.post("/v1/enrollments", serialize_enrollment_request(*req));
  CHECK(e.status == 401);
  CHECK(e.body.find("token_invalid") != std::string::npos);
  // The audit trail names who revoked (the initial admin) and what, and why
  // the enrollment was refused (the answer itself carries only the code).
  auto events = cb.get("/v1/admin/events?limit=1000", r.admin).body;
  CHECK(events.find(R"("type":"credential_revocation")") != std::string::npos);
  CHECK(events.find(R"("by_name":"initial")") != std::string::npos);
  CHECK(events.find(R"("credential_name":"ops-laptop")") != std::string::npos);
  CHECK(events.find(R"("reason":"revoked credential")") != std::string::npos);
}

TEST_CASE("replicas on postgres: a report-only policy attached at one replica judges attestations at the other") {
  Replicas r;
  auto dev = r.device();
  r.enroll(dev);
  auto ca = r.client(*r.a), cb = r.client(*r.b);
  const std::string strict = R"({"name":"strict","pcrs":{"required":{"sha256":[0,7]},"reference":{"sha256":{"0":")" +
                             std::string(64, 'b') + R"("}}}})";
  REQUIRE(ca.request("PUT", "/v1/admin/policies/strict", strict, r.admin).status == 200);
  REQUIRE(ca.request("PUT", "/v1/admin/policies/strict/report", R"({"target":"default"})", r.admin).status == 200);
  REQUIRE(r.attest_at(*r.b, dev) == 200);
  auto row = r.b->store().get_device(dev.device_id);
  REQUIRE((row.ok() && row->has_value()));
  CHECK((*row)->last_verdict == "healthy");
  auto rep = ca.get("/v1/admin/policies/strict/report", r.admin);
  REQUIRE_MESSAGE(rep.status == 200, rep.body);
  CHECK(rep.json()->getValue<std::int64_t>("devices_judged") == 1);
  CHECK(rep.json()->getValue<std::int64_t>("would_deny") == 1);
  CHECK(rep.json()->getArray("reasons")->getObject(0)->getValue<std::string>("code") == "pcr_mismatch");
  CHECK(cb.get("/metrics").body.find("paw_policy_would_deny_total{policy=\"strict\",reason=\"pcr_mismatch\"} 1") !=
        std::string::npos);
  // Detached at b: a's next judgement sees it at once.
  REQUIRE(cb.request("DELETE", "/v1/admin/policies/strict/report", "", r.admin).status == 200);
  REQUIRE(r.attest_at(*r.a, dev) == 200);
  CHECK(ca.get("/metrics").body.find("paw_policy_would_deny_total{") == std::string::npos);
}

}  // namespace paw::test
