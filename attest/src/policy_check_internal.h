// policy_check_internal.h — shared by the two halves of the policy lint
// (policy_check.cpp: the raw document; policy_check_rules.cpp: the parsed
// policy, and the findings' JSON form). Not installed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/digest.h"
#include "paw/attest/policy.h"
#include "paw/attest/policy_check.h"

namespace paw::detail {

using RequiredPcrs = std::map<HashAlg, std::set<std::uint32_t>>;

// CheckContext collects findings, at most kMaxFindings of them.
struct CheckContext {
  std::int64_t now = 0;
  std::vector<Finding> findings;
  std::size_t dropped = 0;
  bool dropped_error = false;

  void add(Severity s, std::string code, std::string path, std::string message);
  void error(std::string code, std::string path, std::string message) {
    add(Severity::error, std::move(code), std::move(path), std::move(message));
  }
  void warning(std::string code, std::string path, std::string message) {
    add(Severity::warning, std::move(code), std::move(path), std::move(message));
  }
  // finish returns the findings, with "findings_truncated" when some were dropped.
  std::vector<Finding> finish();
};

// shown makes input text safe to print: at most |max| bytes, control and
// non-ASCII bytes (and, with |escape_quotes|, quotes and backslashes, for
// text put between quotes) as \xNN, so no terminal escape gets through.
std::string shown(std::string_view text, std::size_t max = 64, bool escape_quotes = true);
// member appends an object member to a JSON path: $.a.b, or $.a["odd key"].
std::string member(const std::string& path, std::string_view key);
// pcr_index reads a decimal PCR index 0..23 without leading zeros.
std::optional<std::uint32_t> pcr_index(std::string_view key);

// check_min_sbat lints the raw "boot.min_sbat" of |boot| (a malformed
// datestamp or component, an empty rule, a datestamp after |c.now|) and
// removes it when it cannot be parsed or judges nothing.
void check_min_sbat(CheckContext& c, json::ObjectPtr boot);

// check_rules: the findings over several fields of a parsed policy.
void check_rules(CheckContext& c, const Policy& p);

}  // namespace paw::detail
