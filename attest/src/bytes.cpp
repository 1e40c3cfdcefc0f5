#include "paw/attest/bytes.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <random>

namespace paw {
namespace {

template <class T, bool kBig>
bool read_int(Reader& r, T& out) noexcept {
  ByteView b;
  if (!r.bytes(sizeof(T), b)) return false;
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    const std::size_t idx = kBig ? i : sizeof(T) - 1 - i;
    v = static_cast<T>((v << 8) | b[idx]);
  }
  out = v;
  return true;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool BytesLess::operator()(const Bytes& a, const Bytes& b) const noexcept {
  const std::size_t n = std::min(a.size(), b.size());
  const int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  return c != 0 ? c < 0 : a.size() < b.size();
}

bool Reader::u8(std::uint8_t& out) noexcept { return read_int<std::uint8_t, true>(*this, out); }
bool Reader::u16be(std::uint16_t& out) noexcept { return read_int<std::uint16_t, true>(*this, out); }
bool Reader::u32be(std::uint32_t& out) noexcept { return read_int<std::uint32_t, true>(*this, out); }
bool Reader::u64be(std::uint64_t& out) noexcept { return read_int<std::uint64_t, true>(*this, out); }
bool Reader::u16le(std::uint16_t& out) noexcept { return read_int<std::uint16_t, false>(*this, out); }
bool Reader::u32le(std::uint32_t& out) noexcept { return read_int<std::uint32_t, false>(*this, out); }
bool Reader::u64le(std::uint64_t& out) noexcept { return read_int<std::uint64_t, false>(*this, out); }

bool Reader::bytes(std::size_t n, ByteView& out) noexcept {
  if (n > remaining()) return false;  // overflow-safe: never computes pos_ + n first
  out = data_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool Reader::skip(std::size_t n) noexcept {
  ByteView ignored;
  return bytes(n, ignored);
}

bool Reader::u16be_prefixed(ByteView& out) noexcept {
  const std::size_t start = pos_;
  std::uint16_t n = 0;
  if (!u16be(n) || !bytes(n, out)) {
    pos_ = start;
    return false;
  }
  return true;
}

bool Reader::u32le_prefixed(ByteView& out) noexcept {
  const std::size_t start = pos_;
  std::uint32_t n = 0;
  if (!u32le(n) || !bytes(n, out)) {
    pos_ = start;
    return false;
  }
  return true;
}

std::string hex(ByteView data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

Result<Bytes> unhex(std::string_view text) {
  if (text.size() % 2 != 0) return make_error(Errc::malformed, "hex string has odd length");
  Bytes out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return make_error(Errc::malformed, "invalid hex digit at offset " + std::to_string(2 * i));
    }
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string base64(ByteView data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<Bytes> unbase64(std::string_view text) {
  if (text.size() % 4 != 0) return make_error(Errc::malformed, "base64 length is not a multiple of 4");
  for (char c : text) {
    const bool valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '+' || c == '/' || c == '=';
    if (!valid) return make_error(Errc::malformed, "invalid base64 character");
  }
  Bytes out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return make_error(Errc::malformed, "invalid base64");
  // EVP_DecodeBlock counts padding as zero bytes; strip them, and refuse '=' inside.
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  if (text.substr(0, text.size() - pad).find('=') != std::string_view::npos) {
    return make_error(Errc::malformed, "base64 padding in the middle");
  }
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string base64url(ByteView data) {
  std::string s = base64(data);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return s;
}

Result<Bytes> unbase64url(std::string_view text) {
  std::string s(text);
  for (char& c : s) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return make_error(Errc::malformed, "invalid base64url character");
  }
  if (s.size() % 4 == 1) return make_error(Errc::malformed, "invalid base64url length");
  while (s.size() % 4 != 0) s.push_back('=');
  return unbase64(s);
}

bool ct_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<Bytes> read_file(const std::string& path, std::size_t max_size) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return make_error(Errc::io_error, "cannot open " + path);
  const auto end = in.tellg();
  if (end < 0) return make_error(Errc::io_error, "cannot size " + path);
  const auto size = static_cast<std::size_t>(end);
  if (size > max_size) {
    return make_error(Errc::too_large, path + " is " + std::to_string(size) + " bytes, limit " +
                                           std::to_string(max_size));
  }
  Bytes out(size);
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size))) {
    return make_error(Errc::io_error, "cannot read " + path);
  }
  return out;
}

Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode) {
  std::random_device rd;
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd() & 0xffff);
  const int fd = ::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0) return make_error(Errc::io_error, "cannot create " + tmp + ": " + std::strerror(errno));
  std::size_t off = 0;
  bool ok = true;
  while (ok && off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) ok = false;
    else off += static_cast<std::size_t>(n);
  }
  ok = ok && ::fchmod(fd, static_cast<mode_t>(mode)) == 0 && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return make_error(Errc::io_error, "cannot write " + path + ": " + why);
  }
  return ok_status();
}

}  // namespace paw
