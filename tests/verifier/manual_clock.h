// manual_clock.h — a wall clock a test sets and moves (verifier/src/clock.h).
//
// Put clock() into Config::clock and the whole in-process service — handlers,
// the fleet watcher, the webhook workers — reads its "now" from here, so a
// test that needs time to pass advances the clock instead of sleeping:
//
//   ManualClock clock;
//   TestVerifier v([&](verifier::Config& c) { c.clock = clock.clock(); });
//   clock.advance(3600);  // an hour later, at once
//
// It starts at the host's time, so what the test's clients check against the
// real clock (TLS certificates, token lifetimes, DPoP iat) still holds.
// Thread-safe; the service may outlive the ManualClock object (shared state).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "clock.h"

namespace paw::test {

class ManualClock {
 public:
  explicit ManualClock(std::int64_t start = verifier::system_unix_now())
      : t_(std::make_shared<std::atomic<std::int64_t>>(start)) {}
  // clock is the WallClock to give the service.
  [[nodiscard]] verifier::WallClock clock() const {
    return [t = t_] { return t->load(); };
  }
  [[nodiscard]] std::int64_t now() const { return t_->load(); }
  // advance moves the clock |seconds| forward (or back, if negative).
  void advance(std::int64_t seconds) { t_->fetch_add(seconds); }

 private:
  std::shared_ptr<std::atomic<std::int64_t>> t_;
};

}  // namespace paw::test
