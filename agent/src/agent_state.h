// agent_state.h — what the agent keeps between runs, in its state folder
// (default /var/lib/paw-agent, mode 0700, files 0600, written atomically):
//
//   enrollment.json   device id, verifier URL, CA file, FIDO2 rp id and
//                     credential id, enrollment status and time
//   last-result.json  the last attestation: verdict, reasons, time, token
//                     expiry, or the failure and its category
//   ak.pub, ak.priv, ak.meta   the attestation key (paw/platform/ak.h)
//
// and the current result token in the token file (default
// /run/paw-agent/token, mode 0640) for login tooling.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "verifier_client.h"

namespace paw::agent {

inline constexpr const char* kEnrollmentFile = "enrollment.json";
inline constexpr const char* kLastResultFile = "last-result.json";

// Enrollment is what `paw-agent enroll` stores.
struct Enrollment {
  std::string device_id;
  std::string verifier;        // URL the device enrolled with
  std::string ca_file;         // CA file used then
  std::string rp_id;           // FIDO2 relying-party id of the verifier
  Bytes credential_id;         // the FIDO2 credential on the owner's key
  std::string status;          // "enrolled" | "pending" (as the verifier answered)
  std::int64_t enrolled_at = 0;
};

// LastResult is the outcome of the last attestation attempt.
struct LastResult {
  std::string verdict;         // "healthy" | "warning" | "unhealthy" | "error"
  std::vector<Reason> reasons; // the verifier's reasons (unhealthy)
  std::string failure;         // category when verdict == "error": "TPM", "FIDO2 key", "network", "verifier", ...
  std::string detail;          // error detail, or a local note (e.g. the FIDO2 key was missing)
  std::int64_t at = 0;         // unix seconds
  std::int64_t token_expires_at = 0;
  std::int64_t last_healthy_at = 0;
};

// ensure_private_dir creates |dir| (and parents) with mode 0700, or tightens
// an existing folder to 0700. Errc::io_error.
Status ensure_private_dir(const std::filesystem::path& dir);

// kSshCertFile is the OpenSSH certificate for the login key, beside
// login-key.pem in the state folder (written after each healthy round).
inline constexpr const char* kSshCertFile = "login-key-cert.pub";


Status save_enrollment(const std::filesystem::path& dir, const Enrollment& e);
// load_enrollment: nullopt when the device is not enrolled (no file);
// Errc::malformed for a damaged file, Errc::config_error when it is readable
// by group or others.
Result<std::optional<Enrollment>> load_enrollment(const std::filesystem::path& dir);

Status save_last_result(const std::filesystem::path& dir, const LastResult& r);
Result<std::optional<LastResult>> load_last_result(const std::filesystem::path& dir);

// write_token writes the result token to |path| (mode 0640, parent folder
// created 0750 if missing). remove_token deletes it (no error if absent).
Status write_token(const std::filesystem::path& path, std::string_view token);
Status remove_token(const std::filesystem::path& path);

// kLoginCertFile is the login certificate (PEM) the verifier issued for the
// login key, kept beside it (platform::kLoginKeyFile) in the state folder:
// `curl --cert login-cert.pem --key login-key.pem`. write_login_cert writes
// it atomically, mode 0644 (a certificate is public); remove_login_cert
// deletes it (no error if absent).
inline constexpr const char* kLoginCertFile = "login-cert.pem";
Status write_login_cert(const std::filesystem::path& dir, std::string_view pem);
Status remove_login_cert(const std::filesystem::path& dir);

// now_unix is the wall clock in unix seconds.
std::int64_t now_unix();
// format_utc renders unix seconds as "2026-11-29T02:30:44Z" ("never" for 0).
std::string format_utc(std::int64_t unix_seconds);

}  // namespace paw::agent
