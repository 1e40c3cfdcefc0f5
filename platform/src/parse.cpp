// parse.cpp — see paw/platform/parse.h. No TPM, no files: fuzzed as is.
#include "paw/platform/parse.h"

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

}  // namespace paw::platform
