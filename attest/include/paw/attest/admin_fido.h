// paw/attest/admin_fido.h — the client-data hashes of FIDO2 admin sign-in
// (pawctl admin add / pawctl login; docs/security.md "Admins sign in with
// FIDO2"). pawctl computes them for the authenticator and the verifier
// computes them again from the challenge it issued: an assertion or a
// credential made for anything else (a device's presence proof, another
// admin's registration, another challenge) does not verify.
//
//   registration: SHA-256("paw/v1/admin-register" || 0x00 || challenge || name (UTF-8))
//   login:        SHA-256("paw/v1/admin-login"    || 0x00 || challenge || credential id)
//
// The challenge is the verifier's fixed-size (32-byte) nonce, so the field
// after it is unambiguous. Header-only: both sides include it.
#pragma once

#include <string_view>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"

namespace paw::attest {

inline Bytes admin_fido_client_data_hash(std::string_view label, ByteView challenge, ByteView subject) {
  Bytes msg(label.begin(), label.end());
  msg.push_back(0x00);
  msg.insert(msg.end(), challenge.begin(), challenge.end());
  msg.insert(msg.end(), subject.begin(), subject.end());
  return sha256(msg);
}

// admin_register_client_data_hash binds a new admin credential to the
// registration challenge and the admin's name.
inline Bytes admin_register_client_data_hash(ByteView challenge, std::string_view name) {
  const Bytes n(name.begin(), name.end());
  return admin_fido_client_data_hash("paw/v1/admin-register", challenge, n);
}

// admin_login_client_data_hash binds a sign-in assertion to the login
// challenge and the credential it was issued for.
inline Bytes admin_login_client_data_hash(ByteView challenge, ByteView credential_id) {
  return admin_fido_client_data_hash("paw/v1/admin-login", challenge, credential_id);
}

}  // namespace paw::attest
