// policy_diff_cli.h — `pawctl policy diff DEVICE [--against SET] [--json]`:
// the event-level differences between the device's last verified boot and
// the boot a reference set was captured from, over GET
// /v1/admin/devices/{id}/diff (docs/policy.md, "What changed").
#pragma once

#include <optional>
#include <string>

#include "admin_client.h"

namespace pawctl {

// policy_diff prints the PCR values that differ from the set, then each
// changed, added or removed event with its PCR, index, type, what it
// measured and its digest on both sides. |against|: a set name, or
// "reference" for the policy's reference; none = the latest live capture.
int policy_diff(const Connection& c, const std::string& device_id, const std::optional<std::string>& against);

}  // namespace pawctl
