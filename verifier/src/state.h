// state.h — `paw-verifier init`: the state folder a first start needs.
#pragma once

#include <string>

#include "admin_scope.h"
#include "paw/attest/error.h"

namespace paw::verifier {

struct InitOptions {
  std::string state_dir;
  std::string database;   // "" = sqlite:<state>/paw.db
  std::string tls_cert;   // admin-supplied PEM certificate to copy (with tls_key), "" = self-signed
  std::string tls_key;
  std::string tls_dns;    // extra DNS name in the self-signed certificate
};

// init_state creates |opts.state_dir| (0700) and DIR/tls (0700) with cert.pem
// and key.pem (0600), the database with its schema, the default policy, the
// first ES256 result-signing key, and a first admin credential, which it
// returns (only its SHA-256 is stored). Errc::conflict if the state is already
// initialized; Errc::io_error / config_error / storage_error otherwise.
Result<std::string> init_state(const InitOptions& opts);

// create_admin_credential adds another admin credential to an initialized
// database and returns it (for `paw-verifier admin-credential`); it expires
// |expires_in| seconds from now (0: never) and may do what |scope| allows.
Result<std::string> create_admin_credential(const std::string& database_url, const std::string& label,
                                            std::int64_t expires_in = 0, AdminScope scope = AdminScope::full);

}  // namespace paw::verifier
