// rate_limit.h — token-bucket rate limits per key (client address, device).
//
// Memory is bounded: at most |max_keys| buckets, the least recently used one
// evicted for a new key (an address flood evicts only idle buckets and never
// resets the ones in use). Keys for addresses come from address_bucket, so
// an IPv6 client counts per /64 (one end site), not per /128 (free to rotate).
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace paw::verifier {

class RateLimiter {
 public:
  // RateLimiter allows |per_second| requests per key on average, bursts up to |burst|.
  RateLimiter(double per_second, double burst, std::size_t max_keys = 100000)
      : rate_(per_second), burst_(burst), max_keys_(max_keys == 0 ? 1 : max_keys) {}
  void configure(double per_second, double burst);
  // allow takes one token for |key| (a new key starts with a full bucket);
  // false when the bucket is empty.
  bool allow(const std::string& key);
  // has_token says whether |key| could take a token now, without taking one
  // and without creating a bucket (an unknown key could).
  bool has_token(const std::string& key);
  // spend takes one token for |key| if there is one (creating its bucket):
  // for work that is budgeted only after it proved itself.
  void spend(const std::string& key) { (void)allow(key); }
  [[nodiscard]] std::size_t size();

 private:
  using Clock = std::chrono::steady_clock;
  struct Bucket {
    std::string key;
    double tokens;
    Clock::time_point last;
  };
  using List = std::list<Bucket>;
  // refill brings |b| to time |t| and marks it most recently used.
  void refill(List::iterator it, Clock::time_point t);

  std::mutex mu_;
  double rate_, burst_;
  std::size_t max_keys_;
  List lru_;  // most recently used first
  std::unordered_map<std::string, List::iterator> index_;
};

// address_bucket is the rate-limit (and connection-cap) key of a canonical
// client address (canonical_address, http.h): an IPv4 address as is, an
// IPv4-mapped IPv6 address as its IPv4 address, any other IPv6 address as its
// /64 ("2001:db8:1:2::/64"). Anything else is returned unchanged.
std::string address_bucket(const std::string& address);

}  // namespace paw::verifier
