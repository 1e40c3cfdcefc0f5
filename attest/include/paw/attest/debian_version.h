// paw/attest/debian_version.h — Debian package versions ([epoch:]upstream[-revision])
// compared as dpkg compares them (deb-version(7)), for policy boot.min_kernel.
#pragma once

#include <string_view>

#include "paw/attest/error.h"

namespace paw {

inline constexpr std::size_t kMaxDebianVersionSize = 128;

// check_debian_version accepts what deb-version(7) allows: an optional
// numeric epoch and ':', an upstream version starting with a digit of
// [A-Za-z0-9.+~-:] ('-' only with a revision), an optional '-' and revision
// of [A-Za-z0-9.+~]; at most kMaxDebianVersionSize bytes. Errc::malformed
// saying what is wrong.
Status check_debian_version(std::string_view version);

// valid_package_name: a Debian package name as deb-control(5) allows it,
// [a-z0-9][a-z0-9+.-]+, at most 256 bytes.
bool valid_package_name(std::string_view name) noexcept;

// compare_debian_versions returns <0, 0 or >0 as |a| sorts before, equal to
// or after |b| (dpkg --compare-versions: epochs numerically, then upstream
// and revision by dpkg's rule, where '~' sorts before everything, even the
// end). Both must pass check_debian_version.
int compare_debian_versions(std::string_view a, std::string_view b) noexcept;

}  // namespace paw
