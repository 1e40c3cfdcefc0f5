#include "device_ca.h"

#include <openssl/pem.h>

#include <mutex>

namespace paw::verifier {
namespace {

using X509Ptr = UniquePtr<X509, X509_free>;

Result<X509Ptr> cert_from_pem(const std::string& pem) {
  UniquePtr<BIO, BIO_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return make_error(Errc::internal, "out of memory");
  X509Ptr c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!c) return make_error(Errc::storage_error, "stored device CA certificate does not parse");
  return c;
}

void free_store(X509_STORE* s) { X509_STORE_free(s); }

Result<CaKeyRecord> new_ca(std::int64_t now) {
  PAW_TRY(SigningKey key, generate_signing_key());
  PAW_TRY(SecretBytes pem, signing_key_to_pem(key));
  PAW_TRY(std::string cert, make_device_ca_cert(key, now));
  return CaKeyRecord{kDeviceCaKind, key.kid, cert, std::string(pem.view().begin(), pem.view().end()), now, 0};
}

}  // namespace

// Loaded is one consistent snapshot: a rotation on another replica swaps the
// whole of it at the next load().
struct DeviceCa::Loaded {
  std::string kid;
  X509Ptr cert;
  EvpPkeyPtr key;
  std::string bundle;
  UniquePtr<X509_STORE, free_store> roots;
};

Status DeviceCa::ensure(std::int64_t now) {
  PAW_TRY(auto keys, store_.list_ca_keys(kDeviceCaKind));
  for (const auto& k : keys) {
    if (k.retired_at == 0) return ok_status();
  }
  PAW_TRY(CaKeyRecord rec, new_ca(now));
  return store_.add_ca_key(rec);
}

Status DeviceCa::load() {
  PAW_TRY(auto keys, store_.list_ca_keys(kDeviceCaKind));
  auto next = std::make_shared<Loaded>();
  next->roots.reset(X509_STORE_new());
  if (!next->roots) return make_error(Errc::internal, "out of memory");
  std::string retired;
  for (const auto& k : keys) {  // oldest first: the newest current one wins
    PAW_TRY(X509Ptr cert, cert_from_pem(k.certificate));
    if (X509_STORE_add_cert(next->roots.get(), cert.get()) != 1) {
      return make_error(Errc::storage_error, "device CA " + k.kid + " cannot be added to the trust store");
    }
    if (k.retired_at != 0) {
      retired += k.certificate;
      continue;
    }
    PAW_TRY(SigningKey sk, signing_key_from_pem(as_bytes(k.private_pem)));
    if (sk.kid != k.kid || X509_check_private_key(cert.get(), sk.key.get()) != 1) {
      return make_error(Errc::storage_error, "device CA " + k.kid + " does not match its key");
    }
    if (!next->bundle.empty()) retired += next->bundle;  // an older current one (two replicas created one each)
    next->kid = k.kid;
    next->cert = std::move(cert);
    next->key = std::move(sk.key);
    next->bundle = k.certificate;
  }
  if (!next->cert) return make_error(Errc::config_error, "no current device CA (the store was not initialized)");
  next->bundle += retired;
  std::unique_lock lock(mu_);
  loaded_ = std::move(next);
  return ok_status();
}

Result<std::string> DeviceCa::issue(const DeviceCertProfile& p) const {
  std::shared_ptr<const Loaded> l;
  {
    std::shared_lock lock(mu_);
    l = loaded_;
  }
  if (!l) return make_error(Errc::internal, "no device CA loaded");
  return issue_device_cert(p, l->cert.get(), l->key.get());
}

std::string DeviceCa::bundle() const {
  std::shared_lock lock(mu_);
  return loaded_ ? loaded_->bundle : std::string();
}

std::string DeviceCa::current_kid() const {
  std::shared_lock lock(mu_);
  return loaded_ ? loaded_->kid : std::string();
}

Result<std::string> DeviceCa::rotate(std::int64_t now, std::int64_t overlap) {
  PAW_TRY(CaKeyRecord rec, new_ca(now));
  PAW_TRY(auto before, store_.list_ca_keys(kDeviceCaKind));
  // The new CA first: a crash between the steps leaves two current CAs (the
  // newest issues), never none.
  PAW_CHECK(store_.add_ca_key(rec));
  for (const auto& k : before) {
    if (k.retired_at == 0) PAW_CHECK(store_.retire_ca_key(kDeviceCaKind, k.kid, now));
  }
  PAW_CHECK(store_.delete_ca_keys_retired_before(kDeviceCaKind, now - overlap));
  PAW_CHECK(load());
  return rec.kid;
}

Result<ClientCertIdentity> DeviceCa::client_cert_jkt(std::string_view forwarded, std::int64_t now) const {
  std::shared_ptr<const Loaded> l;
  {
    std::shared_lock lock(mu_);
    l = loaded_;
  }
  if (!l) return make_error(Errc::internal, "no device CA loaded");
  return verify_client_cert(forwarded, l->roots.get(), now);
}

}  // namespace paw::verifier
