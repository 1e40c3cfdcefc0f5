// wakeup.h — the sleep of a worker that follows the events table (webhook
// delivery in webhooks.cpp, event export in event_export.cpp): it ends early
// when a new event is recorded (notify) or for good when the owner stops.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace paw::verifier {

class Wakeup {
 public:
  // notify wakes the sleepers that asked to be woken by a new event.
  void notify() {
    {
      std::lock_guard lock(mu_);
      ++wakeups_;
    }
    cv_.notify_all();
  }
  // stop wakes every sleeper; every sleep from then on returns false at once.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
  }
  // sleep waits |ms|, or less after stop (or notify, if |wake_on_notify|);
  // false once stopped.
  bool sleep(std::int64_t ms, bool wake_on_notify) {
    std::unique_lock lock(mu_);
    const std::uint64_t seen = wakeups_;
    cv_.wait_for(lock, std::chrono::milliseconds(ms),
                 [&] { return stop_ || (wake_on_notify && wakeups_ != seen); });
    return !stop_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t wakeups_ = 0;
  bool stop_ = false;
};

}  // namespace paw::verifier
