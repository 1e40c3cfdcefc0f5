// parse.cpp — see paw/platform/parse.h. No TPM, no files: fuzzed as is.
#include "paw/platform/parse.h"

#include <algorithm>
#include <sstream>

#include "paw/attest/ekcert.h"

namespace paw::platform {
namespace {

// unquote undoes os-release's shell-like quoting (os-release(5)).
std::string unquote(std::string v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    const char q = v.front();
    v = v.substr(1, v.size() - 2);
    if (q == '"') {
      std::string out;
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        out += v[i];
      }
      return out;
    }
  }
  return v;
}

bool is_octal(char c) { return c >= '0' && c <= '7'; }

// unescape_mount decodes /proc/mounts octal escapes (\040 for space).
std::string unescape_mount(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && is_octal(s[i + 1]) && is_octal(s[i + 2]) && is_octal(s[i + 3])) {
      out += static_cast<char>(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += s[i];
  }
  return out;
}

}  // namespace

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

Result<std::size_t> der_length(ByteView data) {
  auto n = der_sequence_length(data);
  if (!n.ok()) return make_error(Errc::malformed, "EK certificate in NV: " + n.error().detail);
  return *n;
}

std::optional<std::string> os_release_pretty_name(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) return unquote(trim(line.substr(12)));
  }
  return std::nullopt;
}

std::optional<std::string> mounts_root_source(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  std::optional<std::string> root;
  while (std::getline(in, line)) {  // the last mount on "/" wins (it hides earlier ones)
    std::istringstream f(line);
    std::string source, target;
    if (f >> source >> target && unescape_mount(target) == "/") root = unescape_mount(source);
  }
  return root;
}

std::optional<bool> secure_boot_from_efivar(std::string_view contents) {
  if (contents.size() != 5) return std::nullopt;  // 4 attribute bytes + 1 data byte
  return static_cast<unsigned char>(contents[4]) == 1;
}

namespace {
constexpr char kEkContextMagic[8] = {'P', 'A', 'W', 'E', 'K', 'C', 'T', 'X'};
constexpr std::uint8_t kEkContextVersion = 1;
}  // namespace

Bytes encode_ek_context_file(const EkContextFile& f) {
  Bytes out(kEkContextMagic, kEkContextMagic + sizeof kEkContextMagic);
  out.push_back(kEkContextVersion);
  out.push_back(f.type);
  out.push_back(static_cast<std::uint8_t>(f.name.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(f.name.size()));
  out.insert(out.end(), f.name.begin(), f.name.end());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(f.context.size() >> shift));
  out.insert(out.end(), f.context.begin(), f.context.end());
  return out;
}

Result<EkContextFile> parse_ek_context_file(ByteView data) {
  const auto bad = [](const char* why) { return make_error(Errc::malformed, std::string("EK context file: ") + why); };
  std::size_t at = 0;
  const auto take = [&](std::size_t n) -> const std::uint8_t* {
    if (n > data.size() - at) return nullptr;
    const std::uint8_t* p = data.data() + at;
    at += n;
    return p;
  };
  const std::uint8_t* head = take(sizeof kEkContextMagic + 4);
  if (head == nullptr || !std::equal(kEkContextMagic, kEkContextMagic + sizeof kEkContextMagic, head,
                                     [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; }))
    return bad("not a paw EK context");
  if (head[8] != kEkContextVersion) return bad("unknown version");
  EkContextFile f;
  f.type = head[9];
  const std::size_t name_size = static_cast<std::size_t>(head[10]) << 8 | head[11];
  if (name_size < 3 || name_size > kMaxEkNameSize) return bad("bad name size");
  const std::uint8_t* name = take(name_size);
  if (name == nullptr) return bad("name past the end");
  f.name.assign(name, name + name_size);
  const std::uint8_t* len = take(4);
  if (len == nullptr) return bad("context length past the end");
  const std::size_t ctx_size = static_cast<std::size_t>(len[0]) << 24 | static_cast<std::size_t>(len[1]) << 16 |
                               static_cast<std::size_t>(len[2]) << 8 | len[3];
  if (ctx_size == 0 || ctx_size > kMaxEkContextSize) return bad("bad context size");
  const std::uint8_t* ctx = take(ctx_size);
  if (ctx == nullptr) return bad("context past the end");
  f.context.assign(ctx, ctx + ctx_size);
  if (at != data.size()) return make_error(Errc::trailing_data, "EK context file: bytes after the context");
  return f;
}

}  // namespace paw::platform
