// policy_report_cli.h — report-only policies on the command line:
// `pawctl policy report NAME`, `pawctl policy report-mode NAME TARGET|off`
// and `policy set … --report-on TARGET` (docs/policy.md, "Trying a policy
// before enforcing it").
#pragma once

#include <string>

#include "admin_client.h"

namespace pawctl {

// policy_report_mode attaches NAME in report mode to the devices of the
// enforced policy TARGET, or detaches it ("off").
int policy_report_mode(const Connection& c, const std::string& name, const std::string& target);

// policy_report prints what NAME's current version would do to the devices
// it judged: devices judged, would deny (per reason, with the devices), would warn.
int policy_report(const Connection& c, const std::string& name);

}  // namespace pawctl
