// PostgresStore's ordered event readers against a real PostgreSQL server
// (tests/support/postgres.h): a reader never passes over an event whose
// transaction is still in flight (split from postgres_store_test.cpp).
#include <doctest/doctest.h>

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/Session.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "api/event_query.h"
#include "clock.h"
#include "postgres.h"
#include "store/postgres/postgres_store.h"
#include "store/store.h"
#include "store_test_util.h"
#include "util.h"
#include "verifier_fixture.h"

namespace paw::verifier {
namespace {

// blocked_on_advisory_lock waits until a session of the database at
// |conn| waits for an advisory lock it was not granted (a reader queued
// behind a writer's transaction): true then, false after 10 s. A bounded
// poll of pg_locks, the observable condition, rather than a guessed sleep.
bool blocked_on_advisory_lock(const std::string& conn) {
  namespace kw = Poco::Data::Keywords;
  Poco::Data::Session watch("PostgreSQL", conn);
  return test::wait_until([&] {
    std::int64_t waiting = 0;
    watch << "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = "
             "(SELECT oid FROM pg_database WHERE datname = current_database())",
        kw::into(waiting), kw::now;
    return waiting > 0;
  });
}

}  // namespace

TEST_CASE("postgres store: an event committed after a later one is not passed over by ordered readers") {
  const std::string url = test::Postgres::shared().create_database();
  auto a = open_pg(url);
  const std::int64_t now = system_unix_now();
  REQUIRE(a->add_event({0, now, "enrollment", "dev", "{}"}).ok());  // id 1
  // A slow writer, as the store writes events: the writer lock, then the
  // INSERT that takes id 2, and no COMMIT yet.
  auto conn = postgres_connection_string(url);
  REQUIRE(conn.ok());
  Poco::Data::Session slow("PostgreSQL", *conn);
  namespace kw = Poco::Data::Keywords;
  slow.begin();
  std::int64_t got = 0, slow_id = 0;
  slow << "SELECT 1 FROM pg_advisory_xact_lock_shared($1)", kw::bind(kEventWriterLock), kw::into(got), kw::now;
  slow << "INSERT INTO events (time, type, device_id, detail) VALUES ($1, 'stale', 'dev', '{}') RETURNING id",
      kw::bind(now), kw::into(slow_id), kw::now;
  CHECK(slow_id == 2);
  // A later event commits first (id 3): a plain read skips id 2 for now.
  auto later = a->add_event({0, now, "revocation", "dev", "{}"});
  REQUIRE(later.ok());
  CHECK(*later == 3);
  auto plain = a->list_events(1, 100);
  REQUIRE(plain.ok());
  REQUIRE(plain->size() == 1);
  CHECK(plain->front().id == 3);

  // The ordered read waits for the slow writer, then gives 2 before 3.
  std::atomic<bool> returned{false};
  Result<std::vector<EventRecord>> ordered = make_error(Errc::internal, "not run");
  std::thread reader([&] {
    ordered = a->list_events_in_order(1, 100);
    returned = true;
  });
  CHECK(blocked_on_advisory_lock(*conn));  // the reader queued behind the transaction holding id 2
  CHECK(!returned.load());
  slow.commit();
  reader.join();
  REQUIRE(ordered.ok());
  REQUIRE(ordered->size() == 2);
  CHECK((*ordered)[0].id == 2);
  CHECK((*ordered)[0].type == "stale");
  CHECK((*ordered)[1].id == 3);

  // An id whose transaction rolled back leaves a gap for good: one settle, then on.
  slow.begin();
  slow << "SELECT 1 FROM pg_advisory_xact_lock_shared($1)", kw::bind(kEventWriterLock), kw::into(got), kw::now;
  slow << "INSERT INTO events (time, type, device_id, detail) VALUES ($1, 'stale', 'dev', '{}') RETURNING id",
      kw::bind(now), kw::into(slow_id), kw::now;
  slow.rollback();
  REQUIRE(a->add_event({0, now, "revocation", "dev", "{}"}).ok());
  auto past = a->list_events_in_order(3, 100);
  REQUIRE(past.ok());
  REQUIRE(past->size() == 1);
  CHECK(past->front().id == slow_id + 1);
}

TEST_CASE("postgres store: a device's reader is not passed over an event of that device still in flight") {
  const std::string url = test::Postgres::shared().create_database();
  auto a = open_pg(url);
  const std::int64_t now = system_unix_now();
  REQUIRE(a->add_event({0, now, "enrollment", "dev-a", "{}"}).ok());  // id 1
  auto conn = postgres_connection_string(url);
  REQUIRE(conn.ok());
  Poco::Data::Session slow("PostgreSQL", *conn);
  namespace kw = Poco::Data::Keywords;
  slow.begin();
  std::int64_t got = 0, slow_id = 0;
  slow << "SELECT 1 FROM pg_advisory_xact_lock_shared($1)", kw::bind(kEventWriterLock), kw::into(got), kw::now;
  slow << "INSERT INTO events (time, type, device_id, detail) VALUES ($1, 'stale', 'dev-a', '{}') RETURNING id",
      kw::bind(now), kw::into(slow_id), kw::now;
  CHECK(slow_id == 2);
  REQUIRE(a->add_event({0, now, "admin", "dev-b", "{}"}).ok());        // id 3: another device's
  REQUIRE(a->add_event({0, now, "revocation", "dev-a", "{}"}).ok());  // id 4 commits before 2
  CHECK(a->list_device_events("dev-a", 1, 100)->size() == 1);         // a plain read skips 2 for now
  std::atomic<bool> returned{false};
  Result<std::vector<EventRecord>> ordered = make_error(Errc::internal, "not run");
  std::thread reader([&] {
    ordered = list_events_for(*a, "dev-a", 1, 100);
    returned = true;
  });
  CHECK(blocked_on_advisory_lock(*conn));  // the reader queued behind the transaction holding id 2
  CHECK(!returned.load());
  slow.commit();
  reader.join();
  REQUIRE(ordered.ok());
  REQUIRE(ordered->size() == 2);
  CHECK((*ordered)[0].id == 2);
  CHECK((*ordered)[1].id == 4);
}

}  // namespace paw::verifier
