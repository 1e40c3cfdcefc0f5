#include "admin_scope.h"

namespace paw::verifier {

std::string_view admin_scope_name(AdminScope s) noexcept {
  switch (s) {
    case AdminScope::read: return "read";
    case AdminScope::devices: return "devices";
    case AdminScope::policy: return "policy";
    case AdminScope::full: return "full";
  }
  return "read";
}

std::optional<AdminScope> admin_scope_from_name(std::string_view name) noexcept {
  for (AdminScope s : {AdminScope::read, AdminScope::devices, AdminScope::policy, AdminScope::full}) {
    if (admin_scope_name(s) == name) return s;
  }
  return std::nullopt;
}

bool scope_allows(AdminScope held, AdminScope needed) noexcept {
  return held == AdminScope::full || needed == AdminScope::read || held == needed;
}

}  // namespace paw::verifier
