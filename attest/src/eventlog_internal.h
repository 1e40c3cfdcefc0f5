// eventlog_internal.h — helpers shared by the event-log, boot-facts and IMA code.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"

namespace paw {

// eventlog_where formats "event N at offset M" for error details.
std::string eventlog_where(std::size_t index, std::size_t offset);
// alg_id_text names a TPM_ALG_ID ("sha256" or "0x0010").
std::string alg_id_text(std::uint16_t id);
// pcr_reset_value is a PCR's value after TPM2_Startup: zeros, or 0xFF… for the
// DRTM PCRs 17–22 (TCG PC Client PTP, Table 4) when no dynamic launch happened.
Bytes pcr_reset_value(HashAlg bank, std::uint32_t index);

// Hasher hashes with one algorithm through a context reused across calls (no
// allocation per hash). Only SHA-1/256/384/512; ok() is false otherwise.
class Hasher {
 public:
  explicit Hasher(HashAlg alg) noexcept;
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  [[nodiscard]] bool ok() const noexcept { return ctx_ != nullptr && md_ != nullptr; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // hash writes H(a || b) to |out| (size() bytes). Returns false on an OpenSSL failure.
  [[nodiscard]] bool hash(ByteView a, ByteView b, std::uint8_t* out) noexcept;

 private:
  bool hash_evp(ByteView a, ByteView b, std::uint8_t* out) noexcept;
  const EVP_MD* md_ = nullptr;
  EVP_MD_CTX* ctx_ = nullptr;
  std::size_t size_ = 0;
};

// kMaxHashSize is the largest digest paw replays (SHA-512).
inline constexpr std::size_t kMaxHashSize = 64;
using HashBuf = std::array<std::uint8_t, kMaxHashSize>;

}  // namespace paw
