// reasons_test.cpp — the one reason-list codec (reasons.h): what every
// writer emits, every reader takes back unchanged; anything else is refused.
#include <doctest/doctest.h>

#include "paw/attest/reasons.h"

namespace paw {

TEST_CASE("reasons: encoded and decoded unchanged, grace_until only when graced") {
  const std::vector<ResultReason> in = {{"pcr_mismatch", "PCR 7 differs", 1'900'000'000}, {"fido_missing", "no key", 0}};
  const std::string text = json::stringify(reasons_to_json(in));
  CHECK(text.find("grace_until") == text.rfind("grace_until"));  // once: the ungraced reason has none
  auto back = reasons_from_text(text, "reasons");
  REQUIRE_MESSAGE(back.ok(), back.error().what());
  CHECK(*back == in);
  CHECK(reasons_from_text("[]", "reasons")->empty());
}

TEST_CASE("reasons: the decoder is strict") {
  for (const char* bad : {R"({"code":"x","message":"y"})", R"(["x"])", R"([{"code":"x"}])", R"([{"code":1,"message":"y"}])",
                          R"([{"code":"x","message":"y","grace_until":"soon"}])",
                          R"([{"code":"x","message":"y","extra":true}])", "[", ""}) {
    CAPTURE(bad);
    CHECK(reasons_from_text(bad, "reasons").code() == Errc::malformed);
  }
  std::string many = "[";
  for (std::size_t i = 0; i <= kMaxReasons; ++i) many += std::string(i ? "," : "") + R"({"code":"c","message":"m"})";
  many += "]";
  CHECK(reasons_from_text(many, "reasons").code() == Errc::malformed);
}

TEST_CASE("json: parse_array takes one array and nothing else") {
  auto a = json::parse_array(R"([1,"two",{"three":3}])", 1024);
  REQUIRE(a.ok());
  CHECK((*a)->size() == 3);
  CHECK(json::parse_array(R"({"a":1})", 1024).code() == Errc::malformed);
  CHECK(json::parse_array("[1,2", 1024).code() == Errc::malformed);
  CHECK(json::parse_array("[1,2,3]", 3).code() == Errc::too_large);
}

}  // namespace paw
