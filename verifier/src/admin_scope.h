// admin_scope.h — what an admin credential or session may do.
//
// Every admin route needs one scope; a credential holds one. The scopes are
// not a ladder: `read` is in every other one, `full` holds every other one,
// and `devices` and `policy` are side by side (a device admin cannot change
// a policy, a policy admin cannot revoke a device).
//
//   read     GET of every admin endpoint (devices, policies, events, …)
//   devices  read + enrollment tokens, device approve/revoke/delete/assign
//   policy   read + policy set/report/capture
//   full     everything: credentials, admins, keys, CA rotation
#pragma once

#include <optional>
#include <string_view>

namespace paw::verifier {

enum class AdminScope { read, devices, policy, full };

// admin_scope_name: "read" | "devices" | "policy" | "full".
std::string_view admin_scope_name(AdminScope s) noexcept;
// admin_scope_from_name reads a name back (std::nullopt for anything else).
std::optional<AdminScope> admin_scope_from_name(std::string_view name) noexcept;
// scope_allows says whether a credential of scope |held| may call a route
// that needs |needed|.
bool scope_allows(AdminScope held, AdminScope needed) noexcept;

}  // namespace paw::verifier
