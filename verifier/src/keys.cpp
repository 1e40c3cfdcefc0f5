#include "keys.h"

#include <mutex>

namespace paw::verifier {

Status Keyring::ensure_key(std::int64_t now) {
  PAW_TRY(auto keys, store_.list_signing_keys());
  for (const auto& k : keys) {
    if (k.retired_at == 0) return ok_status();
  }
  PAW_TRY(SigningKey key, generate_signing_key());
  PAW_TRY(SecretBytes pem, signing_key_to_pem(key));
  PAW_TRY(std::string jwk, public_jwk(key));
  SigningKeyRecord rec{key.kid, jwk, std::string(pem.view().begin(), pem.view().end()), now, 0};
  return store_.add_signing_key(rec);
}

Status Keyring::load() {
  PAW_TRY(auto keys, store_.list_signing_keys());
  std::shared_ptr<SigningKey> current;
  std::vector<std::string> jwks;
  auto verify = std::make_shared<Jwks>();
  for (const auto& k : keys) {
    PAW_TRY(SigningKey sk, signing_key_from_pem(as_bytes(k.private_pem)));
    if (sk.kid != k.kid) return make_error(Errc::storage_error, "signing key " + k.kid + " does not match its kid");
    PAW_TRY(SigningKey pub, jwk_to_key(k.public_jwk));
    verify->keys.emplace(pub.kid, std::move(pub.key));
    jwks.push_back(k.public_jwk);
    if (k.retired_at == 0) current = std::make_shared<SigningKey>(std::move(sk));  // newest wins (ordered by created)
  }
  if (!current) return make_error(Errc::config_error, "no current signing key (run paw-verifier init)");
  std::unique_lock lock(mu_);
  if (jwks != public_jwks_) ++generation_;
  current_ = std::move(current);
  public_jwks_ = std::move(jwks);
  verify_set_ = std::move(verify);
  return ok_status();
}

Result<std::string> Keyring::sign(const ResultClaims& claims) const {
  std::shared_ptr<const SigningKey> key;
  {
    std::shared_lock lock(mu_);
    key = current_;
  }
  if (!key) return make_error(Errc::internal, "no signing key loaded");
  return sign_result_token(claims, *key);
}

std::string Keyring::jwks() const {
  std::shared_lock lock(mu_);
  return build_jwks(public_jwks_);
}

std::string Keyring::current_kid() const {
  std::shared_lock lock(mu_);
  return current_ ? current_->kid : std::string();
}

Keyring::VerifySet Keyring::verify_set() const {
  std::shared_lock lock(mu_);
  return {verify_set_, generation_};
}

Result<ResultClaims> Keyring::verify(std::string_view token, std::int64_t now, std::string_view issuer) const {
  std::shared_ptr<const Jwks> set;
  {
    std::shared_lock lock(mu_);
    set = verify_set_;
  }
  if (!set) return make_error(Errc::internal, "no keys loaded");
  return verify_result_token(token, *set, now, issuer, 0);
}

Result<std::string> Keyring::rotate(std::int64_t now, std::int64_t overlap) {
  const std::string old = current_kid();
  PAW_TRY(SigningKey key, generate_signing_key());
  PAW_TRY(SecretBytes pem, signing_key_to_pem(key));
  PAW_TRY(std::string jwk, public_jwk(key));
  // Add the new key first: a crash between the two steps leaves two current
  // keys, and load() picks the newest — never none.
  PAW_CHECK(store_.add_signing_key({key.kid, jwk, std::string(pem.view().begin(), pem.view().end()), now, 0}));
  if (!old.empty()) PAW_CHECK(store_.retire_signing_key(old, now));
  PAW_CHECK(store_.delete_signing_keys_retired_before(now - overlap));
  PAW_CHECK(load());
  return key.kid;
}

}  // namespace paw::verifier
