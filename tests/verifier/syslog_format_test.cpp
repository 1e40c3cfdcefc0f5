// Events as RFC 5424 messages and JSON lines (syslog_format.h): PRI,
// timestamp, field order, SD-PARAM escaping (§6.3.3), UTF-8, size limit.
#include "events/syslog_format.h"

#include <doctest/doctest.h>

#include <string>

#include "paw/attest/json.h"

using namespace paw;
using namespace paw::verifier;

namespace {

bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

EventRecord sample(const std::string& detail) {
  EventRecord e;
  e.id = 7;
  e.time = 1700000000;  // 2023-11-14T22:13:20Z
  e.type = "enrollment";
  e.device_id = "dev1";
  e.detail = detail;
  return e;
}

}  // namespace

TEST_CASE("syslog: an alert event renders as the exact RFC 5424 message") {
  const auto m = event_syslog_message(sample(R"({"label":"ws-1","count":3})"), true, SyslogFacility::authpriv,
                                      "host-a", "42");
  const std::string out = format_rfc5424(m, kSyslogDefaultMax);
  // authpriv (10) * 8 + warning (4) = 84: enrollment is an alert type.
  const std::string want =
      "<84>1 2023-11-14T22:13:20.000Z host-a paw-verifier 42 enrollment "
      "[paw@32473 event_id=\"7\" type=\"enrollment\" device_id=\"dev1\" time=\"2023-11-14T22:13:20.000Z\" "
      "count=\"3\" label=\"ws-1\"] \xEF\xBB\xBF"
      "{\"event_id\":7,\"type\":\"enrollment\",\"device_id\":\"dev1\",\"time\":1700000000,"
      "\"time_rfc3339\":\"2023-11-14T22:13:20.000Z\",\"detail\":{\"count\":3,\"label\":\"ws-1\"}}";
  CHECK(out == want);
}

TEST_CASE("syslog: PRI is facility * 8 + severity, info for a non-alert event") {
  auto e = sample("{}");
  e.type = "attestation";
  CHECK(format_rfc5424(event_syslog_message(e, false, SyslogFacility::authpriv, "h", "1"), 2048)
            .rfind("<86>1 ", 0) == 0);
  CHECK(format_rfc5424(event_syslog_message(e, false, SyslogFacility::local7, "h", "1"), 2048)
            .rfind("<190>1 ", 0) == 0);
  e.type = "revocation";
  CHECK(format_rfc5424(event_syslog_message(e, true, SyslogFacility::daemon, "h", "1"), 2048)
            .rfind("<28>1 ", 0) == 0);
  SyslogFacility f{};
  CHECK(syslog_facility_from_name("local3", f));
  CHECK(f == SyslogFacility::local3);
  CHECK_FALSE(syslog_facility_from_name("mail", f));
}

TEST_CASE("syslog: SD-PARAM values escape the quote, the backslash and the closing bracket, nothing else") {
  CHECK(sd_param_escape(R"(a"b\c]d[e=f)") == R"(a\"b\\c\]d[e=f)");
  CHECK(sd_param_escape("") == "");
  // A line break never reaches a line-based receiver.
  CHECK(sd_param_escape("a\nb\x7f") == "a\\\\u000ab\\\\u007f");
}

TEST_CASE("syslog: UTF-8 is kept, invalid bytes become U+FFFD") {
  CHECK(sd_param_escape("h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
        "h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(sd_param_escape("\xFF") == "\xEF\xBF\xBD");
  CHECK(sd_param_escape("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  CHECK(sd_param_escape("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  CHECK(sd_param_escape("\xE2\x82") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // cut short
}

TEST_CASE("syslog: header fields and SD-NAMEs are made legal") {
  SyslogMessage m;
  m.unix_ms = 0;
  m.hostname = "";
  m.msgid = "a b\xC3\xA9";
  m.params = {{"ok", "1"},   {"bad name", "2"},           {"x=y", "3"}, {"a]", "4"},
              {"ok", "dup"}, {std::string(33, 'n'), "5"}, {"last", "6"}};
  const std::string out = format_rfc5424(m, 2048);
  CHECK(out == "<86>1 1970-01-01T00:00:00.000Z - paw-verifier - a_b__ [paw@32473 ok=\"1\" last=\"6\"]");
  SyslogMessage empty;
  CHECK(format_rfc5424(empty, 2048) == "<86>1 1970-01-01T00:00:00.000Z - paw-verifier - - -");
  CHECK(is_sd_name("event_id"));
  CHECK_FALSE(is_sd_name(""));
  CHECK_FALSE(is_sd_name("a\"b"));
}

TEST_CASE("syslog: a long message is cut to the limit, MSG first, then the detail's params") {
  // The MSG goes first (cut at a character boundary: é is two bytes).
  std::string big;
  for (int i = 0; i < 600; ++i) big += "\xC3\xA9";
  auto e = sample("{\"note\":\"" + big + "\"}");
  auto m = event_syslog_message(e, true, SyslogFacility::authpriv, "h", "1");
  for (std::size_t max : {2048u, 1500u, 1000u, 700u, 480u, 100u}) {
    const std::string out = format_rfc5424(m, max);
    CAPTURE(max);
    CHECK(out.size() <= std::max<std::size_t>(max, kSyslogMinMax));
    CHECK(valid_utf8(out));
    CHECK(out.find("truncated=\"true\"") != std::string::npos);
    CHECK(out.find("event_id=\"7\"") != std::string::npos);  // the event's own fields are always kept
    CHECK(out.find("device_id=\"dev1\"") != std::string::npos);
  }
  // 1500 bytes: the note param (1200 bytes) stays, the MSG is cut.
  const std::string mid = format_rfc5424(m, 1500);
  CHECK(mid.find("note=\"") != std::string::npos);
  CHECK(mid.find("\xEF\xBB\xBF{\"event_id\"") != std::string::npos);
  CHECK(mid.size() >= 1490);
  // 700 bytes: no room for the note: dropped, no MSG.
  const std::string small = format_rfc5424(m, 700);
  CHECK(small.find("note=") == std::string::npos);
  CHECK(small.find("\xEF\xBB\xBF") == std::string::npos);
  CHECK(small.back() == ']');
  // Fits: nothing cut, no marker.
  const std::string whole =
      format_rfc5424(event_syslog_message(sample("{}"), true, SyslogFacility::authpriv, "h", "1"), 2048);
  CHECK(whole.find("truncated") == std::string::npos);
}

TEST_CASE("syslog: absurd fixed fields are cut too, never past the limit") {
  auto e = sample("{}");
  e.type = std::string(3000, ']');
  e.device_id = std::string(3000, '"');
  const std::string out = format_rfc5424(
      event_syslog_message(e, true, SyslogFacility::authpriv, std::string(300, 'h'), "1"), 480);
  CHECK(out.size() <= 480);
  CHECK(valid_utf8(out));
  CHECK(out.find(" paw-verifier ") != std::string::npos);
}

TEST_CASE("events file: one JSON line with the event's fields and an RFC 3339 time") {
  const std::string line = event_json_line(sample(R"({"label":"a\nb"})"));
  CHECK(line.find('\n') == std::string::npos);
  auto o = json::parse_object(line, 1 << 20);
  REQUIRE(o.ok());
  CHECK((*o)->getValue<std::int64_t>("event_id") == 7);
  CHECK((*o)->getValue<std::string>("type") == "enrollment");
  CHECK((*o)->getValue<std::int64_t>("time") == 1700000000);
  CHECK((*o)->getValue<std::string>("time_rfc3339") == "2023-11-14T22:13:20.000Z");
  CHECK((*o)->getObject("detail")->getValue<std::string>("label") == "a\nb");
  // Invalid UTF-8 inside a detail (never written by paw) still gives a line that parses.
  auto odd = json::parse_object(event_json_line(sample("{\"a\":\"\xC3\xA9\xFF\xED\xA0\x80\"}")), 1 << 20);
  REQUIRE(odd.ok());
  CHECK((*odd)->get("detail").toString().find("\xC3\xA9") != std::string::npos);
  // A detail that is not JSON (never written by paw) is kept as a string.
  auto bad = json::parse_object(event_json_line(sample("not json")), 1 << 20);
  REQUIRE(bad.ok());
  CHECK((*bad)->getValue<std::string>("detail") == "not json");
}
