// store_test_util.h — what the store tests (SQLite and PostgreSQL) share: a
// seeded device, a probe for a used nonce, and a race of threads at one
// single-use nonce with its outcomes counted.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"

namespace paw::verifier {

// open_pg opens the store at |url| (e.g. a PostgreSQL server a test
// started) or fails the test with the store's error.
inline std::unique_ptr<Store> open_pg(const std::string& url) {
  auto s = open_store(url);
  INFO((s.ok() ? std::string() : s.error().what()));
  REQUIRE(s.ok());
  return std::move(*s);
}

// seed_device adds an enrolled device |id| (label "label-<id>", policy
// "default", record {"id":"<id>"}) and returns it as stored (revision 0).
inline StoredDevice seed_device(Store& store, const std::string& id) {
  StoredDevice d;
  d.id = id;
  d.status = DeviceStatus::enrolled;
  d.label = "label-" + id;
  d.policy = "default";
  d.record_json = R"({"id":")" + id + "\"}";
  d.state_json = "{}";
  d.last_reasons = "[]";
  d.created_at = 10;
  REQUIRE(store.add_device(d).ok());
  return d;
}

// was_used tells whether |hash| was recorded as used (and records it if not:
// call it last).
inline bool was_used(Store& store, const std::string& hash) {
  return store.use_nonce({hash, "probe", 0, 1}).code() == Errc::nonce_reused;
}

// run_threads starts |n| threads running fn(thread index) and joins them.
template <class F>
void run_threads(int n, F fn) {
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(fn, i);
  for (auto& t : threads) t.join();
}

// NonceRace counts how |n| threads at once fared at one single-use nonce:
// success, Errc::nonce_reused, anything else (which no test expects).
struct NonceRace {
  int won = 0, reused = 0, other = 0;
};

// race_for_nonce runs attempt(thread index) — returning a Status or a Result
// — on |n| threads at once and counts the outcomes.
template <class F>
NonceRace race_for_nonce(int n, F attempt) {
  std::atomic<int> won{0}, reused{0}, other{0};
  run_threads(n, [&](int i) {
    auto r = attempt(i);
    if (r.ok()) ++won;
    else if (r.code() == Errc::nonce_reused) ++reused;
    else ++other;
  });
  return NonceRace{won.load(), reused.load(), other.load()};
}

// check_migration5_contract: the columns of migration 5 round-trip through
// every write path (add_device, update_device, record_attestation — SQLite
// has its own statement for the latter), find_devices_by_ek finds exactly
// the holders of one EK (never for an empty hash: rows not yet backfilled),
// and an enrollment token keeps may_replace. Run on both backends.
inline void check_migration5_contract(Store& store) {
  StoredDevice a = seed_device(store, "ek-a");
  a.ek_hash = "aa11";
  a.verdict_policy = "default@1";
  REQUIRE(store.update_device(a).ok());
  ++a.revision;
  StoredDevice b = seed_device(store, "ek-b");
  b.ek_hash = "aa11";
  b.status = DeviceStatus::revoked;
  REQUIRE(store.update_device(b).ok());
  StoredDevice other = seed_device(store, "ek-c");
  other.ek_hash = "bb22";
  REQUIRE(store.update_device(other).ok());
  (void)seed_device(store, "ek-none");  // ek_hash "" (enrolled before migration 5)

  auto holders = store.find_devices_by_ek("aa11");
  REQUIRE(holders.ok());
  REQUIRE(holders->size() == 2);
  CHECK((*holders)[0].id == "ek-a");
  CHECK((*holders)[1].id == "ek-b");
  CHECK((*holders)[1].status == DeviceStatus::revoked);
  CHECK(store.find_devices_by_ek("")->empty());
  CHECK(store.find_devices_by_ek("cc33")->empty());

  // A rejection recorded through the attestation transaction.
  a.last_verdict = "rejected";
  a.rejected_at = 1234;
  a.last_attested_at = 1234;
  a.verdict_policy = "default@2";
  auto rec = store.record_attestation({"nonce-m5", a.id, 1234, 99999}, a, {});
  REQUIRE(rec.ok());
  auto got = store.get_device("ek-a");
  REQUIRE((got.ok() && got->has_value()));
  CHECK((*got)->last_verdict == "rejected");
  CHECK((*got)->rejected_at == 1234);
  CHECK((*got)->verdict_policy == "default@2");
  CHECK((*got)->ek_hash == "aa11");  // an attestation never changes the EK identity
  CHECK((*got)->revision == a.revision + 1);
  auto listed = store.list_devices();
  REQUIRE(listed.ok());
  bool seen = false;
  for (const auto& d : *listed) {
    if (d.id == "ek-a") seen = d.rejected_at == 1234 && d.verdict_policy == "default@2" && d.ek_hash == "aa11";
  }
  CHECK(seen);

  EnrollmentTokenRecord t{"tok-m5", "reinstall", 1, 99999, false, "", true};
  REQUIRE(store.add_enrollment_token(t).ok());
  auto found = store.find_enrollment_token("tok-m5");
  REQUIRE((found.ok() && found->has_value()));
  CHECK((*found)->may_replace);
  REQUIRE(store.add_enrollment_token({"tok-m5b", "", 1, 99999, false, "", false}).ok());
  CHECK_FALSE((*store.find_enrollment_token("tok-m5b"))->may_replace);
}

// check_migration7_contract: the owner round-trips from an enrollment token
// (add, find, list) and on a device through add_device, update_device and
// record_attestation (which never changes it), and last_presence_at through
// the attestation transaction (SQLite's own statement) and update_device.
// Run on both backends.
inline void check_migration7_contract(Store& store) {
  EnrollmentTokenRecord t{"tok-m7", "alice-laptop", 1, 99999, false, "", false, 0, "alice@example"};
  REQUIRE(store.add_enrollment_token(t).ok());
  auto found = store.find_enrollment_token("tok-m7");
  REQUIRE((found.ok() && found->has_value()));
  CHECK((*found)->owner == "alice@example");
  REQUIRE(store.add_enrollment_token({"tok-m7b", "", 1, 99999, false, "", false}).ok());
  CHECK((*store.find_enrollment_token("tok-m7b"))->owner.empty());
  auto tokens = store.list_enrollment_tokens();
  REQUIRE(tokens.ok());
  bool listed_owner = false;
  for (const auto& tok : *tokens) listed_owner = listed_owner || (tok.hash == "tok-m7" && tok.owner == "alice@example");
  CHECK(listed_owner);

  StoredDevice d;
  d.id = "own-a";
  d.status = DeviceStatus::enrolled;
  d.label = "l";
  d.policy = "default";
  d.record_json = "{}";
  d.state_json = "{}";
  d.last_reasons = "[]";
  d.owner = "alice@example";
  REQUIRE(store.add_device(d).ok());
  auto got = store.get_device("own-a");
  REQUIRE((got.ok() && got->has_value()));
  CHECK((*got)->owner == "alice@example");
  CHECK((*got)->last_presence_at == 0);
  d.last_verdict = "healthy";
  d.last_attested_at = 500;
  d.last_presence_at = 500;
  REQUIRE(store.record_attestation({"nonce-m7", d.id, 500, 99999}, d, {}).ok());
  got = store.get_device("own-a");
  REQUIRE((got.ok() && got->has_value()));
  CHECK((*got)->last_presence_at == 500);
  CHECK((*got)->owner == "alice@example");
  StoredDevice next = **got;
  next.last_presence_at = 777;
  REQUIRE(store.update_device(next).ok());
  got = store.get_device("own-a");
  CHECK((*got)->last_presence_at == 777);
  auto rows = store.list_devices();
  REQUIRE(rows.ok());
  bool seen = false;
  for (const auto& row : *rows) {
    if (row.id == "own-a") seen = row.owner == "alice@example" && row.last_presence_at == 777;
  }
  CHECK(seen);
}

// check_credentials_and_tokens is the contract both backends keep for the
// secrets the service hands out: |writer| revokes, |reader| (another
// connection or replica on the same database) sees it at once.
inline void check_credentials_and_tokens(Store& writer, Store& reader) {
  const std::int64_t now = 1000;
  REQUIRE(writer.add_credential({"admin-1", CredentialKind::admin, "h1", "initial", 7, 0, 0}).ok());
  REQUIRE(writer.add_credential({"rp-1", CredentialKind::relying_party, "h2", "idp", 8, now + 60, 0}).ok());
  auto list = reader.list_credentials();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK(list->at(0).id == "admin-1");
  CHECK(list->at(1).kind == CredentialKind::relying_party);
  CHECK(list->at(1).expires_at == now + 60);
  auto cred = reader.find_credential(CredentialKind::relying_party, "h2");
  REQUIRE((cred.ok() && cred->has_value()));
  CHECK((*cred)->label == "idp");
  CHECK((*cred)->revoked_at == 0);
  CHECK(!reader.find_credential(CredentialKind::admin, "h2")->has_value());
  // Revoked once; a second revocation and an unknown id change nothing.
  CHECK(*writer.revoke_credential("rp-1", now) == true);
  CHECK(*writer.revoke_credential("rp-1", now + 1) == false);
  CHECK(*writer.revoke_credential("nope", now) == false);
  cred = reader.find_credential(CredentialKind::relying_party, "h2");
  REQUIRE((cred.ok() && cred->has_value()));
  CHECK((*cred)->revoked_at == now);

  // Tokens: listed by id (a hash prefix), revoked unless used; a revoked one never enrolls.
  const std::string h_a(64, 'a'), h_b(64, 'b'), h_c(64, 'c');
  REQUIRE(writer.add_enrollment_token({h_a, "lab", now, now + 60, false, ""}).ok());
  REQUIRE(writer.add_enrollment_token({h_b, "lab", now + 1, now + 60, false, "kiosk"}).ok());
  REQUIRE(writer.add_enrollment_token({h_c, "lab", now + 2, now + 60, false, ""}).ok());
  REQUIRE(writer.consume_enrollment_token(h_c, now).ok());
  auto tokens = reader.list_enrollment_tokens();
  REQUIRE(tokens.ok());
  REQUIRE(tokens->size() == 3);
  CHECK(enrollment_token_id(tokens->at(0).hash) == std::string(16, 'a'));
  CHECK(tokens->at(2).used);
  CHECK(*writer.revoke_enrollment_token(std::string(16, 'a'), now) == true);
  CHECK(*writer.revoke_enrollment_token(std::string(16, 'a'), now) == false);  // already revoked
  CHECK(*writer.revoke_enrollment_token(std::string(16, 'c'), now) == false);  // used
  CHECK(*writer.revoke_enrollment_token("%", now) == false);                   // not an id
  CHECK(*writer.revoke_enrollment_token(std::string(15, 'b'), now) == false);  // a prefix is not an id
  auto consumed = reader.consume_enrollment_token(h_a, now);
  CHECK(consumed.code() == Errc::token_invalid);
  if (!consumed.ok()) CHECK(consumed.error().detail.find("revoked") != std::string::npos);
  auto found = reader.find_enrollment_token(h_a);
  REQUIRE((found.ok() && found->has_value()));
  CHECK((*found)->revoked_at == now);
  CHECK(reader.consume_enrollment_token(h_b, now).ok());  // the others are untouched
}

}  // namespace paw::verifier
