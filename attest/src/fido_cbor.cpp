// fido_cbor.cpp — see fido_cbor.h.
#include "fido_cbor.h"

#include <limits>

namespace paw::attest::cbor {

bool CborReader::head(std::uint8_t& major, std::uint64_t& arg) noexcept {
  Reader save = r_;
  std::uint8_t b = 0;
  if (!r_.u8(b)) return false;
  major = static_cast<std::uint8_t>(b >> 5);
  const std::uint8_t ai = b & 0x1f;
  bool ok = true;
  if (ai < 24) {
    arg = ai;
  } else if (ai == 24) {
    std::uint8_t v = 0;
    ok = r_.u8(v) && (major == kSimple ? v >= 32 : v >= 24);  // RFC 8949 3.3: simple 24..31 invalid
    arg = v;
  } else if (ai == 25) {
    std::uint16_t v = 0;
    ok = r_.u16be(v) && (major == kSimple || v > 0xff);
    arg = v;
  } else if (ai == 26) {
    std::uint32_t v = 0;
    ok = r_.u32be(v) && (major == kSimple || v > 0xffff);
    arg = v;
  } else if (ai == 27) {
    std::uint64_t v = 0;
    ok = r_.u64be(v) && (major == kSimple || v > 0xffffffffULL);
    arg = v;
  } else {
    ok = false;  // 28..30 reserved, 31 indefinite length: refused
  }
  if (!ok) r_ = save;
  return ok;
}

bool CborReader::integer(std::int64_t& out) noexcept {
  Reader save = r_;
  std::uint8_t major = 0;
  std::uint64_t arg = 0;
  if (!head(major, arg) || (major != kUint && major != kNegint) ||
      arg > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    r_ = save;
    return false;
  }
  out = major == kUint ? static_cast<std::int64_t>(arg) : -1 - static_cast<std::int64_t>(arg);
  return true;
}

bool CborReader::byte_string(ByteView& out) noexcept {
  Reader save = r_;
  std::uint8_t major = 0;
  std::uint64_t arg = 0;
  if (!head(major, arg) || major != kBytes || arg > r_.remaining() || !r_.bytes(static_cast<std::size_t>(arg), out)) {
    r_ = save;
    return false;
  }
  return true;
}

bool CborReader::text_string(std::string_view& out) noexcept {
  Reader save = r_;
  std::uint8_t major = 0;
  std::uint64_t arg = 0;
  ByteView b;
  if (!head(major, arg) || major != kText || arg > r_.remaining() || !r_.bytes(static_cast<std::size_t>(arg), b)) {
    r_ = save;
    return false;
  }
  out = std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
  return true;
}

bool CborReader::container(std::uint8_t want, std::uint64_t& n) noexcept {
  Reader save = r_;
  std::uint8_t major = 0;
  if (!head(major, n) || major != want || n > r_.remaining()) {  // every entry takes >= 1 byte
    r_ = save;
    return false;
  }
  return true;
}

bool CborReader::skip(int depth) noexcept {
  if (depth > kMaxDepth) return false;
  std::uint8_t major = 0;
  std::uint64_t arg = 0;
  if (!head(major, arg)) return false;
  switch (major) {
    case kUint:
    case kNegint:
    case kSimple:
      return true;
    case kBytes:
    case kText:
      return arg <= r_.remaining() && r_.skip(static_cast<std::size_t>(arg));
    case kArray:
    case kMap: {
      if (arg > r_.remaining()) return false;
      const std::uint64_t items = major == kMap ? arg * 2 : arg;
      for (std::uint64_t i = 0; i < items; ++i)
        if (!skip(depth + 1)) return false;
      return true;
    }
    case kTag:
      return skip(depth + 1);
    default:
      return false;
  }
}

bool CborReader::item(ByteView& out) noexcept {
  Reader save = r_;
  const std::size_t start = r_.offset();
  if (!skip(0)) {
    r_ = save;
    return false;
  }
  Reader whole = save;
  return whole.bytes(r_.offset() - start, out);
}

}  // namespace paw::attest::cbor
