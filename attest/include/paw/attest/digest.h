// paw/attest/digest.h — hash algorithms by TPM id, one-shot hashing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "paw/attest/bytes.h"

namespace paw {

// HashAlg names the TPM_ALG_ID of a hash (TPM 2.0 Part 2, 6.3 TPM_ALG_ID).
enum class HashAlg : std::uint16_t {
  sha1 = 0x0004,
  sha256 = 0x000B,
  sha384 = 0x000C,
  sha512 = 0x000D,
  sm3_256 = 0x0012,
};

// hash_size returns the digest size in bytes, or 0 for an unknown algorithm.
std::size_t hash_size(HashAlg alg) noexcept;
// hash_name returns "sha1", "sha256", "sha384", "sha512", "sm3_256".
std::string_view hash_name(HashAlg alg) noexcept;
// hash_from_name parses a name as hash_name prints it.
std::optional<HashAlg> hash_from_name(std::string_view name) noexcept;
// hash_from_id maps a raw TPM_ALG_ID; nullopt if not a hash paw knows.
std::optional<HashAlg> hash_from_id(std::uint16_t id) noexcept;

// digest hashes |data| with |alg|. Errc::unsupported for algorithms OpenSSL lacks.
Result<Bytes> digest(HashAlg alg, ByteView data);
// digest_parts hashes the concatenation of |parts| without copying them
// (an Authenticode digest covers several ranges of one image).
Result<Bytes> digest_parts(HashAlg alg, std::span<const ByteView> parts);
// sha256 is digest(HashAlg::sha256, data), which cannot fail for valid input.
Bytes sha256(ByteView data);
// hmac is HMAC (RFC 2104) with |alg| over |data| under |key|; Errc::unsupported
// for algorithms OpenSSL lacks.
Result<Bytes> hmac(HashAlg alg, ByteView key, ByteView data);

}  // namespace paw
