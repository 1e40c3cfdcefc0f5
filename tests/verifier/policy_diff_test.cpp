// policy_diff_test.cpp — GET /v1/admin/devices/{id}/diff over HTTPS against
// the real service: the software workstation boots real firmware event logs
// of one machine model (COS 85 and COS 93 on the same GCE AMD SEV machine
// type), `policy capture` keeps the reference boot's events, and the diff
// names the events that changed (PCR, index, type, what, digests), not only
// the PCRs. A hand edit of a set's values drops the events captured for the
// old ones. Errors are 4xx; a read-scope credential may ask.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include "soft_fleet.h"
#include "test_data.h"

namespace paw::test {
namespace {

const char* const kCos85 = "go-tpm-tools/internal/test/eventlogs/cos-85-amd-sev.bin";
const char* const kCos93 = "go-tpm-tools/internal/test/eventlogs/cos-93-amd-sev.bin";

json::ObjectPtr change_at(const json::ObjectPtr& diff, std::int64_t pcr, std::int64_t index) {
  auto changes = diff->getArray("changes");
  REQUIRE(!changes.isNull());
  for (std::size_t i = 0; i < changes->size(); ++i) {
    auto c = changes->getObject(static_cast<unsigned>(i));
    auto d = c->getObject("device");
    if (c->getValue<std::int64_t>("pcr") == pcr && !d.isNull() && d->getValue<std::int64_t>("index") == index) return c;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("policy diff: the events a device's boot differs in from the captured reference boot") {
  Fleet f;
  f.v->use_bearer_logins();
  REQUIRE(f.dev->use_event_log(load(test_data(kCos85))).ok());
  f.enroll();
  auto c = f.client();
  const std::string diff = "/v1/admin/devices/" + f.dev->device_id + "/diff";
  const std::string capture = "/v1/admin/devices/" + f.dev->device_id + "/capture";

  CHECK(c.get(diff, f.v->admin()).status == 409);  // no attestation yet
  REQUIRE(f.attest().status == 200);
  CHECK(c.get(diff, f.v->admin()).status == 409);  // nothing captured with its events
  CHECK(c.get("/v1/admin/devices/nope/diff", f.v->admin()).status == 404);

  // The reference machine on COS 85: its boot is the policy's reference.
  REQUIRE(c.post(capture, "", f.v->admin()).status == 200);
  auto ev = c.get("/v1/admin/events?limit=1000", f.v->admin()).body;
  CHECK(ev.find(R"("events":0)") == std::string::npos);  // the capture kept events
  REQUIRE(f.attest().json()->getValue<std::string>("verdict") == "healthy");
  auto same = c.get(diff, f.v->admin());
  REQUIRE_MESSAGE(same.status == 200, same.body);
  CHECK(same.json()->getValue<std::string>("against") == "reference");
  CHECK(same.json()->getValue<std::string>("captured_from") == f.dev->device_id);
  CHECK(same.json()->getArray("changes")->size() == 0);
  CHECK(same.json()->getArray("pcrs")->size() == 0);

  // The device now boots COS 93: another shim and kernel command line.
  REQUIRE(f.dev->use_event_log(load(test_data(kCos93))).ok());
  auto at = f.attest();
  REQUIRE(at.status == 200);
  CHECK(at.json()->getValue<std::string>("verdict") == "unhealthy");
  auto d = c.get(diff, f.v->admin());
  REQUIRE_MESSAGE(d.status == 200, d.body);
  auto o = d.json();
  // PCR 4 differs from the reference value...
  auto pcrs = o->getArray("pcrs");
  REQUIRE(pcrs->size() >= 1);
  bool pcr4 = false;
  for (std::size_t i = 0; i < pcrs->size(); ++i) pcr4 |= pcrs->getObject(static_cast<unsigned>(i))->getValue<int>("index") == 4;
  CHECK(pcr4);
  // ... and the events say why: the first boot application and the kernel command line.
  auto shim = change_at(o, 4, 22);
  REQUIRE(shim);
  CHECK(shim->getValue<std::string>("change") == "changed");
  CHECK(shim->getValue<std::string>("type") == "EV_EFI_BOOT_SERVICES_APPLICATION");
  CHECK(shim->getObject("reference")->getValue<std::string>("digest") !=
        shim->getObject("device")->getValue<std::string>("digest"));
  auto cmdline = change_at(o, 8, 43);
  REQUIRE(cmdline);
  CHECK(cmdline->getObject("reference")->getValue<std::string>("subject").find(" noswap ") != std::string::npos);
  CHECK(cmdline->getObject("device")->getValue<std::string>("subject").find(" noswap ") == std::string::npos);
  // Nothing in the firmware or Secure Boot PCRs changed.
  auto changes = o->getArray("changes");
  for (std::size_t i = 0; i < changes->size(); ++i) {
    const auto pcr = changes->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("pcr");
    CHECK((pcr != 0 && pcr != 7));
  }

  // COS 93 captured as a set of its own: the default diff is against the
  // latest capture (no difference), --against reference against the old one.
  REQUIRE(c.post(capture, R"({"mode":"add","name":"cos-93"})", f.v->admin()).status == 200);
  REQUIRE(f.attest().status == 200);
  auto latest = c.get(diff, f.v->admin());
  REQUIRE_MESSAGE(latest.status == 200, latest.body);
  CHECK(latest.json()->getValue<std::string>("against") == "cos-93");
  CHECK(latest.json()->getArray("changes")->size() == 0);
  auto old = c.get(diff + "?against=reference", f.v->admin());
  REQUIRE(old.status == 200);
  CHECK(change_at(old.json(), 4, 22));
  CHECK(c.get(diff + "?against=cos-93", f.v->admin()).json()->getArray("changes")->size() == 0);
  CHECK(c.get(diff + "?against=no-such-set", f.v->admin()).status == 404);
  // A set cannot take the name the policy's own reference answers to:
  // --against reference could never select it.
  auto clash = c.post(capture, R"({"mode":"add","name":"reference"})", f.v->admin());
  CHECK(clash.status == 400);
  CHECK(clash.body.find("names the policy's own reference") != std::string::npos);
  auto still = c.get(diff + "?against=reference", f.v->admin());
  REQUIRE(still.status == 200);
  CHECK(change_at(still.json(), 4, 22));  // still the COS 85 reference

  // A hand edit (PUT) that gives cos-93 other values: the COS 93 boot no
  // longer explains the set, so its events are dropped (diff asks for a new
  // capture); the untouched reference keeps its own.
  auto cur = c.get("/v1/admin/policies/default", f.v->admin());
  REQUIRE(cur.status == 200);
  json::ObjectPtr edited = cur.json();
  if (edited->has("policy")) edited = edited->getObject("policy");
  auto set = edited->getObject("pcrs")->getArray("reference_sets")->getObject(0);
  REQUIRE(set->getValue<std::string>("name") == "cos-93");
  auto bank = set->getObject("values")->getObject("sha256");
  bank->set("4", std::string(64, 'a'));
  edited->remove("version");
  REQUIRE(c.request("PUT", "/v1/admin/policies/default", json::stringify(edited), f.v->admin()).status == 200);
  auto stale = c.get(diff + "?against=cos-93", f.v->admin());
  CHECK(stale.status == 409);
  CHECK(stale.body.find("capture it again") != std::string::npos);
  auto kept = c.get(diff + "?against=reference", f.v->admin());
  REQUIRE(kept.status == 200);
  CHECK(change_at(kept.json(), 4, 22));
  auto nearest = c.get(diff, f.v->admin());  // the cleared set is no candidate
  REQUIRE_MESSAGE(nearest.status == 200, nearest.body);
  CHECK(nearest.json()->getValue<std::string>("against") == "reference");
  // An edit that leaves the values alone keeps the captured events.
  REQUIRE(c.post(capture, R"({"mode":"add","name":"cos-93"})", f.v->admin()).status == 200);
  cur = c.get("/v1/admin/policies/default", f.v->admin());
  edited = cur.json();
  if (edited->has("policy")) edited = edited->getObject("policy");
  edited->getObject("pcrs")->getArray("reference_sets")->getObject(0)->set("not_after", std::int64_t{4102444800});
  edited->remove("version");
  REQUIRE(c.request("PUT", "/v1/admin/policies/default", json::stringify(edited), f.v->admin()).status == 200);
  CHECK(c.get(diff + "?against=cos-93", f.v->admin()).status == 200);

  // Read scope suffices.
  auto made = c.post("/v1/admin/credentials", R"({"scope":"read","label":"reader","expires_in_seconds":3600})",
                     f.v->admin());
  REQUIRE(made.status == 201);
  CHECK(c.get(diff, made.json()->getValue<std::string>("credential")).status == 200);
}

TEST_CASE("policy capture: the values and the events behind them commit together, or neither does") {
  Fleet f;
  f.v->use_bearer_logins();
  REQUIRE(f.dev->use_event_log(load(test_data(kCos85))).ok());
  f.enroll();
  auto c = f.client();
  REQUIRE(f.attest().status == 200);
  const std::string capture = "/v1/admin/devices/" + f.dev->device_id + "/capture";
  auto version = [&] {
    auto p = c.get("/v1/admin/policies/default", f.v->admin());
    REQUIRE(p.status == 200);
    json::ObjectPtr o = p.json();
    if (o->has("policy")) o = o->getObject("policy");
    return o->getValue<std::int64_t>("version");
  };
  const std::int64_t before = version();
  // The reference events cannot be written (a trigger in the real SQLite
  // file refuses them): the capture fails, and the policy must not change.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((f.v->state().state() + "/paw.db").c_str(), &db) == SQLITE_OK);
  const char* refuse =
      "CREATE TRIGGER refuse_refs BEFORE INSERT ON reference_events BEGIN SELECT RAISE(ABORT, 'refused'); END";
  REQUIRE(sqlite3_exec(db, refuse, nullptr, nullptr, nullptr) == SQLITE_OK);
  auto failed = c.post(capture, "", f.v->admin());
  CHECK(failed.status >= 500);
  CHECK(version() == before);
  REQUIRE(sqlite3_exec(db, "DROP TRIGGER refuse_refs", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  REQUIRE(c.post(capture, "", f.v->admin()).status == 200);
  CHECK(version() == before + 1);
  CHECK(c.get("/v1/admin/devices/" + f.dev->device_id + "/diff", f.v->admin()).status == 200);
}

TEST_CASE("policy PUT: new values and the clearing of the events captured for the old ones commit together") {
  Fleet f;
  f.v->use_bearer_logins();
  REQUIRE(f.dev->use_event_log(load(test_data(kCos85))).ok());
  f.enroll();
  auto c = f.client();
  REQUIRE(f.attest().status == 200);
  const std::string diff = "/v1/admin/devices/" + f.dev->device_id + "/diff";
  REQUIRE(c.post("/v1/admin/devices/" + f.dev->device_id + "/capture", "", f.v->admin()).status == 200);
  REQUIRE(c.get(diff, f.v->admin()).status == 200);
  auto current = [&] {
    auto p = c.get("/v1/admin/policies/default", f.v->admin());
    REQUIRE(p.status == 200);
    json::ObjectPtr o = p.json();
    if (o->has("policy")) o = o->getObject("policy");
    return o;
  };
  const std::int64_t before = current()->getValue<std::int64_t>("version");
  // A hand edit of the reference's PCR 4: its captured events must go with it.
  json::ObjectPtr edited = current();
  edited->getObject("pcrs")->getObject("reference")->getObject("sha256")->set("4", std::string(64, 'a'));
  edited->remove("version");
  const std::string body = json::stringify(edited);
  // Clearing the events fails (a trigger in the real SQLite file refuses
  // it): the PUT fails whole, the policy keeps its version and values, and
  // diff still explains them with their events.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((f.v->state().state() + "/paw.db").c_str(), &db) == SQLITE_OK);
  const char* refuse =
      "CREATE TRIGGER refuse_clear BEFORE UPDATE ON reference_events BEGIN SELECT RAISE(ABORT, 'refused'); END";
  REQUIRE(sqlite3_exec(db, refuse, nullptr, nullptr, nullptr) == SQLITE_OK);
  auto failed = c.request("PUT", "/v1/admin/policies/default", body, f.v->admin());
  CHECK(failed.status >= 500);
  CHECK(current()->getValue<std::int64_t>("version") == before);
  CHECK(current()->getObject("pcrs")->getObject("reference")->getObject("sha256")->getValue<std::string>("4") !=
        std::string(64, 'a'));
  CHECK(c.get(diff, f.v->admin()).status == 200);
  REQUIRE(sqlite3_exec(db, "DROP TRIGGER refuse_clear", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  // Now both commit: the new version, and no events beside its new values.
  REQUIRE(c.request("PUT", "/v1/admin/policies/default", body, f.v->admin()).status == 200);
  CHECK(current()->getValue<std::int64_t>("version") == before + 1);
  auto cleared = c.get(diff + "?against=reference", f.v->admin());
  CHECK(cleared.status == 409);
  CHECK(cleared.body.find("capture it again") != std::string::npos);
}

}  // namespace paw::test
