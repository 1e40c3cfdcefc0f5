// tls.h — the self-signed certificate `paw-verifier init` writes when the
// admin brings none.
#pragma once

#include <string>

#include "paw/attest/error.h"

namespace paw::verifier {

// write_self_signed_cert creates a P-256 key (PEM, mode 0600) and a self-signed
// X.509 certificate for CN=paw-verifier with subjectAltName localhost,
// 127.0.0.1 and ::1 (+ |extra_dns| if non-empty), valid 825 days. Errc::io_error / internal.
Status write_self_signed_cert(const std::string& cert_path, const std::string& key_path,
                              const std::string& extra_dns = {});

// write_private_file writes |data| to |path| with mode 0600 (replacing it atomically).
Status write_private_file(const std::string& path, std::string_view data, unsigned mode = 0600);

}  // namespace paw::verifier
