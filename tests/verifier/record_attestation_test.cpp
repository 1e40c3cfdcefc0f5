// Store::record_attestation (SQLite): nonce + device CAS + events in one
// transaction — all or nothing, one winner under concurrency, durable at return
// (a process killed with SIGKILL right after it returned loses nothing).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "clock.h"
#include "store/store.h"
#include "store_test_util.h"
#include "test_data.h"
#include "util.h"

namespace paw::verifier {
namespace {

UsedNonce nonce(const std::string& hash, const std::string& device, std::int64_t now) {
  return UsedNonce{hash, device, now, now + 60};
}

std::size_t count_events(Store& store) {
  auto evs = store.list_events(0, 1000);
  REQUIRE(evs.ok());
  return evs->size();
}

}  // namespace

TEST_CASE("record_attestation: uses the nonce, updates the device and appends events atomically") {
  test::TempDir dir;
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  Store& store = **s;
  const std::int64_t now = system_unix_now();
  StoredDevice d = seed_device(store, "dev1");

  // A stale revision: the CAS fails, and the nonce used before it in the
  // same transaction must be unused again, no event written.
  StoredDevice stale = d;
  stale.revision = 7;
  stale.last_verdict = "healthy";
  CHECK(store.record_attestation(nonce("n1", "dev1", now), stale, {{0, now, "attestation", "dev1", "{}"}}).code() ==
        Errc::conflict);
  CHECK(count_events(store) == 0);
  CHECK((*store.get_device("dev1"))->last_verdict.empty());

  // A nonce used before (on its own, as failed evidence does): nothing written.
  StoredDevice next = d;
  next.last_verdict = "healthy";
  REQUIRE(store.use_nonce(nonce("nx", "dev1", now)).ok());
  CHECK(store.record_attestation(nonce("nx", "dev1", now), next, {{0, now, "attestation", "dev1", "{}"}}).code() ==
        Errc::nonce_reused);
  CHECK(count_events(store) == 0);
  CHECK((*store.get_device("dev1"))->revision == 0);

  // Success (so n1 was unused again after the conflict): all three effects,
  // event ids in order.
  auto ids = store.record_attestation(
      nonce("n1", "dev1", now), next, {{0, now, "attestation", "dev1", R"({"a":1})"}, {0, now, "verdict_change", "dev1", "{}"}});
  REQUIRE(ids.ok());
  REQUIRE(ids->size() == 2);
  CHECK((*ids)[1] > (*ids)[0]);
  auto got = store.get_device("dev1");
  CHECK((*got)->revision == 1);
  CHECK((*got)->last_verdict == "healthy");
  auto evs = store.list_events(0, 10);
  REQUIRE(evs->size() == 2);
  CHECK((*evs)[0].type == "attestation");
  CHECK((*evs)[0].detail == R"({"a":1})");
  CHECK((*evs)[1].type == "verdict_change");

  // The same nonce again: reused, and the device stays as it is.
  StoredDevice again = **got;
  again.last_verdict = "unhealthy";
  CHECK(store.record_attestation(nonce("n1", "dev1", now), again, {}).code() == Errc::nonce_reused);
  CHECK((*store.get_device("dev1"))->last_verdict == "healthy");
  CHECK(was_used(store, "n1"));
  CHECK(!was_used(store, "n2"));
}

TEST_CASE("record_attestation: 16 concurrent submissions of one nonce, exactly one recorded") {
  test::TempDir dir;
  auto s = open_store("sqlite:" + (dir / "paw.db").string());
  REQUIRE(s.ok());
  Store& store = **s;
  const std::int64_t now = system_unix_now();
  StoredDevice d = seed_device(store, "dev");
  const NonceRace race = race_for_nonce(16, [&](int i) {
    StoredDevice mine = d;
    mine.last_verdict = "v" + std::to_string(i);
    return store.record_attestation(nonce("aa", "dev", now), mine, {{0, now, "attestation", "dev", "{}"}});
  });
  CHECK(race.won == 1);
  CHECK(race.reused == 15);
  CHECK(race.other == 0);
  CHECK(count_events(store) == 1);
  CHECK((*store.get_device("dev"))->revision == 1);
}

TEST_CASE("record_attestation: a process killed right after it returned loses nothing") {
  test::TempDir dir;
  const std::string url = "sqlite:" + (dir / "paw.db").string();
  const std::int64_t now = system_unix_now();
  {
    auto s = open_store(url);
    REQUIRE(s.ok());
    seed_device(**s, "dev");
  }
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Child: record, acknowledge through the pipe, die without any cleanup.
    ::close(fds[0]);
    auto s = open_store(url);
    if (!s.ok()) ::_exit(3);
    auto got = (*s)->get_device("dev");
    if (!got.ok() || !got->has_value()) ::_exit(4);
    StoredDevice next = **got;
    next.last_verdict = "healthy";
    next.last_attested_at = now;
    auto r = (*s)->record_attestation(nonce("aa", "dev", now), next, {{0, now, "attestation", "dev", R"({"ack":1})"}});
    const char ack = r.ok() ? 'y' : 'n';
    if (::write(fds[1], &ack, 1) != 1) ::_exit(5);
    ::raise(SIGKILL);
    ::_exit(6);
  }
  ::close(fds[1]);
  char ack = 0;
  REQUIRE(::read(fds[0], &ack, 1) == 1);
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  REQUIRE(ack == 'y');
  auto s = open_store(url);
  REQUIRE(s.ok());
  auto got = (*s)->get_device("dev");
  REQUIRE((got.ok() && got->has_value()));
  CHECK((*got)->last_verdict == "healthy");
  CHECK((*got)->revision == 1);
  CHECK(was_used(**s, "aa"));
  auto evs = (*s)->list_events(0, 10);
  REQUIRE(evs.ok());
  REQUIRE(evs->size() == 1);
  CHECK((*evs)[0].detail == R"({"ack":1})");
}

}  // namespace paw::verifier
