// End-to-end over HTTPS with the software workstation (tests/support/soft_device):
// genuine TPM 2.0 quotes, MakeCredential/ActivateCredential and FIDO2
// structures against the real service.
// Over 500 lines: each case is a whole enroll-and-attest story over HTTPS, read top to bottom.
#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "clock.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/evidence.h"
#include "paw/attest/result_token.h"
#include "challenge.h"
#include "soft_fleet.h"
#include "util.h"

namespace paw::test {

TEST_CASE("flow: enroll with credential activation, attest healthy, token checks out everywhere") {
  Fleet f;
  f.v->use_bearer_logins();
  f.enroll();
  auto c = f.client();
  auto a = f.attest();
  REQUIRE_MESSAGE(a.status == 200, a.body);
  auto o = a.json();
  CHECK(o->getValue<std::string>("verdict") == "healthy");
  CHECK(o->getArray("reasons")->size() == 0);
  const std::string token = o->getValue<std::string>("token");

  // Offline check against the JWKS, as a relying party does.
  auto jwks = parse_jwks(c.get("/.well-known/jwks.json").body);
  REQUIRE(jwks.ok());
  auto claims = verify_result_token(token, *jwks, verifier::system_unix_now(), "paw-verifier");
  REQUIRE_MESSAGE(claims.ok(), claims.error().what());
  CHECK(claims->sub == f.dev->device_id);
  CHECK(claims->verdict == "healthy");
  CHECK(claims->exp == o->getValue<std::int64_t>("expires_at"));
  CHECK(claims->trust.count("hardware") == 1);

  CHECK(c.get("/v1/authz", token).status == 204);
  const std::string rp = f.v->create_rp();
  auto h = c.get("/v1/devices/" + f.dev->device_id + "/health?max_age=60", rp);
  REQUIRE(h.status == 200);
  CHECK(h.json()->getValue<bool>("allow"));

  // Admin view: enrollment and attestation are events; the device is enrolled.
  auto dev = c.get("/v1/admin/devices/" + f.dev->device_id, f.v->admin());
  REQUIRE(dev.status == 200);
  CHECK(dev.json()->getValue<std::string>("last_verdict") == "healthy");
  auto m = c.get("/metrics").body;
  CHECK(m.find("paw_attestation_verdicts_total{verdict=\"healthy\"} 1") != std::string::npos);
  CHECK(m.find("paw_devices{status=\"enrolled\"} 1") != std::string::npos);

  // A second attestation advances the FIDO2 counter and stays healthy.
  auto again = f.attest();
  REQUIRE(again.status == 200);
  CHECK(again.json()->getValue<std::string>("verdict") == "healthy");

  // Capture: the device policy takes the last verified PCRs as references.
  auto cap = c.post("/v1/admin/devices/" + f.dev->device_id + "/capture", "", f.v->admin());
  REQUIRE_MESSAGE(cap.status == 200, cap.body);
  CHECK(cap.json()->getValue<std::int64_t>("version") == 3);  // default@2 is the bearer-login policy stored above
  CHECK(f.attest().json()->getValue<std::string>("verdict") == "healthy");
}

TEST_CASE("flow: an unhealthy machine gets an unhealthy verdict, old tokens stop working") {
  Fleet f;
  f.v->use_bearer_logins();
  f.enroll();
  auto c = f.client();
  auto good = f.attest();
  REQUIRE(good.status == 200);
  const std::string token = good.json()->getValue<std::string>("token");
  CHECK(c.get("/v1/authz", token).status == 204);

  f.dev->host.disk_encrypted = false;
  auto bad = f.attest();
  REQUIRE_MESSAGE(bad.status == 200, bad.body);
  CHECK(bad.json()->getValue<std::string>("verdict") == "unhealthy");
  auto reasons = bad.json()->getArray("reasons");
  REQUIRE(reasons->size() >= 1);
  CHECK(reasons->getObject(0)->getValue<std::string>("code") == std::string(reason::kDiskNotEncrypted));
  CHECK(c.get("/v1/authz", token).status == 403);                                   // unhealthy since
  CHECK(c.get("/v1/authz", bad.json()->getValue<std::string>("token")).status == 403);  // says unhealthy
  auto ev = c.get("/v1/admin/events?limit=1000", f.v->admin()).body;
  CHECK(ev.find("\"verdict_change\"") != std::string::npos);

  // Revocation ends everything.
  REQUIRE(c.post("/v1/admin/devices/" + f.dev->device_id + "/revoke", "", f.v->admin()).status == 200);
  CHECK(c.post("/v1/challenges", R"({"device_id":")" + f.dev->device_id + "\"}").status == 403);
}

TEST_CASE("flow: every rejection path answers its status code") {
  Fleet f;
  auto c = f.client();

  SUBCASE("enrollment token: unknown 401, used 401, expired 401") {
    CHECK(f.start_enrollment("pawenr_unknown").status == 401);
    const std::string t = f.v->create_token();
    auto first = f.start_enrollment(t);
    REQUIRE(first.status == 201);
    auto second = f.start_enrollment(t);
    CHECK(second.status == 401);
    CHECK(code_of(second) == "token_invalid");
    const std::int64_t now = verifier::system_unix_now();
    REQUIRE(f.v->service().store().add_enrollment_token({verifier::sha256_hex(std::string("pawenr_old")), "", now - 100, now - 1, false, "", false}).ok());
    auto expired = f.start_enrollment("pawenr_old");
    CHECK(expired.status == 401);
    CHECK(code_of(expired) == "token_expired");
  }
  SUBCASE("untrusted EK certificate → 422; the token survives for a retry") {
    auto other_ca = soft::SoftCa::generate("someone else").value();
    auto stranger = soft::SoftDevice::create(kRp, &other_ca, &f.fido_ca).value();
    const std::string t = f.v->create_token();
    auto req = stranger.enrollment_request(t);
    REQUIRE(req.ok());
    auto a = c.post("/v1/enrollments", serialize_enrollment_request(*req));
    CHECK(a.status == 422);
    CHECK(code_of(a) == "untrusted_chain");
    CHECK(f.start_enrollment(t).status == 201);
  }
  SUBCASE("wrong activation secret → 422 and the enrollment is over") {
    auto a = f.start_enrollment(f.v->create_token());
    REQUIRE(a.status == 201);
    const std::string path = "/v1/enrollments/" + a.json()->getValue<std::string>("enrollment_id") + "/activation";
    auto wrong = c.post(path, R"({"secret":")" + base64(Bytes(32, 7)) + "\"}");
    CHECK(wrong.status == 422);
    CHECK(code_of(wrong) == "activation_failed");
    CHECK(c.post(path, R"({"secret":")" + base64(Bytes(32, 7)) + "\"}").status == 404);
    CHECK(c.post("/v1/enrollments/nope/activation", R"({"secret":"AAAA"})").status == 404);
  }
  SUBCASE("attestation rejections") {
    f.enroll();
    // Replay of accepted evidence → 409 nonce_reused.
    const std::string ev = f.evidence(f.challenge());
    REQUIRE(c.post("/v1/attestations", ev).status == 200);
    auto replay = c.post("/v1/attestations", ev);
    CHECK(replay.status == 409);
    CHECK(code_of(replay) == "nonce_reused");
    // A nonce never issued → 409 nonce_unknown.
    auto unknown = c.post("/v1/attestations", f.evidence(Bytes(32, 0x5a)));
    CHECK(unknown.status == 409);
    CHECK(code_of(unknown) == "nonce_unknown");
    {
      // Nonces made with the service's own key (shared by replicas through
      // the store): one past its expiry → 409 nonce_expired; one issued to
      // another device → 409 nonce_unknown.
      auto secret = f.v->service().store().service_secret("challenge_key", "unused candidate");
      REQUIRE(secret.ok());
      auto key = verifier::ChallengeKey::from(*unhex(*secret));
      REQUIRE(key.ok());
      const std::int64_t now = verifier::system_unix_now();
      auto expired = c.post("/v1/attestations", f.evidence(*key->issue(f.dev->device_id, now - 1)));
      CHECK(expired.status == 409);
      CHECK(code_of(expired) == "nonce_expired");
      auto fresh = c.post("/v1/attestations", f.evidence(*key->issue(f.dev->device_id + "0", now + 60)));
      CHECK(fresh.status == 409);
      CHECK(code_of(fresh) == "nonce_unknown");
    }
    // Body changed after the quote → 422 (qualifying data no longer matches).
    auto env = f.dev->attest(f.challenge());
    REQUIRE(env.ok());
    auto body = parse_body(env->body);
    REQUIRE(body.ok());
    body->host.kernel = "6.1.0-evil";
    env->body = serialize_body(*body);
    auto tampered = c.post("/v1/attestations", serialize_envelope(*env));
    CHECK(tampered.status == 422);
    CHECK(code_of(tampered) == "nonce_mismatch");
    // Quote signature broken → 422 bad_signature.
    auto env2 = f.dev->attest(f.challenge());
    REQUIRE(env2.ok());
    env2->signature[env2->signature.size() - 3] ^= 0x01;
    auto forged = c.post("/v1/attestations", serialize_envelope(*env2));
    CHECK(forged.status == 422);
    // The envelope's routing copies are unsigned: one that names another
    // challenge is refused before the quote is looked at (409), and the
    // signed body is never judged under another challenge.
    auto env3 = f.dev->attest(f.challenge());
    REQUIRE(env3.ok());
    env3->nonce[0] ^= 0x01;
    auto rerouted = c.post("/v1/attestations", serialize_envelope(*env3));
    CHECK(rerouted.status == 409);
    CHECK(code_of(rerouted) == "nonce_unknown");
    // An agent before 0.2 sends no routing copies: still judged, from the body.
    auto old = f.dev->attest(f.challenge());
    REQUIRE(old.ok());
    old->device_id.clear();
    old->nonce.clear();
    CHECK(serialize_envelope(*old).find("\"nonce\"") == std::string::npos);
    auto judged = c.post("/v1/attestations", serialize_envelope(*old));
    CHECK(judged.status == 200);
    // Malformed → 400; unknown device → 404.
    CHECK(c.post("/v1/attestations", R"({"body":"!!","quote":{}})").status == 400);
    soft::SoftDevice other = soft::SoftDevice::create(kRp, &f.ek_ca, &f.fido_ca).value();
    other.device_id = "ffffffffffffffffffffffffffffffff";
    CHECK(c.post("/v1/attestations", serialize_envelope(*other.attest(Bytes(32, 1)))).status == 404);
    // None of these proved anything about the device: no alert about it,
    // one aggregated event for the lot (verdict_test.cpp has the details).
    const std::string events = c.get("/v1/admin/events?limit=1000", f.v->admin()).body;
    CHECK(events.find("attestation_failed") == std::string::npos);
    CHECK(events.find("unauthenticated_evidence") != std::string::npos);
    // Still healthy afterwards: forgeries do not change the verdict.
    CHECK(f.attest().status == 200);
  }
}

TEST_CASE("flow: 16 concurrent submissions of one evidence, exactly one accepted") {
  Fleet f;
  f.enroll();
  const std::string ev = f.evidence(f.challenge());
  std::atomic<int> accepted{0}, reused{0}, other{0};
  std::vector<std::thread> threads;
  const std::uint16_t port = f.v->service().port();
  const std::string cert = f.v->state().cert();
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      try {
        auto a = HttpsClient("127.0.0.1", port, cert).post("/v1/attestations", ev);
        if (a.status == 200) ++accepted;
        else if (a.status == 409) ++reused;
        else ++other;
      } catch (...) {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(accepted == 1);
  CHECK(reused == 15);
  CHECK(other == 0);
}

TEST_CASE("flow: admin approval where policy says so") {
  Fleet f;
  auto c = f.client();
  auto put = c.request("PUT", "/v1/admin/policies/default", R"({"require_admin_approval":true})", f.v->admin());
  REQUIRE_MESSAGE(put.status == 200, put.body);
  auto a = f.start_enrollment(f.v->create_token());
  REQUIRE(a.status == 201);
  auto o = a.json();
  auto secret = f.dev->tpm.activate_credential(*unbase64(o->getValue<std::string>("credential_blob")),
                                               *unbase64(o->getValue<std::string>("encrypted_secret")));
  REQUIRE(secret.ok());
  auto act = c.post("/v1/enrollments/" + o->getValue<std::string>("enrollment_id") + "/activation",
                    R"({"secret":")" + base64(secret->view()) + "\"}");
  REQUIRE(act.status == 200);
  CHECK(act.json()->getValue<std::string>("status") == "pending");
  f.dev->device_id = act.json()->getValue<std::string>("device_id");
  CHECK(c.post("/v1/challenges", R"({"device_id":")" + f.dev->device_id + "\"}").status == 403);
  REQUIRE(c.post("/v1/admin/devices/" + f.dev->device_id + "/approve", "", f.v->admin()).status == 200);
  CHECK(f.attest().status == 200);
}

TEST_CASE("flow: with --fido-ca-dir a FIDO2 key must come from a trusted attestation CA") {
  // The software key's attestation CA is trusted: enrollment works end to end.
  TempDir trusted;
  soft::SoftCa fido_ca = soft::SoftCa::generate("paw test FIDO CA").value();
  std::ofstream(trusted / "fido-root.pem") << fido_ca.cert_pem();
  {
    Fleet f({}, [&](verifier::Config& c) { c.fido_ca_dir = trusted.path().string(); });
    f.fido_ca = std::move(fido_ca);
    auto d = soft::SoftDevice::create(kRp, &f.ek_ca, &f.fido_ca);
    REQUIRE(d.ok());
    f.dev.emplace(std::move(*d));
    REQUIRE(f.dev->use_event_log(soft::make_event_log(soft::BootConfig{})).ok());
    f.enroll();
    CHECK(f.attest().status == 200);
  }
  // Another CA only: the same kind of key is refused at enrollment, naming the chain.
  TempDir other;
  std::ofstream(other / "other-root.pem") << soft::SoftCa::generate("another vendor").value().cert_pem();
  Fleet g({}, [&](verifier::Config& c) { c.fido_ca_dir = other.path().string(); });
  auto a = g.start_enrollment(g.v->create_token());
  CHECK(a.status == 422);
  CHECK(code_of(a) == "untrusted_chain");
  // The answer carries the code only (public_error.h); the detail is for admins.
  CHECK(a.json()->getValue<std::string>("message").find("FIDO2 attestation certificate") == std::string::npos);
  CHECK(g.client().get("/v1/admin/events?limit=1000", g.v->admin()).body.find("FIDO2 attestation certificate") !=
        std::string::npos);
}

TEST_CASE("flow: an enrollment token names the policy its device starts with") {
  Fleet f;
  auto c = f.client();
  const std::string admin = f.v->admin();
  auto put = c.request("PUT", "/v1/admin/policies/gated", R"({"require_admin_approval":true})", admin);
  REQUIRE_MESSAGE(put.status == 200, put.body);
  CHECK(c.post("/v1/admin/tokens", R"({"ttl_seconds":600,"policy":"nope"})", admin).status == 404);
  CHECK(c.post("/v1/admin/tokens", R"({"ttl_seconds":600,"policy":"Bad Name"})", admin).status == 400);
  auto t = c.post("/v1/admin/tokens", R"({"ttl_seconds":600,"label":"kiosks","policy":"gated"})", admin);
  REQUIRE_MESSAGE(t.status == 201, t.body);
  CHECK(t.json()->getValue<std::string>("policy") == "gated");
  // The token's policy judges the enrollment (approval required) and stays with the device.
  auto a = f.start_enrollment(t.json()->getValue<std::string>("token"));
  REQUIRE_MESSAGE(a.status == 201, a.body);
  auto o = a.json();
  auto secret = f.dev->tpm.activate_credential(*unbase64(o->getValue<std::string>("credential_blob")),
                                               *unbase64(o->getValue<std::string>("encrypted_secret")));
  REQUIRE(secret.ok());
  auto act = c.post("/v1/enrollments/" + o->getValue<std::string>("enrollment_id") + "/activation",
                    R"({"secret":")" + base64(secret->view()) + "\"}");
  REQUIRE_MESSAGE(act.status == 200, act.body);
  CHECK(act.json()->getValue<std::string>("status") == "pending");
  f.dev->device_id = act.json()->getValue<std::string>("device_id");
  auto shown = c.get("/v1/admin/devices/" + f.dev->device_id, admin);
  REQUIRE(shown.status == 200);
  CHECK(shown.json()->getValue<std::string>("policy") == "gated");
  CHECK(shown.json()->getValue<std::string>("label") == "kiosks");
  // A token without a policy still enrolls under the default.
  f.dev.reset();
  auto d2 = soft::SoftDevice::create(kRp, &f.ek_ca, &f.fido_ca);
  REQUIRE(d2.ok());
  f.dev.emplace(std::move(*d2));
  REQUIRE(f.dev->use_event_log(soft::make_event_log(soft::BootConfig{})).ok());
  f.enroll();
  auto plain = c.get("/v1/admin/devices/" + f.dev->device_id, admin);
  CHECK(plain.json()->getValue<std::string>("policy") == "default");
}

TEST_CASE("flow: without a trusted FIDO2 root, a key's own x5c is self attestation (refused by default)") {
  // The attack: a software key with a self-made attestation CA, against a
  // verifier with no --fido-ca-dir and the default policy (self attestation
  // not allowed). It used to enroll as "basic".
  Fleet f({}, [](verifier::Config& c) { c.fido_ca_dir.clear(); });
  auto c = f.client();
  auto a = f.start_enrollment(f.v->create_token());
  CHECK(a.status == 422);
  CHECK(code_of(a) == "fido_attestation_invalid");
  // The answer (no credential on this route) names the code; admins read why.
  CHECK(c.get("/v1/admin/events?limit=1000", f.v->admin()).body.find("self attestation") != std::string::npos);
  // An allowlist cannot be set while nothing can prove a model.
  const std::string allowlist =
      R"({"pcrs":{"required":{"sha256":[7]},"pin_on_enroll":true},"secure_boot_required":false,)"
      R"("event_log_required":false,"host":{"disk_encryption_required":false},)"
      R"("fido":{"required":true,"aaguid_allowlist":["00112233-4455-6677-8899-aabbccddeeff"]}})";
  auto put = c.request("PUT", "/v1/admin/policies/default", allowlist, f.v->admin());
  CHECK(put.status == 400);
  CHECK(put.json()->getValue<std::string>("message").find("--fido-ca-dir") != std::string::npos);
  // Where policy allows self attestation the key enrolls, and every verdict
  // says the model is unproven and lowers the sourced-data claim.
  const std::string self_ok =
      R"({"pcrs":{"required":{"sha256":[7]},"pin_on_enroll":true},"secure_boot_required":false,)"
      R"("event_log_required":false,"host":{"disk_encryption_required":false},)"
      R"("fido":{"required":true,"allow_self_attestation":true}})";
  REQUIRE(c.request("PUT", "/v1/admin/policies/default", self_ok, f.v->admin()).status == 200);
  f.enroll();
  auto dev = c.get("/v1/admin/devices/" + f.dev->device_id, f.v->admin());
  CHECK(dev.json()->getObject("record")->getObject("fido")->getValue<std::string>("attestation_type") == "self");
  auto r = f.attest();
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.json()->getValue<std::string>("verdict") == "healthy");
  CHECK(c.get("/v1/admin/devices/" + f.dev->device_id, f.v->admin()).body.find("fido_model_unproven") !=
        std::string::npos);
  auto jwks = parse_jwks(c.get("/.well-known/jwks.json").body);
  REQUIRE(jwks.ok());
  auto claims = verify_result_token(r.json()->getValue<std::string>("token"), *jwks, verifier::system_unix_now(), "paw-verifier");
  REQUIRE(claims.ok());
  CHECK(claims->trust.at("sourced-data") == ar4si::kUntrustedSources);
}

TEST_CASE("flow: the first presence proof must beat the counter seen at enrollment") {
  Fleet f;
  f.dev->fido.counter() = 100;  // the key had signed 100 times before it was enrolled
  f.enroll();
  auto dev = f.client().get("/v1/admin/devices/" + f.dev->device_id, f.v->admin());
  REQUIRE(dev.json()->getObject("record")->getObject("fido")->getValue<std::int64_t>("sign_count") == 100);
  // A copy of the key from before (or one that went back) answers with 11.
  f.dev->fido.counter() = 10;
  auto a = f.attest();
  CHECK(a.status == 422);
  CHECK(code_of(a) == "fido_counter_rollback");
  // Equal to the enrollment counter is a frozen counter, also refused.
  f.dev->fido.counter() = 99;
  auto b = f.attest();
  CHECK(b.status == 422);
  CHECK(code_of(b) == "fido_counter_frozen");
  // The genuine key goes on from where it was.
  f.dev->fido.counter() = 100;
  CHECK(f.attest().status == 200);
}

}  // namespace paw::test

namespace paw::test {

namespace {
// age_grace makes the device's graced reasons |by| seconds older, as if that
// much time had passed since they were first seen (the stored first sightings
// and the stored reasons' grace ends move back together).
void age_grace(verifier::Store& store, const std::string& id, std::int64_t by) {
  auto cur = store.get_device(id);
  REQUIRE((cur.ok() && cur->has_value()));
  verifier::StoredDevice d = **cur;
  auto st = parse_device_state(d.state_json);
  REQUIRE(st.ok());
  for (auto& [code, t] : st->reason_first_seen) t -= by;
  d.state_json = serialize_device_state(*st);
  auto reasons = json::parse_object(R"({"r":)" + d.last_reasons + "}", 1 << 20);
  REQUIRE(reasons.ok());
  auto arr = (*reasons)->getArray("r");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    auto r = arr->getObject(static_cast<unsigned>(i));
    if (r->has("grace_until")) r->set("grace_until", r->getValue<std::int64_t>("grace_until") - by);
  }
  d.last_reasons = json::stringify(arr);
  REQUIRE(store.update_device(d).ok());
}
}  // namespace

TEST_CASE("flow: a graced reason is a warning that admits login until its grace ends") {
  Fleet f;
  f.enroll();
  auto c = f.client();
  REQUIRE(f.attest().status == 200);
  // Tampering can never be graced: the verifier refuses such a policy.
  auto refused = c.request("PUT", "/v1/admin/policies/default", R"({"enforcement":{"grace":{"fido_missing":"1h"}}})",
                           f.v->admin());
  CHECK(refused.status == 400);
  CHECK(refused.body.find("can never be graced") != std::string::npos);
  REQUIRE(c.request("PUT", "/v1/admin/policies/default", R"({"enforcement":{"grace":{"disk_not_encrypted":"1h"}},"login":{"token_binding":"bearer"}})",
                    f.v->admin())
              .status == 200);

  f.dev->host.disk_encrypted = false;
  const std::int64_t t0 = verifier::system_unix_now();
  auto warn = f.attest();
  REQUIRE_MESSAGE(warn.status == 200, warn.body);
  auto o = warn.json();
  CHECK(o->getValue<std::string>("verdict") == "warning");
  const std::int64_t grace_until = o->getValue<std::int64_t>("grace_until");
  CHECK(grace_until >= t0 + 3600);
  CHECK(grace_until <= verifier::system_unix_now() + 3600);
  auto reason = o->getArray("reasons")->getObject(0);
  CHECK(reason->getValue<std::string>("code") == std::string(reason::kDiskNotEncrypted));
  CHECK(reason->getValue<std::int64_t>("grace_until") == grace_until);
  const std::string token = o->getValue<std::string>("token");
  auto jwks = parse_jwks(c.get("/.well-known/jwks.json").body);
  REQUIRE(jwks.ok());
  auto claims = verify_result_token(token, *jwks, verifier::system_unix_now(), "paw-verifier");
  REQUIRE(claims.ok());
  CHECK(claims->verdict == "warning");
  CHECK(claims->grace_until == grace_until);
  CHECK(claims->exp <= grace_until);
  // Login is allowed, and the health query says until when and why.
  CHECK(c.get("/v1/authz", token).status == 204);
  const std::string rp = f.v->create_rp();
  const std::string health = "/v1/devices/" + f.dev->device_id + "/health";
  auto h = c.get(health, rp);
  REQUIRE(h.status == 200);
  CHECK(h.json()->getValue<bool>("allow"));
  CHECK(h.json()->getValue<std::string>("verdict") == "warning");
  CHECK(h.json()->getValue<std::int64_t>("grace_until") == grace_until);
  // A later attestation inside the grace keeps the first sighting's end.
  auto again = f.attest();
  REQUIRE(again.status == 200);
  CHECK(again.json()->getValue<std::string>("verdict") == "warning");
  CHECK(again.json()->getValue<std::int64_t>("grace_until") == grace_until);

  // The grace runs out before the next attestation: the health query denies at once.
  age_grace(f.v->service().store(), f.dev->device_id, 3601);
  auto h2 = c.get(health, rp);
  REQUIRE(h2.status == 200);
  CHECK_FALSE(h2.json()->getValue<bool>("allow"));
  CHECK(h2.body.find("grace_expired") != std::string::npos);
  // The next attestation is unhealthy and voids the warning tokens.
  auto late = f.attest();
  REQUIRE(late.status == 200);
  CHECK(late.json()->getValue<std::string>("verdict") == "unhealthy");
  CHECK(c.get("/v1/authz", late.json()->getValue<std::string>("token")).status == 403);

  // Fixed: healthy, and the first sighting is forgotten (a relapse starts a new grace).
  f.dev->host.disk_encrypted = true;
  auto fixed = f.attest();
  REQUIRE(fixed.status == 200);
  CHECK(fixed.json()->getValue<std::string>("verdict") == "healthy");
  auto m = c.get("/metrics").body;
  CHECK(m.find("paw_attestation_verdicts_total{verdict=\"warning\"} 2") != std::string::npos);
}

}  // namespace paw::test

namespace paw::test {

TEST_CASE("flow: capture --add keeps both firmwares healthy until the old set ends") {
  Fleet f;
  f.enroll();
  auto c = f.client();
  REQUIRE(f.attest().status == 200);
  const std::string capture = "/v1/admin/devices/" + f.dev->device_id + "/capture";
  // The reference machine on today's firmware: the policy's reference.
  REQUIRE(c.post(capture, "", f.v->admin()).status == 200);
  REQUIRE(f.attest().json()->getValue<std::string>("verdict") == "healthy");
  // A firmware update (PCR 7: Secure Boot db) on the reference machine.
  soft::BootConfig updated;
  updated.db = to_bytes("soft db v2 (an extra key)");
  REQUIRE(f.dev->use_event_log(soft::make_event_log(updated)).ok());
  auto before = f.attest();
  REQUIRE(before.status == 200);
  CHECK(before.json()->getValue<std::string>("verdict") == "unhealthy");
  // Bad requests change nothing.
  CHECK(c.post(capture, R"({"mode":"add"})", f.v->admin()).status == 400);
  CHECK(c.post(capture, R"({"mode":"merge","name":"x"})", f.v->admin()).status == 400);
  CHECK(c.post(capture, R"({"mode":"add","name":"Bad Name"})", f.v->admin()).status == 400);
  auto add = c.post(capture, R"({"mode":"add","name":"bios-1.22","expire_seconds":1209600})", f.v->admin());
  REQUIRE_MESSAGE(add.status == 200, add.body);
  auto sets = add.json()->getObject("pcrs")->getArray("reference_sets");
  REQUIRE(sets->size() == 1);
  CHECK(sets->getObject(0)->getValue<std::string>("name") == "bios-1.22");
  CHECK(sets->getObject(0)->getValue<std::int64_t>("not_after") >= verifier::system_unix_now() + 1209600 - 5);
  // The updated machine is healthy under the new set, and one still on the
  // old firmware under the old reference.
  auto updated_answer = f.attest();
  REQUIRE(updated_answer.status == 200);
  CHECK(updated_answer.json()->getValue<std::string>("verdict") == "healthy");
  REQUIRE(f.dev->use_event_log(soft::make_event_log(soft::BootConfig{})).ok());
  auto old_answer = f.attest();
  REQUIRE(old_answer.status == 200);
  CHECK(old_answer.json()->getValue<std::string>("verdict") == "healthy");
  auto ev = c.get("/v1/admin/events?limit=1000", f.v->admin()).body;
  CHECK(ev.find(R"("set":"bios-1.22")") != std::string::npos);
}

TEST_CASE("flow: the device answer keeps the Secure Boot state the event log proves, beside the agent's reading") {
  // The agent could not read the SecureBoot variable (no efivars where it
  // runs): host.secure_boot is absent, yet the log the quote binds says it.
  Fleet f;
  f.dev->host.secure_boot = std::nullopt;
  f.enroll();
  REQUIRE(f.attest().status == 200);
  auto c = f.client();
  const std::string path = "/v1/admin/devices/" + f.dev->device_id;
  auto on = c.get(path, f.v->admin());
  REQUIRE(on.status == 200);
  auto a = on.json()->getObject("last_appraisal");
  REQUIRE(!a.isNull());
  CHECK_FALSE(a->getObject("host")->has("secure_boot"));
  REQUIRE(a->has("secure_boot"));
  CHECK(a->getValue<bool>("secure_boot") == true);
  // A boot with Secure Boot off: the next record says off (whatever the verdict).
  soft::BootConfig off;
  off.secure_boot = false;
  REQUIRE(f.dev->use_event_log(soft::make_event_log(off)).ok());
  REQUIRE(f.attest().status == 200);
  auto now_off = c.get(path, f.v->admin()).json()->getObject("last_appraisal");
  REQUIRE(now_off->has("secure_boot"));
  CHECK(now_off->getValue<bool>("secure_boot") == false);
}

}  // namespace paw::test
