// paw/attest/bytes.h — byte buffers, the bounds-checked reader, encodings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/error.h"

namespace paw {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// BytesLess orders byte strings lexicographically, as std::less would. Out of line
// on purpose: GCC 12 at -O3 inlines std::less<std::vector<uint8_t>> (C++20's
// three-way comparison) into set insertions and then warns, falsely, that its
// memcmp bound may exceed the object size (-Wstringop-overread); an ordinary
// call keeps the comparison out of that analysis.
struct BytesLess {
  [[nodiscard]] bool operator()(const Bytes& a, const Bytes& b) const noexcept;
};
// ByteSet is a set of digests, AAGUIDs and other byte strings.
using ByteSet = std::set<Bytes, BytesLess>;

// as_bytes views the characters of |s| as bytes (no copy).
inline ByteView as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
// to_bytes copies |s| into a byte vector.
inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Reader is a bounds-checked cursor over untrusted bytes (after BoringSSL's CBS).
// Every read fails (returns false, consumes nothing) on short input; done()
// tells whether every byte was consumed so callers refuse trailing data.
class Reader {
 public:
  explicit Reader(ByteView data) noexcept : data_(data) {}

  [[nodiscard]] std::size_t remaining() const noexcept { return data_.size() - pos_; }
  [[nodiscard]] std::size_t offset() const noexcept { return pos_; }
  [[nodiscard]] bool done() const noexcept { return remaining() == 0; }
  [[nodiscard]] ByteView rest() const noexcept { return data_.subspan(pos_); }

  [[nodiscard]] bool u8(std::uint8_t& out) noexcept;
  [[nodiscard]] bool u16be(std::uint16_t& out) noexcept;
  [[nodiscard]] bool u32be(std::uint32_t& out) noexcept;
  [[nodiscard]] bool u64be(std::uint64_t& out) noexcept;
  [[nodiscard]] bool u16le(std::uint16_t& out) noexcept;
  [[nodiscard]] bool u32le(std::uint32_t& out) noexcept;
  [[nodiscard]] bool u64le(std::uint64_t& out) noexcept;
  // bytes views the next |n| bytes (no copy; valid while the input lives).
  [[nodiscard]] bool bytes(std::size_t n, ByteView& out) noexcept;
  [[nodiscard]] bool skip(std::size_t n) noexcept;
  // u16be_prefixed / u32le_prefixed read a length then that many bytes.
  [[nodiscard]] bool u16be_prefixed(ByteView& out) noexcept;
  [[nodiscard]] bool u32le_prefixed(ByteView& out) noexcept;

 private:
  ByteView data_;
  std::size_t pos_ = 0;
};

// hex encodes |data| as lowercase hex.
std::string hex(ByteView data);
// unhex decodes hex (either case, even length); fails with Errc::malformed.
Result<Bytes> unhex(std::string_view text);
// base64 encodes standard base64 with padding.
std::string base64(ByteView data);
// unbase64 decodes standard base64 (padding required); fails with Errc::malformed.
Result<Bytes> unbase64(std::string_view text);
// base64url encodes without padding (JOSE).
std::string base64url(ByteView data);
// unbase64url decodes unpadded base64url; fails with Errc::malformed.
Result<Bytes> unbase64url(std::string_view text);

// ct_equal compares in time independent of the contents (CRYPTO_memcmp);
// different lengths compare unequal (length is not secret).
bool ct_equal(ByteView a, ByteView b) noexcept;

// read_file reads a whole file, refusing files larger than |max_size| (Errc::too_large).
Result<Bytes> read_file(const std::string& path, std::size_t max_size = 64u << 20);

// write_file_atomic writes |data| to a temporary file beside |path| with
// |mode|, fsyncs it and renames it over |path|: readers see the old or the new
// content, never a mix. Errc::io_error.
Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode);

}  // namespace paw
