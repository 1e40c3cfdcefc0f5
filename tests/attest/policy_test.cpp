// policy_test.cpp — policy documents: defaults, strict parsing, round trips, limits.
#include <doctest/doctest.h>

#include "paw/attest/policy.h"

using namespace paw;

TEST_CASE("policy: default policy is valid, secure by default, and round-trips") {
  const Policy p = default_policy();
  CHECK(validate_policy(p).ok());
  CHECK(p.name == "default");
  CHECK(p.secure_boot_required);
  CHECK(p.event_log_required);
  CHECK(p.fido.required);
  CHECK(p.fido.user_presence);
  CHECK_FALSE(p.fido.allow_zero_counter);
  CHECK_FALSE(p.ek_allow_tofu);
  CHECK(p.pcrs.required.at(HashAlg::sha256) == std::set<std::uint32_t>{0, 2, 4, 7});
  auto back = parse_policy(serialize_policy(p));
  REQUIRE(back.ok());
  CHECK(*back == p);
}

TEST_CASE("policy: a minimal document takes the defaults") {
  auto p = parse_policy(R"({"name":"lab"})");
  REQUIRE(p.ok());
  Policy want = default_policy();
  want.name = "lab";
  CHECK(*p == want);
}

TEST_CASE("policy: every field parses and survives a round trip") {
  const std::string ref(64, 'a');
  const std::string text = R"({"name":"paw-prod.v2","version":7,
    "pcrs":{"required":{"sha256":[0,7],"sha1":[4]},"reference":{"sha256":{"7":")" + ref + R"("}},"pin_on_enroll":false},
    "secure_boot_required":false,"boot_applications":[")" + ref + R"("],"event_log_required":false,
    "ima":{"required":true,"allowlist":[")" + std::string(40, 'b') + R"("]},
    "fido":{"required":false,"user_presence":false,"user_verification":true,
            "aaguid_allowlist":["2fc0579f-8113-47ea-b116-bb5a8db9202a","00112233445566778899aabbccddeeff"],
            "allow_zero_counter":true,"allow_self_attestation":true,"allow_none_attestation":true},
    "max_attestation_age_seconds":600,"token_ttl_seconds":300,
    "host":{"disk_encryption_required":false,"os_release_allowlist":["Debian GNU/Linux 12"]},
    "reboot":{"allow":false},"ek":{"allow_tofu":true},"require_admin_approval":true})";
  auto p = parse_policy(text);
  REQUIRE_MESSAGE(p.ok(), p.error().what());
  CHECK(p->version == 7);
  CHECK(p->pcrs.required.at(HashAlg::sha1) == std::set<std::uint32_t>{4});
  CHECK(p->pcrs.reference.at(HashAlg::sha256).at(7) == Bytes(32, 0xaa));
  CHECK_FALSE(p->pcrs.pin_on_enroll);
  CHECK(p->boot_applications.size() == 1);
  CHECK(p->ima.required);
  CHECK(p->ima.allowlist.count(Bytes(20, 0xbb)) == 1);
  CHECK(p->fido.user_verification);
  CHECK(p->fido.aaguid_allowlist.size() == 2);
  CHECK(p->fido.allow_zero_counter);
  CHECK(p->max_attestation_age_seconds == 600);
  CHECK(p->token_ttl_seconds == 300);
  CHECK_FALSE(p->reboot_allowed);
  CHECK(p->ek_allow_tofu);
  CHECK(p->require_admin_approval);
  CHECK(p->host.os_release_allowlist.size() == 1);
  auto back = parse_policy(serialize_policy(*p));
  REQUIRE(back.ok());
  CHECK(*back == *p);
  CHECK(format_aaguid(*p->fido.aaguid_allowlist.begin()) == "00112233-4455-6677-8899-aabbccddeeff");
}

TEST_CASE("policy: strict parsing refuses what it does not understand") {
  struct Case {
    const char* text;
    Errc code;
  };
  const Case cases[] = {
      {R"({"name":"x","secure_boot":true})", Errc::malformed},                      // unknown (misspelt) field
      {R"({"name":"x","fido":{"user_presense":true}})", Errc::malformed},           // unknown nested field
      {R"({"version":1})", Errc::malformed},                                         // name missing
      {R"({"name":"Has Space"})", Errc::malformed},                                  // bad name
      {R"({"name":"x","version":0})", Errc::malformed},                              // bad version
      {R"({"name":"x","token_ttl_seconds":5})", Errc::malformed},                    // TTL too short
      {R"({"name":"x","token_ttl_seconds":"600"})", Errc::malformed},                // wrong type
      {R"({"name":"x","max_attestation_age_seconds":99999999})", Errc::malformed},   // too long
      {R"({"name":"x","pcrs":{"required":{"sha256":[24]}}})", Errc::malformed},      // PCR out of range
      {R"({"name":"x","pcrs":{"required":{"md5":[1]}}})", Errc::malformed},         // unknown bank
      {R"({"name":"x","pcrs":{"reference":{"sha256":{"7":"00"}}}})", Errc::malformed},  // wrong size
      {R"({"name":"x","pcrs":{"required":{"sha256":[0]},"reference":{"sha256":{"7":")"
       "0000000000000000000000000000000000000000000000000000000000000000"
       R"("}}}})", Errc::malformed},                                                 // reference not required
      {R"({"name":"x","pcrs":{"reference":{"sha256":{"07":"00"}}}})", Errc::malformed},  // non-canonical index
      {R"({"name":"x","boot_applications":["abcd"]})", Errc::malformed},            // not SHA-256
      {R"({"name":"x","boot_applications":["zz"]})", Errc::malformed},              // not hex
      {R"({"name":"x","fido":{"aaguid_allowlist":["not-a-uuid"]}})", Errc::malformed},
      {R"({"name":"x","reboot":{"allow":1}})", Errc::malformed},
      {R"([1,2])", Errc::malformed},
      {R"({"name":"x")", Errc::malformed},
  };
  for (const auto& c : cases) {
    auto p = parse_policy(c.text);
    CHECK_MESSAGE(!p.ok(), c.text);
    if (!p.ok()) CHECK_MESSAGE(p.code() == c.code, c.text, " → ", p.error().what());
  }
}

TEST_CASE("policy: size and count limits apply before and during parsing") {
  const std::string huge(kMaxPolicySize + 1, ' ');
  CHECK(parse_policy(huge).code() == Errc::too_large);
  std::string many = R"({"name":"x","fido":{"aaguid_allowlist":[)";
  for (std::size_t i = 0; i <= kMaxAaguids; ++i) many += std::string(i ? "," : "") + "\"00112233445566778899aabbccddeeff\"";
  many += "]}}";
  CHECK(parse_policy(many).code() == Errc::too_large);
  std::string deep = R"({"name":"x","host":)";
  for (int i = 0; i < 20; ++i) deep += R"({"a":)";
  CHECK_FALSE(parse_policy(deep).ok());
}

TEST_CASE("policy: validate_policy catches what code could build") {
  Policy p = default_policy();
  p.pcrs.reference[HashAlg::sha256][7] = Bytes(32, 1);
  CHECK(validate_policy(p).ok());
  p.pcrs.reference[HashAlg::sha256][9] = Bytes(32, 1);  // not required
  CHECK(validate_policy(p).code() == Errc::malformed);
  p = default_policy();
  p.fido.aaguid_allowlist.insert(Bytes(15, 0));
  CHECK(validate_policy(p).code() == Errc::malformed);
  p = default_policy();
  p.name = std::string(65, 'a');
  CHECK(validate_policy(p).code() == Errc::malformed);
}

TEST_CASE("policy: AAGUID text forms") {
  auto a = parse_aaguid("2fc0579f-8113-47ea-b116-bb5a8db9202a");
  auto b = parse_aaguid("2FC0579F811347EAB116BB5A8DB9202A");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a == *b);
  CHECK(format_aaguid(*a) == "2fc0579f-8113-47ea-b116-bb5a8db9202a");
  CHECK_FALSE(parse_aaguid("2fc0579f-8113-47ea-b116bb5a8db9202a-").ok());
  CHECK_FALSE(parse_aaguid("").ok());
}

TEST_CASE("a policy asking for event-log facts must require the PCRs that bind them") {
  Policy p = default_policy();
  CHECK(check_policy_bindings(p).ok());
  p.pcrs.required[HashAlg::sha256] = {0, 2, 4};
  auto st = check_policy_bindings(p);
  CHECK(st.code() == Errc::malformed);
  CHECK(st.error().detail.find("\"secure_boot_required\" needs PCR 7") != std::string::npos);
  p.pcrs.required[HashAlg::sha1] = {7};  // SHA-1 does not bind
  CHECK(check_policy_bindings(p).code() == Errc::malformed);
  p.secure_boot_required = false;
  CHECK(check_policy_bindings(p).ok());
  p.boot_applications = {Bytes(32, 0xAB)};
  p.pcrs.required[HashAlg::sha256] = {0, 7};
  st = check_policy_bindings(p);
  CHECK(st.code() == Errc::malformed);
  CHECK(st.error().detail.find("needs PCR 4") != std::string::npos);
  p.pcrs.required[HashAlg::sha384] = {4};
  CHECK(check_policy_bindings(p).ok());
}
