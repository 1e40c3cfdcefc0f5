// appraisal_sbat_test.cpp — policy boot.min_sbat through the real appraisal:
// real firmware event logs whose shim measured its SbatLevel into PCR 7,
// replayed into the software TPM, quoted and judged. The main log is
// keylime's Secure Boot log (SbatLevel "sbat,1,2023012900\nshim,2\ngrub,3\n
// grub.debian,4\n"); COS 101 on GCE (Secure Boot on) carries the first level
// shim shipped, "sbat,1,2021030218\n", and GCE's Ubuntu 21.04 log the same
// level with Secure Boot off. Root appending a newer level to PCR 7 and the
// log, or rewriting the measured text, gets nothing.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "eventlog_builder.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/policy.h"
#include "real_log_world.h"
#include "test_data.h"

using namespace paw;
using namespace paw::test;

namespace {

Bytes keylime_log() { return load(test_data("keylime/test/data/create-mb-policy/binary_bios_measurements-secureboot")); }
Bytes cos101_log() { return load(test_data("go-tpm-tools/internal/test/eventlogs/cos-101-amd-sev.bin")); }
Bytes gce_ubuntu_log() { return load(test_data("tpm2-tools/test/integration/fixtures/event-gce-ubuntu-2104-log.bin")); }

// shim's SHIM_LOCK_GUID 605dab50-e046-4300-abb6-3dd810dd8b23, as UEFI lays it out.
const std::array<std::uint8_t, 16> kShimLock = {0x50, 0xab, 0x5d, 0x60, 0x46, 0xe0, 0x00, 0x43,
                                                0xab, 0xb6, 0x3d, 0xd8, 0x10, 0xdd, 0x8b, 0x23};

// with_sbat_level: |log| with one more PCR 7 SbatLevel measurement of |text|,
// as root extending PCR 7 after boot and appending the event would write it.
Bytes with_sbat_level(const Bytes& log, const std::string& text) {
  return with_appended(log, 7, ev::kEfiVariableAuthority, variable_data(kShimLock, "SbatLevel", to_bytes(text)));
}

SbatMinimum minimum(std::string date, std::map<std::string, std::uint32_t> components = {}) {
  return {std::move(date), std::move(components)};
}

// World: one enrolled software workstation whose TPM booted |log|; PCRs 4
// and 7 quoted and bound, judged by their events (not pinned).
struct World : RealLogWorld {
  explicit World(const Bytes& log, std::set<std::uint32_t> unquoted = {})
      : RealLogWorld({.event_log = log, .policy_name = "sbat", .judged_pcrs = {4, 7}, .unquoted = std::move(unquoted)}) {}
};

const RuleResult* sbat_rule(const Appraisal& a, std::string_view result) {
  for (const auto& r : a.record().rules) {
    if (r.rule == "boot.min_sbat" && r.result == result) return &r;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("boot.min_sbat: shim's measured SBAT level on a real Secure Boot log") {
  SUBCASE("the level meets the minimum (datestamp and components): healthy, the rule names the event") {
    World w(keylime_log());
    w.policy.boot.min_sbat = minimum("2023012900", {{"shim", 2}, {"grub", 3}, {"grub.debian", 4}});
    const Appraisal a = w.attest();
    CHECK_MESSAGE(a.healthy(), messages(a, reason::kSbatOutdated) << messages(a, reason::kSbatUnknown));
    const RuleResult* r = sbat_rule(a, "pass");
    REQUIRE(r != nullptr);
    CHECK(contains(r->evidence, "(EV_EFI_VARIABLE_AUTHORITY)"));
    CHECK(contains(r->value, "2023012900, grub 3, grub.debian 4, shim 2"));
  }
  SUBCASE("a lower minimum (the first level shim shipped) passes too") {
    World w(keylime_log());
    w.policy.boot.min_sbat = minimum("2021030218");
    CHECK(w.attest().healthy());
  }
  SUBCASE("a newer datestamp: sbat_outdated, naming the event and what is missing") {
    World w(keylime_log());
    w.policy.boot.min_sbat = minimum("2024010900");
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"sbat_outdated"});
    const std::string m = messages(a, reason::kSbatOutdated);
    CHECK(contains(m, "PCR 7 event "));
    CHECK(contains(m, "(EV_EFI_VARIABLE_AUTHORITY)"));
    CHECK(contains(m, "datestamp 2023012900 < 2024010900"));
    CHECK(a.trust().at("configuration") == ar4si::kUnsupportableConfig);
  }
  SUBCASE("a component generation above the measured one, and one the level does not list: both named") {
    World w(keylime_log());
    w.policy.boot.min_sbat = minimum("2023012900", {{"grub", 4}, {"systemd-boot", 1}});
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"sbat_outdated"});
    const std::string m = messages(a, reason::kSbatOutdated);
    CHECK(contains(m, "grub 3 < 4"));
    CHECK(contains(m, "systemd-boot not listed (< 1)"));
  }
  SUBCASE("root appends a newer SbatLevel to PCR 7 and the log after boot: still sbat_outdated, the real one named") {
    World w(with_sbat_level(keylime_log(), "sbat,1,2024010900\nshim,4\ngrub,4\ngrub.debian,4\n"));
    w.policy.boot.min_sbat = minimum("2024010900", {{"shim", 4}});
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"sbat_outdated"});
    const std::string m = messages(a, reason::kSbatOutdated);
    CHECK(contains(m, "datestamp 2023012900 < 2024010900"));
    CHECK(contains(m, "shim 2 < 4"));
    // The appended level itself passes (its own rule row): only the lowest decides.
    CHECK(sbat_rule(a, "pass") != nullptr);
  }
  SUBCASE("root rewrites the measured SbatLevel text: unknown, never a pass") {
    Bytes log = keylime_log();
    const Bytes needle = to_bytes(std::string("sbat,1,2023012900"));
    auto it = std::search(log.begin(), log.end(), needle.begin(), needle.end());
    REQUIRE(it != log.end());
    std::copy_n("sbat,1,2099012900", 17, it);
    World w(log);
    w.policy.boot.min_sbat = minimum("2024010900");
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"sbat_unknown"});
    CHECK(contains(messages(a, reason::kSbatUnknown), "does not match its digest"));
  }
  SUBCASE("an SbatLevel that does not decode: sbat_unknown naming it") {
    World w(with_sbat_level(keylime_log(), "sbat,one,2024010900\n"));
    w.policy.boot.min_sbat = minimum("2021030218");
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"sbat_unknown"});
    CHECK(contains(messages(a, reason::kSbatUnknown), "does not decode: SbatLevel line 1"));
  }
  SUBCASE("PCR 7 not quoted: the level is not read from its events") {
    World w(keylime_log(), {7});
    w.policy.secure_boot_required = false;
    w.policy.pcrs.required = {{HashAlg::sha256, {4}}};  // what check_policy_bindings refuses at set time
    w.policy.boot.min_sbat = minimum("2021030218");
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"sbat_unknown"});
    CHECK(contains(messages(a, reason::kSbatUnknown), "PCR 7 is not bound"));
    CHECK(check_policy_bindings(w.policy).code() == Errc::malformed);
  }
  SUBCASE("a grace for sbat_outdated: warning until it ends") {
    World w(keylime_log());
    w.policy.boot.min_sbat = minimum("2024010900");
    w.policy.enforcement.grace = {{"sbat_outdated", 14 * 86400}};
    const Appraisal a = w.attest();
    CHECK(a.verdict() == Verdict::warning);
  }
}

TEST_CASE("boot.min_sbat: the first SBAT level, and Secure Boot off, on real GCE logs") {
  SUBCASE("COS 101 (Secure Boot on) at sbat,1,2021030218: healthy with that minimum") {
    World w(cos101_log());
    w.policy.boot.min_sbat = minimum("2021030218");
    const Appraisal a = w.attest();
    CHECK_MESSAGE(a.healthy(), messages(a, reason::kSbatOutdated) << messages(a, reason::kSbatUnknown));
  }
  SUBCASE("COS 101 under a 2023 minimum: sbat_outdated") {
    World w(cos101_log());
    w.policy.boot.min_sbat = minimum("2023012900", {{"shim", 2}});
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"sbat_outdated"});
    const std::string m = messages(a, reason::kSbatOutdated);
    CHECK(contains(m, "datestamp 2021030218 < 2023012900"));
    CHECK(contains(m, "shim not listed (< 2)"));
  }
  SUBCASE("Ubuntu 21.04 measures SbatLevel with Secure Boot off: sbat_unknown, shim enforced nothing") {
    World w(gce_ubuntu_log());
    w.policy.secure_boot_required = false;
    w.policy.boot.min_sbat = minimum("2021030218");
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"sbat_unknown"});
    CHECK(contains(messages(a, reason::kSbatUnknown), "Secure Boot is not proven on"));
  }
  SUBCASE("a Secure Boot log without shim measures no SbatLevel: sbat_unknown") {
    World w(rhel8_log());  // RHEL 8's shim 15 predates SBAT
    w.policy.boot.min_sbat = minimum("2021030218");
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"sbat_unknown"});
    CHECK(contains(messages(a, reason::kSbatUnknown), "measures no SbatLevel in PCR 7"));
  }
}
