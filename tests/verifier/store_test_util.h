// store_test_util.h — what the store tests (SQLite and PostgreSQL) share: a
// seeded device, a probe for a used nonce, and a race of threads at one
// single-use nonce with its outcomes counted.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store.h"

namespace paw::verifier {

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

}  // namespace paw::verifier
