// policy_check_test.cpp — the policy lint: every finding with a document that
// has it and one that does not, old documents passing, and the lint agreeing
// with the parser and the set-time rules (check passes ⇔ set accepts).
#include <doctest/doctest.h>

#include <algorithm>

#include "paw/attest/policy.h"
#include "paw/attest/policy_check.h"
#include "policy_findings.h"

using namespace paw;
using namespace paw::test;

namespace {

constexpr std::int64_t kNow = 1800000000;

std::vector<Finding> check(const std::string& text, std::string_view name = "") {
  return check_policy_document(text, kNow, name);
}

// set_accepts is what PUT /v1/admin/policies/NAME accepts (bar FIDO roots).
bool set_accepts(const std::string& text) {
  auto o = json::parse_object(text, kMaxPolicySize, 6);
  if (!o.ok()) return false;
  if (!(*o)->has("name")) (*o)->set("name", std::string("unnamed"));
  auto p = policy_from_json(*o);
  return p.ok() && check_policy_bindings(*p).ok();
}

const std::string kHex32(64, 'a');

}  // namespace

TEST_CASE("policy check: a document stored before schema, reference sets and enforcement loads and passes") {
  // What a verifier of an earlier release stored (serialize_policy then):
  // no "schema", no "reference_sets", no "enforcement", no "login".
  const std::string old = R"({"name":"default","version":4,
    "pcrs":{"required":{"sha256":[0,2,4,7]},"reference":{"sha256":{"7":")" + kHex32 + R"("}},"pin_on_enroll":true},
    "secure_boot_required":true,"boot_applications":[],"event_log_required":true,
    "ima":{"required":false,"allowlist":[]},
    "fido":{"required":true,"user_presence":true,"user_verification":false,"aaguid_allowlist":[],
            "allow_zero_counter":false,"allow_self_attestation":false,"allow_none_attestation":false},
    "max_attestation_age_seconds":3600,"token_ttl_seconds":600,
    "host":{"disk_encryption_required":true,"os_release_allowlist":[]},
    "reboot":{"allow":true},"ek":{"allow_tofu":false},"require_admin_approval":false})";
  const auto fs = check(old);
  CHECK_MESSAGE(fs.empty(), all(fs));
  auto stored = parse_stored_policy(old);
  REQUIRE_MESSAGE(stored.ok(), stored.error().what());
  CHECK(stored->version == 4);
  CHECK(stored->pcrs.sets.empty());
  CHECK(stored->enforcement.grace.empty());
  // Written back it says its schema, and still reads.
  const std::string again = serialize_policy(*stored);
  CHECK(again.find("\"schema\":1") != std::string::npos);
  auto back = parse_stored_policy(again);
  REQUIRE(back.ok());
  CHECK(back->login.token_binding == TokenBinding::bearer);  // as it was stored, now written out
}

TEST_CASE("policy check: every field of a full document is known (the lint's field lists match the parser's)") {
  Policy p = default_policy();
  p.name = "full";
  p.pcrs.reference[HashAlg::sha256][7] = Bytes(32, 1);
  p.pcrs.sets.push_back({"bios-1.22", kNow + 86400, {{HashAlg::sha256, {{0, Bytes(32, 2)}}}}});
  p.boot_applications.insert(Bytes(32, 3));
  p.pcrs.required[HashAlg::sha256].insert(8);
  p.boot.authorities.insert(Bytes(32, 6));
  p.boot.cmdline_required = {"lockdown=integrity"};
  p.boot.cmdline_forbidden = {"init="};
  p.boot.dbx_required.insert(Bytes(32, 7));
  p.ima.required = true;
  p.ima.allowlist.insert(Bytes(32, 4));
  p.fido.aaguid_allowlist.insert(Bytes(16, 5));
  p.fido.login_presence_max_age_seconds = 60;
  p.host.os_release_allowlist = {"Debian GNU/Linux 12 (bookworm)"};
  p.reboot_allowed = false;
  p.enforcement.grace = {{"pcr_mismatch", 3600}, {"os_not_allowed", 86400}, {"reboot", 60}};
  // Learn mode judges PCR 4 through its events only: the other PCRs have references, nothing is pinned.
  p.learn.min_devices = 3;
  p.pcrs.reference[HashAlg::sha256][0] = Bytes(32, 8);
  p.pcrs.reference[HashAlg::sha256][2] = Bytes(32, 9);
  p.pcrs.pin_on_enroll = false;
  const auto fs = check(serialize_policy(p));
  CHECK_MESSAGE(fs.empty(), all(fs));
  CHECK(check("{}").empty());
  CHECK(check(R"({"name":"lab","schema":1})").empty());
}

TEST_CASE("policy check: unknown fields anywhere are errors, each with its path, all of them at once") {
  const auto fs = check(R"({"name":"x","secure_boot_requird":true,"fido":{"requird":true},"ima":{"allow":[]},
    "pcrs":{"pin":true,"reference_sets":[{"name":"a","values":{"sha256":{"0":")" + kHex32 + R"("}},"expires":5}]},
    "host":{"x":1},"reboot":{"y":1},"ek":{"z":1},"login":{"binding":"pop"},"enforcement":{"graces":{}}})");
  REQUIRE_MESSAGE(fs.size() == 10, all(fs));
  for (const auto& f : fs) {
    CHECK(f.severity == Severity::error);
    CHECK(f.code == "unknown_field");
  }
  const Finding* top = has(fs, "unknown_field", "$.secure_boot_requird");
  REQUIRE(top);
  CHECK(top->message.find("did you mean \"secure_boot_required\"") != std::string::npos);
  CHECK(has(fs, "unknown_field", "$.fido.requird"));
  CHECK(has(fs, "unknown_field", "$.ima.allow"));
  CHECK(has(fs, "unknown_field", "$.pcrs.pin"));
  CHECK(has(fs, "unknown_field", "$.pcrs.reference_sets[0].expires"));
  CHECK(has(fs, "unknown_field", "$.enforcement.graces"));
  CHECK(has_errors(fs));
  CHECK_FALSE(set_accepts(R"({"fido":{"requird":true}})"));
}

TEST_CASE("policy check: field names are escaped in paths and messages (no terminal escapes)") {
  const auto fs = check("{\"\\u001b[31mred\":1}");
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].path == "$[\"\\x1b[31mred\"]");
  CHECK(fs[0].message.find('\x1b') == std::string::npos);
  CHECK(all(fs).find('\x1b') == std::string::npos);
  // Also where the parser quotes the input in its message.
  const auto aaguid = check("{\"fido\":{\"aaguid_allowlist\":[\"\\u001b]0;pwned\\u0007\"]}}");
  REQUIRE(aaguid.size() == 1);
  CHECK(aaguid[0].code == "invalid_value");
  CHECK(aaguid[0].message.find('\x1b') == std::string::npos);
  CHECK(aaguid[0].message.find('\x07') == std::string::npos);
  CHECK(aaguid[0].message.find("\\x1b]0;pwned") != std::string::npos);
}

TEST_CASE("policy check: schema 1 or none is read, any other schema is refused as such") {
  CHECK(check(R"({"schema":1})").empty());
  for (const std::string bad : {"2", "0", "\"1\"", "true", "1.5"}) {
    const auto fs = check(R"({"schema":)" + bad + R"(,"newer_rule":{"x":1}})");
    REQUIRE_MESSAGE(fs.size() == 1, bad, all(fs));  // not "unknown field newer_rule"
    CHECK(fs[0].code == "schema_unknown");
    CHECK(fs[0].path == "$.schema");
    CHECK(fs[0].severity == Severity::error);
  }
  auto p = parse_policy(R"({"name":"x","schema":2})");
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().detail.find("schema 2 is unknown") != std::string::npos);
  CHECK(parse_policy(R"({"name":"x","schema":1})").ok());
}

TEST_CASE("policy check: rules whose facts come from PCRs the policy does not require") {
  auto fs = check(R"({"pcrs":{"required":{"sha256":[0,2]}}})");
  const Finding* sb = has(fs, "rule_needs_pcr", "$.secure_boot_required");
  REQUIRE_MESSAGE(sb, all(fs));
  CHECK(sb->message.find("needs PCR 7") != std::string::npos);
  CHECK_FALSE(has(fs, "rule_needs_pcr", "$.boot_applications"));  // no allowlist, nothing to bind
  fs = check(R"({"pcrs":{"required":{"sha256":[0,7]}},"boot_applications":[")" + kHex32 + R"("]})");
  CHECK(has(fs, "rule_needs_pcr", "$.boot_applications"));
  CHECK_FALSE(has(fs, "rule_needs_pcr", "$.secure_boot_required"));
  // A SHA-1 PCR 7 binds nothing the appraisal reads.
  fs = check(R"({"pcrs":{"required":{"sha1":[0,2,4,7]}}})");
  CHECK(has(fs, "rule_needs_pcr", "$.secure_boot_required"));
  // Negative: the rules with their PCRs.
  fs = check(R"({"pcrs":{"required":{"sha256":[4,7]}},"boot_applications":[")" + kHex32 + R"("]})");
  CHECK_MESSAGE(fs.empty(), all(fs));
  fs = check(R"({"pcrs":{"required":{"sha256":[0]}},"secure_boot_required":false})");
  CHECK_FALSE(has(fs, "rule_needs_pcr"));
}

TEST_CASE("policy check: reference values for PCRs that are not required") {
  auto fs = check(R"({"pcrs":{"required":{"sha256":[0,7]},"reference":{"sha256":{"4":")" + kHex32 + R"("}},
    "reference_sets":[{"name":"bios","values":{"sha256":{"0":")" + kHex32 + R"(","2":")" + kHex32 + R"("}}}]}})");
  CHECK(has(fs, "reference_not_required", "$.pcrs.reference.sha256.4"));
  CHECK(has(fs, "reference_not_required", "$.pcrs.reference_sets[0].values.sha256.2"));
  CHECK_FALSE(has(fs, "reference_not_required", "$.pcrs.reference_sets[0].values.sha256.0"));
  CHECK(fs.size() == 2);
  // Absent "required" is the default [0, 2, 4, 7].
  fs = check(R"({"pcrs":{"reference":{"sha256":{"7":")" + kHex32 + R"(","5":")" + kHex32 + R"("}}}})");
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].path == "$.pcrs.reference.sha256.5");
  // A bank not required at all.
  fs = check(R"({"pcrs":{"reference":{"sha1":{"7":")" + std::string(40, 'b') + R"("}}}})");
  CHECK(has(fs, "reference_not_required", "$.pcrs.reference.sha1.7"));
}

TEST_CASE("policy check: reference values that are not PCR values") {
  const auto fs = check(R"({"pcrs":{"reference":{"sha256":{"7":"abcd","07":")" + kHex32 + R"(","24":")" + kHex32 +
                        R"("},"md5":{}},"required":{"sha3":[1],"sha256":[7]}}})");
  CHECK(has(fs, "reference_value_invalid", "$.pcrs.reference.sha256.7"));
  CHECK(has(fs, "pcr_index_invalid", "$.pcrs.reference.sha256.07"));
  CHECK(has(fs, "pcr_index_invalid", "$.pcrs.reference.sha256.24"));
  CHECK(has(fs, "unknown_pcr_bank", "$.pcrs.reference.md5"));
  CHECK(has(fs, "unknown_pcr_bank", "$.pcrs.required.sha3"));
  CHECK_MESSAGE(fs.size() == 5, all(fs));
}

TEST_CASE("policy check: reference sets: names, duplicates, empty sets, and sets that have ended") {
  const std::string v = R"({"sha256":{"0":")" + kHex32 + R"("}})";
  auto fs = check(R"({"pcrs":{"reference_sets":[{"name":"","values":)" + v + R"(},{"name":"Bad Name","values":)" + v +
                  R"(},{"values":)" + v + R"(},{"name":"a","values":)" + v + R"(},{"name":"a","values":)" + v +
                  R"(},{"name":"e","values":{}}]}})");
  CHECK(has(fs, "reference_set_name", "$.pcrs.reference_sets[0].name"));
  CHECK(has(fs, "reference_set_name", "$.pcrs.reference_sets[1].name"));
  CHECK(has(fs, "reference_set_name", "$.pcrs.reference_sets[2].name"));
  CHECK(has(fs, "reference_set_duplicate", "$.pcrs.reference_sets[4].name"));
  CHECK(has(fs, "reference_set_empty", "$.pcrs.reference_sets[5].values"));
  CHECK_MESSAGE(fs.size() == 5, all(fs));  // set 3 is fine; nothing else is blamed
  // Ended: a warning, the policy is still accepted.
  const std::string ended = R"({"pcrs":{"reference_sets":[{"name":"old","not_after":)" + std::to_string(kNow - 1) +
                            R"(,"values":)" + v + R"(},{"name":"new","not_after":)" + std::to_string(kNow + 1) +
                            R"(,"values":)" + v + R"(},{"name":"forever","not_after":0,"values":)" + v + R"(}]}})";
  fs = check(ended);
  REQUIRE_MESSAGE(fs.size() == 1, all(fs));
  CHECK(fs[0].code == "reference_set_expired");
  CHECK(fs[0].severity == Severity::warning);
  CHECK(fs[0].path == "$.pcrs.reference_sets[0].not_after");
  CHECK_FALSE(has_errors(fs));
  CHECK(set_accepts(ended));
}

TEST_CASE("policy check: grace: never-graceable reasons, unknown reasons, bad durations") {
  auto fs = check(R"({"enforcement":{"grace":{"fido_missing":"72h","pcr_missmatch":"1h","os_not_allowed":"3 days",
    "disk_not_encrypted":0,"boot_app_not_allowed":"31d","reboot":true,"pcr_mismatch":"72h"}}})");
  const Finding* never = has(fs, "grace_never_graceable", "$.enforcement.grace.fido_missing");
  REQUIRE_MESSAGE(never, all(fs));
  CHECK(never->message.find("FIDO2 key is what a PAW login rests on") != std::string::npos);
  CHECK(has(fs, "grace_unknown_reason", "$.enforcement.grace.pcr_missmatch"));
  CHECK(has(fs, "grace_duration_invalid", "$.enforcement.grace.os_not_allowed"));
  CHECK(has(fs, "grace_duration_range", "$.enforcement.grace.disk_not_encrypted"));
  CHECK(has(fs, "grace_duration_range", "$.enforcement.grace.boot_app_not_allowed"));
  CHECK(has(fs, "grace_duration_invalid", "$.enforcement.grace.reboot"));
  CHECK_FALSE(has(fs, "pcr_mismatch"));
  CHECK_MESSAGE(fs.size() == 6, all(fs));
  for (const std::string code : {"clock_anomaly", "secure_boot_off", "pcr_not_quoted", "login_key_missing"}) {
    fs = check(R"({"enforcement":{"grace":{")" + code + R"(":"1h"}}})");
    CHECK_MESSAGE(has(fs, "grace_never_graceable"), code);
  }
  fs = check(R"({"enforcement":{"grace":{"pcr_mismatch":"72h","disk_not_encrypted":86400}}})");
  CHECK_MESSAGE(fs.empty(), all(fs));
}

TEST_CASE("policy check: a grace for a reason the policy can never produce is a warning") {
  auto fs = check(R"({"enforcement":{"grace":{"ima_not_allowed":"1d","os_not_allowed":"1d","reboot":"1d",
    "boot_app_not_allowed":"1d"}},"host":{"disk_encryption_required":false}})");
  CHECK(has(fs, "grace_no_effect", "$.enforcement.grace.ima_not_allowed"));
  CHECK(has(fs, "grace_no_effect", "$.enforcement.grace.os_not_allowed"));
  CHECK(has(fs, "grace_no_effect", "$.enforcement.grace.reboot"));
  CHECK(has(fs, "grace_no_effect", "$.enforcement.grace.boot_app_not_allowed"));
  CHECK_FALSE(has_errors(fs));
  fs = check(R"({"enforcement":{"grace":{"disk_not_encrypted":"1d"}},"host":{"disk_encryption_required":false}})");
  CHECK(has(fs, "grace_no_effect", "$.enforcement.grace.disk_not_encrypted"));
  fs = check(R"J({"enforcement":{"grace":{"os_not_allowed":"1d","reboot":"1d"}},"reboot":{"allow":false},
    "host":{"os_release_allowlist":["Debian GNU/Linux 12 (bookworm)"]}})J");
  CHECK_MESSAGE(fs.empty(), all(fs));
}

TEST_CASE("policy check: PCR rules that parse but do not do what they seem") {
  auto fs = check(R"({"pcrs":{"required":{"sha256":[0,2,4,7,10]}}})");
  CHECK(has(fs, "pcr_volatile", "$.pcrs.required.sha256"));
  fs = check(R"({"pcrs":{"required":{"sha256":[0,7]},"pin_on_enroll":false,"reference":{"sha256":{"7":")" + kHex32 +
             R"("}}}})");
  const Finding* never = has(fs, "pcr_never_compared", "$.pcrs.pin_on_enroll");
  REQUIRE_MESSAGE(never, all(fs));
  CHECK(never->message.find("sha256:0") != std::string::npos);
  CHECK(never->message.find("sha256:7") == std::string::npos);
  fs = check(R"({"pcrs":{"required":{"sha256":[7]},"pin_on_enroll":false,"reference_sets":[{"name":"a",
    "values":{"sha256":{"7":")" + kHex32 + R"("}}}]}})");
  CHECK_MESSAGE(fs.empty(), all(fs));
  fs = check(R"({"ima":{"allowlist":[")" + kHex32 + R"("]}})");
  CHECK(has(fs, "ima_allowlist_unenforced", "$.ima.required"));
  CHECK(check(R"({"ima":{"required":true,"allowlist":[")" + kHex32 + R"("]}})").empty());
  fs = check(R"({"pcrs":{"required":{"sha256":[10]}},"secure_boot_required":false})");
  CHECK(has(fs, "eventlog_unbound", "$.event_log_required"));
  CHECK(check(R"({"pcrs":{"required":{"sha256":[7]}}})").empty());
  CHECK_FALSE(has_errors(check(R"({"pcrs":{"required":{"sha256":[0,2,4,7,10]}}})")));
}

TEST_CASE("policy check: not a document, a value the parser refuses, a name that differs") {
  for (const std::string bad : {"", "not json", "[]", "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{}}}}}}}"}) {
    const auto fs = check(bad);
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].code == "json_invalid");
  }
  auto fs = check(R"({"token_ttl_seconds":5})");
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].code == "invalid_value");
  CHECK(fs[0].message.find("token_ttl_seconds") != std::string::npos);
  fs = check(R"({"name":"other"})", "prod");
  CHECK(has(fs, "name_mismatch", "$.name"));
  CHECK(check(R"({"name":"prod"})", "prod").empty());
}

TEST_CASE("policy check: at most kMaxFindings findings, the rest summed up") {
  std::string doc = "{";
  for (int i = 0; i < 150; ++i) doc += (i ? "," : "") + std::string("\"f") + std::to_string(i) + "\":1";
  doc += "}";
  const auto fs = check(doc);
  REQUIRE(fs.size() == kMaxFindings + 1);
  CHECK(fs.back().code == "findings_truncated");
  CHECK(fs.back().severity == Severity::error);
  CHECK(fs.back().message.find("50 more") != std::string::npos);
}

TEST_CASE("policy check: an error exactly when setting the policy is refused") {
  const std::vector<std::string> docs = {
      "{}",
      R"({"schema":3})",
      R"({"pcrs":{"required":{"sha256":[0,2]}}})",
      R"({"pcrs":{"required":{"sha256":[0,2,4,7,10]}}})",
      R"({"pcrs":{"reference":{"sha256":{"5":")" + kHex32 + R"("}}}})",
      R"({"pcrs":{"reference_sets":[{"name":"x","not_after":1,"values":{"sha256":{"0":")" + kHex32 + R"("}}}]}})",
      R"({"enforcement":{"grace":{"fido_missing":"1h"}}})",
      R"({"enforcement":{"grace":{"pcr_mismatch":"1h"}}})",
      R"({"fido":{"required":"yes"}})",
      R"({"host":{"os_release_allowlist":[""]}})",
      R"({"ima":{"allowlist":["00"]}})",
      R"({"boot_applications":[")" + kHex32 + R"("]})",
  };
  for (const auto& d : docs) {
    const auto fs = check(d);
    CHECK_MESSAGE(has_errors(fs) == !set_accepts(d), d, "\n", all(fs));
  }
}

TEST_CASE("policy check: findings survive their JSON form, hostile text made printable") {
  const auto fs = check(R"({"x":1,"pcrs":{"required":{"sha256":[0,2,4,7,10]}}})");
  REQUIRE(fs.size() == 2);
  CHECK(findings_from_json(findings_to_json(fs)) == fs);
  json::ArrayPtr arr = new Poco::JSON::Array();
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("severity", std::string("error"));
  o->set("code", std::string("x\x1b[2J"));
  o->set("message", std::string("m"));
  arr->add(o);
  arr->add(std::string("not an object"));
  const auto back = findings_from_json(arr);
  REQUIRE(back.size() == 1);
  CHECK(back[0].code.find('\x1b') == std::string::npos);
}

TEST_CASE("policy check: integers beyond int64 are findings, not exceptions") {
  const std::string big = "18446744073709551615";
  for (const std::string& doc :
       {R"({"schema":)" + big + "}", R"({"pcrs":{"required":{"sha256":[)" + big + "]}}}",
        R"({"enforcement":{"grace":{"pcr_mismatch":)" + big + "}}}", R"({"token_ttl_seconds":)" + big + "}",
        R"({"pcrs":{"reference_sets":[{"name":"a","not_after":)" + big + R"(,"values":{"sha256":{"0":")" + kHex32 +
            R"("}}}]}})"}) {
    std::vector<Finding> fs;
    CHECK_NOTHROW(fs = check(doc));
    CHECK_MESSAGE(has_errors(fs), doc);
    CHECK(has_errors(fs) == !set_accepts(doc));
  }
}

TEST_CASE("policy check: boot rules — their PCRs, their fields, their graces") {
  const std::string authorities = R"("authorities":[")" + kHex32 + R"("])";
  const std::string dbx = R"("dbx":{"required":[")" + kHex32 + R"("]})";
  const std::string cmdline = R"("kernel_cmdline":{"required":["lockdown=integrity"],"forbidden":["init="]})";
  const std::string all_rules = "{" + authorities + "," + dbx + "," + cmdline + "}";
  // Each rule without its PCR (the default requires 0, 2, 4, 7: no 8).
  auto fs = check(R"({"pcrs":{"required":{"sha256":[0,2,4]}},"secure_boot_required":false,"boot":)" + all_rules + "}");
  CHECK(has(fs, "rule_needs_pcr", "$.boot.authorities"));
  CHECK(has(fs, "rule_needs_pcr", "$.boot.dbx"));
  CHECK(has(fs, "rule_needs_pcr", "$.boot.kernel_cmdline"));
  CHECK_FALSE(set_accepts(R"({"pcrs":{"required":{"sha256":[0,2,4]}},"secure_boot_required":false,"boot":)" +
                          all_rules + "}"));
  // A SHA-1 PCR binds nothing the appraisal reads.
  fs = check(R"({"pcrs":{"required":{"sha256":[7],"sha1":[8]}},"boot":{)" + cmdline + "}}");
  CHECK(has(fs, "rule_needs_pcr", "$.boot.kernel_cmdline"));
  CHECK_FALSE(has(fs, "rule_needs_pcr", "$.boot.authorities"));
  // With their PCRs: clean, and accepted. PCRs 7 and 8 judged through their
  // events need no reference (no pcr_never_compared); PCR 0 does.
  const std::string good = R"({"pcrs":{"required":{"sha256":[0,7,8]},"pin_on_enroll":false,
      "reference":{"sha256":{"0":")" + kHex32 + R"("}}},"boot":)" + all_rules + "}";
  fs = check(good);
  CHECK_MESSAGE(fs.empty(), all(fs));
  CHECK(set_accepts(good));
  fs = check(R"({"pcrs":{"required":{"sha256":[0,7,8]},"pin_on_enroll":false},"boot":)" + all_rules + "}");
  const Finding* never = has(fs, "pcr_never_compared");
  REQUIRE(never != nullptr);
  CHECK(never->message.find("sha256:0 ") != std::string::npos);
  CHECK(never->message.find("sha256:7") == std::string::npos);
  // Unknown fields inside "boot", each with its path.
  fs = check(R"({"pcrs":{"required":{"sha256":[7,8]}},"boot":{"authoritys":[],"kernel_cmdline":{"forbiden":[]},
      "dbx":{"required":[],"svn":1}}})");
  const Finding* typo = has(fs, "unknown_field", "$.boot.authoritys");
  REQUIRE(typo != nullptr);
  CHECK(typo->message.find("did you mean \"authorities\"") != std::string::npos);
  CHECK(has(fs, "unknown_field", "$.boot.kernel_cmdline.forbiden"));
  CHECK(has(fs, "unknown_field", "$.boot.dbx.svn"));
  CHECK_MESSAGE(fs.size() == 3, all(fs));
  // A value the parser refuses is one finding.
  fs = check(R"({"pcrs":{"required":{"sha256":[7,8]}},"boot":{"kernel_cmdline":{"required":["a b"]}}})");
  CHECK(has(fs, "invalid_value", "$"));
  // Graces: a new authority and a lagging dbx may be graced; a command line never.
  fs = check(R"({"pcrs":{"required":{"sha256":[7,8]}},"boot":)" + all_rules +
             R"(,"enforcement":{"grace":{"boot_authority_not_allowed":"7d","dbx_outdated":"14d"}}})");
  CHECK_MESSAGE(fs.empty(), all(fs));
  fs = check(R"({"pcrs":{"required":{"sha256":[7,8]}},"boot":)" + all_rules +
             R"(,"enforcement":{"grace":{"cmdline_missing":"1d","cmdline_forbidden":"1d"}}})");
  CHECK(has(fs, "grace_never_graceable", "$.enforcement.grace.cmdline_missing"));
  CHECK(has(fs, "grace_never_graceable", "$.enforcement.grace.cmdline_forbidden"));
  fs = check(R"({"enforcement":{"grace":{"boot_authority_not_allowed":"7d","dbx_outdated":"14d"}}})");
  CHECK(has(fs, "grace_no_effect", "$.enforcement.grace.boot_authority_not_allowed"));
  CHECK(has(fs, "grace_no_effect", "$.enforcement.grace.dbx_outdated"));
  CHECK_FALSE(has_errors(fs));
}

TEST_CASE("policy check: learn mode is read, written back, range-checked and linted") {
  const std::string apps = R"("pcrs":{"required":{"sha256":[4,7]}},"boot_applications":[")" + std::string(64, 'a') + "\"]";
  auto p = parse_policy(R"({"name":"l",)" + apps + R"(,"learn":{"min_devices":3}})");
  REQUIRE(p.ok());
  CHECK(p->learn.min_devices == 3);
  auto again = parse_policy(serialize_policy(*p));
  REQUIRE(again.ok());
  CHECK(again->learn == p->learn);
  // Absent = off, and an off policy writes no "learn" (documents stay as they were).
  auto off = parse_policy(R"({"name":"l"})");
  REQUIRE(off.ok());
  CHECK(!off->learn.on());
  CHECK(serialize_policy(*off).find("learn") == std::string::npos);
  for (const char* bad : {R"({"learn":{"min_devices":0}})", R"({"learn":{"min_devices":-1}})",
                          R"({"learn":{"min_devices":1000001}})", R"({"learn":{}})", R"({"learn":{"min_devices":"2"}})",
                          R"({"learn":3})"}) {
    CHECK_MESSAGE(has_errors(check(bad)), bad);
    CHECK_MESSAGE(!parse_policy(std::string(bad).insert(1, R"("name":"l",)")).ok(), bad);
  }
  CHECK(has(check(R"({"learn":{"min_devices":2,"max":4}})"), "unknown_field", "$.learn.max"));
  // Learn mode without any allowlist has nothing to learn: a warning.
  const auto fs = check(R"({"learn":{"min_devices":2}})");
  CHECK(!has_errors(fs));
  CHECK(has(fs, "learn_no_effect", "$.learn"));
  // apps pins PCR 4 (pin_on_enroll defaults to true): a new boot application would fail pcr_mismatch.
  CHECK(!has(check("{" + apps + R"(,"learn":{"min_devices":2}})"), "learn_no_effect"));
  CHECK(has(check("{" + apps + R"(,"learn":{"min_devices":2}})"), "learn_pcr_compared", "$.pcrs"));
  const std::string events_only = R"("pcrs":{"required":{"sha256":[4,7]},"reference":{"sha256":{"7":")" +
                                  std::string(64, 'c') + R"("}},"pin_on_enroll":false},"boot_applications":[")" +
                                  std::string(64, 'a') + "\"]";
  const auto clean = check("{" + events_only + R"(,"learn":{"min_devices":2}})");
  CHECK_MESSAGE(clean.empty(), all(clean));
}
