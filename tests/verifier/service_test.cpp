// The real service on 127.0.0.1:0 with TLS, driven by a real HTTPS client.
// Over 500 lines: one case per Service feature on one real server fixture; the cases
// move beside their handlers when Service is split (issue 16, Part 2).
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <array>
#include <cstdlib>
#include <fstream>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "clock.h"
#include "events/webhook_signing.h"
#include "manual_clock.h"
#include "paw/attest/result_token.h"
#include "state.h"
#include "util.h"
#include "verifier_fixture.h"

namespace paw::test {
namespace {

verifier::StoredDevice make_device(const std::string& id, verifier::DeviceStatus status) {
  verifier::StoredDevice d;
  d.id = id;
  d.status = status;
  d.label = "t";
  d.record_json = "{}";
  d.state_json = "{}";
  d.last_reasons = "[]";
  d.created_at = d.updated_at = verifier::system_unix_now();
  return d;
}

std::int64_t count_events(const HttpsClient& c, const std::string& admin, const std::string& type) {
  auto a = c.get("/v1/admin/events?limit=1000", admin);
  REQUIRE(a.status == 200);
  std::int64_t n = 0;
  auto arr = a.json()->getArray("events");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    if (arr->getObject(static_cast<unsigned>(i))->getValue<std::string>("type") == type) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("verifier: init writes a private state folder") {
  auto st = init_verifier_state();
  CHECK(st->admin.rfind("pawadm_", 0) == 0);
  struct stat sb {};
  REQUIRE(::stat(st->state().c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777) == 0700);
  REQUIRE(::stat((st->state() + "/tls/key.pem").c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777) == 0600);
  REQUIRE(::stat((st->state() + "/paw.db").c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777) == 0600);
  verifier::InitOptions again;
  again.state_dir = st->state();
  CHECK(verifier::init_state(again).code() == Errc::conflict);
}

TEST_CASE("verifier: discovery, health, TLS only with the generated certificate") {
  TestVerifier v([](verifier::Config& c) { c.rp_id = "paw.example"; });
  auto c = v.client();
  auto info = c.get("/v1/info");
  REQUIRE(info.status == 200);
  CHECK(info.json()->getValue<std::string>("rp_id") == "paw.example");
  CHECK(info.json()->getValue<int>("protocol") == 1);
  CHECK(c.get("/healthz").status == 200);
  CHECK(c.get("/nope").status == 404);
  CHECK(c.request("DELETE", "/v1/info").status == 405);
  // A client trusting another certificate must refuse the connection.
  auto other = init_verifier_state();
  HttpsClient wrong("127.0.0.1", v.service().port(), other->cert());
  CHECK_THROWS(wrong.get("/v1/info"));
  // Plain HTTP to the TLS port gets no HTTP answer.
  HttpsClient plain("127.0.0.1", v.service().port(), "");
  CHECK_THROWS(plain.get("/v1/info"));
}

TEST_CASE("verifier: admin authentication, every admin call and failure is audited") {
  TestVerifier v;
  auto c = v.client();
  auto missing = c.get("/v1/admin/devices");
  CHECK(missing.status == 401);
  CHECK(missing.json()->getValue<std::string>("error") == "unauthorized");
  CHECK(c.get("/v1/admin/devices", "pawadm_wrong").status == 401);
  CHECK(c.get("/v1/admin/devices", v.admin() + "x").status == 401);
  CHECK(c.request("GET", "/v1/admin/devices", "", "").status == 401);
  auto ok = c.get("/v1/admin/devices", v.admin());
  REQUIRE(ok.status == 200);
  CHECK(ok.json()->getArray("devices")->size() == 0);
  // A relying-party credential is not an admin credential.
  const std::string rp = v.create_rp();
  CHECK(c.get("/v1/admin/devices", rp).status == 401);
  CHECK(count_events(c, v.admin(), "admin_auth_failed") == 5);
  CHECK(count_events(c, v.admin(), "admin") >= 2);
}

TEST_CASE("verifier: enrollment tokens and request limits") {
  TestVerifier v;
  auto c = v.client();
  auto bad_ttl = c.post("/v1/admin/tokens", R"({"ttl_seconds":5})", v.admin());
  CHECK(bad_ttl.status == 400);
  CHECK(c.post("/v1/admin/tokens", R"({"ttl_seconds":600,"evil":1})", v.admin()).status == 400);
  const std::string token = v.create_token(600, "desk-42");
  CHECK(token.rfind("pawenr_", 0) == 0);
  // Malformed enrollments are 400, oversized bodies 413 (refused before reading).
  CHECK(c.post("/v1/enrollments", "{not json").status == 400);
  CHECK(c.post("/v1/enrollments", R"({"token":")" + token + R"("})").status == 400);
  CHECK(c.announce("/v1/enrollments", 5 << 20).status == 413);
  CHECK(c.announce("/v1/attestations", 13 << 20).status == 413);
  CHECK(c.announce("/v1/challenges", 70 << 10).status == 413);
  CHECK(c.post("/v1/attestations", "[]").status == 400);
  // Deep JSON is refused as malformed, not crashed on.
  CHECK(c.post("/v1/challenges", std::string(5000, '[') + std::string(5000, ']')).status == 400);
}

TEST_CASE("verifier: challenges are bound to usable devices") {
  TestVerifier v;
  auto c = v.client();
  auto& store = v.service().store();
  REQUIRE(store.add_device(make_device("dev-ok", verifier::DeviceStatus::enrolled)).ok());
  REQUIRE(store.add_device(make_device("dev-pending", verifier::DeviceStatus::pending)).ok());
  REQUIRE(store.add_device(make_device("dev-revoked", verifier::DeviceStatus::revoked)).ok());
  auto ch = c.post("/v1/challenges", R"({"device_id":"dev-ok"})");
  REQUIRE(ch.status == 201);
  const auto nonce = ch.json()->getValue<std::string>("nonce");
  CHECK(nonce.size() == 64);
  CHECK(ch.json()->getValue<std::int64_t>("expires_at") > verifier::system_unix_now());
  CHECK(c.post("/v1/challenges", R"({"device_id":"dev-ok"})").json()->getValue<std::string>("nonce") != nonce);
  CHECK(c.post("/v1/challenges", R"({"device_id":"nobody"})").status == 404);
  CHECK(c.post("/v1/challenges", R"({"device_id":"dev-pending"})").status == 403);
  auto rev = c.post("/v1/challenges", R"({"device_id":"dev-revoked"})");
  CHECK(rev.status == 403);
  CHECK(rev.json()->getValue<std::string>("error") == "revoked");
  CHECK(rev.json()->getValue<std::string>("message") ==
        "the device is revoked (the verifier log has the detail)");
  CHECK(c.post("/v1/challenges", R"({"device_id":"../x"})").status == 400);
  CHECK(c.post("/v1/challenges", R"({"device_id":"dev-ok","x":1})").status == 400);
  // Issuing writes nothing: the nonce proves itself (challenge.h), and only
  // its use is recorded, by hash.
  const std::string hash = verifier::sha256_hex(ByteView(*unhex(nonce)));
  CHECK(store.use_nonce({hash, "dev-ok", 0, verifier::system_unix_now() + 60}).ok());
  CHECK(store.use_nonce({hash, "dev-ok", 0, verifier::system_unix_now() + 60}).code() == Errc::nonce_reused);
}

TEST_CASE("verifier: per-address rate limits answer 429 with Retry-After") {
  // The per-device budget counts verified attestations only (device_budget_test.cpp).
  TestVerifier w([](verifier::Config& cfg) { cfg.rate_per_address = 1; });
  auto d = w.client();
  int limited_addr = 0;
  for (int i = 0; i < 8; ++i) {
    auto a = d.get("/v1/info");
    if (a.status == 429) {
      ++limited_addr;
      CHECK(a.header("Retry-After") == "1");
    }
  }
  CHECK(limited_addr >= 3);
  CHECK(d.get("/healthz").status == 200);  // liveness is never limited
}

TEST_CASE("verifier: behind a trusted proxy the per-address limit keys on X-Forwarded-For") {
  // rate 1/s, burst 4: four quick requests drain a bucket, the next four are refused.
  using Headers = std::vector<std::pair<std::string, std::string>>;
  auto refused = [](const HttpsClient& c, const Headers& h) {
    int n = 0;
    for (int i = 0; i < 4; ++i) n += c.request("GET", "/v1/info", {}, {}, h).status == 429 ? 1 : 0;
    return n;
  };
  // Trusted: each forwarded client has its own bucket; an entry the client wrote left of it proves nothing.
  TestVerifier v([](verifier::Config& cfg) {
    cfg.rate_per_address = 1;
    cfg.trusted_proxies = {"127.0.0.0/8"};
  });
  auto c = v.client();
  CHECK(refused(c, {{"X-Forwarded-For", "203.0.113.7"}}) == 0);
  CHECK(refused(c, {{"X-Forwarded-For", "203.0.113.7"}}) >= 3);
  CHECK(refused(c, {{"X-Forwarded-For", "203.0.113.8"}}) == 0);
  CHECK(refused(c, {{"X-Forwarded-For", "198.51.100.1, 203.0.113.8"}}) >= 3);
  // Not trusted: the header is ignored, every request is the peer's.
  TestVerifier w([](verifier::Config& cfg) { cfg.rate_per_address = 1; });
  auto d = w.client();
  CHECK(refused(d, {{"X-Forwarded-For", "203.0.113.9"}}) == 0);
  CHECK(refused(d, {{"X-Forwarded-For", "203.0.113.10"}}) >= 3);
}

TEST_CASE("verifier: JWKS, authz and health answers") {
  TestVerifier v;
  v.use_bearer_logins();  // tokens without cnf, presented alone
  auto c = v.client();
  auto& store = v.service().store();
  auto jwks_answer = c.get("/.well-known/jwks.json");
  REQUIRE(jwks_answer.status == 200);
  auto jwks = parse_jwks(jwks_answer.body);
  REQUIRE(jwks.ok());
  REQUIRE(jwks->keys.size() == 1);

  // authz: missing / garbage / forged tokens are 401.
  CHECK(c.get("/v1/authz").status == 401);
  CHECK(c.get("/v1/authz", "abc.def.ghi").status == 401);
  auto forger = generate_signing_key();
  REQUIRE(forger.ok());
  forger->kid = jwks->keys.begin()->first;
  const std::int64_t now = verifier::system_unix_now();
  ResultClaims claims{"paw-verifier", "dev-a", now, now + 600, "j1", "healthy", {}, {{"hardware", 2}}, "default@2", "", "", ""};
  auto forged = sign_result_token(claims, *forger);
  REQUIRE(forged.ok());
  CHECK(c.get("/v1/authz", *forged).status == 401);

  // Tokens signed with the service's own key (through the store's key, as the
  // attestation path does) are honoured while the device stays healthy.
  auto keys = store.list_signing_keys();
  REQUIRE((keys.ok() && keys->size() == 1));
  auto key = signing_key_from_pem(as_bytes((*keys)[0].private_pem));
  REQUIRE(key.ok());
  auto dev = make_device("dev-a", verifier::DeviceStatus::enrolled);
  dev.last_verdict = "healthy";
  dev.last_attested_at = now;
  dev.last_healthy_at = now;
  dev.verdict_policy = "default@2";  // made under the policy the device has now
  REQUIRE(store.add_device(dev).ok());
  auto good = sign_result_token(claims, *key);
  REQUIRE(good.ok());
  auto ok = c.get("/v1/authz", *good);
  CHECK(ok.status == 204);
  CHECK(ok.header("X-Paw-Device") == "dev-a");
  ResultClaims old = claims;
  old.iat = now - 1000;
  old.exp = now - 400;
  CHECK(c.get("/v1/authz", *sign_result_token(old, *key)).status == 401);
  ResultClaims other_iss = claims;
  other_iss.iss = "elsewhere";
  CHECK(c.get("/v1/authz", *sign_result_token(other_iss, *key)).status == 401);
  ResultClaims bad_verdict = claims;
  bad_verdict.verdict = "unhealthy";
  CHECK(c.get("/v1/authz", *sign_result_token(bad_verdict, *key)).status == 403);

  // health: relying-party credential required.
  CHECK(c.get("/v1/devices/dev-a/health").status == 401);
  CHECK(c.get("/v1/devices/dev-a/health", v.admin()).status == 401);
  const std::string rp = v.create_rp();
  auto h = c.get("/v1/devices/dev-a/health?max_age=300", rp);
  REQUIRE(h.status == 200);
  CHECK(h.json()->getValue<bool>("allow"));
  CHECK(h.json()->getValue<std::string>("verdict") == "healthy");
  CHECK(h.json()->getValue<std::int64_t>("attested_at") == now);
  CHECK(c.get("/v1/devices/nobody/health", rp).status == 404);
  CHECK(c.get("/v1/devices/dev-a/health?max_age=-1", rp).status == 400);

  // Unhealthy since the token was issued → 403; the health answer denies.
  auto cur = store.get_device("dev-a");
  REQUIRE((cur.ok() && cur->has_value()));
  auto d2 = **cur;
  d2.last_verdict = "unhealthy";
  d2.last_reasons = R"([{"code":"pcr_mismatch","message":"PCR 7 differs"}])";
  d2.last_attested_at = now + 1;
  REQUIRE(store.update_device(d2).ok());
  CHECK(c.get("/v1/authz", *good).status == 403);
  auto h2 = c.get("/v1/devices/dev-a/health?max_age=300", rp);
  CHECK(!h2.json()->getValue<bool>("allow"));
  CHECK(h2.json()->getArray("reasons")->getObject(0)->getValue<std::string>("code") == "pcr_mismatch");

  // Revoked → 403 on authz, deny on health.
  REQUIRE(c.post("/v1/admin/devices/dev-a/revoke", "", v.admin()).status == 200);
  auto revoked = c.get("/v1/authz", *good);
  CHECK(revoked.status == 403);
  CHECK(!c.get("/v1/devices/dev-a/health", rp).json()->getValue<bool>("allow"));
}

TEST_CASE("verifier: key rotation keeps old keys in the JWKS") {
  TestVerifier v;
  auto c = v.client();
  auto before = parse_jwks(c.get("/.well-known/jwks.json").body);
  REQUIRE(before.ok());
  auto rot = c.post("/v1/admin/keys/rotate", "", v.admin());
  REQUIRE(rot.status == 200);
  const auto kid = rot.json()->getValue<std::string>("kid");
  auto after = parse_jwks(c.get("/.well-known/jwks.json").body);
  REQUIRE(after.ok());
  CHECK(after->keys.size() == 2);
  CHECK(after->keys.count(kid) == 1);
  CHECK(after->keys.count(before->keys.begin()->first) == 1);
  CHECK(count_events(c, v.admin(), "key_rotation") == 1);
}

TEST_CASE("verifier: admin device and policy management") {
  TestVerifier v;
  auto c = v.client();
  auto& store = v.service().store();
  REQUIRE(store.add_device(make_device("dev-p", verifier::DeviceStatus::pending)).ok());
  auto list = c.get("/v1/admin/devices", v.admin());
  REQUIRE(list.status == 200);
  CHECK(list.json()->getArray("devices")->size() == 1);
  CHECK(c.get("/v1/admin/devices/dev-p", v.admin()).json()->getValue<std::string>("status") == "pending");
  CHECK(c.post("/v1/admin/devices/dev-p/approve", "", v.admin()).status == 200);
  CHECK(c.post("/v1/admin/devices/dev-p/approve", "", v.admin()).status == 409);
  CHECK(c.get("/v1/admin/devices/dev-p", v.admin()).json()->getValue<std::string>("status") == "enrolled");
  CHECK(c.post("/v1/admin/devices/dev-p/capture", "", v.admin()).status == 409);  // never attested

  auto def = c.get("/v1/admin/policies/default", v.admin());
  REQUIRE(def.status == 200);
  CHECK(def.json()->getValue<std::int64_t>("version") == 1);
  auto put = c.request("PUT", "/v1/admin/policies/strict",
                       R"({"name":"strict","max_attestation_age_seconds":600,"require_admin_approval":true})", v.admin());
  REQUIRE_MESSAGE(put.status == 200, put.body);
  CHECK(put.json()->getValue<std::int64_t>("version") == 1);
  auto put2 = c.request("PUT", "/v1/admin/policies/strict", R"({"max_attestation_age_seconds":300})", v.admin());
  REQUIRE(put2.status == 200);
  CHECK(put2.json()->getValue<std::int64_t>("version") == 2);
  CHECK(c.request("PUT", "/v1/admin/policies/strict", R"({"bogus":1})", v.admin()).status == 400);
  CHECK(c.request("PUT", "/v1/admin/policies/other", R"({"name":"strict"})", v.admin()).status == 400);
  CHECK(c.get("/v1/admin/policies", v.admin()).json()->getArray("policies")->size() == 2);
  CHECK(c.get("/v1/admin/policies/missing", v.admin()).status == 404);
  CHECK(c.post("/v1/admin/devices/dev-p/policy", R"({"name":"missing"})", v.admin()).status == 404);
  auto assign = c.post("/v1/admin/devices/dev-p/policy", R"({"name":"strict"})", v.admin());
  REQUIRE(assign.status == 200);
  CHECK(assign.json()->getValue<std::string>("policy") == "strict");
  CHECK(c.request("DELETE", "/v1/admin/devices/dev-p", "", v.admin()).status == 204);
  CHECK(c.request("DELETE", "/v1/admin/devices/dev-p", "", v.admin()).status == 404);
}

TEST_CASE("verifier: metrics speak Prometheus text") {
  TestVerifier v;
  auto c = v.client();
  (void)c.get("/v1/info");
  (void)c.get("/v1/admin/devices");
  auto m = c.get("/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.content_type.rfind("text/plain", 0) == 0);
  CHECK(m.body.find("paw_http_requests_total{route=\"GET /v1/info\",status=\"200\"} 1") != std::string::npos);
  CHECK(m.body.find("paw_http_requests_total{route=\"GET /v1/admin/devices\",status=\"401\"} 1") != std::string::npos);
  CHECK(m.body.find("paw_http_request_duration_seconds_bucket{route=\"GET /v1/info\",le=\"+Inf\"} 1") !=
        std::string::npos);
  CHECK(m.body.find("paw_devices{status=\"enrolled\"} 0") != std::string::npos);
}

namespace {
// Receiver is a local webhook endpoint (plain HTTP on loopback).
class Receiver {
 public:
  Receiver() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket_, new Poco::Net::HTTPServerParams);
    server_->start();
  }
  ~Receiver() { server_->stopAll(true); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/hook"; }
  // wait_for returns the bodies received once |n| arrived (or after |seconds|).
  std::vector<std::string> wait_for(std::size_t n, int seconds) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(seconds), [&] { return bodies_.size() >= n; });
    return bodies_;
  }
  void fail_next(int n) {
    std::lock_guard lock(mu_);
    fail_ = n;
  }
  // refuse_next answers 400 (the receiver rejects the alert for good) |n| times.
  void refuse_next(int n) {
    std::lock_guard lock(mu_);
    refuse_ = n;
  }
  // signatures returns the webhook-{id,timestamp,signature} headers of every accepted POST.
  std::vector<std::array<std::string, 3>> signatures() {
    std::lock_guard lock(mu_);
    return signatures_;
  }
  // wait_attempts waits until |n| POSTs arrived, answered or not (or
  // |seconds| passed), and returns how many did.
  int wait_attempts(int n, int seconds) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(seconds), [&] { return attempts_ >= n; });
    return attempts_;
  }

 private:
  struct Handler : Poco::Net::HTTPRequestHandler {
    Receiver& r;
    explicit Handler(Receiver& rr) : r(rr) {}
    void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
      std::string body;
      Poco::StreamCopier::copyToString(in.stream(), body);
      auto status = Poco::Net::HTTPResponse::HTTP_OK;
      {
        std::lock_guard lock(r.mu_);
        ++r.attempts_;
        if (r.fail_ > 0) {
          --r.fail_;
          status = Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
        } else if (r.refuse_ > 0) {
          --r.refuse_;
          status = Poco::Net::HTTPResponse::HTTP_BAD_REQUEST;
        } else {
          r.bodies_.push_back(body);
          r.signatures_.push_back({in.get("webhook-id", ""), in.get("webhook-timestamp", ""),
                                   in.get("webhook-signature", "")});
        }
      }
      r.cv_.notify_all();
      out.setStatus(status);
      out.setContentLength(0);
      out.send();
    }
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    Receiver& r;
    explicit Factory(Receiver& rr) : r(rr) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(r);
    }
  };
  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> bodies_;
  std::vector<std::array<std::string, 3>> signatures_;
  int fail_ = 0;
  int refuse_ = 0;
  int attempts_ = 0;
};
}  // namespace

TEST_CASE("verifier: alerts reach webhooks (retried) and the events API, stale devices") {
  Receiver rx;
  rx.fail_next(1);  // the first delivery fails: the queue must retry
  TestVerifier v([&](verifier::Config& c) { c.webhooks = {rx.url()}; });
  auto c = v.client();
  auto& store = v.service().store();
  REQUIRE(store.add_device(make_device("dev-w", verifier::DeviceStatus::enrolled)).ok());
  REQUIRE(c.post("/v1/admin/devices/dev-w/revoke", "", v.admin()).status == 200);
  auto got = rx.wait_for(1, 10);
  REQUIRE(got.size() == 1);
  auto alert = json::parse_object(got[0], 1 << 20);
  REQUIRE(alert.ok());
  CHECK((*alert)->getValue<std::string>("type") == "revocation");
  CHECK((*alert)->getValue<std::string>("device_id") == "dev-w");

  // Stale: a device whose last attestation is older than the policy's max age.
  auto old = make_device("dev-s", verifier::DeviceStatus::enrolled);
  old.created_at = verifier::system_unix_now() - 100000;
  old.last_attested_at = verifier::system_unix_now() - 90000;
  REQUIRE(store.add_device(old).ok());
  REQUIRE(store.add_device(make_device("dev-fresh", verifier::DeviceStatus::enrolled)).ok());
  v.service().run_monitor_once();
  CHECK((*store.get_device("dev-s"))->status == verifier::DeviceStatus::stale);
  CHECK((*store.get_device("dev-fresh"))->status == verifier::DeviceStatus::enrolled);
  auto got2 = rx.wait_for(2, 10);
  REQUIRE(got2.size() == 2);
  CHECK((*json::parse_object(got2[1], 1 << 20))->getValue<std::string>("type") == "stale");
  CHECK(count_events(c, v.admin(), "stale") == 1);
  CHECK(count_events(c, v.admin(), "revocation") == 1);

  // Events API: paging and the long-poll form.
  auto page = c.get("/v1/admin/events?after=0&limit=1", v.admin());
  REQUIRE(page.status == 200);
  CHECK(page.json()->getArray("events")->size() == 1);
  auto all = c.get("/v1/admin/events?limit=1000", v.admin()).json();
  const auto next = all->getValue<std::int64_t>("next");
  // Long poll: an event raised while the request waits ends the wait early.
  std::thread later([&] {
    // Raised once the poll is inside the service, not after a guessed delay.
    CHECK(wait_until([&] { return v.service().requests_in_flight() > 0; }));
    (void)store.set_device_status("dev-fresh", verifier::DeviceStatus::enrolled, 0);
    (void)HttpsClient("127.0.0.1", v.service().port(), v.state().cert())
        .post("/v1/admin/devices/dev-fresh/revoke", "", v.admin());
  });
  const auto t0 = std::chrono::steady_clock::now();
  // The events call itself is audited after it answers, so the first new event
  // the poll can see is the revoke's audit or alert.
  auto polled = c.get("/v1/admin/events?after=" + std::to_string(next + 1) + "&wait=10", v.admin());
  later.join();
  REQUIRE(polled.status == 200);
  CHECK(polled.json()->getArray("events")->size() >= 1);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(8));
}

TEST_CASE("verifier: webhooks are signed with the receiver's secret (Standard Webhooks)") {
  // The receiver's check, written independently of the verifier's code:
  // HMAC-SHA256(key, id "." timestamp "." body), base64, after "v1,".
  const Bytes key = unbase64("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
  auto expected = [&](const std::string& id, const std::string& ts, const std::string& body) {
    const std::string content = id + "." + ts + "." + body;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
         content.size(), mac, &len);
    return "v1," + base64(ByteView(mac, len));
  };
  // The scheme's published example.
  CHECK(expected("msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", R"({"test": 2432232314})") ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  CHECK(verifier::webhook_signature(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})") ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

  TempDir dir;
  const std::string secret_file = (dir / "hook.whsec").string();
  std::ofstream(secret_file) << "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n";
  Receiver rx;
  TestVerifier v([&](verifier::Config& c) { c.webhooks = {rx.url() + " secret-file=" + secret_file}; });
  auto& store = v.service().store();
  REQUIRE(store.add_device(make_device("dev-sig", verifier::DeviceStatus::enrolled)).ok());
  REQUIRE(v.client().post("/v1/admin/devices/dev-sig/revoke", "", v.admin()).status == 200);
  auto got = rx.wait_for(1, 10);
  REQUIRE(got.size() == 1);
  const auto sig = rx.signatures().at(0);
  CHECK(sig[0].rfind("evt_", 0) == 0);
  CHECK(std::llabs(std::stoll(sig[1]) - verifier::system_unix_now()) < 60);
  CHECK(sig[2] == expected(sig[0], sig[1], got[0]));
  // A body changed on the way no longer matches.
  CHECK(sig[2] != expected(sig[0], sig[1], got[0] + " "));

  // Bad settings are refused at start, with the reason.
  for (const auto& [spec, why] : std::vector<std::pair<std::string, std::string>>{
           {rx.url() + " secret-file=" + (dir / "missing").string(), "cannot read"},
           {rx.url() + " secret=abc", "unknown attribute"}}) {
    auto t = verifier::parse_webhook_spec(spec);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().code == Errc::config_error);
    CHECK(t.error().detail.find(why) != std::string::npos);
  }
  for (const char* bad : {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2hvcnQ=", "whsec_!!!"}) {
    CAPTURE(bad);
    CHECK_FALSE(verifier::parse_webhook_secret(bad).ok());
  }
}

TEST_CASE("verifier: undelivered alerts survive a restart - a refused alert is skipped - old events expire") {
  Receiver rx;
  rx.fail_next(1000000);  // the receiver is down
  ManualClock clock;
  TestVerifier v([&](verifier::Config& c) {
    c.webhooks = {rx.url()};
    c.clock = clock.clock();
  });
  auto& store0 = v.service().store();
  for (const char* id : {"dev-a", "dev-b", "dev-c"}) {
    REQUIRE(store0.add_device(make_device(id, verifier::DeviceStatus::enrolled)).ok());
  }
  REQUIRE(v.client().post("/v1/admin/devices/dev-a/revoke", "", v.admin()).status == 200);
  REQUIRE(rx.wait_attempts(1, 10) >= 1);  // tried, failed, still pending
  v.restart();                   // nothing in memory survives this
  rx.fail_next(0);
  auto got = rx.wait_for(1, 20);
  REQUIRE(got.size() == 1);
  auto a = json::parse_object(got[0], 1 << 20);
  REQUIRE(a.ok());
  CHECK((*a)->getValue<std::string>("type") == "revocation");
  CHECK((*a)->getValue<std::string>("device_id") == "dev-a");
  CHECK((*a)->getValue<std::int64_t>("event_id") > 0);

  // A 4xx is final for that alert: it is skipped and the next one still arrives.
  rx.refuse_next(1);
  auto c = v.client();
  REQUIRE(c.post("/v1/admin/devices/dev-b/revoke", "", v.admin()).status == 200);
  clock.advance(1);  // b's alert is older than c's
  REQUIRE(c.post("/v1/admin/devices/dev-c/revoke", "", v.admin()).status == 200);
  auto got2 = rx.wait_for(2, 20);
  REQUIRE(got2.size() == 2);
  CHECK((*json::parse_object(got2[1], 1 << 20))->getValue<std::string>("device_id") == "dev-c");
  // The counter moves when the receiver's answer is read, just after the body arrived.
  std::string m;
  (void)wait_until([&] {
    m = c.get("/metrics").body;
    return m.find("paw_webhook_alerts_total{result=\"delivered\"} 2") != std::string::npos;
  });
  CHECK(m.find("paw_webhook_alerts_total{result=\"delivered\"} 2") != std::string::npos);  // a, c since the restart
  CHECK(m.find("paw_webhook_alerts_total{result=\"refused\"} 1") != std::string::npos);

  // Retention: the fleet watcher deletes events older than event-retention-days.
  auto& store = v.service().store();
  // The default keeps 90 days: an event 89 days old stays, until the clock moves two days on.
  REQUIRE(store.add_event({0, clock.now() - 89 * 86400, "attestation", "dev-a", "{}"}).ok());
  const auto before = store.list_events(0, 100000)->size();
  v.service().run_monitor_once();
  CHECK(store.list_events(0, 100000)->size() == before);
  clock.advance(2 * 86400);
  v.service().run_monitor_once();
  CHECK(store.list_events(0, 100000)->size() == before - 1);
}

TEST_CASE("verifier: plain HTTP only with --insecure-http") {
  TestVerifier v([](verifier::Config& c) { c.insecure_http = true; });
  auto c = v.client();
  CHECK(v.service().url().rfind("http://", 0) == 0);
  CHECK(c.get("/v1/info").status == 200);
}

}  // namespace paw::test
