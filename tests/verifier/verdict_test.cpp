// verdict_test.cpp — the decision around the checks, attacked over HTTPS with
// the software workstation against the real service (issue 15, sections 2,
// 3 "alert injection" and 5): evidence the device signed that does not hold
// up is verdict `rejected` and voids earlier tokens; evidence nobody proved
// leaves the device alone and raises no alert; stale devices and verdicts
// under an older policy do not pass /v1/authz; unauthenticated answers carry
// no internal values.
#include <doctest/doctest.h>

#include <regex>

#include "clock.h"
#include "soft_fleet.h"
#include "util.h"

namespace paw::test {
namespace {

// Events of the store with id > |after|.
std::vector<verifier::EventRecord> events_after(Fleet& f, std::int64_t after) {
  auto ev = f.v->service().store().list_events(after, 10000);
  REQUIRE(ev.ok());
  return *ev;
}

std::int64_t last_event(Fleet& f) {
  auto id = f.v->service().store().last_event_id();
  REQUIRE(id.ok());
  return *id;
}

verifier::StoredDevice device_row(Fleet& f) {
  auto d = f.v->service().store().get_device(f.dev->device_id);
  REQUIRE((d.ok() && d->has_value()));
  return **d;
}

// leaks_values: a hex run as long as a SHA-1 digest or longer (a PCR value,
// a digest), or a parser offset.
bool leaks_values(const std::string& body) {
  static const std::regex kHexRun("[0-9a-fA-F]{40,}");
  return std::regex_search(body, kHexRun) || body.find("offset") != std::string::npos;
}

bool health_allows(Fleet& f, const std::string& rp) {
  auto h = f.client().get("/v1/devices/" + f.dev->device_id + "/health", rp);
  REQUIRE_MESSAGE(h.status == 200, h.body);
  return h.json()->getValue<bool>("allow");
}

}  // namespace

TEST_CASE("verdict: evidence the device signed that does not hold up is `rejected` until a healthy attestation") {
  Fleet f;
  f.v->use_bearer_logins();
  f.enroll();
  auto c = f.client();
  const std::string rp = f.v->create_rp();
  auto good = f.attest();
  REQUIRE_MESSAGE(good.status == 200, good.body);
  const std::string token = good.json()->getValue<std::string>("token");
  REQUIRE(c.get("/v1/authz", token).status == 204);
  REQUIRE(health_allows(f, rp));
  const std::int64_t before = last_event(f);

  std::string want_code;
  std::function<void()> undo;
  SUBCASE("event log that does not replay to the quote (an unapproved boot loader left out)") {
    // The TPM measured the honest boot; the log now tells another story.
    soft::BootConfig told;
    told.boot_apps = {sha256(to_bytes("shimx64.efi"))};
    const Bytes honest = *f.dev->event_log;
    f.dev->event_log = soft::make_event_log(told);
    want_code = "eventlog_replay_mismatch";
    undo = [&f, honest] { f.dev->event_log = honest; };
  }
  SUBCASE("FIDO2 counter rolled back (a cloned key)") {
    f.dev->fido.counter() = 0;
    want_code = "fido_counter";
    undo = [&f] { f.dev->fido.counter() = 1000; };
  }

  auto bad = f.attest();
  CHECK(bad.status == 422);
  CHECK(code_of(bad).rfind(want_code, 0) == 0);
  // The answer names the reason only: no PCR values, no digests.
  CHECK_FALSE(leaks_values(bad.body));

  // Recorded as verdict `rejected` with its reason and time.
  const verifier::StoredDevice row = device_row(f);
  CHECK(row.last_verdict == "rejected");
  CHECK(row.last_reasons.find(want_code) != std::string::npos);
  CHECK(row.rejected_at != 0);
  CHECK(row.last_attested_at == row.rejected_at);
  // Health denies; the token issued before the rejection stops working at once.
  auto h = c.get("/v1/devices/" + f.dev->device_id + "/health", rp);
  CHECK_FALSE(h.json()->getValue<bool>("allow"));
  CHECK(h.json()->getValue<std::string>("verdict") == "rejected");
  CHECK(c.get("/v1/authz", token).status == 403);
  // An alert about the device, with the detail for admins.
  bool alert = false, change = false;
  for (const auto& e : events_after(f, before)) {
    if (e.type == "attestation_failed" && e.device_id == f.dev->device_id) alert = true;
    if (e.type == "verdict_change" && e.detail.find("\"to\":\"rejected\"") != std::string::npos) change = true;
  }
  CHECK(alert);
  CHECK(change);
  CHECK(c.get("/metrics").body.find("paw_attestation_verdicts_total{verdict=\"rejected\"} 1") != std::string::npos);

  // Only a later healthy attestation clears it.
  undo();
  auto again = f.attest();
  REQUIRE_MESSAGE(again.status == 200, again.body);
  CHECK(again.json()->getValue<std::string>("verdict") == "healthy");
  CHECK(c.get("/v1/authz", again.json()->getValue<std::string>("token")).status == 204);
  CHECK(health_allows(f, rp));
  CHECK(device_row(f).last_verdict == "healthy");
}

TEST_CASE("verdict: evidence the enrolled AK did not sign for this challenge leaves the device alone, no alert") {
  Fleet f;
  f.v->use_bearer_logins();
  f.enroll();
  auto c = f.client();
  const std::string rp = f.v->create_rp();
  auto good = f.attest();
  REQUIRE(good.status == 200);
  const std::string token = good.json()->getValue<std::string>("token");
  const verifier::StoredDevice before_row = device_row(f);
  const std::int64_t before = last_event(f);

  // Anyone may ask for a challenge for any device and send junk with it.
  std::vector<std::string> forgeries;
  {
    auto env = f.dev->attest(f.challenge());  // signature broken
    REQUIRE(env.ok());
    env->signature[env->signature.size() - 3] ^= 0x01;
    forgeries.push_back(serialize_envelope(*env));
  }
  {
    // A genuine quote by another TPM's AK, naming the victim.
    soft::SoftDevice other = soft::SoftDevice::create(kRp, &f.ek_ca, &f.fido_ca).value();
    REQUIRE(other.use_event_log(*f.dev->event_log).ok());
    other.device_id = f.dev->device_id;
    forgeries.push_back(serialize_envelope(*other.attest(f.challenge())));
  }
  {
    // The victim's own genuine quote over another body (nonce_mismatch): a replayed quote.
    auto env = f.dev->attest(f.challenge());
    REQUIRE(env.ok());
    auto body = parse_body(env->body);
    REQUIRE(body.ok());
    body->host.kernel = "6.1.0-evil";
    env->body = serialize_body(*body);
    forgeries.push_back(serialize_envelope(*env));
  }
  {
    // Another TPM's genuine evidence about itself, routed to the victim by
    // rewriting the envelope's unsigned copies (and the victim's challenge).
    soft::SoftDevice other = soft::SoftDevice::create(kRp, &f.ek_ca, &f.fido_ca).value();
    REQUIRE(other.use_event_log(*f.dev->event_log).ok());
    other.device_id = "0123456789abcdef0123456789abcdef";
    auto env = other.attest(f.challenge());
    REQUIRE(env.ok());
    env->device_id = f.dev->device_id;
    forgeries.push_back(serialize_envelope(*env));
  }
  {
    // A signature that does not even parse.
    auto env = f.dev->attest(f.challenge());
    REQUIRE(env.ok());
    env->signature = Bytes(12, 0x01);
    forgeries.push_back(serialize_envelope(*env));
  }
  for (int round = 0; round < 3; ++round) {
    for (const auto& ev : forgeries) {
      auto a = c.post("/v1/attestations", ev);
      CHECK(a.status >= 400);
      CHECK(a.status < 500);
      CHECK_FALSE(leaks_values(a.body));
    }
  }

  // The device row is exactly as it was (not even its revision moved).
  const verifier::StoredDevice after_row = device_row(f);
  CHECK(after_row.revision == before_row.revision);
  CHECK(after_row.last_verdict == "healthy");
  CHECK(after_row.updated_at == before_row.updated_at);
  CHECK(after_row.state_json == before_row.state_json);
  // No alert, no row per request: one aggregated event for all fifteen.
  int aggregated = 0;
  for (const auto& e : events_after(f, before)) {
    CHECK_MESSAGE(e.type == "unauthenticated_evidence", e.type);
    if (e.type == "unauthenticated_evidence") ++aggregated;
  }
  CHECK(aggregated == 1);
  const std::string metrics = c.get("/metrics").body;
  CHECK(metrics.find("paw_attestation_unauthenticated_total{error=\"bad_signature\"} 9") != std::string::npos);
  CHECK(metrics.find("paw_attestation_unauthenticated_total{error=\"nonce_mismatch\"} 3") != std::string::npos);
  // The device is still healthy and its token still works.
  CHECK(health_allows(f, rp));
  CHECK(c.get("/v1/authz", token).status == 204);
  CHECK(f.attest().status == 200);
}

TEST_CASE("verdict: /v1/authz refuses a stale device") {
  Fleet f;
  f.v->use_bearer_logins();
  f.enroll();
  auto good = f.attest();
  REQUIRE(good.status == 200);
  const std::string token = good.json()->getValue<std::string>("token");
  REQUIRE(f.client().get("/v1/authz", token).status == 204);
  // What the fleet watcher writes when the device stops attesting.
  auto& store = f.v->service().store();
  REQUIRE(*store.set_device_status(f.dev->device_id, verifier::DeviceStatus::stale, verifier::system_unix_now()));
  CHECK(f.client().get("/v1/authz", token).status == 403);
  // Attesting again brings it back.
  auto again = f.attest();
  REQUIRE(again.status == 200);
  CHECK(f.client().get("/v1/authz", again.json()->getValue<std::string>("token")).status == 204);
}

TEST_CASE("verdict: a verdict made under an older policy version is not fresh once the policy changes") {
  Fleet f;
  f.v->use_bearer_logins();
  f.enroll();
  auto c = f.client();
  const std::string rp = f.v->create_rp();
  auto good = f.attest();
  REQUIRE(good.status == 200);
  const std::string token = good.json()->getValue<std::string>("token");
  REQUIRE(c.get("/v1/authz", token).status == 204);
  REQUIRE(health_allows(f, rp));

  SUBCASE("a new version of the device's policy") {
    auto put = c.request("PUT", "/v1/admin/policies/default", R"({"max_attestation_age_seconds":86400,"login":{"token_binding":"bearer"}})", f.v->admin());
    REQUIRE_MESSAGE(put.status == 200, put.body);
  }
  SUBCASE("another policy assigned to the device") {
    auto put = c.request("PUT", "/v1/admin/policies/other", R"({"max_attestation_age_seconds":86400,"login":{"token_binding":"bearer"}})", f.v->admin());
    REQUIRE_MESSAGE(put.status == 200, put.body);
    auto as = c.post("/v1/admin/devices/" + f.dev->device_id + "/policy", R"({"name":"other"})", f.v->admin());
    REQUIRE_MESSAGE(as.status == 200, as.body);
  }
  CHECK(c.get("/v1/authz", token).status == 403);
  auto h = c.get("/v1/devices/" + f.dev->device_id + "/health", rp);
  CHECK_FALSE(h.json()->getValue<bool>("allow"));
  CHECK(h.body.find("policy_changed") != std::string::npos);
  // A new attestation under the policy as it is now counts again.
  auto again = f.attest();
  REQUIRE_MESSAGE(again.status == 200, again.body);
  CHECK(c.get("/v1/authz", again.json()->getValue<std::string>("token")).status == 204);
  CHECK(health_allows(f, rp));
}

TEST_CASE("verdict: unauthenticated error answers carry the reason code — the detail goes to admins") {
  Fleet f;
  f.v->use_bearer_logins();
  f.enroll();
  auto c = f.client();
  REQUIRE(f.attest().status == 200);
  const std::int64_t before = last_event(f);
  // A log the TPM did not measure: the verifier's detail names the replayed
  // and the quoted PCR 4, which the sender must not learn.
  soft::BootConfig told;
  told.boot_apps = {};
  f.dev->event_log = soft::make_event_log(told);
  const std::string quoted_pcr4 = hex(f.dev->tpm.pcrs().at(HashAlg::sha256).at(4));
  auto bad = f.attest();
  REQUIRE(bad.status == 422);
  CHECK(code_of(bad) == "eventlog_replay_mismatch");
  CHECK(bad.body.find(quoted_pcr4) == std::string::npos);
  CHECK_FALSE(leaks_values(bad.body));
  // Admins see it in the device's event.
  bool detail_for_admins = false;
  for (const auto& e : events_after(f, before)) {
    if (e.type == "attestation_failed" && e.detail.find(quoted_pcr4) != std::string::npos) detail_for_admins = true;
  }
  CHECK(detail_for_admins);
  // A body that does not parse: the code, no parser internals.
  auto junk = c.post("/v1/attestations", R"({"body":"!!","quote":{}})");
  CHECK(junk.status == 400);
  CHECK_FALSE(leaks_values(junk.body));
}

}  // namespace paw::test
