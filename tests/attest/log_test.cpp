// log_test.cpp — paw's one log format (paw/attest/log.h): the text and JSON
// lines every long-running program writes, their time stamps and options.
#include <doctest/doctest.h>

#include <Poco/JSON/Object.h>

#include "paw/attest/json.h"
#include "paw/attest/log.h"

namespace {
using namespace paw;
constexpr std::int64_t kT = 1796619601123;  // 2026-12-07T05:00:01.123Z
}  // namespace

TEST_CASE("log: time stamps are RFC 3339 UTC with milliseconds") {
  CHECK(log::rfc3339_utc(kT) == "2026-12-07T05:00:01.123Z");
  CHECK(log::rfc3339_utc(0) == "1970-01-01T00:00:00.000Z");
  CHECK(log::rfc3339_utc(951782400000) == "2000-02-29T00:00:00.000Z");
}

TEST_CASE("log: a text line is time, level, program, message, then key=value (quoted when needed)") {
  const std::string line = log::format_line(log::Format::text, true, kT, log::Level::warning, "paw-verifier",
                                            "request refused", {{"status", "429"}, {"detail", "rate limit \"x\"=1"}});
  CHECK(line ==
        "2026-12-07T05:00:01.123Z warning paw-verifier: request refused status=429 detail=\"rate limit \\\"x\\\"=1\"");
  // Without time (journal, syslog), and a message with a newline stays one line.
  CHECK(log::format_line(log::Format::text, false, kT, log::Level::info, "paw-agent", "a\nb", {{"empty", ""}}) ==
        "info paw-agent: a b empty=\"\"");
  // A field value cannot forge another line or field.
  const std::string forged = log::format_line(log::Format::text, false, kT, log::Level::info, "p", "m",
                                              {{"user", "x\ninfo p: admitted user=root"}});
  CHECK(forged.find('\n') == std::string::npos);
  CHECK(forged == "info p: m user=\"x\\ninfo p: admitted user=root\"");
}

TEST_CASE("log: a JSON line parses back to the same fields") {
  const std::string line = log::format_line(log::Format::json, true, kT, log::Level::error, "paw-verifier",
                                            "storage error", {{"detail", "disk \"full\"\n\x01"}, {"status", "503"}});
  CHECK(line.find('\n') == std::string::npos);
  auto o = json::parse_object(line, 4096);
  REQUIRE(o.ok());
  CHECK((*o)->getValue<std::string>("ts") == "2026-12-07T05:00:01.123Z");
  CHECK((*o)->getValue<std::string>("level") == "error");
  CHECK((*o)->getValue<std::string>("program") == "paw-verifier");
  CHECK((*o)->getValue<std::string>("msg") == "storage error");
  CHECK((*o)->getValue<std::string>("detail") == "disk \"full\"\n\x01");
  CHECK((*o)->getValue<std::string>("status") == "503");
}

TEST_CASE("log: values keep their text - a slash, UTF-8 - and bytes that are not UTF-8 become U+FFFD") {
  CHECK(log::format_line(log::Format::text, false, kT, log::Level::info, "p", "m",
                         {{"route", "GET /v1/authz"}, {"owner", "jos\xc3\xa9"}, {"bad", "a\xff\xc3(b"}}) ==
        "info p: m route=\"GET /v1/authz\" owner=\"jos\xc3\xa9\" bad=\"a\\ufffd\\ufffd(b\"");
  const std::string line = log::format_line(log::Format::json, false, kT, log::Level::info, "p", "m",
                                            {{"bad", "\xed\xa0\x80\xf4\x90\x80\x80\xc0\xaf"}});
  CHECK(line == "{\"level\":\"info\",\"program\":\"p\",\"msg\":\"m\",\"bad\":\""
                "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"}");
}

TEST_CASE("log: option values are checked, and the level filters") {
  CHECK(log::parse_level("debug").value() == log::Level::debug);
  CHECK(log::parse_level("warning").value() == log::Level::warning);
  CHECK(log::parse_level("loud").error().code == Errc::config_error);
  CHECK(log::parse_format("json").value() == log::Format::json);
  CHECK(log::parse_format("xml").error().code == Errc::config_error);
  CHECK(log::parse_target("syslog").value() == log::Target::syslog);
  CHECK(log::parse_target("file").error().code == Errc::config_error);
  const log::Settings before = log::current();
  log::Settings s = before;
  s.level = log::Level::warning;
  log::configure(s);
  CHECK_FALSE(log::enabled(log::Level::info));
  CHECK(log::enabled(log::Level::warning));
  CHECK(log::enabled(log::Level::error));
  log::configure(before);
}
