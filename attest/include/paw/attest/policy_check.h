// paw/attest/policy_check.h — lint a policy document before it is set.
//
// parse_policy stops at the first problem; an admin writing a policy wants
// all of them, each with where it is and how to fix it, and wants to hear
// about things that parse but do not do what they seem to (a reference set
// that has already ended, an IMA allowlist the agent can sidestep, a grace
// on a reason the policy can never produce). check_policy_document is that
// lint, pure and offline: `pawctl policy check FILE` prints its findings, and
// the verifier's PUT /v1/admin/policies/NAME runs it too and refuses (400
// malformed, findings in the body) a document with any error, so `check`
// passing means `set` passes (bar the verifier's own state: trusted FIDO
// roots for an AAGUID allowlist).
//
// Every finding code, what it means and its fix: docs/policy.md, "Check
// findings". Errors are what the parser or the set-time rules refuse;
// warnings are accepted but likely not what was meant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/json.h"

namespace paw {

enum class Severity { error, warning };
// severity_name: "error" | "warning".
std::string_view severity_name(Severity s) noexcept;

// Finding is one problem in a policy document.
struct Finding {
  Severity severity = Severity::error;
  std::string code;     // stable, e.g. "unknown_field" (docs/policy.md)
  std::string path;     // JSON path into the document: "$.pcrs.reference_sets[1].name"
  std::string message;  // what is wrong and the fix; input text in it is escaped and cut short
  bool operator==(const Finding&) const = default;
};

// kMaxFindings bounds the findings of one document; more are summed up in
// one last finding "findings_truncated" (an error if any dropped one was).
inline constexpr std::size_t kMaxFindings = 100;

// check_policy_document lints |json_text| (a policy document as for PUT
// /v1/admin/policies/NAME) at unix time |now| (for reference sets that have
// ended). A document without "name" is checked as if it were named
// |default_name| (the URL's name; "" = any valid name). Never fails: a
// document that is not a JSON object is one finding "json_invalid".
std::vector<Finding> check_policy_document(std::string_view json_text, std::int64_t now,
                                           std::string_view default_name = "");
// check_policy_object is the same for a parsed document (not modified).
std::vector<Finding> check_policy_object(const json::ObjectPtr& doc, std::int64_t now,
                                         std::string_view default_name = "");

// has_errors: some finding is an error (the policy would be refused).
bool has_errors(const std::vector<Finding>& findings) noexcept;

// findings_to_json: [{"severity","code","path","message"}, ...].
json::ArrayPtr findings_to_json(const std::vector<Finding>& findings);
// findings_from_json reads that array back (pawctl, from a 400 answer);
// entries that are not such objects are skipped, at most kMaxFindings + 1.
std::vector<Finding> findings_from_json(const json::ArrayPtr& arr);
// format_finding: "error unknown_field $.fido.requird: <message>" (one line).
std::string format_finding(const Finding& f);

}  // namespace paw
