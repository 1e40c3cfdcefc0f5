// policy_check_cli.h — `pawctl policy check FILE|-` (offline lint of a policy
// document, paw/attest/policy_check.h) and the findings printing that
// `policy set` shares with it.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "paw/attest/error.h"
#include "paw/attest/policy_check.h"

namespace pawctl {

// read_policy_text reads FILE, or standard input for "-", at most
// paw::kMaxPolicySize bytes (Errc::too_large beyond, Errc::io_error if unreadable).
paw::Result<std::string> read_policy_text(const std::string& file);

// print_findings writes one line per finding: "error unknown_field $.x: …".
void print_findings(std::ostream& out, const std::vector<paw::Finding>& findings);

// policy_check lints FILE and prints the findings (a JSON array with |json|);
// exit code 0 without errors (warnings are printed), 1 with errors, 2 when
// FILE cannot be read.
int policy_check(const std::string& file, bool json);

}  // namespace pawctl
