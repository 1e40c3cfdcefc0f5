// ssh_ca.h — the verifier's SSH user CA: an ECDSA P-256 key kept in the Store
// (table ssh_ca_keys, so every replica signs with the same key), rotated with
// overlap like the result-token keys (keys.h). After a healthy verdict for a
// device with a login key, the verifier signs an OpenSSH user certificate for
// that login key (docs/protocol.md "SSH certificate profile") valid until the
// result token expires. sshd trusts every key public_lines() prints
// (`pawctl ssh-ca export`, GET /.well-known/paw-ssh-ca.pub), so during the
// overlap certificates by the previous key still verify.
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include "paw/attest/result_token.h"
#include "store/store.h"

namespace paw::verifier {

// SshCertRequest is what one certificate says.
struct SshCertRequest {
  std::string device_id;
  Bytes login_key_public;  // TPM2B_PUBLIC of the device's certified login key
  std::vector<std::string> principals;
  std::int64_t valid_after = 0;
  std::int64_t valid_before = 0;  // the result token's exp
};

class SshCa {
 public:
  explicit SshCa(Store& store) : store_(store) {}

  // ensure_key creates and stores a first CA key if the store has none
  // (installations initialised before the SSH CA get one at start).
  Status ensure_key(std::int64_t now);
  // load reads the keys (current = newest with retired_at == 0).
  Status load();
  // issue signs a user certificate; returns its one-line form
  // "ecdsa-sha2-nistp256-cert-v01@openssh.com AAAA… paw:device:<id>".
  // Errc::unsupported when the login key is not ECDSA P-256,
  // Errc::policy_violation without a principal.
  Result<std::string> issue(const SshCertRequest& req) const;
  // public_lines: one "ecdsa-sha2-nistp256 AAAA… paw-ssh-ca-<kid>" line per
  // key not yet dropped, current key last (for TrustedUserCAKeys).
  std::string public_lines() const;
  // rotate makes a new current key, retires the old one and drops keys
  // retired before now - overlap. Returns the new kid.
  Result<std::string> rotate(std::int64_t now, std::int64_t overlap);

 private:
  Store& store_;
  mutable std::shared_mutex mu_;
  std::shared_ptr<const SigningKey> current_;
  std::vector<std::string> lines_;
};

// ssh_principals_for is the hook that decides whom a device's certificate
// names: |configured| when set (verifier option ssh-principal), else the
// device's owner (pawctl token create --owner; "alice@example" → "alice",
// the account name sshd compares by default, and the whole name), else the device label (the enrollment
// token's label).
std::vector<std::string> ssh_principals_for(const StoredDevice& device, const std::string& configured);

}  // namespace paw::verifier
