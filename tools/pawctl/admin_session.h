// admin_session.h — where pawctl keeps the admin session of `pawctl login`.
//
// The session (a short-lived bearer secret the verifier issued for a FIDO2
// sign-in, docs/pawctl.md "Signing in with a FIDO2 key") lives in one file
// per verifier URL, mode 0600 in a 0700 folder: $PAW_ADMIN_SESSION_FILE if
// set, else $XDG_RUNTIME_DIR/paw/ (a tmpfs that ends with the user's login
// session), else ~/.cache/paw/, named admin-session-<16 hex of SHA-256(URL)>.json.
// Admin commands use it when neither --credential-file nor
// PAW_ADMIN_CREDENTIAL gives a credential.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "paw/attest/error.h"

namespace pawctl {

struct AdminSession {
  std::string verifier;   // the URL it was issued by
  std::string admin;      // who signed in
  std::string scope;
  std::string secret;     // the bearer secret (pawses_…)
  std::int64_t expires_at = 0;
};

// session_path is the session file for |verifier| (Errc::config_error when
// neither XDG_RUNTIME_DIR nor HOME is set).
paw::Result<std::string> session_path(const std::string& verifier);
// save_session writes |s| to |path| (0600; the folder is made 0700). Errc::io_error.
paw::Status save_session(const std::string& path, const AdminSession& s);
// load_session reads |path|: std::nullopt when there is no file;
// Errc::config_error when it is unreadable, malformed, for another verifier,
// or readable by others.
paw::Result<std::optional<AdminSession>> load_session(const std::string& path, const std::string& verifier);
// remove_session deletes |path| (no file is fine).
void remove_session(const std::string& path);

}  // namespace pawctl
