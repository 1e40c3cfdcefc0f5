// store_admission.cpp — Store::device_admission's portable fallback (store.h);
// the SQL backends answer it with one query (kDeviceAdmissionSql, store_sql.h).
// Also Store::list_events_in_order, the store's other non-virtual method.
#include "paw/attest/policy.h"
#include "store.h"

namespace paw::verifier {

Result<std::optional<DeviceAdmission>> Store::device_admission(const std::string& id) {
  PAW_TRY(auto d, get_device(id));
  if (!d) return std::optional<DeviceAdmission>{};
  PAW_TRY(auto p, get_policy(d->policy.empty() ? std::string(kDefaultPolicyName) : d->policy));
  return std::optional<DeviceAdmission>{DeviceAdmission{d->status, d->policy, p ? p->version : 0, d->last_verdict,
                                                        d->last_reasons, d->last_attested_at, d->rejected_at,
                                                        d->verdict_policy, d->revision, d->owner,
                                                        d->last_presence_at}};
}

Result<std::vector<EventRecord>> Store::list_events_in_order(std::int64_t after, std::int64_t limit) {
  PAW_TRY(std::vector<EventRecord> first, list_events(after, limit));
  std::int64_t expect = after + 1;
  bool gap = false;
  for (const auto& e : first) {
    gap = gap || e.id != expect;
    expect = e.id + 1;
  }
  if (!gap) return first;
  const std::int64_t newest = first.back().id;
  PAW_CHECK(settle_events());
  PAW_TRY(std::vector<EventRecord> again, list_events(after, limit));
  std::erase_if(again, [&](const EventRecord& e) { return e.id > newest; });
  return again;
}

}  // namespace paw::verifier
