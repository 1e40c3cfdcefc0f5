// clock.h — where the verifier's wall time comes from.
//
// Every "now" the service acts on — expiry of challenges, nonces, admin
// sessions, credentials and tokens, event times, webhook leases, stale and
// retention checks, key rotation — is unix seconds read from one WallClock,
// Config::clock. Production leaves it at system_unix_now (the host's clock);
// in-process tests put a manual clock there (tests/support/manual_clock.h)
// and move it forward instead of sleeping, so an expiry test takes no time
// and cannot race the second boundary.
//
// Not on this clock, on purpose: durations that only measure elapsed time —
// the connection edge's I/O deadlines and rate limits, the long-poll wait,
// retry back-off, request latency — use std::chrono::steady_clock. They must
// not jump when the host's clock is set, and they wait on real sockets and
// condition variables, which only real time wakes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace paw::verifier {

// WallClock returns the current time in unix seconds. It is called from any
// thread, so an implementation must be thread-safe.
using WallClock = std::function<std::int64_t()>;

// system_unix_now is the production clock: the host's time in unix seconds.
// Only Config's default, the commands that run without a Service (init and
// its self-signed TLS certificate, credential creation) and the store's
// bookkeeping columns (migration applied_at, secret created_at) read it.
inline std::int64_t system_unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace paw::verifier
