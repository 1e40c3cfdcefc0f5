// policy_fields.h — the member names of each object of a policy document,
// in one place: the parser (policy.cpp, policy_boot.cpp, grace.cpp) refuses
// any other member, and the linter (policy_check.cpp) names it with a "did
// you mean". A field added here is known to both.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "paw/attest/error.h"
#include "paw/attest/json.h"

namespace paw::detail::policy_fields {

using List = std::span<const std::string_view>;

// clang-format off
inline constexpr std::string_view kTop[] = {
    "name", "version", "schema", "pcrs", "secure_boot_required", "boot_applications", "boot", "event_log_required", "ima",
    "fido", "max_attestation_age_seconds", "token_ttl_seconds", "host", "reboot", "ek", "require_admin_approval",
    "enforcement", "login", "learn"};
inline constexpr std::string_view kPcrs[] = {"required", "reference", "reference_sets", "pin_on_enroll"};
inline constexpr std::string_view kReferenceSet[] = {"name", "not_after", "values"};
inline constexpr std::string_view kIma[] = {"required", "allowlist"};
inline constexpr std::string_view kImaRequired[] = {"path", "digests"};
inline constexpr std::string_view kFido[] = {
    "required", "user_presence", "user_verification", "aaguid_allowlist", "allow_zero_counter",
    "allow_self_attestation", "allow_none_attestation", "login_presence_max_age_seconds"};
inline constexpr std::string_view kHost[] = {"disk_encryption_required", "os_release_allowlist"};
inline constexpr std::string_view kReboot[] = {"allow"};
inline constexpr std::string_view kEk[] = {"allow_tofu"};
inline constexpr std::string_view kLogin[] = {"token_binding"};
inline constexpr std::string_view kEnforcement[] = {"grace"};
inline constexpr std::string_view kBoot[] = {"authorities", "kernel_cmdline", "dbx", "secure_boot_owners", "images",
                                             "min_kernel", "min_sbat"};
inline constexpr std::string_view kMinSbat[] = {"date", "components"};
inline constexpr std::string_view kKnownImage[] = {"sha256", "kind", "package", "version", "file"};
inline constexpr std::string_view kSecureBootOwners[] = {"pk", "kek"};
inline constexpr std::string_view kKernelCmdline[] = {"required", "forbidden"};
inline constexpr std::string_view kDbx[] = {"required"};
inline constexpr std::string_view kLearn[] = {"min_devices"};
// clang-format on

// only: json::only_keys over one of the lists above (Errc::malformed naming
// the unknown field and |where|).
inline Status only(const json::ObjectPtr& obj, List allowed, std::string_view where) {
  for (const auto& [key, value] : *obj) {
    bool known = false;
    for (std::string_view a : allowed) known = known || key == a;
    if (!known) return make_error(Errc::malformed, "unknown field \"" + key + "\" in " + std::string(where));
  }
  return ok_status();
}

}  // namespace paw::detail::policy_fields
