// SqliteStore's group commit (sqlite_writer.h): hot-path writes from many
// threads share one transaction per batch, each job in its own savepoint.
// These tests race real threads on a real SQLite file and check that batching
// keeps every guarantee of store.h: one winner per nonce, a failing job does
// not take its neighbours down, CAS revisions advance exactly once per
// success, the store shuts down cleanly under load, and what was acknowledged
// survives a reopen and a SIGKILL. Also the read snapshot (store.h) that
// the login path's reads share.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "clock.h"
#include "store/store.h"
#include "store_test_util.h"
#include "test_data.h"
#include "util.h"

namespace paw::verifier {
namespace {

constexpr int kThreads = 32;

std::unique_ptr<Store> open_sqlite(const test::TempDir& dir) {
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  return std::move(s).value();
}

std::string nonce_name(int i) { return "nonce-" + std::to_string(i); }

UsedNonce used(const std::string& hash, const std::string& device, std::int64_t now) {
  return UsedNonce{hash, device, now, now + 600};
}

}  // namespace

TEST_CASE("sqlite read snapshot: one view for the reads inside it, the next read after it sees every write") {
  test::TempDir dir;
  auto store = open_sqlite(dir);
  (void)seed_device(*store, "dev-1");
  auto status = [&] {
    auto a = store->device_admission("dev-1");
    REQUIRE(a.ok());
    REQUIRE(a->has_value());
    return (*a)->status;
  };
  {
    auto snap = store->read_snapshot();
    REQUIRE(snap != nullptr);
    CHECK(store->read_snapshot() == nullptr);  // nested: the reads join the open one
    CHECK(status() == DeviceStatus::enrolled);
    // A revocation committed meanwhile (the writer's own connection) ...
    std::thread([&] { REQUIRE(store->set_device_status("dev-1", DeviceStatus::revoked, 20).ok()); }).join();
    // ... is not half-seen inside the snapshot: one consistent view.
    CHECK(status() == DeviceStatus::enrolled);
    // Another thread is not in this snapshot: it sees the revocation.
    DeviceStatus other = DeviceStatus::enrolled;
    std::thread([&] { other = status(); }).join();
    CHECK(other == DeviceStatus::revoked);
  }
  // The snapshot ended: the next read (on its pooled connection) sees it.
  CHECK(status() == DeviceStatus::revoked);
  for (int i = 0; i < 3; ++i) {
    auto snap = store->read_snapshot();
    REQUIRE(snap != nullptr);
    CHECK(status() == DeviceStatus::revoked);
  }
}

TEST_CASE("sqlite batch: 32 threads on one nonce, exactly one use and one record wins") {
  test::TempDir dir;
  auto store = open_sqlite(dir);
  const std::int64_t now = system_unix_now();
  const StoredDevice d = seed_device(*store, "dev");

  const NonceRace uses = race_for_nonce(kThreads, [&](int) { return store->use_nonce(used("c1", "dev", now)); });
  CHECK(uses.won == 1);
  CHECK(uses.reused == kThreads - 1);
  CHECK(uses.other == 0);

  const NonceRace records = race_for_nonce(kThreads, [&](int i) {
    StoredDevice mine = d;
    mine.last_verdict = "v" + std::to_string(i);
    return store->record_attestation(used("r1", "dev", now), mine, {{0, now, "attestation", "dev", std::to_string(i)}});
  });
  CHECK(records.won == 1);
  CHECK(records.reused == kThreads - 1);
  CHECK(records.other == 0);
  auto evs = store->list_events(0, 1000);
  REQUIRE(evs.ok());
  REQUIRE(evs->size() == 1);
  auto got = store->get_device("dev");
  REQUIRE((got.ok() && got->has_value()));
  CHECK((*got)->revision == 1);
  CHECK((*got)->last_verdict == "v" + (*evs)[0].detail);  // the winner's device write and event, together
  // The narrowed attestation UPDATE left the enrollment columns alone.
  CHECK((*got)->label == "label-dev");
  CHECK((*got)->record_json == R"({"id":"dev"})");
  CHECK((*got)->policy == "default");
}

TEST_CASE("sqlite batch: 32 threads on different nonces and devices all succeed and are readable") {
  test::TempDir dir;
  auto store = open_sqlite(dir);
  const std::int64_t now = system_unix_now();
  constexpr int kRounds = 6;
  for (int t = 0; t < kThreads; ++t) seed_device(*store, "dev" + std::to_string(t));

  std::atomic<int> failures{0};
  std::vector<std::vector<std::int64_t>> event_ids(kThreads);
  run_threads(kThreads, [&](int t) {
    const std::string dev = "dev" + std::to_string(t);
    for (int r = 0; r < kRounds; ++r) {
      const std::string n = nonce_name(t * 100 + r);
      const std::string plain = "plain-" + n;
      if (!store->use_nonce(used(plain, dev, now)).ok()) ++failures;
      auto cur = store->device_head(dev);
      if (!cur.ok() || !cur->has_value() || (*cur)->status != DeviceStatus::enrolled) ++failures;
      auto got = store->get_device(dev);
      if (!got.ok() || !got->has_value()) {
        ++failures;
        continue;
      }
      StoredDevice next = **got;
      next.state_json = R"({"round":)" + std::to_string(r) + "}";
      next.last_verdict = "healthy";
      next.last_attested_at = now;
      auto ids = store->record_attestation(used(n, dev, now), next, {{0, now, "attestation", dev, n}});
      if (!ids.ok() || ids->size() != 1) ++failures;
      else event_ids[static_cast<std::size_t>(t)].push_back(ids->front());
      auto extra = store->add_event({0, now, "admin", dev, "extra-" + n});
      if (!extra.ok()) ++failures;
    }
  });
  REQUIRE(failures == 0);

  auto evs = store->list_events(0, 100000);
  REQUIRE(evs.ok());
  CHECK(evs->size() == static_cast<std::size_t>(kThreads * kRounds * 2));
  std::map<std::int64_t, std::string> by_id;
  for (const auto& e : *evs) by_id[e.id] = e.detail;
  for (int t = 0; t < kThreads; ++t) {
    const std::string dev = "dev" + std::to_string(t);
    auto got = store->get_device(dev);
    REQUIRE((got.ok() && got->has_value()));
    CHECK((*got)->revision == kRounds);
    CHECK((*got)->state_json == R"({"round":)" + std::to_string(kRounds - 1) + "}");
    auto head = store->device_head(dev);
    REQUIRE((head.ok() && head->has_value()));
    CHECK((*head)->revision == kRounds);
    CHECK((*head)->status == DeviceStatus::enrolled);
    const auto& ids = event_ids[static_cast<std::size_t>(t)];
    REQUIRE(ids.size() == static_cast<std::size_t>(kRounds));
    for (int r = 0; r < kRounds; ++r) {
      const std::string n = nonce_name(t * 100 + r);
      CHECK(by_id[ids[static_cast<std::size_t>(r)]] == n);  // the returned id is that event's
      CHECK(was_used(*store, n));
      CHECK(was_used(*store, "plain-" + n));
    }
  }
  CHECK(!store->device_head("nobody")->has_value());
  CHECK(!store->device_head("nobody")->has_value());
  CHECK(!store->get_device("nobody")->has_value());
  CHECK(!was_used(*store, "nothing"));
}

TEST_CASE("sqlite batch: failing jobs (reused nonce, CAS conflict) do not roll back neighbours") {
  test::TempDir dir;
  const std::int64_t now = system_unix_now();
  constexpr int kNonces = 96;
  std::set<std::string> winners;
  {
    auto store = open_sqlite(dir);
    seed_device(*store, "dev");
    for (int t = 0; t < kThreads; ++t) REQUIRE(store->use_nonce(used("burnt-" + std::to_string(t), "dev", now)).ok());

    // Every nonce is tried by two threads, all threads fight over one device
    // (CAS conflicts), and every fourth attempt uses a nonce used before.
    std::mutex mu;
    std::atomic<int> unexpected{0}, conflicts{0}, reused{0}, burnt{0};
    run_threads(kThreads, [&](int t) {
      for (int k = 0; k < 6; ++k) {
        const int i = (t * 3 + k) % kNonces;  // k and k+3 of neighbour threads overlap
        const bool bogus = (t + k) % 4 == 0;
        const std::string n = bogus ? "burnt-" + std::to_string(t) : nonce_name(i);
        auto got = store->get_device("dev");
        if (!got.ok() || !got->has_value()) {
          ++unexpected;
          continue;
        }
        StoredDevice next = **got;
        next.state_json = n;
        auto r = store->record_attestation(used(n, "dev", now), next, {{0, now, "attestation", "dev", n}});
        if (r.ok()) {
          std::lock_guard lock(mu);
          if (!winners.insert(n).second || bogus) ++unexpected;
        } else if (r.code() == Errc::conflict) {
          ++conflicts;
        } else if (r.code() == Errc::nonce_reused) {
          ++(bogus ? burnt : reused);
        } else {
          ++unexpected;
        }
      }
    });
    CHECK(unexpected == 0);
    CHECK(burnt > 0);
    CHECK(!winners.empty());
    MESSAGE("winners " << winners.size() << ", conflicts " << conflicts.load() << ", reused " << reused.load());
  }  // store destroyed; everything below is read from the file by a new store

  auto store = open_sqlite(dir);
  auto got = store->get_device("dev");
  REQUIRE((got.ok() && got->has_value()));
  CHECK((*got)->revision == static_cast<std::int64_t>(winners.size()));
  auto evs = store->list_events(0, 100000);
  REQUIRE(evs.ok());
  REQUIRE(evs->size() == winners.size());
  std::set<std::string> recorded;
  for (const auto& e : *evs) recorded.insert(e.detail);
  CHECK(recorded == winners);
  CHECK((*got)->state_json == evs->back().detail);  // the last CAS winner wrote the last event
  for (int i = 0; i < kNonces; ++i) {
    CHECK(was_used(*store, nonce_name(i)) == (winners.count(nonce_name(i)) == 1));  // losers' uses were rolled back
  }
}

TEST_CASE("sqlite batch: store destroyed right after heavy use, reopened with everything acknowledged") {
  test::TempDir dir;
  const std::int64_t now = system_unix_now();
  std::vector<std::vector<std::int64_t>> acked(kThreads);
  for (int round = 0; round < 3; ++round) {
    auto store = open_sqlite(dir);
    run_threads(kThreads, [&](int t) {
      for (int k = 0; k < 8; ++k) {
        const std::string n = "r" + std::to_string(round) + "-" + std::to_string(t) + "-" + std::to_string(k);
        if (!store->use_nonce(used(n, "dev", now)).ok()) continue;
        auto id = store->add_event({0, now, "admin", "", n});
        if (id.ok()) acked[static_cast<std::size_t>(t)].push_back(*id);
      }
    });
    // No pause: the destructor must drain and stop the writer without hanging.
  }
  auto store = open_sqlite(dir);
  auto evs = store->list_events(0, 100000);
  REQUIRE(evs.ok());
  std::set<std::int64_t> ids;
  for (const auto& e : *evs) ids.insert(e.id);
  std::size_t total = 0;
  for (const auto& per : acked) {
    total += per.size();
    for (std::int64_t id : per) CHECK(ids.count(id) == 1);
  }
  CHECK(total == static_cast<std::size_t>(3 * kThreads * 8));
  CHECK(evs->size() == total);
}

TEST_CASE("sqlite batch: SIGKILL during concurrent batched writes loses nothing acknowledged - nonce uses included") {
  test::TempDir dir;
  const std::string url = "sqlite:" + (dir / "paw.db").string();
  const std::int64_t now = system_unix_now();
  constexpr int kWriters = 8;
  constexpr int kPerWriter = 200;
  {
    auto s = open_store(url);
    REQUIRE(s.ok());
    for (int t = 0; t < kWriters; ++t) seed_device(**s, "dev" + std::to_string(t));
  }
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Child: writers record attestations and acknowledge each success (the
    // nonce number, 4 bytes: an atomic pipe write) until killed.
    ::close(fds[0]);
    auto s = open_store(url);
    if (!s.ok()) ::_exit(3);
    Store& store = **s;
    run_threads(kWriters, [&](int t) {
      const std::string dev = "dev" + std::to_string(t);
      for (int k = 0; k < kPerWriter; ++k) {
        auto got = store.get_device(dev);
        if (!got.ok() || !got->has_value()) ::_exit(4);
        StoredDevice next = **got;
        next.state_json = std::to_string(k);
        const std::int32_t n = t * 1000 + k;
        // A nonce used on its own meanwhile (as failed evidence does);
        // acknowledged as -(id + 1).
        const std::int32_t c = 100000 + n;
        if (!store.use_nonce(used(nonce_name(c), dev, now)).ok()) ::_exit(8);
        const std::int32_t cack = -(c + 1);
        if (::write(fds[1], &cack, sizeof cack) != sizeof cack) ::_exit(6);
        if (!store.record_attestation(used(nonce_name(n), dev, now), next, {{0, now, "attestation", dev, nonce_name(n)}}).ok()) {
          ::_exit(5);
        }
        if (::write(fds[1], &n, sizeof n) != sizeof n) ::_exit(6);
      }
    });
    ::pause();  // wait for the SIGKILL
    ::_exit(7);
  }
  ::close(fds[1]);
  std::set<std::string> acked, alone;
  std::int32_t n = 0;
  auto take = [&] { (n < 0 ? alone : acked).insert(nonce_name(n < 0 ? -n - 1 : n)); };
  while (acked.size() < 300 && ::read(fds[0], &n, sizeof n) == static_cast<ssize_t>(sizeof n)) take();
  ::kill(pid, SIGKILL);
  // Acknowledgements already in the pipe were also acknowledged before the kill.
  while (::read(fds[0], &n, sizeof n) == static_cast<ssize_t>(sizeof n)) take();
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(acked.size() >= 300);

  auto s = open_store(url);
  REQUIRE(s.ok());
  REQUIRE(alone.size() >= 300);
  std::size_t found = 0;
  for (const auto& c : alone) found += was_used(**s, c) ? 1 : 0;
  CHECK(found == alone.size());
  auto evs = (*s)->list_events(0, 100000);
  REQUIRE(evs.ok());
  std::set<std::string> recorded;
  for (const auto& e : *evs) recorded.insert(e.detail);
  CHECK(recorded.size() == evs->size());
  std::int64_t revisions = 0;
  for (int t = 0; t < kWriters; ++t) revisions += (*(*s)->get_device("dev" + std::to_string(t)))->revision;
  CHECK(revisions == static_cast<std::int64_t>(evs->size()));  // every recorded event came with its device write
  for (const auto& a : acked) {
    CHECK(recorded.count(a) == 1);
    CHECK(was_used(**s, a));
  }
}

}  // namespace paw::verifier
