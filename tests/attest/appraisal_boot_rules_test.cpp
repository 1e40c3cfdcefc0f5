// appraisal_boot_rules_test.cpp — the policy's "boot" rules (signing
// authorities, kernel command line, minimum dbx) through the real appraisal:
// a real firmware event log (RHEL 8 on GCE, Secure Boot on, shim + grub)
// replayed into the software TPM, quoted, and judged. Each rule passes and
// fails on the real log, reads nothing from a PCR the quote does not bind, and
// holds against root appending events or rewriting event data.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "eventlog_builder.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/eventlog.h"
#include "real_log_world.h"
#include "test_data.h"

using namespace paw;
using namespace paw::test;

namespace {

// What `pawctl eventlog facts` prints for the RHEL 8 log: the db certificate
// that verified shim (event 21) and shim's vendor certificate that verified
// grub and the kernel (event 27), and the first and last SHA-256 of its dbx.
const char* const kDbAuthority = "6f5b3b38ca767ad43467a01439d3b5962ab59ee780789cfa5e821f617d81f5a6";
const char* const kShimAuthority = "40175d4c7c5ab4bd753a493f47952f1d8dcf1c219b836968a693e48bd4766135";
const char* const kDbxFirst = "80b4d96931bf0d02fd91a61e19d14f1da452e66db2408ca8604d411f92659f0a";
const char* const kDbxLast = "540801dd345dc1c33ef431b35bf4c0e68bd319b577b9abe1a9cff1cbc39f548f";

// World: one enrolled software workstation whose TPM booted |log|. The rules'
// PCRs are quoted and bound but not pinned: the events judge them.
struct World : RealLogWorld {
  explicit World(const Bytes& log, std::set<std::uint32_t> unquoted = {})
      : RealLogWorld({.event_log = log,
                      .policy_name = "boot-rules",
                      .judged_pcrs = {4, 7, 8},
                      .unquoted = std::move(unquoted)}) {}
};

}  // namespace

TEST_CASE("boot rules: signing authority allowlist on a real Secure Boot log") {
  SUBCASE("both authorities that verified shim, grub and the kernel are allowed: healthy") {
    World w(rhel8_log());
    w.policy.boot.authorities = {from_hex(kDbAuthority), from_hex(kShimAuthority)};
    const Appraisal a = w.attest();
    CHECK_MESSAGE(a.healthy(), messages(a, reason::kBootAuthorityNotAllowed));
  }
  SUBCASE("shim's vendor certificate is not allowed: the reason names its event") {
    World w(rhel8_log());
    w.policy.boot.authorities = {from_hex(kDbAuthority)};
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"boot_authority_not_allowed"});
    const std::string m = messages(a, reason::kBootAuthorityNotAllowed);
    CHECK(contains(m, kShimAuthority));
    CHECK(contains(m, "PCR 7 event 27 (EV_EFI_VARIABLE_AUTHORITY)"));
    CHECK_FALSE(contains(m, kDbAuthority));
    CHECK(a.trust().at("executables") == ar4si::kContraindicatedRuntime);
  }
  SUBCASE("a kernel update signed by the same authority: allowed by authority, refused by digest only") {
    // The policy's digest allowlist knows none of this boot's applications
    // (they are the "new" shim, grub and kernel).
    World w(rhel8_log());
    w.policy.boot_applications = {sha256(as_bytes("last month's kernel"))};
    const Appraisal digest_only = w.attest();
    CHECK(codes(digest_only) == std::vector<std::string>(3, "boot_app_not_allowed"));
    w.policy.boot.authorities = {from_hex(kDbAuthority), from_hex(kShimAuthority)};
    const Appraisal by_authority = w.attest();
    CHECK(by_authority.healthy());
    // An authority outside the list: the applications are no longer vouched for either.
    w.policy.boot.authorities = {from_hex(kShimAuthority)};
    const Appraisal wrong = w.attest();
    CHECK(count_of(wrong, "boot_app_not_allowed") == 3);
    CHECK(contains(messages(wrong, reason::kBootAuthorityNotAllowed), "PCR 7 event 21 (EV_EFI_VARIABLE_AUTHORITY)"));
  }
  SUBCASE("PCR 7 not quoted: the authorities are not read from its events, the rule fails saying why") {
    World w(rhel8_log(), {7});
    w.policy.secure_boot_required = false;
    w.policy.pcrs.required = {{HashAlg::sha256, {4, 8}}};  // what check_policy_bindings refuses at set time
    w.policy.boot.authorities = {from_hex(kDbAuthority), from_hex(kShimAuthority)};
    w.policy.boot_applications = {sha256(as_bytes("last month's kernel"))};
    const Appraisal a = w.attest();
    CHECK(contains(messages(a, reason::kBootAuthorityNotAllowed), "signing authorities unknown: PCR 7 is not bound"));
    CHECK(count_of(a, "boot_app_not_allowed") == 3);  // not vouched for
  }
  SUBCASE("Secure Boot off (a real log without it): no authority vouches for anything") {
    World w(load(test_data("go-tpm-tools/internal/test/eventlogs/ubuntu-2104-no-secure-boot.bin")));
    w.policy.secure_boot_required = false;
    w.policy.boot_applications = {sha256(as_bytes("last month's kernel"))};
    w.policy.boot.authorities = {from_hex(kDbAuthority)};
    const Appraisal a = w.attest();
    CHECK(count_of(a, "boot_app_not_allowed") >= 1);
    CHECK(contains(messages(a, reason::kBootAuthorityNotAllowed), "is not in the policy's boot.authorities"));
  }
  SUBCASE("root rewrites an authority event's data to an allowed certificate: the rule cannot pass") {
    Bytes log = rhel8_log();
    // Event 27's certificate is shim's vendor CA; rewrite one byte of it.
    auto parsed = parse_event_log(log);
    REQUIRE(parsed.ok());
    const Event& e27 = parsed->events()[27];
    REQUIRE(e27.type == ev::kEfiVariableAuthority);
    const std::size_t at = static_cast<std::size_t>(e27.data.data() - log.data()) + e27.data.size() - 40;
    log[at] ^= 0x01;
    World w(log);
    w.policy.boot.authorities = {from_hex(kDbAuthority)};
    const Appraisal a = w.attest();
    CHECK(contains(messages(a, reason::kBootAuthorityNotAllowed), "an authority event does not match its digest"));
  }
}

TEST_CASE("boot rules: kernel command line items on a real grub log") {
  SUBCASE("required and forbidden items as the log has them: healthy") {
    World w(rhel8_log());
    w.policy.boot.cmdline_required = {"ro", "console="};
    w.policy.boot.cmdline_forbidden = {"init=", "single"};
    const Appraisal a = w.attest();
    CHECK_MESSAGE(a.healthy(), (messages(a, reason::kCmdlineMissing) + messages(a, reason::kCmdlineForbidden)));
  }
  SUBCASE("a required word is missing: cmdline_missing names the event") {
    World w(rhel8_log());
    w.policy.boot.cmdline_required = {"ro", "lockdown=integrity"};
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"cmdline_missing"});
    const std::string m = messages(a, reason::kCmdlineMissing);
    CHECK(contains(m, "lacks \"lockdown=integrity\""));
    CHECK(contains(m, "PCR 8 event 78 (EV_IPL)"));  // grub's "grub_kernel_cmdline" string
    CHECK(a.trust().at("configuration") == ar4si::kUnsupportableConfig);
  }
  SUBCASE("a forbidden word is there: cmdline_forbidden names the word and the event") {
    World w(rhel8_log());
    w.policy.boot.cmdline_forbidden = {"crashkernel="};
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"cmdline_forbidden"});
    CHECK(contains(messages(a, reason::kCmdlineForbidden), "has \"crashkernel=auto\""));
    CHECK(contains(messages(a, reason::kCmdlineForbidden), "PCR 8 event 78 (EV_IPL)"));
  }
  SUBCASE("a word only matches whole: \"console\" is not \"console=ttyS0,38400n8\"") {
    World w(rhel8_log());
    w.policy.boot.cmdline_forbidden = {"console", "ttyS0"};
    CHECK(w.attest().healthy());
    w.policy.boot.cmdline_required = {"console"};
    w.policy.boot.cmdline_forbidden = {};
    CHECK(codes(w.attest()) == std::vector<std::string>{"cmdline_missing"});
  }
  SUBCASE("PCR 8 not quoted: the command line is not read from its events") {
    World w(rhel8_log(), {8});
    w.policy.pcrs.required = {{HashAlg::sha256, {4, 7}}};  // what check_policy_bindings refuses at set time
    w.policy.boot.cmdline_forbidden = {"crashkernel="};  // the unbound event has it
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"cmdline_missing"});  // unknown, not "forbidden"
    CHECK(contains(messages(a, reason::kCmdlineMissing), "kernel command line unknown: PCR 8 is not bound"));
    w.policy.boot.cmdline_forbidden = {};
    w.policy.boot.cmdline_required = {"ro"};  // the unbound event has it too: still no pass
    CHECK(codes(w.attest()) == std::vector<std::string>{"cmdline_missing"});
  }
  SUBCASE("root appends a command line with the required word after boot: the boot's own still fails") {
    const Bytes data = to_bytes(std::string("kernel_cmdline: /vmlinuz ro lockdown=integrity"));
    World w(with_appended(rhel8_log(), 8, ev::kIpl, data));
    w.policy.boot.cmdline_required = {"lockdown=integrity"};
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"cmdline_missing"});
    CHECK(contains(messages(a, reason::kCmdlineMissing), "vmlinuz-4.18.0-240"));  // the real one is named
  }
  SUBCASE("root rewrites the measured command line's text: unknown, never a pass") {
    Bytes log = rhel8_log();
    const Bytes needle = to_bytes(std::string("crashkernel=auto"));
    auto it = std::search(log.begin(), log.end(), needle.begin(), needle.end());
    REQUIRE(it != log.end());
    std::copy_n("crashkernel_auto", 16, it);
    World w(log);
    w.policy.boot.cmdline_forbidden = {"crashkernel="};
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"cmdline_missing"});
    CHECK(contains(messages(a, reason::kCmdlineMissing), "does not match its digest"));
  }
}

TEST_CASE("boot rules: minimum dbx on real logs") {
  SUBCASE("the measured dbx revokes every required digest: healthy") {
    World w(rhel8_log());
    w.policy.boot.dbx_required = {from_hex(kDbxFirst), from_hex(kDbxLast)};
    const Appraisal a = w.attest();
    CHECK_MESSAGE(a.healthy(), messages(a, reason::kDbxOutdated));
  }
  SUBCASE("a required revocation is missing: dbx_outdated names the dbx event") {
    World w(rhel8_log());
    const Bytes newer = sha256(as_bytes("a boot loader revoked after this dbx"));
    w.policy.boot.dbx_required = {from_hex(kDbxFirst), newer};
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"dbx_outdated"});
    const std::string m = messages(a, reason::kDbxOutdated);
    CHECK(contains(m, "PCR 7 event 7 (EV_EFI_VARIABLE_DRIVER_CONFIG)"));
    CHECK(contains(m, "lacks 1 of the 2"));
    CHECK(contains(m, hex(newer)));
  }
  SUBCASE("a dbx of certificates only (COS 85) revokes no digest") {
    World w(load(test_data("go-tpm-tools/internal/test/eventlogs/cos-85-amd-sev.bin")));
    w.policy.boot.dbx_required = {from_hex(kDbxFirst)};
    CHECK(codes(w.attest()) == std::vector<std::string>{"dbx_outdated"});
  }
  SUBCASE("root measures a newer dbx into PCR 7 after boot: the firmware's is judged") {
    Bytes esl = unhex("2616c4c14c509240aca941f936934328").value();  // EFI_CERT_SHA256_GUID
    const Bytes newer = sha256(as_bytes("a boot loader revoked after this dbx"));
    put32(esl, 28 + 48);
    put32(esl, 0);
    put32(esl, 48);
    esl.insert(esl.end(), 16, 0x77);  // owner
    esl.insert(esl.end(), newer.begin(), newer.end());
    World w(with_appended(rhel8_log(), 7, ev::kEfiVariableDriverConfig, variable_data(kDbGuid, "dbx", esl)));
    w.policy.boot.dbx_required = {newer};
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"dbx_outdated"});
    CHECK(contains(messages(a, reason::kDbxOutdated), "PCR 7 event 7 "));
  }
  SUBCASE("PCR 7 not quoted: dbx unknown") {
    World w(rhel8_log(), {7});
    w.policy.secure_boot_required = false;
    w.policy.pcrs.required = {{HashAlg::sha256, {4, 8}}};
    w.policy.boot.dbx_required = {from_hex(kDbxFirst)};
    const Appraisal a = w.attest();
    CHECK(codes(a) == std::vector<std::string>{"dbx_outdated"});
    CHECK(contains(messages(a, reason::kDbxOutdated), "dbx unknown: PCR 7 is not bound"));
  }
}

// What `pawctl policy explain` shows: each rule's result names the event that decided it.
TEST_CASE("boot rules: every rule result names the event that decided it, pass or fail") {
  World w(rhel8_log());
  w.policy.boot.authorities = {from_hex(kDbAuthority)};
  w.policy.boot.cmdline_required = {"ro"};
  w.policy.boot.cmdline_forbidden = {"crashkernel="};
  w.policy.boot.dbx_required = {from_hex(kDbxFirst)};
  const Appraisal a = w.attest();
  auto find = [&](std::string_view rule, std::string_view evidence) -> const RuleResult* {
    for (const auto& r : a.record().rules) {
      if (r.rule == rule && contains(r.evidence, std::string(evidence))) return &r;
    }
    return nullptr;
  };
  const RuleResult* db = find("boot.authorities", "PCR 7 event 21 (EV_EFI_VARIABLE_AUTHORITY)");
  REQUIRE(db != nullptr);
  CHECK(db->result == "pass");
  CHECK(db->value == kDbAuthority);
  const RuleResult* shim = find("boot.authorities", "PCR 7 event 27 (EV_EFI_VARIABLE_AUTHORITY)");
  REQUIRE(shim != nullptr);
  CHECK(shim->result == "fail");
  CHECK(shim->reason == "boot_authority_not_allowed");
  const RuleResult* ro = find("boot.kernel_cmdline.required", "PCR 8 event 78 (EV_IPL)");
  REQUIRE(ro != nullptr);
  CHECK(ro->subject == "ro");
  CHECK(ro->result == "pass");
  const RuleResult* crash = find("boot.kernel_cmdline.forbidden", "PCR 8 event 78 (EV_IPL)");
  REQUIRE(crash != nullptr);
  CHECK(crash->result == "fail");
  CHECK(crash->reason == "cmdline_forbidden");
  const RuleResult* dbx = find("boot.dbx", "PCR 7 event");
  REQUIRE(dbx != nullptr);
  CHECK(dbx->result == "pass");
  // The PCRs the policy requires: quoted, and (not pinned here) judged by their events.
  const RuleResult* pcr7 = find("pcrs.required", "quote");
  REQUIRE(pcr7 != nullptr);
  CHECK(pcr7->result == "pass");
  // explain_appraisal joins each rule with its reason's grace, and leaves no reason out.
  w.policy.enforcement.grace[std::string(reason::kBootAuthorityNotAllowed)] = 3600;
  w.policy.boot.cmdline_forbidden.clear();
  const Appraisal graced = w.attest();
  REQUIRE(graced.verdict() == Verdict::warning);
  const json::ObjectPtr e = explain_appraisal(graced.record());
  CHECK(e->getValue<std::string>("verdict") == "warning");
  const json::ArrayPtr rules = e->getArray("rules");
  REQUIRE(!rules.isNull());
  CHECK(rules->size() == graced.record().rules.size());
  std::size_t with_grace = 0;
  for (std::size_t i = 0; i < rules->size(); ++i) {
    const auto r = rules->getObject(static_cast<unsigned>(i));
    if (r->getValue<std::int64_t>("grace_until") != 0) {
      ++with_grace;
      CHECK(r->getValue<std::string>("reason") == "boot_authority_not_allowed");
      CHECK(r->getValue<std::int64_t>("grace_until") == graced.record().grace_until);
    }
  }
  CHECK(with_grace == 1);
  CHECK(e->getArray("other_reasons")->size() == 0);
}
