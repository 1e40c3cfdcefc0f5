// paw/attest/secure.h — ownership helpers and secrets that wipe themselves.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "paw/attest/bytes.h"

namespace paw {

// Free<F> is a stateless deleter calling F(p): `std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>`.
template <auto F>
struct Free {
  void operator()(auto* p) const noexcept { F(p); }
};
// UniquePtr<T, F> is the owning handle for a C object freed by F.
template <class T, auto F>
using UniquePtr = std::unique_ptr<T, Free<F>>;

// SecretBytes holds a secret (nonce before use, activation secret, token, key)
// and wipes it with OPENSSL_cleanse when destroyed or reassigned. Move-only.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(Bytes data) noexcept : data_(std::move(data)) {}
  SecretBytes(ByteView data) : data_(data.begin(), data.end()) {}  // NOLINT
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& o) noexcept : data_(std::move(o.data_)) { o.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept;
  ~SecretBytes();

  [[nodiscard]] ByteView view() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return data_.size(); }
  [[nodiscard]] bool empty() const noexcept { return data_.empty(); }
  [[nodiscard]] const std::uint8_t* data() const noexcept { return data_.data(); }
  std::uint8_t* data() noexcept { return data_.data(); }
  void resize(std::size_t n) { data_.resize(n); }
  // equals compares in constant time.
  [[nodiscard]] bool equals(ByteView other) const noexcept { return ct_equal(data_, other); }

 private:
  void wipe() noexcept;
  Bytes data_;
};
static_assert(!std::is_copy_constructible_v<SecretBytes>);

// random_bytes fills |n| bytes from OpenSSL's CSPRNG; Errc::internal if it fails.
Result<Bytes> random_bytes(std::size_t n);

}  // namespace paw
