// Fuzz target: the policy lint (paw/attest/policy_check.h) on any bytes, as
// pawctl policy check and the verifier's PUT /v1/admin/policies/NAME run it.
// Beyond not crashing, the lint must agree with the parser and the set-time
// rules: it finds an error exactly when setting the document is refused, so
// `check` passing means `set` passes. Findings stay bounded and printable.
#include "paw/attest/policy_check.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "paw/attest/json.h"
#include "paw/attest/policy.h"

namespace {
// set_accepts mirrors what PUT /v1/admin/policies/fuzz accepts (bar FIDO roots).
bool set_accepts(std::string_view text) {
  auto o = paw::json::parse_object(text, paw::kMaxPolicySize, 6);
  if (!o.ok()) return false;
  if ((*o)->has("name")) {
    const auto n = (*o)->get("name");
    if (!n.isString() || n.extract<std::string>() != "fuzz") return false;
  } else {
    (*o)->set("name", std::string("fuzz"));
  }
  auto p = paw::policy_from_json(*o);
  return p.ok() && paw::check_policy_bindings(*p).ok();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto findings = paw::check_policy_document(text, 1800000000, "fuzz");
  if (findings.size() > paw::kMaxFindings + 1) __builtin_trap();
  for (const auto& f : findings) {
    if (f.code.empty() || f.path.empty() || f.path[0] != '$' || f.message.empty()) __builtin_trap();
    for (const char ch : f.path + f.message) {
      const auto u = static_cast<unsigned char>(ch);
      if (u < 0x20 || u == 0x7f) __builtin_trap();  // no terminal escapes from input
    }
  }
  if (paw::has_errors(findings) == set_accepts(text)) __builtin_trap();
  // The JSON form reads back unchanged.
  if (!(paw::findings_from_json(paw::findings_to_json(findings)).size() == findings.size())) __builtin_trap();
  return 0;
}
