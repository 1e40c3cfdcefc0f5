// appraisal_owners_test.cpp — the policy rule "boot.secure_boot_owners"
// through the real appraisal: the real RHEL 8 GCE firmware log (Secure Boot
// on) replayed into the software TPM, quoted, and judged. The measured PK
// and KEK pass when their certificates are the listed owners, fail naming
// their event when one is not, are unknown when PCR 7 is not bound, and the
// reason can never be graced.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "paw/attest/appraisal.h"
#include "paw/attest/grace.h"
#include "paw/attest/policy_check.h"
#include "real_log_world.h"
#include "test_data.h"

using namespace paw;
using namespace paw::test;

namespace {

// World: the RHEL 8 log booted, PCR 7 (quoted unless |quote7| is false) judged by its events.
struct World : RealLogWorld {
  explicit World(bool quote7 = true)
      : RealLogWorld({.event_log = rhel8_log(),
                      .policy_name = "owners",
                      .judged_pcrs = {7},
                      .unquoted = quote7 ? std::set<std::uint32_t>{} : std::set<std::uint32_t>{7}}) {}
};

// What the RHEL 8 log's PK (event 4, Google's) and KEK (event 5, Microsoft
// Corporation KEK CA 2011) hold: the SHA-256 of each DER certificate.
const char* const kPk = "d1d217acf60ba4e4a890210322d006d673c0b82de9d65ad7f2d55897635429e2";
const char* const kMsKek = "a1117f516a32cefcba3f2d1ace10a87972fd6bbe8fe0d0b996e09e65d802a503";

std::string all(const Appraisal& a) {
  std::string out;
  for (const auto& r : a.reasons()) out += r.code + ": " + r.message + "\n";
  return out;
}

}  // namespace

TEST_CASE("secure_boot_owners: the owners' PK and KEK on a real Secure Boot log") {
  SUBCASE("both listed: healthy, each certificate's row names its event") {
    World w;
    w.policy.boot.owner_pk = {from_hex(kPk)};
    w.policy.boot.owner_kek = {from_hex(kMsKek), Bytes(32, 7)};  // a second, future KEK may be listed too
    const Appraisal a = w.attest();
    CHECK_MESSAGE(a.healthy(), all(a));
    const auto& rules = a.record().rules;
    const auto pk = std::find_if(rules.begin(), rules.end(), [](const RuleResult& r) {
      return r.rule == "boot.secure_boot_owners" && r.subject == "PK certificate";
    });
    REQUIRE(pk != rules.end());
    CHECK(pk->evidence == "PCR 7 event 4 (EV_EFI_VARIABLE_DRIVER_CONFIG)");
    CHECK(pk->value == kPk);
    CHECK(pk->result == "pass");
  }
  SUBCASE("a replaced PK: secure_boot_keys_unexpected naming the event and the certificate") {
    World w;
    w.policy.boot.owner_pk = {Bytes(32, 1)};
    const Appraisal a = w.attest();
    CHECK_FALSE(a.healthy());
    REQUIRE(a.reasons().size() == 1);
    CHECK(a.reasons()[0].code == "secure_boot_keys_unexpected");
    CHECK(contains(a.reasons()[0].message, "PK at PCR 7 event 4 (EV_EFI_VARIABLE_DRIVER_CONFIG)"));
    CHECK(contains(a.reasons()[0].message, kPk));
  }
  SUBCASE("an unexpected KEK fails, whatever the PK") {
    World w;
    w.policy.boot.owner_pk = {from_hex(kPk)};
    w.policy.boot.owner_kek = {Bytes(32, 9)};
    const Appraisal a = w.attest();
    REQUIRE(a.reasons().size() == 1);
    CHECK(contains(a.reasons()[0].message, "KEK at PCR 7 event 5"));
    CHECK(contains(a.reasons()[0].message, kMsKek));
  }
  SUBCASE("PCR 7 not quoted: the keys are unknown, never assumed") {
    World w(false);
    w.policy.boot.owner_pk = {from_hex(kPk)};
    const Appraisal a = w.attest();
    CHECK_FALSE(a.healthy());
    CHECK(contains(all(a), "secure_boot_keys_unexpected: PK and KEK unknown: PCR 7 is not bound"));
  }
}

TEST_CASE("secure_boot_owners: the policy document") {
  const std::string pcr7 = R"("pcrs": {"required": {"sha256": [7]}, "pin_on_enroll": false})";
  const std::string owners = std::string(R"("boot": {"secure_boot_owners": {"pk": [")") + kPk + R"("], "kek": [")" +
                             kMsKek + R"("]}})";
  auto p = parse_policy(R"({"name": "o", )" + pcr7 + ", " + owners + "}");
  REQUIRE_MESSAGE(p.ok(), p.error().what());
  CHECK(p->boot.owner_pk == ByteSet{from_hex(kPk)});
  CHECK(p->boot.owner_kek == ByteSet{from_hex(kMsKek)});
  auto back = parse_policy(serialize_policy(*p));
  REQUIRE(back.ok());
  CHECK(back->boot == p->boot);
  CHECK(check_policy_document(R"({"name": "o", )" + pcr7 + ", " + owners + "}", 0, "o").empty());
  // Refused: no PCR 7, an unknown member, a wrong type, a short digest, and any grace.
  auto codes = [](const std::string& doc) {
    std::string out;
    for (const auto& f : check_policy_document(doc, 0, "o")) out += f.code + "@" + f.path + " ";
    return out;
  };
  CHECK(contains(codes(R"({"name": "o", "pcrs": {"required": {"sha256": [0]}}, )" + owners + "}"),
                 "rule_needs_pcr@$.boot.secure_boot_owners"));
  CHECK(contains(codes(R"({"name": "o", )" + pcr7 + R"(, "boot": {"secure_boot_owners": {"db": []}}})"),
                 "unknown_field@$.boot.secure_boot_owners.db"));
  CHECK(contains(codes(R"({"name": "o", )" + pcr7 + R"(, "boot": {"secure_boot_owners": {"pk": "x"}}})"),
                 "invalid_value"));
  CHECK_FALSE(parse_policy(R"({"name": "o", )" + pcr7 + R"(, "boot": {"secure_boot_owners": {"pk": ["abcd"]}}})").ok());
  CHECK(contains(codes(R"({"name": "o", )" + pcr7 + ", " + owners +
                       R"(, "enforcement": {"grace": {"secure_boot_keys_unexpected": "1h"}}})"),
                 "grace_never_graceable@$.enforcement.grace.secure_boot_keys_unexpected"));
  CHECK_FALSE(reason_graceable("secure_boot_keys_unexpected"));
}
