// verdicts.cpp — the outcomes of attestations that failed: `rejected` when the
// device itself signed the evidence, a counter when nobody proved anything.
#include "verdicts.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "service.h"
#include "util.h"
#include "paw/attest/reasons.h"

namespace paw::verifier {

std::string policy_id(const Policy& p) { return p.name + "@" + std::to_string(p.version); }

std::string verdict_policy_of(const StoredDevice& d) {
  if (!d.verdict_policy.empty() || d.last_appraisal_json.empty()) return d.verdict_policy;
  auto rec = parse_appraisal_record(d.last_appraisal_json);
  return rec.ok() ? rec->policy : std::string();
}

// Nothing about the device is written: the row, its cache entry and its
// nonce stay as they were (the nonce was the sender's own, not the agent's).
Error Service::refuse_unauthenticated(const Request& req, const std::string& device_id, Error e) {
  const std::int64_t now_s = unix_now();
  const std::string code(errc_name(e.code));
  metrics_.observe_unauthenticated(code);
  log_line("info", "evidence refused before it was authenticated (device unchanged)",
           {{"device", device_id}, {"error", code}, {"detail", e.detail}, {"remote", req.remote}});
  if (auto summary = unauthenticated_.add(code, now_s)) record_event("unauthenticated_evidence", "", *summary);
  return e;
}

Error Service::record_rejection(const Request& req, const UsedNonce& nonce, const CachedDevice& cached,
                                const Policy& policy, Error e) {
  const std::int64_t now_s = unix_now();
  StoredDevice dev = cached.stored;
  const std::string previous_verdict = dev.last_verdict;
  const json::ArrayPtr reasons = reasons_to_json({{std::string(errc_name(e.code)), e.detail, 0}});
  // The device state (FIDO2 counter, clock, pins) stays at the last evidence
  // that held up; the verdict and its time change.
  dev.status = DeviceStatus::enrolled;  // a stale device that attests again is back (and rejected)
  dev.last_verdict = kVerdictRejected;
  dev.last_reasons = json::stringify(reasons);
  dev.last_attested_at = now_s;
  dev.rejected_at = now_s;
  dev.verdict_policy = policy_id(policy);
  dev.updated_at = now_s;

  std::vector<EventRecord> events;
  Poco::JSON::Object::Ptr d = new Poco::JSON::Object();
  d->set("verdict", std::string(kVerdictRejected));
  d->set("error", std::string(errc_name(e.code)));
  d->set("message", e.detail);
  d->set("policy", dev.verdict_policy);
  d->set("remote", req.remote);
  events.push_back({0, now_s, "attestation_failed", dev.id, json::stringify(d)});
  if (!previous_verdict.empty() && previous_verdict != kVerdictRejected) {
    Poco::JSON::Object::Ptr ch = new Poco::JSON::Object();
    ch->set("from", previous_verdict);
    ch->set("to", std::string(kVerdictRejected));
    ch->set("reasons", reasons);
    events.push_back({0, now_s, "verdict_change", dev.id, json::stringify(ch)});
  }
  // One transaction with the nonce: a replay of this evidence changes nothing.
  auto recorded = store_->record_attestation(nonce, dev, events);
  if (!recorded.ok()) {
    device_cache_.erase(dev.id);
    return std::move(recorded).error();
  }
  auto next = std::make_shared<CachedDevice>(CachedDevice{dev, cached.record, cached.state});
  next->stored.revision = dev.revision + 1;
  device_cache_.put(std::move(next));
  metrics_.observe_verdict(kVerdictRejected);
  for (std::size_t i = 0; i < recorded->size() && i < events.size(); ++i) {
    published((*recorded)[i], events[i].type, dev.id);
  }
  return e;
}

}  // namespace paw::verifier
