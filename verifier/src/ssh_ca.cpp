#include "ssh_ca.h"

#include <mutex>

#include "paw/attest/secure.h"
#include "paw/attest/ssh_cert.h"
#include "paw/attest/tpm.h"

namespace paw::verifier {
namespace {

constexpr std::int64_t kClockSkew = 60;  // valid-after this much before issue: hosts whose clock lags

Result<SigningKeyRecord> new_record(std::int64_t now) {
  PAW_TRY(SigningKey key, generate_signing_key());
  PAW_TRY(SecretBytes pem, signing_key_to_pem(key));
  PAW_TRY(Bytes blob, ssh::public_key_blob(key.key.get()));
  return SigningKeyRecord{key.kid, ssh::key_line(blob, "paw-ssh-ca-" + key.kid),
                          std::string(pem.view().begin(), pem.view().end()), now, 0};
}

}  // namespace

Status SshCa::ensure_key(std::int64_t now) {
  PAW_TRY(auto keys, store_.list_ssh_ca_keys());
  for (const auto& k : keys) {
    if (k.retired_at == 0) return ok_status();
  }
  PAW_TRY(SigningKeyRecord rec, new_record(now));
  return store_.add_ssh_ca_key(rec);
}

Status SshCa::load() {
  PAW_TRY(auto keys, store_.list_ssh_ca_keys());
  std::shared_ptr<SigningKey> current;
  std::vector<std::string> lines;
  for (const auto& k : keys) {
    PAW_TRY(SigningKey sk, signing_key_from_pem(as_bytes(k.private_pem)));
    if (sk.kid != k.kid)
      return make_error(Errc::storage_error, "SSH CA key " + k.kid + " does not match its kid");
    PAW_TRY(Bytes blob, ssh::public_key_blob(sk.key.get()));
    lines.push_back(ssh::key_line(blob, "paw-ssh-ca-" + k.kid));
    if (k.retired_at == 0)
      current = std::make_shared<SigningKey>(std::move(sk));  // newest wins (ordered by created)
  }
  if (!current) return make_error(Errc::config_error, "no current SSH CA key");
  std::unique_lock lock(mu_);
  current_ = std::move(current);
  lines_ = std::move(lines);
  return ok_status();
}

Result<std::string> SshCa::issue(const SshCertRequest& req) const {
  std::shared_ptr<const SigningKey> ca;
  {
    std::shared_lock lock(mu_);
    ca = current_;
  }
  if (!ca) return make_error(Errc::internal, "no SSH CA key loaded");
  if (req.principals.empty()) return make_error(Errc::policy_violation, "no SSH principal for this device");
  if (req.valid_before <= req.valid_after)
    return make_error(Errc::internal, "SSH certificate validity is empty");
  PAW_TRY(TpmPublic pub, parse_public(req.login_key_public));
  PAW_TRY(EvpPkeyPtr key, to_evp_pkey(pub));
  ssh::Cert c;
  PAW_TRY(c.q, ssh::point_of(key.get()));
  PAW_TRY(c.nonce, random_bytes(32));
  PAW_TRY(Bytes serial, random_bytes(8));
  for (std::uint8_t b : serial) c.serial = (c.serial << 8) | b;
  c.type = ssh::kUserCert;
  c.key_id = "paw:device:" + req.device_id;
  c.principals = req.principals;
  c.valid_after = static_cast<std::uint64_t>(std::max<std::int64_t>(0, req.valid_after - kClockSkew));
  c.valid_before = static_cast<std::uint64_t>(req.valid_before);
  // No critical options (sshd refuses a certificate with one it does not
  // know); the device is named in key_id (logged by sshd) and in a
  // non-critical extension for tools that read the certificate.
  c.extensions = {{"permit-pty", {}},
                  {std::string(ssh::kDeviceExtension), ssh::string_option(req.device_id)}};
  PAW_TRY(Bytes blob, ssh::sign(c, ca->key.get()));
  return ssh::cert_line(blob, c.key_id);
}

std::string SshCa::public_lines() const {
  std::shared_lock lock(mu_);
  std::string out;
  for (const auto& l : lines_) out += l + "\n";
  return out;
}

Result<std::string> SshCa::rotate(std::int64_t now, std::int64_t overlap) {
  std::string old;
  {
    std::shared_lock lock(mu_);
    if (current_) old = current_->kid;
  }
  PAW_TRY(SigningKeyRecord rec, new_record(now));
  // New key first: a crash between the steps leaves two current keys, and
  // load() picks the newest — never none.
  PAW_CHECK(store_.add_ssh_ca_key(rec));
  if (!old.empty()) PAW_CHECK(store_.retire_ssh_ca_key(old, now));
  PAW_CHECK(store_.delete_ssh_ca_keys_retired_before(now - overlap));
  PAW_CHECK(load());
  return rec.kid;
}

std::vector<std::string> ssh_principals_for(const StoredDevice& device, const std::string& configured) {
  if (!configured.empty()) return {configured};
  // The person the device is enrolled to: an e-mail-like owner logs in as its local part.
  if (const auto at = device.owner.find('@'); at != std::string::npos) return {device.owner.substr(0, at), device.owner};
  if (!device.owner.empty()) return {device.owner};
  if (!device.label.empty()) return {device.label};
  return {};
}

}  // namespace paw::verifier
