// The fleet watcher's scan (Store::list_stale_candidates) on both backends:
// only enrolled devices unseen since the cut-off come back.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "postgres.h"
#include "store/store.h"
#include "test_data.h"

namespace paw::verifier {
namespace {

void add(Store& store, const std::string& id, DeviceStatus status, std::int64_t created, std::int64_t attested) {
  StoredDevice d;
  d.id = id;
  d.status = status;
  d.record_json = "{}";
  d.state_json = "{}";
  d.last_reasons = "[]";
  d.created_at = created;
  d.last_attested_at = attested;
  REQUIRE(store.add_device(d).ok());
}

std::vector<std::string> ids(Store& store, std::int64_t before) {
  auto c = store.list_stale_candidates(before);
  REQUIRE_MESSAGE(c.ok(), c.error().what());
  std::vector<std::string> out;
  for (const auto& d : *c) out.push_back(d.id);
  std::sort(out.begin(), out.end());
  return out;
}

void check_scan(Store& store) {
  add(store, "fresh", DeviceStatus::enrolled, 100, 1000);      // attested after the cut-off
  add(store, "old", DeviceStatus::enrolled, 100, 400);         // attested before it
  add(store, "never-old", DeviceStatus::enrolled, 100, 0);     // never attested, enrolled long ago
  add(store, "never-new", DeviceStatus::enrolled, 900, 0);     // never attested, enrolled recently
  add(store, "revoked", DeviceStatus::revoked, 100, 400);      // not watched
  add(store, "stale", DeviceStatus::stale, 100, 400);          // already stale: no second alert
  add(store, "pending", DeviceStatus::pending, 100, 0);        // waits for approval
  CHECK(ids(store, 500) == std::vector<std::string>{"never-old", "old"});
  CHECK(ids(store, 400) == std::vector<std::string>{"never-old"});  // strictly older
  CHECK(ids(store, 5000) == std::vector<std::string>{"fresh", "never-new", "never-old", "old"});
  CHECK(ids(store, 0).empty());
}

}  // namespace

TEST_CASE("store: the fleet watcher's scan returns only enrolled devices unseen since the cut-off (SQLite)") {
  test::TempDir dir;
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  check_scan(**s);
}

TEST_CASE("store: the fleet watcher's scan returns only enrolled devices unseen since the cut-off (PostgreSQL)") {
  auto s = open_store(test::Postgres::shared().create_database());
  REQUIRE_MESSAGE(s.ok(), s.error().what());
  check_scan(**s);
}

}  // namespace paw::verifier
