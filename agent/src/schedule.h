// schedule.h — when the daemon attests next: the interval with ±10 % jitter
// (so a fleet does not attest in step), renewal at 3/4 of the token's
// lifetime, and capped exponential back-off after failures.
#pragma once

#include <cstdint>
#include <random>

#include "attest_round.h"

namespace paw::agent {

// backoff_seconds is the un-jittered wait after |failures| consecutive
// failures (1, 2, …): retry_min · 2^(failures-1), at most retry_max.
double backoff_seconds(std::int64_t retry_min, std::int64_t retry_max, int failures) noexcept;

// kIdle is after_round's answer when no round should come until a signal
// (the device was revoked or deleted).
inline constexpr double kIdle = -1.0;

// Schedule remembers consecutive failures and draws the jitter.
class Schedule {
 public:
  Schedule() : rng_(std::random_device{}()) {}
  explicit Schedule(std::uint64_t seed) : rng_(seed) {}

  // after_round returns the seconds to wait after outcome |o| at unix time
  // |now|, or kIdle after FailureKind::gone.
  double after_round(const AgentSettings& s, const AttestOutcome& o, std::int64_t now);
  [[nodiscard]] int failures() const noexcept { return failures_; }

 private:
  double jitter(double seconds);
  std::mt19937_64 rng_;
  int failures_ = 0;
};

}  // namespace paw::agent
