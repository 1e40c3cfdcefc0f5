#include "evidence_tally.h"

#include <Poco/JSON/Object.h>

#include "paw/attest/json.h"

namespace paw::verifier {

std::optional<std::string> EvidenceTally::add(std::string_view code, std::int64_t now) {
  std::lock_guard lock(mu_);
  if (pending_.empty()) window_start_ = now;
  auto it = pending_.find(code);
  if (it == pending_.end()) it = pending_.emplace(std::string(code), 0).first;
  ++it->second;
  return take_locked(now);
}

std::optional<std::string> EvidenceTally::flush(std::int64_t now) {
  std::lock_guard lock(mu_);
  return take_locked(now);
}

std::optional<std::string> EvidenceTally::take_locked(std::int64_t now) {
  if (pending_.empty() || now - last_event_ < interval_) return std::nullopt;
  Poco::JSON::Object::Ptr by_error = new Poco::JSON::Object();
  std::int64_t total = 0;
  for (const auto& [code, n] : pending_) {
    by_error->set(code, n);
    total += n;
  }
  Poco::JSON::Object::Ptr d = new Poco::JSON::Object();
  d->set("count", total);
  d->set("by_error", by_error);
  d->set("since", window_start_);
  d->set("until", now);
  pending_.clear();
  last_event_ = now;
  return json::stringify(d);
}

}  // namespace paw::verifier
