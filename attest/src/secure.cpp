#include "paw/attest/secure.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace paw {

SecretBytes& SecretBytes::operator=(SecretBytes&& o) noexcept {
  if (this != &o) {
    wipe();
    data_ = std::move(o.data_);
    o.data_.clear();
  }
  return *this;
}

SecretBytes::~SecretBytes() { wipe(); }

void SecretBytes::wipe() noexcept {
  if (!data_.empty()) OPENSSL_cleanse(data_.data(), data_.size());
}

Result<Bytes> random_bytes(std::size_t n) {
  Bytes out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    return make_error(Errc::internal, "RAND_bytes failed");
  }
  return out;
}

}  // namespace paw
