// rate_limit.h — token-bucket rate limits per key (address, device).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace paw::verifier {

class RateLimiter {
 public:
  // RateLimiter allows |per_second| requests per key on average, bursts up to |burst|.
  RateLimiter(double per_second, double burst) : rate_(per_second), burst_(burst) {}
  void configure(double per_second, double burst) {
    std::lock_guard lock(mu_);
    rate_ = per_second;
    burst_ = burst;
  }
  // allow takes one token for |key|; false when the bucket is empty.
  bool allow(const std::string& key) {
    const auto t = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    if (buckets_.size() > 100000) buckets_.clear();  // bound memory under address floods
    auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, t});
    Bucket& b = it->second;
    if (!fresh) {
      const double dt = std::chrono::duration<double>(t - b.last).count();
      b.tokens = std::min(burst_, b.tokens + dt * rate_);
      b.last = t;
    }
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
  }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  std::mutex mu_;
  double rate_, burst_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace paw::verifier
