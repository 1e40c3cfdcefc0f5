// GET /v1/admin/events?device=ID through the real verifier (SQLite, TLS):
// one device's events out of a busy fleet's, a long poll that other
// devices' events do not end, and a bad filter refused with 400 malformed.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <chrono>
#include <thread>

#include "clock.h"
#include "service.h"
#include "store/store.h"
#include "util.h"
#include "verifier_fixture.h"

namespace paw::test {
namespace {

std::vector<std::string> devices_of(const HttpAnswer& a) {
  std::vector<std::string> out;
  auto arr = a.json()->getArray("events");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    out.push_back(arr->getObject(static_cast<unsigned>(i))->getValue<std::string>("device_id"));
  }
  return out;
}

// cpu_seconds: this process's CPU time so far (the verifier runs in it).
double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

verifier::StoredDevice device(const std::string& id) {
  verifier::StoredDevice d;
  d.id = id;
  d.status = verifier::DeviceStatus::enrolled;
  d.record_json = "{}";
  d.state_json = "{}";
  d.last_appraisal_json = "{}";
  d.last_reasons = "[]";
  d.created_at = d.updated_at = verifier::system_unix_now();
  return d;
}

}  // namespace

TEST_CASE("events: ?device=ID answers that device's events out of a busy fleet's, with after and limit") {
  TestVerifier v;
  auto c = v.client();
  auto& store = v.service().store();
  // 1200 events of other devices around 5 of dev-a's: more than a fleet page.
  std::vector<std::int64_t> mine;
  for (int i = 0; i < 1205; ++i) {
    const bool a = i % 241 == 240;
    auto id = store.add_event({0, verifier::system_unix_now(), "attestation",
                               a ? "dev-a" : "dev-" + std::to_string(i % 50), R"({"verdict":"healthy"})"});
    REQUIRE(id.ok());
    if (a) mine.push_back(*id);
  }
  REQUIRE(mine.size() == 5);
  auto got = c.get("/v1/admin/events?device=dev-a&limit=1000", v.admin());
  REQUIRE_MESSAGE(got.status == 200, got.body);
  CHECK(devices_of(got) == std::vector<std::string>(5, "dev-a"));
  CHECK(got.json()->getValue<std::int64_t>("next") == mine.back());
  auto page = c.get("/v1/admin/events?device=dev-a&after=" + std::to_string(mine[1]) + "&limit=2", v.admin());
  REQUIRE(page.status == 200);
  auto arr = page.json()->getArray("events");
  REQUIRE(arr->size() == 2);
  CHECK(arr->getObject(0)->getValue<std::int64_t>("id") == mine[2]);
  CHECK(page.json()->getValue<std::int64_t>("next") == mine[3]);
  CHECK(page.json()->getArray("events")->getObject(0)->getObject("detail")->getValue<std::string>(
            "verdict") == "healthy");
  // A device with no event: an empty answer, next stays at after.
  auto none = c.get("/v1/admin/events?device=dev-none&after=7", v.admin());
  REQUIRE(none.status == 200);
  CHECK(none.json()->getArray("events")->size() == 0);
  CHECK(none.json()->getValue<std::int64_t>("next") == 7);
  // A read-scoped credential may filter too (the route's scope is read).
  auto made = c.post("/v1/admin/credentials", R"({"scope":"read","label":"reader","expires_in_seconds":600})",
                     v.admin());
  REQUIRE_MESSAGE(made.status == 201, made.body);
  auto as_reader = c.get("/v1/admin/events?device=dev-a", made.json()->getValue<std::string>("credential"));
  CHECK(as_reader.status == 200);
  CHECK(devices_of(as_reader).size() == 5);
}

TEST_CASE("events: a bad device filter is 400 malformed, never a 5xx or an empty answer") {
  TestVerifier v;
  auto c = v.client();
  const std::vector<std::string> bads = {
      "", std::string(129, 'a'), "dev%2Fa", "dev%20a", "dev.a", "%00", "d%C3%A9v", "dev-a%27%20OR%201%3D1--"};
  for (const std::string& bad : bads) {
    CAPTURE(bad);
    auto r = c.get("/v1/admin/events?device=" + bad, v.admin());
    CHECK(r.status == 400);
    REQUIRE(r.json());
    CHECK(r.json()->getValue<std::string>("error") == "malformed");
    CHECK(r.json()->getValue<std::string>("message").find("device") != std::string::npos);
    // The long-poll form is refused the same way, at once.
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(c.get("/v1/admin/events?wait=5&device=" + bad, v.admin()).status == 400);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
  }
  CHECK(c.get("/v1/admin/events?device=" + std::string(128, 'a'), v.admin()).status ==
        200);  // the longest id
}

TEST_CASE("events: a device's long poll is not ended by other devices' events, and times out cleanly") {
  TestVerifier v;
  auto c = v.client();
  auto& store = v.service().store();
  for (const char* id : {"dev-a", "dev-b", "dev-c"}) REQUIRE(store.add_device(device(id)).ok());
  const std::int64_t start = *store.last_event_id();
  // Quiet for dev-a, though the fleet is not (dev-c's revocation, newer than
  // |start|): the poll answers 200, nothing, next == after, after its wait,
  // and re-reads about once a second rather than spinning on the newer event.
  REQUIRE(c.post("/v1/admin/devices/dev-c/revoke", "", v.admin()).status == 200);
  auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  auto quiet = c.get("/v1/admin/events?device=dev-a&wait=2&after=" + std::to_string(start), v.admin());
  const double cpu = cpu_seconds() - cpu0;
  REQUIRE(quiet.status == 200);
  CHECK(quiet.json()->getArray("events")->size() == 0);
  CHECK(quiet.json()->getValue<std::int64_t>("next") == start);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(1900));
  CHECK_MESSAGE(cpu < 0.2, "the 2 s poll used " << cpu << " s of CPU: it spun on other devices' events");

  // Other devices' events (dev-b's revocation and every call's audit event)
  // arrive first; only dev-a's revocation, 1.3 s later, ends the poll. That
  // pause stays real time: it gives the poll's thread the time to wake on
  // dev-b's events, re-read and wait again (the long poll waits on
  // steady_clock, and that step has no signal a test can watch).
  std::thread others([&] {
    auto oc = v.client();
    CHECK(wait_until([&] { return v.service().requests_in_flight() > 0; }));  // the poll is in the service
    (void)oc.post("/v1/admin/devices/dev-b/revoke", "", v.admin());
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    (void)oc.post("/v1/admin/devices/dev-a/revoke", "", v.admin());
  });
  t0 = std::chrono::steady_clock::now();
  auto polled = c.get("/v1/admin/events?device=dev-a&wait=20&after=" + std::to_string(start), v.admin());
  const auto took = std::chrono::steady_clock::now() - t0;
  others.join();
  REQUIRE(polled.status == 200);
  CHECK(devices_of(polled) == std::vector<std::string>{"dev-a"});
  CHECK(polled.json()->getArray("events")->getObject(0)->getValue<std::string>("type") == "revocation");
  CHECK(took >= std::chrono::milliseconds(1200));
  CHECK(took < std::chrono::seconds(10));
  // The fleet's stream has dev-b's revocation too: the filter hid it, nothing lost it.
  auto fleet = c.get("/v1/admin/events?limit=1000&after=" + std::to_string(start), v.admin());
  CHECK(fleet.body.find(R"("device_id":"dev-b")") != std::string::npos);
}

}  // namespace paw::test
