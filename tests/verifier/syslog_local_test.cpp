// Events in the local /dev/log form (syslog_local.h): the BSD header
// journald and rsyslog's imuxsock parse, the event's JSON line as the
// message, the size limit keeping the line one JSON object.
#include "events/syslog_local.h"

#include <doctest/doctest.h>

#include <string>

#include "paw/attest/json.h"

using namespace paw;
using namespace paw::verifier;

namespace {

EventRecord sample(const std::string& detail) {
  EventRecord e;
  e.id = 7;
  e.time = 1700000000;  // 2023-11-14T22:13:20Z
  e.type = "attestation";
  e.device_id = "dev1";
  e.detail = detail;
  return e;
}

}  // namespace

TEST_CASE("syslog local: <PRI>Mmm dd hh:mm:ss TAG[PID]: and the event's JSON line") {
  const auto e = sample(R"({"verdict":"healthy","policy":"default"})");
  const std::string m = format_syslog_local(e, false, SyslogFacility::authpriv, "4242", 0, 2048);
  CHECK(m == "<86>Nov 14 22:13:20 paw-verifier[4242]: " + event_json_line(e));  // authpriv 10 * 8 + info
  // An alert is a warning; the clock's offset moves the local time (UTC+1: 23:13).
  CHECK(format_syslog_local(e, true, SyslogFacility::local7, "1", 3600, 2048)
            .rfind("<188>Nov 14 23:13:20 paw-verifier[1]: {", 0) == 0);
  // A day below 10 is padded with a space (RFC 3164), not a zero.
  auto early = e;
  early.time = 1700000000 - 13 * 86400;  // Nov 1
  CHECK(format_syslog_local(early, false, SyslogFacility::user, "1", 0, 2048)
            .rfind("<14>Nov  1 22:13:20 ", 0) == 0);
  // A PROCID that is not a pid cannot break the header.
  CHECK(format_syslog_local(e, false, SyslogFacility::user, "1]: x", 0, 2048).find("paw-verifier[-]: {") !=
        std::string::npos);
}

TEST_CASE("syslog local: a message over the limit drops its detail and stays one JSON object") {
  const std::string big(3000, 'x');
  const auto e = sample(R"({"verdict":"unhealthy","note":")" + big + R"("})");
  const std::string m = format_syslog_local(e, false, SyslogFacility::authpriv, "4242", 0, 1024);
  CHECK(m.size() <= 1024);
  const auto at = m.find("]: ");
  REQUIRE(at != std::string::npos);
  auto line = json::parse_object(m.substr(at + 3), 1 << 20);
  REQUIRE(line.ok());
  CHECK((*line)->getValue<std::int64_t>("event_id") == 7);
  CHECK((*line)->getValue<std::string>("device_id") == "dev1");
  CHECK((*line)->getValue<bool>("truncated"));
  CHECK((*line)->getObject("detail")->size() == 0);
  // Below the RFC 5424 minimum the limit is the minimum (480).
  CHECK(format_syslog_local(e, false, SyslogFacility::authpriv, "1", 0, 10).size() <= kSyslogMinMax);
  // Control characters in any field never make a second line.
  auto nasty = sample("{\"a\":\"x\\ny\"}");
  nasty.device_id = "d\nx";
  CHECK(format_syslog_local(nasty, false, SyslogFacility::user, "1", 0, 2048).find('\n') ==
        std::string::npos);
}
