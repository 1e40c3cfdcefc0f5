// evidence_tally.h — attestation failures that proved nothing about a device,
// counted instead of alerted.
//
// Evidence whose quote does not verify with the enrolled AK (or is not bound
// to the body and the challenge) can come from anyone who asked for a
// challenge: it says nothing about the device it names. One event row and one
// webhook per such request would let anyone fill the events table (kept for
// the retention period) and page the on-call at will. So the service counts
// them (a /metrics counter by error code) and records at most one aggregated
// `unauthenticated_evidence` event per interval; the per-request detail goes
// to the log only.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace paw::verifier {

class EvidenceTally {
 public:
  explicit EvidenceTally(std::int64_t interval_seconds) : interval_(interval_seconds) {}

  // add counts one refusal with |code| at |now|. It returns the detail (JSON
  // object text) of the aggregated event to record now — at most one per
  // interval — or nullopt while the interval since the last one runs.
  std::optional<std::string> add(std::string_view code, std::int64_t now);
  // flush returns the pending summary once the interval has passed (the fleet
  // watcher calls it, so a burst that stopped is still reported).
  std::optional<std::string> flush(std::int64_t now);

 private:
  std::optional<std::string> take_locked(std::int64_t now);
  std::mutex mu_;
  std::int64_t interval_;
  std::int64_t last_event_ = 0;     // when the last summary was handed out
  std::int64_t window_start_ = 0;   // first refusal of the pending window
  std::map<std::string, std::int64_t, std::less<>> pending_;
};

}  // namespace paw::verifier
