// debian_version.cpp — deb-version(7) syntax and dpkg's comparison
// (lib/dpkg/version.c's algorithm, written from the manual's description).
#include "paw/attest/debian_version.h"

#include <string>

namespace paw {
namespace {

struct Parts {
  std::string_view epoch, upstream, revision;
};

Parts split(std::string_view v) noexcept {
  Parts p;
  if (const auto colon = v.find(':'); colon != std::string_view::npos) {
    p.epoch = v.substr(0, colon);
    v.remove_prefix(colon + 1);
  }
  if (const auto dash = v.rfind('-'); dash != std::string_view::npos) {
    p.revision = v.substr(dash + 1);
    v = v.substr(0, dash);
  }
  p.upstream = v;
  return p;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// order is the weight of one non-digit character: '~' before the end of
// the string, the end before letters, letters before everything else.
int order(char c) noexcept {
  if (is_digit(c)) return 0;
  if (is_alpha(c)) return static_cast<unsigned char>(c);
  if (c == '~') return -1;
  if (c != 0) return static_cast<unsigned char>(c) + 256;
  return 0;
}

int compare_part(std::string_view a, std::string_view b) noexcept {
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      const int ac = i < a.size() ? order(a[i]) : 0;
      const int bc = j < b.size() ? order(b[j]) : 0;
      if (ac != bc) return ac - bc;
      ++i;
      ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    int first_diff = 0;
    while (i < a.size() && is_digit(a[i]) && j < b.size() && is_digit(b[j])) {
      if (first_diff == 0) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < a.size() && is_digit(a[i])) return 1;
    if (j < b.size() && is_digit(b[j])) return -1;
    if (first_diff != 0) return first_diff;
  }
  return 0;
}

std::string_view trim_zeros(std::string_view s) noexcept {
  while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
  return s;
}

}  // namespace

Status check_debian_version(std::string_view v) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::malformed, "Debian version \"" + std::string(v.substr(0, kMaxDebianVersionSize)) +
                                           "\": " + why + " (deb-version(7): [epoch:]upstream[-revision], e.g. 6.1.76-1)");
  };
  if (v.empty()) return bad("empty");
  if (v.size() > kMaxDebianVersionSize) return bad("longer than " + std::to_string(kMaxDebianVersionSize) + " bytes");
  const Parts p = split(v);
  if (v.find(':') != std::string_view::npos) {
    if (p.epoch.empty() || p.epoch.size() > 9) return bad("the epoch must be 1 to 9 digits");
    for (char c : p.epoch) {
      if (!is_digit(c)) return bad("the epoch must be digits");
    }
  }
  if (p.upstream.empty() || !is_digit(p.upstream.front())) return bad("the upstream version must start with a digit");
  for (char c : p.upstream) {
    if (!is_digit(c) && !is_alpha(c) && c != '.' && c != '+' && c != '~' && c != '-' && c != ':') {
      return bad("the upstream version holds a character outside [A-Za-z0-9.+~-:]");
    }
  }
  if (v.find('-') != std::string_view::npos && p.revision.empty()) return bad("the revision after '-' is empty");
  for (char c : p.revision) {
    if (!is_digit(c) && !is_alpha(c) && c != '.' && c != '+' && c != '~') {
      return bad("the revision holds a character outside [A-Za-z0-9.+~]");
    }
  }
  return ok_status();
}

bool valid_package_name(std::string_view s) noexcept {
  if (s.size() < 2 || s.size() > 256) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '.' || c == '-')) return false;
  }
  return s.front() != '+' && s.front() != '.' && s.front() != '-';
}

int compare_debian_versions(std::string_view a, std::string_view b) noexcept {
  const Parts pa = split(a), pb = split(b);
  const std::string_view ea = trim_zeros(pa.epoch.empty() ? "0" : pa.epoch);
  const std::string_view eb = trim_zeros(pb.epoch.empty() ? "0" : pb.epoch);
  if (ea.size() != eb.size()) return ea.size() < eb.size() ? -1 : 1;
  if (const int c = ea.compare(eb); c != 0) return c;
  if (const int c = compare_part(pa.upstream, pb.upstream); c != 0) return c;
  return compare_part(pa.revision, pb.revision);
}

}  // namespace paw
