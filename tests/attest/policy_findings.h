// policy_findings.h — reading the policy lint's findings in tests
// (check_policy_document, paw/attest/policy_check.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/policy_check.h"

namespace paw::test {

// has finds a finding by code (and path, when given).
inline const Finding* has(const std::vector<Finding>& fs, std::string_view code, std::string_view path = "") {
  for (const auto& f : fs) {
    if (f.code == code && (path.empty() || f.path == path)) return &f;
  }
  return nullptr;
}

// all is every finding as the lint prints it, one a line (for failure messages).
inline std::string all(const std::vector<Finding>& fs) {
  std::string s;
  for (const auto& f : fs) s += format_finding(f) + "\n";
  return s;
}

}  // namespace paw::test
