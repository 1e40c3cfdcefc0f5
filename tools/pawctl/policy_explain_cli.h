// policy_explain_cli.h — `pawctl policy explain DEVICE [--json]`: the
// device's last attestation rule by rule, over GET
// /v1/admin/devices/{id}/explain (docs/policy.md, "Explaining a verdict").
#pragma once

#include <string>

#include "admin_client.h"

namespace pawctl {

// policy_explain prints, for each rule of the device's last appraisal, the
// rule, what it judged, the evidence that decided it, the value found, the
// result and the grace; then the reasons no rule names. --json: the answer.
int policy_explain(const Connection& c, const std::string& device_id);

}  // namespace pawctl
