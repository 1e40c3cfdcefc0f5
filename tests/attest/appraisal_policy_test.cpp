// appraisal_policy_test.cpp — policy failures on genuine evidence: each
// failed rule (Secure Boot, event log, boot applications, host facts, FIDO2
// flags, required and referenced PCRs) and each reboot or clock anomaly makes
// the verdict unhealthy with its stable reason code, or is noted where the
// policy allows it.
#include <doctest/doctest.h>

#include <string>

#include "appraisal_world.h"
#include "paw/attest/appraisal.h"

using namespace paw;
using namespace paw::soft;
using namespace paw::test;

// ---------------------------------------------------------------------------
// Policy failures → unhealthy with the right reasons
// ---------------------------------------------------------------------------

TEST_CASE("appraise: policy failures make the verdict unhealthy with stable reason codes") {
  AppraisalWorld w;
  w.enroll();

  SUBCASE("Secure Boot off") {
    BootConfig cfg;
    cfg.secure_boot = false;
    w.boot(cfg);
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"secure_boot_off"});
    CHECK(a->trust().at("configuration") == ar4si::kUnsupportableConfig);
    CHECK(a->next_state().pinned_pcrs.empty());  // nothing pinned from an unhealthy boot
  }
  SUBCASE("agent reports Secure Boot off") {
    w.dev.host.secure_boot = false;
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"host_secure_boot_off"});
  }
  SUBCASE("no event log") {
    w.dev.event_log.reset();
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(has_code(*a, reason::kEventLogMissing));
    CHECK(has_code(*a, reason::kSecureBootOff));
    w.policy.event_log_required = false;
    w.policy.secure_boot_required = false;
    auto b = w.attest();
    REQUIRE(b.ok());
    CHECK(b->healthy());
    CHECK(b->trust().at("executables") == ar4si::kNoClaim);
  }
  SUBCASE("boot application not allowed") {
    w.policy.boot_applications = {sha256(to_bytes("shimx64.efi"))};
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"boot_app_not_allowed"});
    CHECK(message_of(*a, reason::kBootAppNotAllowed).find(hex(sha256(to_bytes("grubx64.efi")))) != std::string::npos);
    w.policy.boot_applications.insert(sha256(to_bytes("grubx64.efi")));
    auto b = w.attest();
    REQUIRE(b.ok());
    CHECK(b->healthy());
  }
  SUBCASE("disk not encrypted, OS not allowed") {
    w.dev.host.disk_encrypted = false;
    w.policy.host.os_release_allowlist = {"Debian GNU/Linux 13 (trixie)"};
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"disk_not_encrypted", "os_not_allowed"});
    CHECK(a->trust().at("storage-opaque") == ar4si::kUnencryptedSecrets);
  }
  SUBCASE("FIDO2 key not touched; user verification required") {
    auto a = w.attest(0x00);
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"fido_up_missing"});
    w.policy.fido.user_verification = true;
    auto b = w.attest(0x01);
    REQUIRE(b.ok());
    CHECK(codes(*b) == std::vector<std::string>{"fido_uv_missing"});
    auto c = w.attest(0x05);
    REQUIRE(c.ok());
    CHECK(c->healthy());
  }
  SUBCASE("no FIDO2 assertion") {
    auto a = w.attest(0xff);
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"fido_missing"});
  }
  SUBCASE("a required PCR that is not quoted") {
    w.policy.pcrs.required[HashAlg::sha256].insert(9);
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"pcr_not_quoted"});
  }
  SUBCASE("an admin-set reference wins over pinning") {
    w.policy.pcrs.reference[HashAlg::sha256][0] = Bytes(32, 0xab);
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch"});
    CHECK(message_of(*a, reason::kPcrMismatch) == "PCR 0 differs from reference (firmware code)");
  }
  SUBCASE("a boot application changed after pinning") {
    REQUIRE(w.attest().ok());
    BootConfig cfg;
    cfg.boot_apps.push_back(sha256(to_bytes("evil.efi")));
    w.boot(cfg);
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"pcr_mismatch"});
    CHECK(message_of(*a, reason::kPcrMismatch) == "PCR 4 differs from reference: boot application added");
  }
}

// ---------------------------------------------------------------------------
// Reboots and clock anomalies
// ---------------------------------------------------------------------------

TEST_CASE("appraise: reboot detection and clock anomalies") {
  AppraisalWorld w;
  w.enroll();
  REQUIRE(w.attest().ok());

  SUBCASE("a reboot is noted, and healthy where policy allows it") {
    w.dev.tpm.reboot();
    REQUIRE(w.dev.use_event_log(*w.dev.event_log).ok());  // the firmware measures the same boot again
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(a->healthy());
    CHECK(a->rebooted());
    bool noted = false;
    for (const auto& n : a->notes()) noted = noted || n.code == reason::kReboot;
    CHECK(noted);
  }
  SUBCASE("a reboot is unhealthy where policy forbids it") {
    w.policy.reboot_allowed = false;
    w.dev.tpm.reboot();
    REQUIRE(w.dev.use_event_log(*w.dev.event_log).ok());
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"reboot"});
    CHECK(a->rebooted());
  }
  SUBCASE("a resume (restartCount) counts as a restart") {
    w.dev.tpm.clock().restart_count += 1;
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(a->rebooted());
    CHECK(a->healthy());
  }
  SUBCASE("the clock going back within one boot") {
    w.dev.tpm.clock().clock -= 5000;
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"clock_anomaly"});
    CHECK(a->trust().at("hardware") == ar4si::kUnsafeHardware);
  }
  SUBCASE("reset counters going back") {
    w.dev.tpm.clock().reset_count -= 1;
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(codes(*a) == std::vector<std::string>{"clock_anomaly"});
  }
}
