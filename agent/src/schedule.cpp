#include "schedule.h"

#include <algorithm>
#include <cmath>

namespace paw::agent {

double backoff_seconds(std::int64_t retry_min, std::int64_t retry_max, int failures) noexcept {
  const int n = std::clamp(failures, 1, 40);
  const double b = static_cast<double>(retry_min) * std::pow(2.0, n - 1);
  return std::min(b, static_cast<double>(retry_max));
}

double Schedule::jitter(double seconds) {
  std::uniform_real_distribution<double> d(0.9, 1.1);
  return seconds * d(rng_);
}

double Schedule::after_round(const AgentSettings& s, const AttestOutcome& o, std::int64_t now) {
  // Revoked or deleted: no more rounds until a signal (kIdle = "wait for one").
  if (o.failure == FailureKind::gone) return kIdle;
  if (o.failure != FailureKind::none) {
    if (failures_ < 1000) ++failures_;
    return jitter(backoff_seconds(s.retry_min_seconds, s.retry_max_seconds, failures_));
  }
  failures_ = 0;
  double next = jitter(static_cast<double>(s.interval_seconds));
  if (o.admitted()) {
    // Renew well before the token expires, even with a long interval.
    const double left = static_cast<double>(o.answer.expires_at - now);
    next = std::min(next, std::max(static_cast<double>(s.retry_min_seconds), left * 0.75));
  }
  return next;
}

}  // namespace paw::agent
