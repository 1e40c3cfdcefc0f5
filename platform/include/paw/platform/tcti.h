// paw/platform/tcti.h — which TPM to talk to.
//
// A TCTI string names the transport as tpm2-tss's TCTI loader understands it:
// "device:/dev/tpmrm0" (the kernel resource manager, the default),
// "swtpm:host=127.0.0.1,port=2321" (tests), "tabrmd" (the D-Bus broker).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace paw::platform {

// kDefaultTcti is the kernel's in-kernel resource manager.
inline constexpr std::string_view kDefaultTcti = "device:/dev/tpmrm0";
// kTctiEnvVar is the environment variable tpm2-tools read (the same convention).
inline constexpr const char* kTctiEnvVar = "TPM2TOOLS_TCTI";

// resolve_tcti picks the TCTI string by precedence: |flag| (command line) >
// |env| (TPM2TOOLS_TCTI) > |config| (configuration file) > kDefaultTcti.
// Empty strings count as unset.
std::string resolve_tcti(const std::optional<std::string>& flag, const std::optional<std::string>& env,
                         const std::optional<std::string>& config);
// resolve_tcti reads |env| from the process environment (TPM2TOOLS_TCTI).
std::string resolve_tcti(const std::optional<std::string>& flag, const std::optional<std::string>& config);

}  // namespace paw::platform
