// paw/attest/sbat.h — shim's SBAT revocation level (SbatLevel), for policy
// boot.min_sbat.
//
// shim (15.3 and later) measures its SbatLevel variable (vendor GUID
// 605dab50-e046-4300-abb6-3dd810dd8b23) into PCR 7 as an
// EV_EFI_VARIABLE_AUTHORITY event. The value is CSV text: a first line
// "sbat,1,<datestamp>" and one "<component>,<generation>" line per revoked
// component ("sbat,1,2023012900\nshim,2\ngrub,3\ngrub.debian,4\n"). shim
// refuses any boot application whose SBAT section names a listed component
// with a lower generation: the level is Linux's revocation list, and a stale
// one lets revoked boot loaders run (docs/policy.md, "SBAT level").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"

namespace paw {

// Bounds of the measured text and of a policy's minimum. shim's own levels
// are well under 200 bytes; the bounds only keep a hostile log cheap.
inline constexpr std::size_t kMaxSbatLevelSize = 8192;
inline constexpr std::size_t kMaxSbatComponents = 128;
inline constexpr std::size_t kMaxSbatNameSize = 64;
inline constexpr std::uint32_t kMaxSbatGeneration = 999999999;

// The GUID and name shim measures its SbatLevel variable under.
inline constexpr std::string_view kShimLockGuid = "605dab50-e046-4300-abb6-3dd810dd8b23";
inline constexpr std::string_view kSbatLevelName = "SbatLevel";

// SbatLevel is a decoded SbatLevel value.
struct SbatLevel {
  std::string date;                                  // the "sbat" line's datestamp, "2021030218"
  std::map<std::string, std::uint32_t> components;   // "shim" → 2; a name listed twice keeps its highest
  bool operator==(const SbatLevel&) const = default;
};

// SbatMinimum is policy boot.min_sbat: the measured level must carry at
// least |date| (when not empty) and, for each component, at least its
// generation (a component the level does not list counts as generation 0).
struct SbatMinimum {
  std::string date;                                  // "" = no datestamp minimum
  std::map<std::string, std::uint32_t> components;
  [[nodiscard]] bool empty() const noexcept { return date.empty() && components.empty(); }
  bool operator==(const SbatMinimum&) const = default;
};

// valid_sbat_date: ten digits, YYYYMMDDNN, with a month 01-12 and a day
// 01-31 (NN numbers the levels of one day), the form of every SbatLevel
// shim has shipped.
bool valid_sbat_date(std::string_view date) noexcept;
// valid_sbat_component: 1 to kMaxSbatNameSize of [A-Za-z0-9._+-] ("grub.debian").
bool valid_sbat_component(std::string_view name) noexcept;

// parse_sbat_level decodes a measured SbatLevel value: at most
// kMaxSbatLevelSize bytes (Errc::too_large), trailing NUL bytes ignored,
// lines ending in "\n" (or "\r\n"; empty lines skipped), each of 2 or 3
// comma-separated fields. The first line is "sbat,<generation>,<datestamp>"
// (valid_sbat_date); every other line is "<component>,<generation>[,<date>]",
// a valid_sbat_component and a decimal generation of at most 9 digits; at
// most kMaxSbatComponents lines. Errc::malformed naming the line otherwise.
Result<SbatLevel> parse_sbat_level(ByteView data);

// sbat_shortfalls lists what |level| lacks against |minimum|, one item each
// ("datestamp 2021030218 < 2023012900", "grub 2 < 3", "shim not listed (< 2)");
// empty when the level is at least the minimum.
std::vector<std::string> sbat_shortfalls(const SbatLevel& level, const SbatMinimum& minimum);

// sbat_level_text: |level| as a short line for people ("2023012900, shim 2, grub 3").
std::string sbat_level_text(const SbatLevel& level);

}  // namespace paw
