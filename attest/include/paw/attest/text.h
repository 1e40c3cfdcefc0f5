// paw/attest/text.h — the two line-oriented text helpers every parser of a
// text format here needs (config files, SbatLevel, Debian indexes, HTTP
// fields): split off the next line, trim a field. Header-only, no allocation.
#pragma once

#include <string_view>

namespace paw {

// next_line returns the text up to the first '\n' (without it) and removes
// that line and its '\n' from |text|; the last line needs no '\n'. A '\r'
// before the '\n' stays: the caller decides whether CRLF is allowed.
constexpr std::string_view next_line(std::string_view& text) noexcept {
  const auto nl = text.find('\n');
  const std::string_view line = text.substr(0, nl);
  text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  return line;
}

// trim removes the characters in |chars| from both ends of |s|.
constexpr std::string_view trim(std::string_view s, std::string_view chars = " \t\r") noexcept {
  const auto b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(chars) - b + 1);
}

}  // namespace paw
