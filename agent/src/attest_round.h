// attest_round.h — enrollment and one attestation, the work behind
// `paw-agent enroll`, `paw-agent attest` and each round of `paw-agent run`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "agent_state.h"
#include "paw/attest/error.h"
#include "paw/attest/log.h"
#include "verifier_client.h"

namespace paw::agent {

// AgentSettings is the resolved configuration (config file, then flags).
struct AgentSettings {
  std::string verifier;                 // https://host:port
  std::string ca_file;                  // PEM of the verifier's CA
  std::string tcti;                     // TPM transport (paw/platform/tcti.h)
  std::string fido_device;              // "" = discover, /dev/hidrawN, virtual:/state (dev builds)
  std::filesystem::path state_dir = "/var/lib/paw-agent";
  std::filesystem::path token_file = "/run/paw-agent/token";
  std::int64_t interval_seconds = 300;  // between attestations (jittered ±10%)
  std::int64_t retry_min_seconds = 5;   // first back-off after a failure
  std::int64_t retry_max_seconds = 300; // back-off cap
  std::string event_log;                // "" = the kernel's; "none" = do not send
  std::string ima_log;                  // "" = the kernel's; "none" = do not send
  int fido_timeout_ms = 30000;          // how long to wait for a touch
  std::string ek_type;                  // "" = the EK that has a certificate (RSA first); else rsa2048|ecc-p256|ecc-p384
  std::string ak_alg = "ecc-p256";      // the AK's algorithm at enrollment
  // log-level, log-format, log-target: how `run` (and its ssh-agent) log (paw/attest/log.h).
  log::Settings log{.program = "paw-agent"};
};

// FailureKind says why an attestation could not be made (exit status 2).
// gone: the verifier says the device is revoked or no longer exists (its
// JSON error "revoked" / "not_found"): retrying cannot help, the daemon stops
// attesting until it is enrolled again or told to try (SIGHUP, SIGUSR1).
enum class FailureKind { none, config, not_enrolled, tpm, fido, network, verifier, state, gone };
// failure_kind_name: "configuration", "not enrolled", "TPM", "FIDO2 key", "network", "verifier", "state folder",
// "device revoked or deleted".
std::string_view failure_kind_name(FailureKind k) noexcept;

// AttestOutcome is one attestation attempt.
struct AttestOutcome {
  FailureKind failure = FailureKind::none;  // none: the verifier gave a verdict
  Error error;                              // when failure != none
  AttestationAnswer answer;                 // when failure == none
  std::string fido_note;                    // the FIDO2 key could not prove presence (sent without it)
  // admitted: the verdict lets the user log in — healthy, or warning (only
  // reasons the policy graces, inside their grace): the token is kept.
  [[nodiscard]] bool admitted() const {
    return failure == FailureKind::none && (answer.verdict == "healthy" || answer.verdict == "warning");
  }
  // exit_code: 0 admitted (healthy or warning), 1 unhealthy, 2 could not attest.
  [[nodiscard]] int exit_code() const { return failure != FailureKind::none ? 2 : (admitted() ? 0 : 1); }
};

// attest_once runs one round: challenge, FIDO2 assertion over the presence
// client-data hash (a key that is missing, refuses or times out is reported
// to the verifier by sending no assertion: the verdict then says so), the
// evidence body, a quote over SHA-256(body), submit. It never throws.
AttestOutcome attest_once(const AgentSettings& s, const Enrollment& e);

// record_outcome stores |o| as the last result (state folder) and writes the
// token file on a healthy verdict, removes it otherwise (no stale token for
// login tooling). Errors are returned, not fatal for the caller.
Status record_outcome(const AgentSettings& s, const AttestOutcome& o);

// EnrollResult is what enroll_device did.
struct EnrollResult {
  Enrollment enrollment;
  std::string ak_note;   // AK created / reused
  std::string login_key_jkt;  // RFC 7638 thumbprint of the login key (login-key.pem)
};

// enroll_device runs the enrollment: GET /v1/info, EK (certificate from NV),
// the AK (created or reused from the state folder), the login key (created,
// certified by the AK, written to login-key.pem), a FIDO2 credential over
// the enrollment client-data hash (asks for a touch on stderr), POST
// /v1/enrollments, TPM2_ActivateCredential, POST the activation, and stores
// the enrollment. Errors keep their code (tpm_error, fido_*, network_error, …).
Result<EnrollResult> enroll_device(const AgentSettings& s, const std::string& token);

// add_login_key gives an enrolled device without a login key one (`paw-agent
// enroll --add-login-key`): a challenge, a new login key certified by the
// enrolled AK over login_key_add_qualifying_data(nonce, ak_public, device_id),
// POST /v1/devices/{id}/login-key, then login-key.pem is written. Returns the
// key's JWK thumbprint. Errc::conflict when the verifier already has one.
Result<std::string> add_login_key(const AgentSettings& s, const Enrollment& e);

// classify maps an error code to the category reported for exit status 2.
FailureKind classify(Errc code) noexcept;

}  // namespace paw::agent
