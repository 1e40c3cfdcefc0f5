#include "metrics.h"

#include <functional>
#include <sstream>
#include <thread>

namespace paw::verifier {
namespace {
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

void Metrics::observe_request(const std::string& route, int status, double seconds) {
  RequestShard& sh = shards_[std::hash<std::thread::id>{}(std::this_thread::get_id()) % shards_.size()];
  std::size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  std::lock_guard lock(sh.mu);
  ++sh.requests[{route, status}];
  ++sh.buckets[route][i];
  sh.sums[route] += seconds;
}

void Metrics::observe_verdict(const std::string& verdict) {
  std::lock_guard lock(mu_);
  ++verdicts_[verdict];
}

void Metrics::observe_unauthenticated(const std::string& error) {
  std::lock_guard lock(mu_);
  ++unauthenticated_[error];
}

void Metrics::observe_would_deny(const std::string& policy, const std::string& reason) {
  std::lock_guard lock(mu_);
  ++would_deny_[{policy, reason}];
}

std::string Metrics::render(const std::map<std::string, std::int64_t>& devices_by_status) const {
  std::ostringstream o;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Buckets> buckets_;
  std::map<std::string, double> sums_;
  for (const RequestShard& sh : shards_) {
    std::lock_guard lock(sh.mu);
    for (const auto& [k, n] : sh.requests) requests_[k] += n;
    for (const auto& [route, b] : sh.buckets) {
      auto& sum = buckets_[route];
      for (std::size_t i = 0; i < b.size(); ++i) sum[i] += b[i];
    }
    for (const auto& [route, v] : sh.sums) sums_[route] += v;
  }
  std::lock_guard lock(mu_);
  o << "# HELP paw_http_requests_total HTTP requests answered, by route and status.\n"
    << "# TYPE paw_http_requests_total counter\n";
  for (const auto& [k, n] : requests_) {
    o << "paw_http_requests_total{route=\"" << label(k.first) << "\",status=\"" << k.second << "\"} " << n << "\n";
  }
  o << "# HELP paw_attestation_verdicts_total Attestation outcomes.\n"
    << "# TYPE paw_attestation_verdicts_total counter\n";
  for (const auto& [v, n] : verdicts_) o << "paw_attestation_verdicts_total{verdict=\"" << label(v) << "\"} " << n << "\n";
  o << "# HELP paw_attestation_unauthenticated_total Evidence refused before its quote verified with the "
       "enrolled AK for this body and challenge (not about the device), by error.\n"
    << "# TYPE paw_attestation_unauthenticated_total counter\n";
  for (const auto& [e, n] : unauthenticated_) {
    o << "paw_attestation_unauthenticated_total{error=\"" << label(e) << "\"} " << n << "\n";
  }
  o << "# HELP paw_policy_would_deny_total Reasons a report-only policy would have denied an attestation for "
       "(the answer used the enforced policy).\n"
    << "# TYPE paw_policy_would_deny_total counter\n";
  for (const auto& [k, n] : would_deny_) {
    o << "paw_policy_would_deny_total{policy=\"" << label(k.first) << "\",reason=\"" << label(k.second) << "\"} " << n
      << "\n";
  }
  o << "# HELP paw_http_request_duration_seconds Request latency by route.\n"
    << "# TYPE paw_http_request_duration_seconds histogram\n";
  for (const auto& [route, b] : buckets_) {
    std::uint64_t cum = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cum += b[i];
      o << "paw_http_request_duration_seconds_bucket{route=\"" << label(route) << "\",le=\"" << kBuckets[i] << "\"} "
        << cum << "\n";
    }
    cum += b[kBuckets.size()];
    o << "paw_http_request_duration_seconds_bucket{route=\"" << label(route) << "\",le=\"+Inf\"} " << cum << "\n";
    o << "paw_http_request_duration_seconds_sum{route=\"" << label(route) << "\"} " << sums_.at(route) << "\n";
    o << "paw_http_request_duration_seconds_count{route=\"" << label(route) << "\"} " << cum << "\n";
  }
  o << "# HELP paw_devices Devices by status.\n# TYPE paw_devices gauge\n";
  for (const char* s : {"pending", "enrolled", "stale", "revoked"}) {
    const auto it = devices_by_status.find(s);
    o << "paw_devices{status=\"" << s << "\"} " << (it == devices_by_status.end() ? 0 : it->second) << "\n";
  }
  return o.str();
}

}  // namespace paw::verifier
