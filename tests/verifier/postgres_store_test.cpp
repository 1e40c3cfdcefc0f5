// PostgresStore against a real PostgreSQL server (tests/support/postgres.h):
// the same checks as store_test.cpp (SQLite), plus what only matters with
// several replicas: two Store instances ("replicas") on one database racing
// for one nonce / token / enrollment / device revision, and replicas starting
// at the same time migrating once.
#include <doctest/doctest.h>

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/Session.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "clock.h"
#include "postgres.h"
#include "store/postgres/postgres_store.h"
#include "store/store.h"
#include "store_admin_contract.h"
#include "store_invitation_contract.h"
#include "store_events_contract.h"
#include "store_learn_contract.h"
#include "store_refs_contract.h"
#include "store_report_contract.h"
#include "store_test_util.h"
#include "swtpm.h"
#include "test_data.h"
#include "util.h"
#include "verifier_fixture.h"

namespace paw::verifier {

TEST_CASE("postgres store: URL to libpq connection string") {
  auto c = postgres_connection_string("postgresql://u%40x:p%27w@db.example:6432/paw?sslmode=verify-full&sslrootcert=/etc/ca.pem");
  REQUIRE(c.ok());
  CHECK(*c == "host='db.example' port='6432' user='u@x' password='p\\'w' dbname='paw' sslmode='verify-full' "
              "sslrootcert='/etc/ca.pem'");
  auto v6 = postgres_connection_string("postgresql://[::1]:5432/d");
  REQUIRE(v6.ok());
  CHECK(*v6 == "host='::1' port='5432' dbname='d'");
  CHECK(*postgres_connection_string("postgresql:///paw") == "dbname='paw'");
  CHECK(postgres_connection_string("postgresql://h:12x/d").code() == Errc::config_error);
  CHECK(postgres_connection_string("postgresql://h/d?bad key=1").code() == Errc::config_error);
  CHECK(postgres_connection_string("postgresql://h/d?novalue").code() == Errc::config_error);
  CHECK(postgres_connection_string("postgresql://h/d%4").code() == Errc::config_error);
  CHECK(postgres_connection_string("mysql://h/d").code() == Errc::config_error);
  // Unreachable server: a storage error, not a crash or a hang.
  CHECK(open_store("postgresql://paw:x@127.0.0.1:1/paw?connect_timeout=2").code() == Errc::storage_error);
}

TEST_CASE("postgres store: migrations are applied once - also by replicas starting together") {
  auto& pg = test::Postgres::shared();
  const std::string url = pg.create_database();
  std::vector<std::unique_ptr<Store>> stores(6);
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (auto& slot : stores) {
    threads.emplace_back([&] {
      auto s = open_store(url);
      if (s.ok()) slot = std::move(*s);
      else ++failed;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failed == 0);
  for (auto& s : stores) {
    REQUIRE(s);
    auto v = s->schema_version();
    REQUIRE(v.ok());
    CHECK(*v == 15);
  }
  stores.clear();
  auto again = open_pg(url);
  CHECK(*again->schema_version() == 15);
  // The wrong password is refused by the server.
  std::string bad = url;
  bad.replace(bad.find(pg.password()), pg.password().size(), "wrong");
  CHECK(open_store(bad).code() == Errc::storage_error);
}

TEST_CASE("postgres store: TLS with sslmode=verify-full - a wrong CA or host name is refused") {
  auto& pg = test::Postgres::shared();
  REQUIRE(!pg.ca().empty());
  const std::string url = pg.create_database();
  const std::string tls = url + "?sslmode=verify-full&sslrootcert=" + pg.ca();
  auto s = open_pg(tls);
  CHECK(*s->schema_version() == 15);
  // The connection really is TLS (asked on a connection made from the same URL).
  auto conn = postgres_connection_string(tls);
  REQUIRE(conn.ok());
  Poco::Data::Session session("PostgreSQL", *conn);
  std::string ssl;
  session << "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()", Poco::Data::Keywords::into(ssl),
      Poco::Data::Keywords::now;
  CHECK(ssl == "true");
  // A CA that did not issue the server's certificate: refused before any SQL.
  test::TempDir dir;
  const std::string other = (dir / "other.pem").string();
  REQUIRE(test::run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                             "-days", "1", "-subj", "/CN=localhost", "-keyout", (dir / "k.pem").string(), "-out", other}) == 0);
  CHECK(open_store(url + "?sslmode=verify-full&sslrootcert=" + other).code() == Errc::storage_error);
  // verify-full checks the name: connect to 127.0.0.1 (hostaddr) but expect another name → refused;
  // the same with a name the certificate has → accepted.
  auto named = [&](const std::string& host) {
    std::string u = tls;
    u.replace(u.find("127.0.0.1"), 9, host);
    return u + "&hostaddr=127.0.0.1&connect_timeout=3";
  };
  CHECK(open_store(named("wrong.example")).code() == Errc::storage_error);
  CHECK(open_store(named("localhost")).ok());
}

TEST_CASE("postgres store: 32 threads on two replicas use one nonce - exactly one wins") {
  const std::string url = test::Postgres::shared().create_database();
  auto a = open_pg(url), b = open_pg(url);
  const std::int64_t now = system_unix_now();
  for (int round = 0; round < 3; ++round) {
    const std::string nonce = "n" + std::to_string(round);
    const NonceRace race = race_for_nonce(32, [&](int i) {
      return (i % 2 == 0 ? *a : *b).use_nonce({nonce, "dev", now, now + 60});
    });
    CHECK(race.won == 1);
    CHECK(race.reused == 31);
    CHECK(race.other == 0);
  }
  // One secret for all replicas: whoever stores first.
  CHECK(*a->service_secret("challenge_key", "aaaa") == "aaaa");
  CHECK(*b->service_secret("challenge_key", "bbbb") == "aaaa");
}

TEST_CASE("postgres store: enrollment tokens single use across replicas - enrollments taken once") {
  const std::string url = test::Postgres::shared().create_database();
  auto a = open_pg(url), b = open_pg(url);
  const std::int64_t now = system_unix_now();
  REQUIRE(a->add_enrollment_token({"t1", "lab", now, now + 60, false, "", false}).ok());
  REQUIRE(a->add_enrollment_token({"t2", "lab", now, now + 60, false, "kiosk", false}).ok());
  std::atomic<int> won{0}, invalid{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    Store& s = i % 2 == 0 ? *a : *b;
    threads.emplace_back([&] {
      auto r = s.consume_enrollment_token("t1", now);
      if (r.ok() && r->label == "lab" && r->used) ++won;
      else if (r.code() == Errc::token_invalid) ++invalid;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(won == 1);
  CHECK(invalid == 15);
  CHECK(b->consume_enrollment_token("t1", now).code() == Errc::token_invalid);
  auto seen = b->find_enrollment_token("t1");
  REQUIRE((seen.ok() && seen->has_value()));
  CHECK((*seen)->used);
  CHECK((*seen)->label == "lab");
  CHECK(!(*b->find_enrollment_token("t2"))->used);
  CHECK((*b->find_enrollment_token("t2"))->policy == "kiosk");  // the token names its policy, also across replicas
  CHECK(!b->find_enrollment_token("nope")->has_value());
  CHECK(b->consume_enrollment_token("t2", now + 61).code() == Errc::token_expired);
  CHECK(b->consume_enrollment_token("nope", now).code() == Errc::token_invalid);

  REQUIRE(a->add_enrollment({"e1", "hash", R"({"k":"v"})", now, now + 60}).ok());
  std::atomic<int> taken{0};
  threads.clear();
  for (int i = 0; i < 8; ++i) {
    Store& s = i % 2 == 0 ? *a : *b;
    threads.emplace_back([&] {
      auto r = s.take_enrollment("e1", now);
      if (r.ok() && r->device_json == R"({"k":"v"})" && r->secret_hash == "hash") ++taken;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(taken == 1);
  REQUIRE(a->add_enrollment({"e2", "hash", "{}", now, now + 1}).ok());
  CHECK(b->take_enrollment("e2", now + 5).code() == Errc::token_expired);
  CHECK(b->take_enrollment("e2", now).code() == Errc::not_found);

  REQUIRE(a->use_nonce({"old", "dev", now - 100, now - 50}).ok());
  REQUIRE(a->use_nonce({"kept", "dev", now, now + 60}).ok());
  REQUIRE(a->add_enrollment_token({"t3", "lab", now - 100, now - 50, false, "", false}).ok());
  REQUIRE(b->purge_expired(now).ok());
  CHECK(a->use_nonce({"old", "dev", now, now + 60}).ok());  // purged
  CHECK(a->use_nonce({"kept", "dev", now, now + 60}).code() == Errc::nonce_reused);
  CHECK(a->consume_enrollment_token("t3", now).code() == Errc::token_invalid);
}

TEST_CASE("postgres store: devices - compare-and-swap updates - events - policies - keys - credentials") {
  const std::string url = test::Postgres::shared().create_database();
  auto a = open_pg(url), b = open_pg(url);
  Store& store = *a;
  StoredDevice d;
  d.id = "dev1";
  d.status = DeviceStatus::enrolled;
  d.label = "";
  d.record_json = "{}";
  d.state_json = "{}";
  d.last_reasons = "[]";
  d.created_at = 10;
  REQUIRE(store.add_device(d).ok());
  CHECK(store.add_device(d).code() == Errc::storage_error);  // primary key
  auto got = b->get_device("dev1");
  REQUIRE((got.ok() && got->has_value()));
  CHECK((*got)->revision == 0);
  CHECK((*got)->label.empty());
  CHECK((*got)->status == DeviceStatus::enrolled);
  StoredDevice x = **got, y = **got;
  x.last_verdict = "healthy";
  x.last_attested_at = 123456789012;
  REQUIRE(store.update_device(x).ok());
  y.last_verdict = "unhealthy";
  CHECK(b->update_device(y).code() == Errc::conflict);  // y read revision 0, x moved it on
  auto bumped = b->set_device_status("dev1", DeviceStatus::revoked, 20);
  REQUIRE((bumped.ok() && *bumped));
  CHECK(!*b->set_device_status("nope", DeviceStatus::revoked, 20));
  x.revision = 1;
  CHECK(store.update_device(x).code() == Errc::conflict);  // revocation raced: the update must not undo it
  auto now_dev = store.get_device("dev1");
  CHECK((*now_dev)->status == DeviceStatus::revoked);
  CHECK((*now_dev)->last_verdict == "healthy");
  CHECK((*now_dev)->last_attested_at == 123456789012);
  CHECK((*now_dev)->revision == 2);
  auto counts = store.count_devices_by_status();
  REQUIRE(counts.ok());
  CHECK(counts->at("revoked") == 1);
  CHECK(store.list_devices()->size() == 1);
  CHECK(*b->delete_device("dev1"));
  CHECK(!*store.delete_device("dev1"));
  x.revision = 2;
  CHECK(store.update_device(x).code() == Errc::not_found);

  // Many racing CAS writers on two replicas: exactly one per revision wins.
  d.id = "dev2";
  REQUIRE(store.add_device(d).ok());
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    Store& s = i % 2 == 0 ? *a : *b;
    threads.emplace_back([&, i] {
      StoredDevice w = d;  // revision 0
      w.state_json = R"({"w":)" + std::to_string(i) + "}";
      auto st = s.update_device(w);
      if (st.ok()) ++wins;
      else if (st.code() == Errc::conflict) ++conflicts;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wins == 1);
  CHECK(conflicts == 11);
  CHECK((*store.get_device("dev2"))->revision == 1);

  auto e1 = store.add_event({0, 1, "admin", "", "{}"});
  auto e2 = b->add_event({0, 2, "stale", "dev1", R"({"x":1})"});
  REQUIRE((e1.ok() && e2.ok()));
  CHECK(*e2 > *e1);
  auto evs = store.list_events(*e1, 10);
  REQUIRE(evs.ok());
  REQUIRE(evs->size() == 1);
  CHECK((*evs)[0].type == "stale");
  CHECK((*evs)[0].detail == R"({"x":1})");
  CHECK(store.list_events(0, 1)->size() == 1);

  REQUIRE(store.put_policy({"p", 1, "{}", 1}).ok());
  REQUIRE(b->put_policy({"p", 2, R"({"a":1})", 2}).ok());
  auto p = store.get_policy("p");
  REQUIRE((p.ok() && p->has_value()));
  CHECK((*p)->version == 2);
  CHECK((*p)->json == R"({"a":1})");
  CHECK(store.list_policies()->size() == 1);
  CHECK(!store.get_policy("q")->has_value());

  REQUIRE(store.add_signing_key({"k1", "{}", "pem", 1, 0}).ok());
  REQUIRE(b->retire_signing_key("k1", 5).ok());
  CHECK(store.list_signing_keys()->at(0).retired_at == 5);
  REQUIRE(store.delete_signing_keys_retired_before(6).ok());
  CHECK(store.list_signing_keys()->empty());
  REQUIRE(store.add_ssh_ca_key({"s1", "ecdsa-sha2-nistp256 AAAA", "pem", 1, 0}).ok());
  REQUIRE(b->retire_ssh_ca_key("s1", 5).ok());
  CHECK(store.list_ssh_ca_keys()->at(0).retired_at == 5);
  REQUIRE(store.delete_ssh_ca_keys_retired_before(6).ok());
  CHECK(store.list_ssh_ca_keys()->empty());

  check_credentials_and_tokens(store, *b);
}

}  // namespace paw::verifier

namespace paw::verifier {

TEST_CASE("postgres store: record_attestation is one transaction with one winner across replicas") {
  const std::string url = test::Postgres::shared().create_database();
  auto a = open_pg(url), b = open_pg(url);
  const std::int64_t now = system_unix_now();
  const StoredDevice d = seed_device(*a, "dev");
  const NonceRace race = race_for_nonce(16, [&](int i) -> Status {
    StoredDevice w = d;
    w.last_verdict = "healthy";
    w.state_json = R"({"w":)" + std::to_string(i) + "}";
    auto r = (i % 2 == 0 ? *a : *b)
                 .record_attestation({"n1", "dev", now, now + 60}, w,
                                     {{0, now, "attestation", "dev", "{}"}, {0, now, "verdict_change", "dev", "{}"}});
    if (!r.ok()) return r.error();
    // The winner gets both event ids, in order (anything else counts as "other").
    if (r->size() != 2 || (*r)[1] <= (*r)[0]) return make_error(Errc::internal, "event ids");
    return ok_status();
  });
  CHECK(race.won == 1);
  CHECK(race.reused == 15);
  CHECK(race.other == 0);
  auto evs = b->list_events(0, 100);
  REQUIRE(evs.ok());
  CHECK(evs->size() == 2);
  auto dev = b->get_device("dev");
  CHECK((*dev)->revision == 1);
  CHECK((*dev)->last_verdict == "healthy");

  // A lost compare-and-swap rolls the nonce's use back: it stays usable, no event is written.
  const UsedNonce n2{"n2", "dev", now, now + 60};
  auto stale = b->record_attestation(n2, d /* revision 0 */, {{0, now, "attestation", "dev", "{}"}});
  CHECK(stale.code() == Errc::conflict);
  CHECK(a->list_events(0, 100)->size() == 2);
  CHECK(b->record_attestation(n2, **dev, {}).ok());
  CHECK(a->use_nonce(n2).code() == Errc::nonce_reused);
  auto moved = a->get_device("dev");
  CHECK(a->record_attestation({"n1", "dev", now, now + 60}, **moved, {}).code() == Errc::nonce_reused);
}

void retention_and_cursors(Store& a, Store& b);  // store_test.cpp

TEST_CASE("postgres store: event retention - webhook cursors leased to one replica") {
  const std::string url = test::Postgres::shared().create_database();
  auto a = open_pg(url), b = open_pg(url);
  retention_and_cursors(*a, *b);
}

}  // namespace paw::verifier

namespace paw::verifier {

TEST_CASE("postgres store: migration 5 - verdict columns, EK identity lookup, replace tokens") {
  auto store = open_pg(test::Postgres::shared().create_database());
  check_migration5_contract(*store);
}

TEST_CASE("postgres store: migration 7 - owner on tokens and devices, last presence") {
  auto store = open_pg(test::Postgres::shared().create_database());
  check_migration7_contract(*store);
}

TEST_CASE("postgres store: migration 10 - report-only policies and their results") {
  auto store = open_pg(test::Postgres::shared().create_database());
  check_report_contract(*store);
}

TEST_CASE("postgres store: migration 13 - reference events - a capture and a PUT racing at two replicas") {
  const std::string url = test::Postgres::shared().create_database();
  auto a = open_pg(url), b = open_pg(url);
  check_refs_contract(*a, *b);
}

namespace {

// wait_for_lock_waiters: until |n| sessions of |s|'s database wait for a
// lock (pg_stat_activity, polled without sleeping; false after 30 s).
bool wait_for_lock_waiters(Poco::Data::Session& s, std::int64_t n) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    std::int64_t waiting = 0;
    s << "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        Poco::Data::Keywords::into(waiting), Poco::Data::Keywords::now;
    if (waiting >= n) return true;
    std::this_thread::yield();
  }
  return false;
}

}  // namespace

TEST_CASE("postgres store: a PUT waiting on a capture's open transaction - serialized after it, whole or not at all") {
  const std::string url = test::Postgres::shared().create_database();
  auto store = open_pg(url);
  REQUIRE(store->put_policy_with_reference_events({"fleet", 1, "{}", 100}, 0, {"fleet", "", "dev-a", 90, 100, "{}"})
              .ok());
  auto conn = postgres_connection_string(url);
  REQUIRE(conn.ok());
  Poco::Data::Session capture("PostgreSQL", *conn), watch("PostgreSQL", *conn);
  using Poco::Data::Keywords::now;
  // A capture (at another replica) that has written the policy row and its
  // events but not committed yet, when the PUT built on version 1 starts.
  auto open_capture = [&](const std::string& policy_sql) {
    capture.begin();
    capture << policy_sql, now;
    capture << "INSERT INTO reference_events VALUES ('fleet', '', 'dev-b', 190, 200, '{\"b\":1}') "
               "ON CONFLICT (policy, set_name) DO UPDATE SET device_id = excluded.device_id, events = excluded.events",
        now;
  };
  // put_waiting starts the PUT on a thread (its answer into |put|) and
  // returns once it waits on the capture's lock.
  auto put_waiting = [&](PolicyRecord p, std::int64_t replaces, Status& put) {
    std::thread t([&store, &put, p, replaces] { put = store->put_policy_clearing_reference_events(p, replaces, {}); });
    CHECK(wait_for_lock_waiters(watch, 1));
    return t;
  };
  // The capture commits: the PUT, woken, finds version 2 and writes nothing.
  open_capture("UPDATE policies SET version = 2, json = '{\"by\":\"capture\"}' WHERE name = 'fleet'");
  {
    Status put = ok_status();
    std::thread t = put_waiting({"fleet", 2, R"({"by":"put"})", 300}, 1, put);
    capture.commit();
    t.join();
    CHECK(put.code() == Errc::conflict);
  }
  CHECK((*store->get_policy("fleet"))->json == R"({"by":"capture"})");
  CHECK((*store->list_reference_events("fleet"))[0].device_id == "dev-b");
  // The capture rolls back: the PUT, woken, finds version 2 still there and commits.
  open_capture("UPDATE policies SET version = 3, json = '{\"by\":\"capture\"}' WHERE name = 'fleet'");
  {
    Status put = make_error(Errc::internal, "not run");
    std::thread t = put_waiting({"fleet", 3, R"({"by":"put"})", 300}, 2, put);
    capture.rollback();
    t.join();
    CHECK(put.ok());
  }
  CHECK((*store->get_policy("fleet"))->json == R"({"by":"put"})");
  // A policy not stored yet: the PUT's INSERT waits on the capture's row in
  // the unique index; the capture commits, the PUT writes nothing.
  open_capture("INSERT INTO policies VALUES ('new', 1, '{\"by\":\"capture\"}', 400)");
  {
    Status put = ok_status();
    std::thread t = put_waiting({"new", 1, R"({"by":"put"})", 300}, 0, put);
    capture.commit();
    t.join();
    CHECK(put.code() == Errc::conflict);
  }
  CHECK((*store->get_policy("new"))->json == R"({"by":"capture"})");
}

TEST_CASE("postgres store: migration 14 - one device's events") {
  auto store = open_pg(test::Postgres::shared().create_database());
  check_device_events_contract(*store);
}

TEST_CASE("postgres store: newest events first, through an index read backwards") {
  auto& pg = test::Postgres::shared();
  const std::string url = pg.create_database();
  auto store = open_pg(url);
  check_newest_events_contract(*store);
  // Enough rows (1000 a device) and fresh statistics, so that the plan
  // check_newest_events_plan reads is the one a real fleet gets.
  for (int i = 0; i < 3000; ++i)
    REQUIRE(store->add_event({0, 5000 + i, "bulk", "dev-" + std::to_string(i % 3), "{}"}).ok());
  auto conn = postgres_connection_string(url);
  REQUIRE(conn.ok());
  Poco::Data::Session session("PostgreSQL", *conn);
  session << "ANALYZE events", Poco::Data::Keywords::now;
  check_newest_events_plan(session, SqlDialect::postgres, "dev-1");
}

TEST_CASE("postgres store: migration 12 - learn mode's queue") {
  auto store = open_pg(test::Postgres::shared().create_database());
  check_learn_contract(*store);
}

TEST_CASE("postgres store: migration 11 - admin scopes, FIDO2 admins and their sessions") {
  auto store = open_pg(test::Postgres::shared().create_database());
  check_admin_contract(*store);
}

TEST_CASE("postgres store: migration 15 - admin invitations, listed, revoked, used, purged") {
  auto store = open_pg(test::Postgres::shared().create_database());
  check_invitation_contract(*store);
}

}  // namespace paw::verifier
