// sbat_test.cpp — shim's SbatLevel text (sbat.h) on the levels shim has
// shipped and on hostile input, and policy boot.min_sbat as a document:
// parse, round trip, refusals, the PCR 7 binding and the lint.
#include <doctest/doctest.h>

#include <string>

#include "paw/attest/policy.h"
#include "paw/attest/policy_check.h"
#include "paw/attest/sbat.h"

using namespace paw;

namespace {

Result<SbatLevel> parse(const std::string& s) { return parse_sbat_level(to_bytes(s)); }

bool has(const std::vector<Finding>& fs, std::string_view code, std::string_view path = "") {
  for (const auto& f : fs) {
    if (f.code == code && (path.empty() || f.path == path)) return true;
  }
  return false;
}

// doc: a policy that requires PCR 7 with |min_sbat| as its boot.min_sbat.
std::string doc(const std::string& min_sbat) {
  return R"({"name":"s","pcrs":{"required":{"sha256":[0,2,4,7]}},"boot":{"min_sbat":)" + min_sbat + "}}";
}

}  // namespace

TEST_CASE("SbatLevel: the levels shim has shipped") {
  auto first = parse("sbat,1,2021030218\n");  // shim 15.4 (and the GCE logs)
  REQUIRE(first.ok());
  CHECK(first->date == "2021030218");
  CHECK(first->components.empty());
  auto later = parse("sbat,1,2023012900\nshim,2\ngrub,3\ngrub.debian,4\n");
  REQUIRE(later.ok());
  CHECK(later->date == "2023012900");
  CHECK(later->components == std::map<std::string, std::uint32_t>{{"shim", 2}, {"grub", 3}, {"grub.debian", 4}});
  CHECK(sbat_level_text(*later) == "2023012900, grub 3, grub.debian 4, shim 2");
  // A C string's NUL, CRLF lines, a missing final newline, a component listed twice (shim applies the highest).
  auto odd = parse(std::string("sbat,1,2022052400\r\ngrub,2\ngrub,1\nfwupd-efi,1") + std::string(2, '\0'));
  REQUIRE_MESSAGE(odd.ok(), odd.error().what());
  CHECK(odd->components == std::map<std::string, std::uint32_t>{{"grub", 2}, {"fwupd-efi", 1}});
}

TEST_CASE("SbatLevel: malformed and oversized text is refused, naming the line") {
  CHECK(parse("").code() == Errc::malformed);
  CHECK(parse("\n\n").code() == Errc::malformed);
  CHECK(parse("shim,2\n").code() == Errc::malformed);               // no sbat line first
  CHECK(parse("sbat,1\n").code() == Errc::malformed);               // no datestamp
  CHECK(parse("sbat,1,20210302\n").code() == Errc::malformed);      // eight digits
  CHECK(parse("sbat,1,2021130218\n").code() == Errc::malformed);    // month 13
  CHECK(parse("sbat,x,2021030218\n").code() == Errc::malformed);
  CHECK(parse("sbat,1,2021030218\nshim\n").code() == Errc::malformed);
  CHECK(parse("sbat,1,2021030218\nshim,-2\n").code() == Errc::malformed);
  CHECK(parse("sbat,1,2021030218\nshim,1234567890\n").code() == Errc::malformed);  // ten digits
  CHECK(parse("sbat,1,2021030218\nsh im,2\n").code() == Errc::malformed);
  CHECK(parse("sbat,1,2021030218\nshim,2,a,b\n").code() == Errc::malformed);
  CHECK(parse(std::string("sbat,1,2021030218\nshim\0,2\n", 26)).code() == Errc::malformed);
  auto e = parse("sbat,1,2021030218\nshim,2\ngrub,three\n");
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().detail.find("line 3") != std::string::npos);
  std::string many = "sbat,1,2021030218\n";
  for (std::size_t i = 0; i <= kMaxSbatComponents; ++i) many += "c" + std::to_string(i) + ",1\n";
  CHECK(parse(many).code() == Errc::too_large);
  CHECK(parse(std::string(kMaxSbatLevelSize + 1, '\n')).code() == Errc::too_large);
}

TEST_CASE("SbatLevel: what a level lacks against a minimum") {
  const SbatLevel level = *parse("sbat,1,2023012900\nshim,2\ngrub,3\n");
  CHECK(sbat_shortfalls(level, {"2023012900", {{"shim", 2}}}).empty());
  CHECK(sbat_shortfalls(level, {"", {{"grub", 3}}}).empty());
  CHECK(sbat_shortfalls(level, {"2024010900", {}}) == std::vector<std::string>{"datestamp 2023012900 < 2024010900"});
  CHECK(sbat_shortfalls(level, {"", {{"grub", 4}, {"grub.debian", 4}}}) ==
        std::vector<std::string>{"grub 3 < 4", "grub.debian not listed (< 4)"});
}

TEST_CASE("boot.min_sbat in a policy document") {
  Policy p = default_policy();  // requires PCRs 0, 2, 4, 7
  p.name = "sbat";
  p.boot.min_sbat = {"2023012900", {{"shim", 2}, {"grub.debian", 4}}};
  REQUIRE(validate_policy(p).ok());
  const std::string text = serialize_policy(p);
  CHECK(text.find(R"("min_sbat":{"components":{"grub.debian":4,"shim":2},"date":"2023012900"})") != std::string::npos);
  auto back = parse_policy(text);
  REQUIRE_MESSAGE(back.ok(), back.error().what());
  CHECK(*back == p);
  CHECK(check_policy_bindings(p).ok());
  // An empty rule is not written back: a policy read and set again gains no lint warning.
  CHECK(serialize_policy(default_policy()).find("min_sbat") == std::string::npos);

  auto refused = [](const std::string& m) { return parse_policy(R"({"name":"k","boot":{"min_sbat":)" + m + "}}").code(); };
  CHECK(parse_policy(R"({"name":"k","boot":{"min_sbat":{"date":"2021030218"}}})").ok());
  CHECK(refused(R"({"date":"2023-01-29"})") == Errc::malformed);
  CHECK(refused(R"({"date":2023012900})") != Errc{});
  CHECK(refused(R"({"components":{"grub":0}})") == Errc::malformed);
  CHECK(refused(R"({"components":{"grub":"3"}})") == Errc::malformed);
  CHECK(refused(R"({"components":{"grub":true}})") == Errc::malformed);
  CHECK(refused(R"({"components":{"sbat":1}})") == Errc::malformed);
  CHECK(refused(R"({"components":{"gr ub":1}})") == Errc::malformed);
  CHECK(refused(R"({"date":"2023012900","level":1})") == Errc::malformed);

  Policy unbound = p;
  unbound.pcrs.required = {{HashAlg::sha256, {0, 2, 4}}};
  unbound.secure_boot_required = false;
  CHECK(check_policy_bindings(unbound).code() == Errc::malformed);
  CHECK(check_policy_bindings(unbound).error().detail.find("boot.min_sbat") != std::string::npos);
}

TEST_CASE("policy check: boot.min_sbat") {
  const std::int64_t now = 1800000000;  // 2027-01-15
  CHECK(check_policy_document(doc(R"({"date":"2023012900","components":{"shim":2}})"), now, "s").empty());
  auto fs = check_policy_document(doc(R"({"date":"2023-01-29"})"), now, "s");
  CHECK(has(fs, "min_sbat_malformed", "$.boot.min_sbat.date"));
  CHECK(has_errors(fs));
  CHECK_FALSE(has(fs, "invalid_value"));  // named once, by its own finding
  fs = check_policy_document(doc(R"({"components":{"grub":0}})"), now, "s");
  CHECK(has(fs, "min_sbat_malformed", "$.boot.min_sbat.components.grub"));
  fs = check_policy_document(doc("{}"), now, "s");
  CHECK(has(fs, "min_sbat_empty", "$.boot.min_sbat"));
  CHECK_FALSE(has_errors(fs));
  CHECK(has(check_policy_document(doc(R"({"date":"","components":{}})"), now, "s"), "min_sbat_empty"));
  CHECK(has(check_policy_document(doc(R"({"date":"2031010100"})"), now, "s"), "min_sbat_future", "$.boot.min_sbat.date"));
  CHECK(has(check_policy_document(doc(R"({"dat":"2023012900"})"), now, "s"), "unknown_field", "$.boot.min_sbat.dat"));
  // Without PCR 7 the rule cannot be bound: an error, as policy set refuses it.
  fs = check_policy_document(
      R"({"name":"s","pcrs":{"required":{"sha256":[0,2,4]}},"secure_boot_required":false,"boot":{"min_sbat":{"date":"2023012900"}}})",
      now, "s");
  CHECK(has(fs, "rule_needs_pcr", "$.boot.min_sbat"));
  // sbat_outdated may be graced (a shim update rolling out); sbat_unknown may not.
  fs = check_policy_document(
      R"({"name":"s","boot":{"min_sbat":{"date":"2023012900"}},"enforcement":{"grace":{"sbat_outdated":"14d"}}})", now,
      "s");
  CHECK_FALSE(has_errors(fs));
  CHECK(has_errors(check_policy_document(
      R"({"name":"s","boot":{"min_sbat":{"date":"2023012900"}},"enforcement":{"grace":{"sbat_unknown":"14d"}}})", now,
      "s")));
  CHECK(has(check_policy_document(R"({"name":"s","enforcement":{"grace":{"sbat_outdated":"14d"}}})", now, "s"),
            "grace_no_effect"));
}
