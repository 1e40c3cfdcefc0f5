// fido_cbor.h — the small CBOR subset paw reads from authenticator output
// (RFC 8949): definite lengths only, preferred (shortest) heads only, nesting
// bounded. Reads go through paw::Reader.
#pragma once

#include <cstdint>
#include <string_view>

#include "paw/attest/bytes.h"

namespace paw::attest::cbor {

inline constexpr int kMaxDepth = 8;

enum Major : std::uint8_t { kUint = 0, kNegint = 1, kBytes = 2, kText = 3, kArray = 4, kMap = 5, kTag = 6, kSimple = 7 };

class CborReader {
 public:
  explicit CborReader(ByteView data) noexcept : r_(data) {}
  // head reads one item head; refuses indefinite lengths and non-shortest encodings.
  [[nodiscard]] bool head(std::uint8_t& major, std::uint64_t& arg) noexcept;
  // integer reads a major 0/1 item that fits an int64.
  [[nodiscard]] bool integer(std::int64_t& out) noexcept;
  [[nodiscard]] bool byte_string(ByteView& out) noexcept;
  [[nodiscard]] bool text_string(std::string_view& out) noexcept;
  // container reads a map or array head of the given major; |n| entries (pairs for maps).
  [[nodiscard]] bool container(std::uint8_t major, std::uint64_t& n) noexcept;
  // item views the whole next item (skipping nested content), depth-limited.
  [[nodiscard]] bool item(ByteView& out) noexcept;
  [[nodiscard]] bool done() const noexcept { return r_.done(); }
  [[nodiscard]] Reader& reader() noexcept { return r_; }

 private:
  [[nodiscard]] bool skip(int depth) noexcept;
  Reader r_;
};

}  // namespace paw::attest::cbor
