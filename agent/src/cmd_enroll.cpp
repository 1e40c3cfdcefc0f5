// paw-agent enroll: join this workstation to a verifier.
#include <cstdlib>
#include <iostream>

#include "agent_commands.h"
#include "attest_round.h"
#include "paw/platform/login_key.h"
#include "settings.h"

namespace paw::agent {

namespace {
std::string hint(FailureKind k, Errc code) {
  if (code == Errc::untrusted_chain || code == Errc::cert_invalid) {
    return "the verifier does not trust this TPM's EK certificate: add its manufacturer CA to the verifier's ek-ca-dir";
  }
  switch (k) {
    case FailureKind::tpm: return "check tcti (is the TPM there and may this user open it?)";
    case FailureKind::fido: return "plug in the FIDO2 key (fido-device) and touch it when asked";
    case FailureKind::network: return "check the verifier URL, that it runs, and ca-file";
    case FailureKind::verifier:
      if (code == Errc::conflict) {
        // The verifier keeps one enrolled id per TPM (docs/protocol.md, Enrollment).
        return "this TPM is already enrolled (perhaps revoked): an admin deletes that device or makes a token with "
               "`pawctl token create --replace`";
      }
      return code == Errc::token_invalid || code == Errc::token_expired
                 ? "ask an admin for a fresh token (pawctl token create)"
                 : "see the verifier's message above (pawctl events shows it too)";
    case FailureKind::config: return "fix the setting named above";
    case FailureKind::state: return "check the state folder (state-dir) and its permissions";
    default: return "";
  }
}

// add_login_key_command: `paw-agent enroll --add-login-key` for a device
// enrolled before login keys existed.
int add_login_key_command(const AgentSettings& s) {
  auto e = load_enrollment(s.state_dir);
  if (!e.ok() || !*e) {
    std::cerr << "paw-agent: not enrolled (" << (e.ok() ? "no enrollment in " + s.state_dir.string() : e.error().what())
              << "): run paw-agent enroll --token TOKEN\n";
    return 2;
  }
  auto r = add_login_key(s, **e);
  if (!r.ok()) {
    const FailureKind k = classify(r.code());
    std::cerr << "paw-agent: adding the login key failed (" << failure_kind_name(k) << "): " << r.error().what() << "\n";
    if (r.code() == Errc::conflict) std::cerr << "paw-agent: the verifier already has a login key for this device\n";
    else std::cerr << "paw-agent: " << hint(k, r.code()) << "\n";
    return 2;
  }
  std::cout << "login key: " << (s.state_dir / platform::kLoginKeyFile).string() << " (jkt " << *r << ")\n";
  return 0;
}

}  // namespace

int cmd_enroll(const std::vector<std::string>& words) {
  auto ls = load_settings(words, {"token"}, {"add-login-key"});
  if (!ls.ok()) {
    std::cerr << "paw-agent: " << ls.error().detail << "\n";
    return 2;
  }
  if (ls->args.has("add-login-key")) return add_login_key_command(ls->settings);
  std::string token = ls->args.get_or("token", "");
  if (token.empty()) {
    if (const char* env = std::getenv("PAW_ENROLL_TOKEN")) token = env;
  }
  if (token.empty()) {
    std::cerr << "paw-agent: enroll needs --token TOKEN (an admin makes one with `pawctl token create`)\n";
    return 2;
  }
  const AgentSettings& s = ls->settings;
  auto r = enroll_device(s, token);
  if (!r.ok()) {
    const FailureKind k = classify(r.code());
    std::cerr << "paw-agent: enrollment failed (" << failure_kind_name(k) << "): " << r.error().what() << "\n"
              << "paw-agent: " << hint(k, r.code()) << "\n";
    return 2;
  }
  const Enrollment& e = r->enrollment;
  std::cout << "enrolled: device " << e.device_id << " with " << e.verifier << " (status " << e.status << ")\n"
            << "attestation key: " << r->ak_note << "\n"
            << "login key: " << (s.state_dir / platform::kLoginKeyFile).string() << " (jkt " << r->login_key_jkt << ")\n"
            << "state: " << s.state_dir.string() << "\n";
  if (e.status == "pending") {
    std::cout << "an admin must approve it: pawctl devices approve " << e.device_id << "\n";
  } else {
    std::cout << "next: paw-agent attest, or start the daemon (systemctl start paw-agent)\n";
  }
  return 0;
}

}  // namespace paw::agent
