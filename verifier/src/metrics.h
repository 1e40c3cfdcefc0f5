// metrics.h — Prometheus counters and a latency histogram (text format 0.0.4).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace paw::verifier {

class Metrics {
 public:
  // observe_request counts one answered request and its latency.
  void observe_request(const std::string& route, int status, double seconds);
  // observe_verdict counts one attestation verdict ("healthy", "unhealthy", "rejected").
  void observe_verdict(const std::string& verdict);
  // observe_unauthenticated counts one evidence refused before it proved
  // anything about its device (evidence_tally.h), by error code.
  void observe_unauthenticated(const std::string& error);
  // observe_would_deny counts one reason of a report-only policy's unhealthy
  // verdict (paw_policy_would_deny_total; docs/policy.md).
  void observe_would_deny(const std::string& policy, const std::string& reason);
  // render writes every metric; |devices_by_status| comes from the store at scrape time.
  std::string render(const std::map<std::string, std::int64_t>& devices_by_status) const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5,   5.0};
  using Buckets = std::array<std::uint64_t, kBuckets.size() + 1>;  // last = +Inf
  // Request counts are kept in shards by thread (every request counts, so
  // one lock would make concurrent requests queue); render adds them up.
  struct RequestShard {
    mutable std::mutex mu;
    std::map<std::pair<std::string, int>, std::uint64_t> requests;
    std::map<std::string, Buckets> buckets;  // per route
    std::map<std::string, double> sums;
  };
  std::array<RequestShard, 8> shards_;
  mutable std::mutex mu_;  // the rest
  std::map<std::string, std::uint64_t> verdicts_;
  std::map<std::string, std::uint64_t> unauthenticated_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> would_deny_;  // (policy, reason)
};

}  // namespace paw::verifier
