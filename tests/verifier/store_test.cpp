// SqliteStore: migrations, single-use consumption under concurrency, CAS.
#include <doctest/doctest.h>

#include <Poco/Data/Session.h>

#include <atomic>
#include <thread>
#include <vector>

#include "clock.h"
#include "store/store.h"
#include "store_admin_contract.h"
#include "store_invitation_contract.h"
#include "store_events_contract.h"
#include "store_learn_contract.h"
#include "store_refs_contract.h"
#include "store_report_contract.h"
#include "store_test_util.h"
#include "test_data.h"
#include "util.h"

namespace paw::verifier {

TEST_CASE("store: migrations are applied once and recorded") {
  test::TempDir dir;
  const std::string url = "sqlite:" + (dir / "paw.db").string();
  {
    auto s = open_store(url);
    REQUIRE(s.ok());
    auto v = (*s)->schema_version();
    REQUIRE(v.ok());
    CHECK(*v == 15);
  }
  auto again = open_store(url);
  REQUIRE(again.ok());
  CHECK(*(*again)->schema_version() == 15);
  CHECK(open_store("postgres://x").code() == Errc::config_error);
}

TEST_CASE("store: 16 concurrent uses of one nonce, exactly one wins - purged after expiry") {
  test::TempDir dir;
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  Store& store = **s;
  const std::int64_t now = system_unix_now();
  const NonceRace race = race_for_nonce(16, [&](int) { return store.use_nonce({"aa", "dev", now, now + 60}); });
  CHECK(race.won == 1);
  CHECK(race.reused == 15);
  CHECK(race.other == 0);
  // Another device's use of the same hash is refused too (the hash is the key).
  CHECK(store.use_nonce({"aa", "other-dev", now, now + 60}).code() == Errc::nonce_reused);

  // Kept until the nonce expires, then purged (an expired nonce is refused
  // before the store is asked).
  REQUIRE(store.use_nonce({"old", "dev", now - 100, now - 50}).ok());
  REQUIRE(store.purge_expired(now).ok());
  CHECK(store.use_nonce({"old", "dev", now, now + 60}).ok());
  CHECK(store.use_nonce({"aa", "dev", now, now + 60}).code() == Errc::nonce_reused);  // not expired: kept
}

TEST_CASE("store: a service secret is stored once - later candidates get the first value") {
  test::TempDir dir;
  const std::string url = "sqlite:" + (dir / "paw.db").string();
  {
    auto s = open_store(url);
    REQUIRE(s.ok());
    auto first = (*s)->service_secret("challenge_key", "aaaa");
    REQUIRE(first.ok());
    CHECK(*first == "aaaa");
    CHECK(*(*s)->service_secret("challenge_key", "bbbb") == "aaaa");
    CHECK(*(*s)->service_secret("other", "cccc") == "cccc");
  }
  auto again = open_store(url);
  REQUIRE(again.ok());
  CHECK(*(*again)->service_secret("challenge_key", "dddd") == "aaaa");
}

TEST_CASE("store: enrollment tokens are single use and expire, enrollments are taken once") {
  test::TempDir dir;
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  Store& store = **s;
  const std::int64_t now = system_unix_now();
  REQUIRE(store.add_enrollment_token({"t1", "lab", now, now + 60, false, "", false}).ok());
  REQUIRE(store.add_enrollment_token({"t2", "lab", now, now + 60, false, "kiosk", false}).ok());
  auto first = store.consume_enrollment_token("t1", now);
  REQUIRE(first.ok());
  CHECK(first->label == "lab");
  CHECK(store.consume_enrollment_token("t1", now).code() == Errc::token_invalid);
  CHECK(store.consume_enrollment_token("t2", now + 61).code() == Errc::token_expired);
  CHECK(store.consume_enrollment_token("nope", now).code() == Errc::token_invalid);
  // The token's policy comes back from find and from the winning consume.
  auto found = store.find_enrollment_token("t2");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->policy == "kiosk");
  auto second = store.consume_enrollment_token("t2", now);
  REQUIRE(second.ok());
  CHECK(second->policy == "kiosk");
  CHECK(first->policy.empty());

  REQUIRE(store.add_enrollment({"e1", "hash", "{}", now, now + 60}).ok());
  std::atomic<int> taken{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back([&] { taken += store.take_enrollment("e1", now).ok() ? 1 : 0; });
  for (auto& t : threads) t.join();
  CHECK(taken == 1);
  REQUIRE(store.add_enrollment({"e2", "hash", "{}", now, now + 1}).ok());
  CHECK(store.take_enrollment("e2", now + 5).code() == Errc::token_expired);
  CHECK(store.take_enrollment("e2", now).code() == Errc::not_found);  // expired ones are gone too
}

TEST_CASE("store: devices, compare-and-swap updates, events, policies, keys") {
  test::TempDir dir;
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  Store& store = **s;
  StoredDevice d;
  d.id = "dev1";
  d.status = DeviceStatus::enrolled;
  d.record_json = "{}";
  d.state_json = "{}";
  d.last_reasons = "[]";
  d.created_at = 10;
  REQUIRE(store.add_device(d).ok());
  auto got = store.get_device("dev1");
  REQUIRE((got.ok() && got->has_value()));
  CHECK((*got)->revision == 0);
  StoredDevice a = **got, b = **got;
  a.last_verdict = "healthy";
  REQUIRE(store.update_device(a).ok());
  b.last_verdict = "unhealthy";
  CHECK(store.update_device(b).code() == Errc::conflict);  // b read revision 0, a moved it on
  auto bumped = store.set_device_status("dev1", DeviceStatus::revoked, 20);
  REQUIRE((bumped.ok() && *bumped));
  a.revision = 1;
  CHECK(store.update_device(a).code() == Errc::conflict);  // revocation raced: the update must not undo it
  auto now_dev = store.get_device("dev1");
  CHECK((*now_dev)->status == DeviceStatus::revoked);
  CHECK((*now_dev)->last_verdict == "healthy");
  auto counts = store.count_devices_by_status();
  REQUIRE(counts.ok());
  CHECK(counts->at("revoked") == 1);
  CHECK(*store.delete_device("dev1"));
  CHECK(!*store.delete_device("dev1"));
  a.revision = 2;
  CHECK(store.update_device(a).code() == Errc::not_found);

  auto e1 = store.add_event({0, 1, "admin", "", "{}"});
  auto e2 = store.add_event({0, 2, "stale", "dev1", R"({"x":1})"});
  REQUIRE((e1.ok() && e2.ok()));
  CHECK(*e2 > *e1);
  auto evs = store.list_events(*e1, 10);
  REQUIRE(evs.ok());
  REQUIRE(evs->size() == 1);
  CHECK((*evs)[0].type == "stale");

  REQUIRE(store.put_policy({"p", 1, "{}", 1}).ok());
  REQUIRE(store.put_policy({"p", 2, R"({"a":1})", 2}).ok());
  auto p = store.get_policy("p");
  REQUIRE((p.ok() && p->has_value()));
  CHECK((*p)->version == 2);
  CHECK(store.list_policies()->size() == 1);

  REQUIRE(store.add_signing_key({"k1", "{}", "pem", 1, 0}).ok());
  REQUIRE(store.retire_signing_key("k1", 5).ok());
  CHECK(store.list_signing_keys()->at(0).retired_at == 5);
  REQUIRE(store.delete_signing_keys_retired_before(6).ok());
  CHECK(store.list_signing_keys()->empty());

  // The SSH CA's keys live apart from the token keys.
  REQUIRE(store.add_ssh_ca_key({"s1", "ecdsa-sha2-nistp256 AAAA", "pem", 1, 0}).ok());
  REQUIRE(store.add_ssh_ca_key({"s2", "ecdsa-sha2-nistp256 BBBB", "pem", 2, 0}).ok());
  CHECK(store.list_signing_keys()->empty());
  REQUIRE(store.retire_ssh_ca_key("s1", 5).ok());
  CHECK(store.list_ssh_ca_keys()->at(0).retired_at == 5);
  CHECK(store.list_ssh_ca_keys()->at(1).public_jwk == "ecdsa-sha2-nistp256 BBBB");
  REQUIRE(store.delete_ssh_ca_keys_retired_before(6).ok());
  REQUIRE(store.list_ssh_ca_keys()->size() == 1);
  CHECK(store.list_ssh_ca_keys()->at(0).kid == "s2");
}

// retention_and_cursors checks event retention and webhook cursors on two
// Store instances over one database (two replicas); the PostgreSQL tests run it too.
void retention_and_cursors(Store& a, Store& b) {
  CHECK(*a.last_event_id() == 0);
  std::int64_t last = 0;
  for (int i = 0; i < 10; ++i) last = *a.add_event({0, 100 + i, "attestation", "dev", "{}"});
  CHECK(*b.last_event_id() == last);
  // Oldest first, in bounded steps, only those older than the cut.
  CHECK(*a.purge_events(105, 3) == 3);
  CHECK(*a.purge_events(105, 100) == 2);
  CHECK(*b.purge_events(105, 100) == 0);
  auto left = b.list_events(0, 100);
  REQUIRE(left->size() == 5);
  CHECK(left->front().time == 105);

  // A new URL starts at the given cursor; one replica holds the lease at a time.
  auto ca = a.claim_webhook("https://hook", "replica-a", 1000, 1030, 7);
  REQUIRE(ca.ok());
  REQUIRE(ca->has_value());
  CHECK(**ca == 7);
  auto cb = b.claim_webhook("https://hook", "replica-b", 1001, 1031, 0);
  REQUIRE(cb.ok());
  CHECK_FALSE(cb->has_value());
  CHECK(*a.advance_webhook("https://hook", "replica-a", 9));
  CHECK_FALSE(*b.advance_webhook("https://hook", "replica-b", 99));  // not b's lease
  auto renewed = a.claim_webhook("https://hook", "replica-a", 1010, 1040, 0);
  REQUIRE(renewed->has_value());
  CHECK(**renewed == 9);
  // The lease expired: b takes over where a left off, and a's late advance is refused.
  auto taken = b.claim_webhook("https://hook", "replica-b", 1041, 1071, 0);
  REQUIRE(taken->has_value());
  CHECK(**taken == 9);
  CHECK_FALSE(*a.advance_webhook("https://hook", "replica-a", 10));
  // A clean stop releases the lease: a can take it back at once, cursor kept.
  REQUIRE(b.release_webhook("https://hook", "replica-b").ok());
  auto back = a.claim_webhook("https://hook", "replica-a", 1042, 1072, 0);
  REQUIRE(back->has_value());
  CHECK(**back == 9);
  // Cursors are per URL.
  auto other = a.claim_webhook("https://other", "replica-a", 1041, 1071, 3);
  REQUIRE(other->has_value());
  CHECK(**other == 3);
}

TEST_CASE("store: event retention in bounded steps - webhook cursors leased to one replica") {
  test::TempDir dir;
  auto a = open_store("sqlite:" + (dir / "paw.db").string());
  auto b = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  retention_and_cursors(**a, **b);
}

TEST_CASE("store: migration 5 - verdict columns, EK identity lookup, replace tokens") {
  test::TempDir dir;
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  check_migration5_contract(**s);
}

TEST_CASE("store: migration 7 - owner on tokens and devices, last presence") {
  test::TempDir dir;
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  check_migration7_contract(**s);
}

}  // namespace paw::verifier

namespace paw::verifier {

TEST_CASE("store: credentials and enrollment tokens are listed and revoked - seen at once by another connection") {
  test::TempDir dir;
  const std::string url = "sqlite:" + (dir / "paw.db").string();
  auto a = open_store(url), b = open_store(url);
  REQUIRE((a.ok() && b.ok()));
  check_credentials_and_tokens(**a, **b);
}

TEST_CASE("store: migration 10 - report-only policies and their results") {
  test::TempDir dir;
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  check_report_contract(**s);
}

TEST_CASE("store: migration 13 - reference events - a capture and a PUT racing at two replicas") {
  test::TempDir dir;
  // Two stores on one file: two processes sharing it (the write lock and
  // busy_timeout order them).
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  auto other = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(other.ok());
  check_refs_contract(**s, **other);
}

TEST_CASE("store: migration 14 - one device's events") {
  test::TempDir dir;
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  check_device_events_contract(**s);
}

TEST_CASE("store: newest events first, through an index read backwards") {
  test::TempDir dir;
  const std::string path = (dir / "paw.db").string();
  auto s = open_store("sqlite:" + path);
  REQUIRE(s.ok());
  check_newest_events_contract(**s);
  Poco::Data::Session session("SQLite", path);
  check_newest_events_plan(session, SqlDialect::sqlite, "dev-a");
}

TEST_CASE("store: migration 12 - learn mode's queue") {
  test::TempDir dir;
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  check_learn_contract(**s);
}

TEST_CASE("store: migration 11 - admin scopes, FIDO2 admins and their sessions") {
  test::TempDir dir;
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  check_admin_contract(**s);
}

TEST_CASE("store: migration 15 - admin invitations, listed, revoked, used, purged") {
  test::TempDir dir;
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  check_invitation_contract(**s);
}

}  // namespace paw::verifier
