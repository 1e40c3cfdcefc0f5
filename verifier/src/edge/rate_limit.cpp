#include "rate_limit.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace paw::verifier {

void RateLimiter::configure(double per_second, double burst) {
  std::lock_guard lock(mu_);
  rate_ = per_second;
  burst_ = burst;
}

void RateLimiter::refill(List::iterator it, Clock::time_point t) {
  const double dt = std::chrono::duration<double>(t - it->last).count();
  it->tokens = std::min(burst_, it->tokens + dt * rate_);
  it->last = t;
  lru_.splice(lru_.begin(), lru_, it);
}

bool RateLimiter::allow(const std::string& key) {
  const auto t = Clock::now();
  std::lock_guard lock(mu_);
  List::iterator it;
  if (auto found = index_.find(key); found != index_.end()) {
    it = found->second;
    refill(it, t);
  } else {
    if (index_.size() >= max_keys_) {
      // Evict the least recently used bucket: it is full again by now or
      // belongs to a client that went quiet longest ago.
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
    lru_.push_front(Bucket{key, burst_, t});
    it = lru_.begin();
    index_.emplace(key, it);
  }
  if (it->tokens < 1.0) return false;
  it->tokens -= 1.0;
  return true;
}

bool RateLimiter::has_token(const std::string& key) {
  const auto t = Clock::now();
  std::lock_guard lock(mu_);
  auto found = index_.find(key);
  if (found == index_.end()) return burst_ >= 1.0;
  refill(found->second, t);
  return found->second->tokens >= 1.0;
}

std::size_t RateLimiter::size() {
  std::lock_guard lock(mu_);
  return index_.size();
}

std::string address_bucket(const std::string& address) {
  std::uint8_t b[16];
  if (address.size() > 64 || ::inet_pton(AF_INET6, address.c_str(), b) != 1) return address;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char text[INET6_ADDRSTRLEN] = {};
  if (std::memcmp(b, kMapped, sizeof kMapped) == 0) {
    if (::inet_ntop(AF_INET, b + 12, text, sizeof text) == nullptr) return address;
    return text;
  }
  std::memset(b + 8, 0, 8);
  if (::inet_ntop(AF_INET6, b, text, sizeof text) == nullptr) return address;
  return std::string(text) + "/64";
}

}  // namespace paw::verifier
