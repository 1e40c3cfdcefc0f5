// GET /v1/admin/events?order=desc through the real verifier (SQLite, TLS):
// the newest events first out of a fleet with more than a page, paged back
// with before, one device's the same way, the follow cursor it hands on,
// and bad parameters refused with 400 malformed before anything is read.
#include <doctest/doctest.h>

#include <chrono>

#include "clock.h"
#include "service.h"
#include "store/store.h"
#include "util.h"
#include "verifier_fixture.h"

namespace paw::test {
namespace {

std::vector<std::int64_t> ids_of(const HttpAnswer& a) {
  std::vector<std::int64_t> out;
  auto arr = a.json()->getArray("events");
  for (std::size_t i = 0; i < arr->size(); ++i)
    out.push_back(arr->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("id"));
  return out;
}

}  // namespace

TEST_CASE("events: order=desc answers the newest events first and pages back with before") {
  TestVerifier v;
  auto c = v.client();
  auto& store = v.service().store();
  // More than the largest page (1000), so oldest-first could not reach the newest.
  std::vector<std::int64_t> ids, mine;
  for (int i = 0; i < 1500; ++i) {
    const bool a = i % 300 == 7;
    auto id = store.add_event({0, verifier::system_unix_now(), "attestation", a ? "dev-a" : "dev-" + std::to_string(i % 9),
                               "{\"n\":" + std::to_string(i) + "}"});
    REQUIRE(id.ok());
    ids.push_back(*id);
    if (a) mine.push_back(*id);
  }
  // The newest event now is the last bulk one (the fixture's own calls came before).
  auto top = c.get("/v1/admin/events?order=desc&limit=3", v.admin());
  REQUIRE_MESSAGE(top.status == 200, top.body);
  const std::vector<std::int64_t> want_top = {ids[1499], ids[1498], ids[1497]};
  CHECK(ids_of(top) == want_top);
  CHECK(top.json()->getArray("events")->getObject(0)->getObject("detail")->getValue<int>("n") == 1499);
  // next: the follow cursor is the newest id; before: the next older page.
  CHECK(top.json()->getValue<std::int64_t>("next") == ids[1499]);
  REQUIRE(top.json()->has("before"));
  const std::int64_t before = top.json()->getValue<std::int64_t>("before");
  CHECK(before == ids[1497]);
  auto older = c.get("/v1/admin/events?order=desc&limit=3&before=" + std::to_string(before), v.admin());
  REQUIRE(older.status == 200);
  const std::vector<std::int64_t> want_older = {ids[1496], ids[1495], ids[1494]};
  CHECK(ids_of(older) == want_older);
  // The oldest page has no before: there is nothing older.
  auto first = c.get("/v1/admin/events?order=desc&limit=1000&before=" + std::to_string(ids[2]), v.admin());
  REQUIRE(first.status == 200);
  CHECK(ids_of(first).size() <= 1000);
  CHECK(ids_of(first).back() == 1);
  CHECK_FALSE(first.json()->has("before"));
  auto below_all = c.get("/v1/admin/events?order=desc&before=1", v.admin());
  REQUIRE(below_all.status == 200);
  CHECK(ids_of(below_all).empty());
  CHECK_FALSE(below_all.json()->has("before"));

  // One device's newest first.
  auto dev = c.get("/v1/admin/events?order=desc&device=dev-a&limit=2", v.admin());
  REQUIRE(dev.status == 200);
  const std::vector<std::int64_t> want_dev = {mine[4], mine[3]};
  CHECK(ids_of(dev) == want_dev);
  auto dev_rest = c.get("/v1/admin/events?order=desc&device=dev-a&before=" +
                            std::to_string(dev.json()->getValue<std::int64_t>("before")),
                        v.admin());
  const std::vector<std::int64_t> want_rest = {mine[2], mine[1], mine[0]};
  CHECK(ids_of(dev_rest) == want_rest);
  CHECK_FALSE(dev_rest.json()->has("before"));

  // A follower goes on from next with after=, oldest first, and sees what comes.
  REQUIRE(store.add_event({0, verifier::system_unix_now(), "later", "", "{}"}).ok());
  auto follow = c.get("/v1/admin/events?after=" + std::to_string(top.json()->getValue<std::int64_t>("next")),
                      v.admin());
  REQUIRE(follow.status == 200);
  REQUIRE_FALSE(ids_of(follow).empty());
  CHECK(ids_of(follow).front() == ids[1499] + 1);  // nothing skipped (the audit of these reads, then "later")
  CHECK(follow.body.find(R"("type":"later")") != std::string::npos);
  // order=asc is the default, spelled out.
  auto asc = c.get("/v1/admin/events?order=asc&limit=2", v.admin());
  REQUIRE(asc.status == 200);
  CHECK(ids_of(asc) == std::vector<std::int64_t>{1, 2});
}

TEST_CASE("events: bad order, before and their combinations are 400 malformed, at once") {
  TestVerifier v;
  auto c = v.client();
  const std::vector<std::pair<std::string, std::string>> bads = {
      {"order=DESC", "order"},
      {"order=", "order"},
      {"order=newest", "order"},
      {"order=desc&before=0", "before"},
      {"order=desc&before=-5", "before"},
      {"order=desc&before=x", "before"},
      {"order=desc&before=99999999999999999999", "before"},
      {"before=10", "before"},
      {"order=asc&before=10", "before"},
      {"order=desc&after=10", "after"},
      {"order=desc&wait=5", "wait"},
      {"order=desc&follow", "follow"},
      {"order=desc&limit=0", "limit"},
      {"order=desc&limit=1001", "limit"},
      {"order=desc&device=a%2Fb", "device"},
  };
  for (const auto& bad : bads) {
    const std::string& query = bad.first;  // no structured binding: CAPTURE is a lambda (clang 14)
    const std::string& names = bad.second;
    CAPTURE(query);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = c.get("/v1/admin/events?" + query, v.admin());
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
    CHECK(r.status == 400);
    REQUIRE(r.json());
    CHECK(r.json()->getValue<std::string>("error") == "malformed");
    CHECK(r.json()->getValue<std::string>("message").find(names) != std::string::npos);
  }
  // wait=0 is allowed (the console's unaudited page read), and a bare desc.
  CHECK(c.get("/v1/admin/events?order=desc&wait=0", v.admin()).status == 200);
  CHECK(c.get("/v1/admin/events?order=desc", v.admin()).status == 200);
  // Without a credential: 401, as every admin read.
  CHECK(c.get("/v1/admin/events?order=desc", "").status == 401);
}

}  // namespace paw::test
