// appraisal_ek.cpp — EkTrust (the trusted EK manufacturer CAs, an EkCaStore)
// and the EK certificate step of enrollment.
#include "paw/attest/appraisal.h"
#include "paw/attest/ekcert.h"
#include "appraisal_internal.h"

namespace paw {

struct EkTrust::Impl {
  EkCaStore store;
};

EkTrust::EkTrust(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EkTrust::~EkTrust() = default;
std::size_t EkTrust::size() const noexcept { return impl_->store.size(); }
x509_store_st* EkTrust::x509_store() const noexcept { return impl_->store.store(); }

Result<std::shared_ptr<const EkTrust>> EkTrust::load_dir(const std::string& dir) {
  PAW_TRY(EkCaStore store, EkCaStore::load_dir(dir));
  return std::shared_ptr<const EkTrust>(new EkTrust(std::make_unique<Impl>(Impl{std::move(store)})));
}

Result<std::shared_ptr<const EkTrust>> EkTrust::from_der(const std::vector<Bytes>& certs) {
  PAW_TRY(EkCaStore store, EkCaStore::from_certificates(certs));
  return std::shared_ptr<const EkTrust>(new EkTrust(std::make_unique<Impl>(Impl{std::move(store)})));
}

namespace detail {

Result<EkCheck> check_ek_certificate(ByteView cert, const TpmPublic& ek, const EkTrust& trust, std::int64_t now) {
  if (cert.empty() || cert.size() > kMaxEkCertSize) return make_error(Errc::too_large, "ek_cert: bad size");
  auto verified = verify_ek_certificate(cert, trust.impl().store, now);
  if (!verified.ok()) return make_error(verified.code(), "ek_cert: " + verified.error().detail);
  auto match = ek_matches_public(*verified, ek);
  if (!match.ok()) return make_error(match.code(), "ek_cert: " + match.error().detail);
  return EkCheck{std::move(verified->der)};
}

}  // namespace detail
}  // namespace paw
