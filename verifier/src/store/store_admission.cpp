// store_admission.cpp — Store::device_admission's portable fallback (store.h);
// the SQL backends answer it with one query (kDeviceAdmissionSql, store_sql.h).
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

}  // namespace paw::verifier
