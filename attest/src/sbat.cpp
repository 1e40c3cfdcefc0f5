// sbat.cpp — shim's SbatLevel CSV, read with every length checked (sbat.h).
#include "paw/attest/sbat.h"

#include <algorithm>
#include <charconv>

#include "paw/attest/text.h"

namespace paw {
namespace {

Error bad(std::size_t line, const std::string& what) {
  return make_error(Errc::malformed, "SbatLevel line " + std::to_string(line) + ": " + what);
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// generation: 1 to 9 decimal digits (no sign, no spaces).
bool generation(std::string_view s, std::uint32_t& out) {
  if (!digits(s) || s.size() > 9) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

// fields splits |line| at commas into at most |max| + 1 pieces (one more
// than allowed, so "too many" can be told).
std::vector<std::string_view> fields(std::string_view line, std::size_t max) {
  std::vector<std::string_view> out;
  while (out.size() <= max) {
    const auto comma = line.find(',');
    out.push_back(line.substr(0, comma));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

bool valid_sbat_date(std::string_view d) noexcept {
  if (d.size() != 10 || !digits(d)) return false;
  const int month = (d[4] - '0') * 10 + (d[5] - '0'), day = (d[6] - '0') * 10 + (d[7] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

bool valid_sbat_component(std::string_view n) noexcept {
  return !n.empty() && n.size() <= kMaxSbatNameSize && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '+' || c == '-';
  });
}

Result<SbatLevel> parse_sbat_level(ByteView data) {
  if (data.size() > kMaxSbatLevelSize) {
    return make_error(Errc::too_large, "SbatLevel of " + std::to_string(data.size()) + " bytes (at most " +
                                           std::to_string(kMaxSbatLevelSize) + ")");
  }
  std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);  // a C string's terminator
  SbatLevel level;
  bool first = true;
  std::size_t number = 0, lines = 0;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (++lines > kMaxSbatComponents + 1) {
      return make_error(Errc::too_large, "SbatLevel lists more than " + std::to_string(kMaxSbatComponents) +
                                             " components");
    }
    const auto f = fields(line, 3);
    if (f.size() < 2 || f.size() > 3) return bad(number, "not \"component,generation[,date]\"");
    std::uint32_t gen = 0;
    if (!generation(f[1], gen)) return bad(number, "the generation is not a number of 1 to 9 digits");
    if (first) {
      if (f[0] != "sbat" || f.size() != 3) return bad(number, "the first line is not \"sbat,<generation>,<date>\"");
      if (!valid_sbat_date(f[2])) return bad(number, "the datestamp is not YYYYMMDDNN");
      level.date = std::string(f[2]);
      first = false;
      continue;
    }
    if (!valid_sbat_component(f[0])) return bad(number, "the component name is not 1 to 64 of [A-Za-z0-9._+-]");
    auto [it, added] = level.components.emplace(std::string(f[0]), gen);
    if (!added) it->second = std::max(it->second, gen);  // shim checks every entry: the highest applies
  }
  if (first) return make_error(Errc::malformed, "SbatLevel is empty (no \"sbat,<generation>,<date>\" line)");
  return level;
}

std::vector<std::string> sbat_shortfalls(const SbatLevel& level, const SbatMinimum& minimum) {
  std::vector<std::string> out;
  // Datestamps are ten digits each: their text order is their time order.
  if (!minimum.date.empty() && level.date < minimum.date) out.push_back("datestamp " + level.date + " < " + minimum.date);
  for (const auto& [name, want] : minimum.components) {
    const auto it = level.components.find(name);
    if (it == level.components.end()) {
      out.push_back(name + " not listed (< " + std::to_string(want) + ")");
    } else if (it->second < want) {
      out.push_back(name + " " + std::to_string(it->second) + " < " + std::to_string(want));
    }
  }
  return out;
}

std::string sbat_level_text(const SbatLevel& level) {
  std::string out = level.date;
  std::size_t shown = 0;
  for (const auto& [name, gen] : level.components) {
    if (++shown > 8) return out + ", ...";
    out += ", " + name + " " + std::to_string(gen);
  }
  return out;
}

}  // namespace paw
