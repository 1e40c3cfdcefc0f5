// learn_test.cpp — learn mode (docs/policy.md, "Learn mode") over HTTPS with
// software workstations against the real service and SQLite store: a boot
// application the policy lacks, seen on two otherwise healthy devices, is
// queued; one device attesting again and again counts once; evidence that
// does not verify and a device failing anything else add nothing; approve
// makes the digest allowed (a new policy version), reject keeps it out for good.
#include <doctest/doctest.h>

#include <set>

#include "paw/attest/digest.h"
#include "paw/attest/ima.h"
#include "soft_fleet.h"
#include "test_data.h"
#include "util.h"

namespace paw::test {
namespace {

const Bytes kShim = sha256(to_bytes("shimx64.efi"));
const Bytes kGrub = sha256(to_bytes("grubx64.efi"));
const Bytes kNewKernel = sha256(to_bytes("vmlinuz-6.12.efi"));
const Bytes kOddLoader = sha256(to_bytes("odd-loader.efi"));

// The default policy: PCRs 0, 4 and 7 quoted (no reference: the boot
// applications are judged through PCR 4's events), shim and grub allowed,
// learn mode queueing what two devices show.
std::string learn_policy(std::int64_t min_devices) {
  return R"({"pcrs":{"required":{"sha256":[0,4,7]},"pin_on_enroll":false},"boot_applications":[")" + hex(kShim) +
         R"(",")" + hex(kGrub) + R"("],"learn":{"min_devices":)" + std::to_string(min_devices) +
         R"(},"login":{"token_binding":"bearer"}})";
}

soft::BootConfig booting(std::vector<Bytes> apps, bool secure_boot = true) {
  soft::BootConfig b;
  b.boot_apps = std::move(apps);
  b.secure_boot = secure_boot;
  return b;
}

// enroll makes one more workstation of |f|'s fleet, booting |boot|.
soft::SoftDevice enroll(Fleet& f, const soft::BootConfig& boot) {
  auto d = soft::SoftDevice::create(kRp, &f.ek_ca, &f.fido_ca).value();
  REQUIRE(d.use_event_log(soft::make_event_log(boot)).ok());
  auto c = f.client();
  auto req = d.enrollment_request(f.v->create_token());
  REQUIRE(req.ok());
  auto a = c.post("/v1/enrollments", serialize_enrollment_request(*req));
  REQUIRE_MESSAGE(a.status == 201, a.body);
  auto o = a.json();
  auto secret = d.tpm.activate_credential(*unbase64(o->getValue<std::string>("credential_blob")),
                                          *unbase64(o->getValue<std::string>("encrypted_secret")));
  REQUIRE(secret.ok());
  auto act = c.post("/v1/enrollments/" + o->getValue<std::string>("enrollment_id") + "/activation",
                    R"({"secret":")" + base64(secret->view()) + "\"}");
  REQUIRE_MESSAGE(act.status == 200, act.body);
  d.device_id = act.json()->getValue<std::string>("device_id");
  return d;
}

Bytes challenge_for(Fleet& f, const std::string& id) {
  auto ch = f.client().post("/v1/challenges", R"({"device_id":")" + id + "\"}");
  REQUIRE_MESSAGE(ch.status == 201, ch.body);
  return *unhex(ch.json()->getValue<std::string>("nonce"));
}

HttpAnswer attest(Fleet& f, soft::SoftDevice& d) {
  auto env = d.attest(challenge_for(f, d.device_id));
  REQUIRE(env.ok());
  return f.client().post("/v1/attestations", serialize_envelope(*env));
}

std::string verdict_of(const HttpAnswer& a) {
  REQUIRE_MESSAGE(a.status == 200, a.body);
  return a.json()->getValue<std::string>("verdict");
}

json::ArrayPtr queue(Fleet& f, const std::string& query = "") {
  auto a = f.client().get("/v1/admin/refs/pending" + query, f.v->admin());
  REQUIRE_MESSAGE(a.status == 200, a.body);
  return a.json()->getArray("candidates");
}

// candidate: the queued entry for |digest| (null if none).
json::ObjectPtr candidate(Fleet& f, const Bytes& digest, const std::string& query = "") {
  auto arr = queue(f, query);
  for (std::size_t i = 0; i < arr->size(); ++i) {
    auto o = arr->getObject(static_cast<unsigned>(i));
    if (o->getValue<std::string>("digest") == hex(digest)) return o;
  }
  return nullptr;
}

std::size_t events_of(Fleet& f, const std::string& type) {
  auto ev = f.v->service().store().list_events(0, 100000);
  REQUIRE(ev.ok());
  std::size_t n = 0;
  for (const auto& e : *ev) n += e.type == type ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("learn: a boot application on two otherwise healthy devices is queued, approved, then allowed") {
  Fleet f;
  auto c = f.client();
  auto put = c.request("PUT", "/v1/admin/policies/default", learn_policy(2), f.v->admin());
  REQUIRE_MESSAGE(put.status == 200, put.body);
  const auto updated = soft::BootConfig{booting({kShim, kGrub, kNewKernel})};
  auto a = enroll(f, updated);
  auto b = enroll(f, updated);
  auto broken = enroll(f, booting({kShim, kGrub, kNewKernel}, false));  // Secure Boot off as well
  auto old = enroll(f, booting({kShim, kGrub}));

  // The old boot is healthy and shows nothing to learn.
  CHECK(verdict_of(attest(f, old)) == "healthy");
  CHECK(queue(f)->size() == 0);

  // One device, three attestations: denied each time, counted once.
  for (int i = 0; i < 3; ++i) CHECK(verdict_of(attest(f, a)) == "unhealthy");
  auto q = candidate(f, kNewKernel);
  REQUIRE(q);
  CHECK(q->getValue<std::int64_t>("devices") == 1);
  CHECK(q->getValue<bool>("ready") == false);
  CHECK(q->getValue<std::string>("kind") == "boot_app");
  CHECK(q->getValue<std::string>("policy") == "default");
  CHECK(q->getValue<std::string>("first_device") == a.device_id);
  CHECK(q->getValue<std::int64_t>("min_devices") == 2);
  CHECK(queue(f)->size() == 1);  // shim and grub are allowed: not queued

  // A device that fails something else (Secure Boot off) teaches nothing.
  CHECK(verdict_of(attest(f, broken)) == "unhealthy");
  CHECK(candidate(f, kNewKernel)->getValue<std::int64_t>("devices") == 1);

  // Evidence for b's id quoted by another TPM does not verify: nothing counts.
  auto impostor = soft::SoftDevice::create(kRp, &f.ek_ca, &f.fido_ca).value();
  REQUIRE(impostor.use_event_log(soft::make_event_log(updated)).ok());
  impostor.device_id = b.device_id;
  for (int i = 0; i < 2; ++i) {
    auto env = impostor.attest(challenge_for(f, b.device_id));
    REQUIRE(env.ok());
    CHECK(c.post("/v1/attestations", serialize_envelope(*env)).status == 422);
  }
  CHECK(candidate(f, kNewKernel)->getValue<std::int64_t>("devices") == 1);
  CHECK(events_of(f, "learn_candidate") == 0);

  // The second real device brings it to min_devices: ready, listed first, an event.
  CHECK(verdict_of(attest(f, b)) == "unhealthy");
  q = candidate(f, kNewKernel);
  REQUIRE(q);
  CHECK(q->getValue<std::int64_t>("devices") == 2);
  CHECK(q->getValue<bool>("ready") == true);
  CHECK(events_of(f, "learn_candidate") == 1);
  CHECK(verdict_of(attest(f, b)) == "unhealthy");  // again: still 2, no second event
  CHECK(candidate(f, kNewKernel)->getValue<std::int64_t>("devices") == 2);
  CHECK(events_of(f, "learn_candidate") == 1);
  CHECK(candidate(f, kNewKernel, "?policy=default"));
  CHECK(queue(f, "?policy=other")->size() == 0);

  // Nothing was allowed on its own.
  auto doc = c.get("/v1/admin/policies/default", f.v->admin());
  REQUIRE(doc.status == 200);
  CHECK(doc.body.find(hex(kNewKernel)) == std::string::npos);

  // Approve: a new policy version with the digest; the next attestation is healthy.
  const std::string id = std::to_string(q->getValue<std::int64_t>("id"));
  auto ap = c.post("/v1/admin/refs/" + id + "/approve", "", f.v->admin());
  REQUIRE_MESSAGE(ap.status == 200, ap.body);
  CHECK(ap.json()->getValue<std::string>("status") == "approved");
  CHECK(ap.json()->getValue<std::int64_t>("policy_version") == 3);
  doc = c.get("/v1/admin/policies/default", f.v->admin());
  CHECK(doc.body.find(hex(kNewKernel)) != std::string::npos);
  CHECK(verdict_of(attest(f, a)) == "healthy");
  CHECK(verdict_of(attest(f, b)) == "healthy");
  CHECK(verdict_of(attest(f, old)) == "healthy");
  CHECK(queue(f)->size() == 0);  // decided: out of the pending queue
  auto all = candidate(f, kNewKernel, "?status=all");
  REQUIRE(all);
  CHECK(all->getValue<std::string>("status") == "approved");
  CHECK(!all->getValue<std::string>("decided_by").empty());  // the admin credential
  CHECK(events_of(f, "learn_approved") == 1);
  // Deciding twice is a conflict.
  CHECK(c.post("/v1/admin/refs/" + id + "/approve", "", f.v->admin()).status == 409);
  CHECK(c.post("/v1/admin/refs/" + id + "/reject", "", f.v->admin()).status == 409);
}

TEST_CASE("learn: reject keeps a digest out of the queue for good") {
  Fleet f;
  auto c = f.client();
  auto put = c.request("PUT", "/v1/admin/policies/default", learn_policy(1), f.v->admin());
  REQUIRE_MESSAGE(put.status == 200, put.body);
  auto a = enroll(f, booting({kShim, kGrub, kOddLoader}));
  CHECK(verdict_of(attest(f, a)) == "unhealthy");
  auto q = candidate(f, kOddLoader);
  REQUIRE(q);
  CHECK(q->getValue<bool>("ready") == true);  // min_devices 1
  const std::string id = std::to_string(q->getValue<std::int64_t>("id"));
  auto rj = c.post("/v1/admin/refs/" + id + "/reject", "", f.v->admin());
  REQUIRE_MESSAGE(rj.status == 200, rj.body);
  CHECK(rj.json()->getValue<std::string>("status") == "rejected");
  CHECK(events_of(f, "learn_rejected") == 1);
  CHECK(queue(f)->size() == 0);
  // Seen again by this and another device: still rejected, never counted, never allowed.
  auto b = enroll(f, booting({kShim, kGrub, kOddLoader}));
  CHECK(verdict_of(attest(f, a)) == "unhealthy");
  CHECK(verdict_of(attest(f, b)) == "unhealthy");
  CHECK(queue(f)->size() == 0);
  auto all = candidate(f, kOddLoader, "?status=rejected");
  REQUIRE(all);
  CHECK(all->getValue<std::int64_t>("devices") == 1);
  CHECK(c.post("/v1/admin/refs/" + id + "/approve", "", f.v->admin()).status == 409);
  auto doc = c.get("/v1/admin/policies/default", f.v->admin());
  CHECK(doc.body.find(hex(kOddLoader)) == std::string::npos);
  // Bad requests are 4xx.
  CHECK(c.post("/v1/admin/refs/999999/approve", "", f.v->admin()).status == 404);
  CHECK(c.post("/v1/admin/refs/999999/reject", "", f.v->admin()).status == 404);
  CHECK(c.post("/v1/admin/refs/x1/approve", "", f.v->admin()).status == 400);
  CHECK(c.get("/v1/admin/refs/pending?status=maybe", f.v->admin()).status == 400);
  CHECK(c.get("/v1/admin/refs/pending?policy=Bad%20Name", f.v->admin()).status == 400);
  CHECK(c.get("/v1/admin/refs/pending").status == 401);
}

TEST_CASE("learn: off without \"learn\", and nothing is queued for a policy that allows every boot application") {
  Fleet f;
  auto c = f.client();
  // No "learn": the unknown application is denied and not queued.
  std::string doc = learn_policy(2);
  doc.replace(doc.find(R"("learn":{"min_devices":2},)"), std::string(R"("learn":{"min_devices":2},)").size(), "");
  auto put = c.request("PUT", "/v1/admin/policies/default", doc, f.v->admin());
  REQUIRE_MESSAGE(put.status == 200, put.body);
  auto a = enroll(f, booting({kShim, kGrub, kNewKernel}));
  CHECK(verdict_of(attest(f, a)) == "unhealthy");
  CHECK(queue(f, "?status=all")->size() == 0);
  // Learn on, but an empty allowlist allows every application: healthy, nothing to learn.
  put = c.request("PUT", "/v1/admin/policies/default",
                  R"({"pcrs":{"required":{"sha256":[0,4,7]},"pin_on_enroll":false},"learn":{"min_devices":1},)"
                  R"("login":{"token_binding":"bearer"}})",
                  f.v->admin());
  REQUIRE_MESSAGE(put.status == 200, put.body);
  CHECK(verdict_of(attest(f, a)) == "healthy");
  CHECK(queue(f, "?status=all")->size() == 0);
  // A malformed "learn" is refused.
  put = c.request("PUT", "/v1/admin/policies/default", R"({"learn":{"min_devices":0}})", f.v->admin());
  CHECK(put.status == 400);
  put = c.request("PUT", "/v1/admin/policies/default", R"({"learn":{"min_device":2}})", f.v->admin());
  CHECK(put.status == 400);
}

TEST_CASE("learn: an IMA file the allowlist lacks is queued with its path, and approve adds it to ima.allowlist") {
  Fleet f;
  auto c = f.client();
  const Bytes log = load(test_data("ibmtss/utils/sha1.log"));
  auto parsed = parse_ima_list(log);
  REQUIRE(parsed.ok());
  // Allow every file the log measured but /usr/bin/kmod.
  Bytes kmod;
  std::set<std::string> allowed;
  for (const auto& e : parsed->entries()) {
    if (e.violation || e.path == "boot_aggregate" || e.file_digest.empty()) continue;
    if (e.path == "/usr/bin/kmod") kmod.assign(e.file_digest.begin(), e.file_digest.end());
    else allowed.insert(hex(e.file_digest));
  }
  REQUIRE(!kmod.empty());
  allowed.erase(hex(kmod));
  std::string list;
  for (const auto& d : allowed) list += (list.empty() ? "\"" : ",\"") + d + "\"";
  auto put = c.request("PUT", "/v1/admin/policies/default",
                       R"({"ima":{"required":true,"allowlist":[)" + list +
                           R"(]},"learn":{"min_devices":1},"login":{"token_binding":"bearer"}})",
                       f.v->admin());
  REQUIRE_MESSAGE(put.status == 200, put.body);
  REQUIRE(f.dev->use_ima_log(Bytes(log)).ok());
  f.enroll();
  auto at = f.attest();
  CHECK(verdict_of(at) == "unhealthy");
  CHECK(at.body.find("ima_not_allowed") != std::string::npos);
  auto q = candidate(f, kmod);
  REQUIRE(q);
  CHECK(q->getValue<std::string>("kind") == "ima");
  CHECK(q->getValue<std::string>("description") == "/usr/bin/kmod");
  CHECK(q->getValue<std::int64_t>("devices") == 1);
  CHECK(queue(f)->size() == 1);
  auto ap = c.post("/v1/admin/refs/" + std::to_string(q->getValue<std::int64_t>("id")) + "/approve", "",
                   f.v->admin());
  REQUIRE_MESSAGE(ap.status == 200, ap.body);
  auto doc = c.get("/v1/admin/policies/default", f.v->admin());
  CHECK(doc.body.find(hex(kmod)) != std::string::npos);
  CHECK(verdict_of(f.attest()) == "healthy");
}

}  // namespace paw::test
