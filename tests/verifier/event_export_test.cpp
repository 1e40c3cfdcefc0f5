// Event export through the in-process verifier (event_export.h): a local
// datagram socket (events-syslog unix:PATH, as /dev/log) receives an RFC 5424
// message per event, and a collector that is not there yet holds up no
// request: the event waits and arrives once the socket exists.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "paw/attest/json.h"
#include "verifier_fixture.h"

using namespace paw;
using paw::test::TempDir;
using paw::test::TestVerifier;

namespace {

// DgramListener binds a unix datagram socket at |path|.
struct DgramListener {
  int fd = -1;
  explicit DgramListener(const std::string& path) {
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof a.sun_path);
    std::memcpy(a.sun_path, path.data(), path.size());
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
  }
  ~DgramListener() { ::close(fd); }
  // next returns the next RFC 5424 datagram from this process that holds |needle|, "" after |ms| without one.
  std::string next(const std::string& needle, int ms) const {
    return next_with(" paw-verifier " + std::to_string(::getpid()) + " ", needle, ms);
  }
  // next_local: the same for a message in the local form (syslog_local.h).
  std::string next_local(const std::string& needle, int ms) const {
    return next_with(" paw-verifier[" + std::to_string(::getpid()) + "]: ", needle, ms);
  }
  std::string next_with(const std::string& from, const std::string& needle, int ms) const {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) != 1) continue;
      char buf[65536];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) continue;
      std::string m(buf, static_cast<std::size_t>(n));
      if (m.find(from) != std::string::npos &&
          m.find(needle) != std::string::npos) {
        return m;
      }
    }
    return {};
  }
};

}  // namespace

TEST_CASE("event export: unix datagram syslog gets each event, and a missing collector blocks nothing") {
  TempDir dir;
  const std::string sock = (dir / "log.sock").string();
  TestVerifier v([&](verifier::Config& c) {
    c.events_syslog = "unix:" + sock;
    c.events_syslog_facility = "local1";
    c.events_syslog_format = "rfc5424";  // asked for; a unix: destination's default is the local form
  });
  auto c = v.client();
  // No collector yet: the admin call answers at once; its audit event waits.
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(c.get("/v1/admin/devices", v.admin()).status == 200);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  // The collector appears only after the export tried the missing socket and
  // failed (its failure counter moved): what was slept for before.
  const bool failed_once = test::wait_until([&] {
    const std::string metrics = c.get("/metrics").body;
    const std::string key = "paw_events_export_failures_total{sink=\"syslog\"} ";
    const auto at = metrics.find(key);
    return at != std::string::npos && metrics.compare(at + key.size(), 2, "0\n") != 0;
  });
  REQUIRE_MESSAGE(failed_once, "the export never tried the missing socket");
  DgramListener l(sock);
  // The held-back event arrives on the retry (1 s, then 2 s back-off).
  const std::string first = l.next("route=\"GET /v1/admin/devices\"", 8000);
  REQUIRE_MESSAGE(!first.empty(), "no message for the event recorded while the socket was missing");
  CHECK(first.rfind("<142>1 ", 0) == 0);                                    // local1 (17) * 8 + info (6)
  CHECK(first.find(" admin [paw@32473 event_id=\"") != std::string::npos);  // MSGID: the event type
  // With the collector there, the next event follows promptly.
  REQUIRE(c.post("/v1/admin/tokens", R"({"ttl_seconds":600,"label":"x]\"y"})", v.admin()).status == 201);
  const auto t1 = std::chrono::steady_clock::now();
  const std::string next = l.next("route=\"POST /v1/admin/tokens\"", 5000);
  REQUIRE(!next.empty());
  CHECK(std::chrono::steady_clock::now() - t1 < std::chrono::seconds(3));
  const std::string m = c.get("/metrics").body;
  CHECK(m.find("paw_events_exported_total{sink=\"syslog\"}") != std::string::npos);
  CHECK(m.find("paw_events_export_failures_total{sink=\"syslog\"} 0") ==
        std::string::npos);  // it failed first
}

TEST_CASE("event export: a unix: destination gets the local /dev/log form by default") {
  TempDir dir;
  const std::string sock = (dir / "dev-log").string();
  DgramListener l(sock);
  TestVerifier v([&](verifier::Config& c) {
    c.events_syslog = "unix:" + sock;
    c.events_syslog_facility = "local2";
  });
  auto c = v.client();
  REQUIRE(c.post("/v1/admin/tokens", R"({"ttl_seconds":600,"label":"journal"})", v.admin()).status == 201);
  const std::string m = l.next_local("\"route\":\"POST /v1/admin/tokens\"", 5000);
  REQUIRE_MESSAGE(!m.empty(), "no local-form message for the event");
  // <PRI>Mmm dd hh:mm:ss paw-verifier[PID]: {JSON line}: what journald and imuxsock parse.
  const std::string head = " paw-verifier[" + std::to_string(::getpid()) + "]: {";
  CHECK(m.rfind("<150>", 0) == 0);  // local2 (18) * 8 + info (6)
  const auto at = m.find(head);
  REQUIRE(at == 20);                // "<150>" + "Mmm dd hh:mm:ss" (15)
  CHECK(m[8] == ' ');
  CHECK(m[11] == ' ');
  CHECK(m[14] == ':');
  auto line = json::parse_object(m.substr(at + head.size() - 1), 1 << 20);
  REQUIRE(line.ok());
  CHECK((*line)->getValue<std::string>("type") == "admin");
  CHECK((*line)->getObject("detail")->getValue<std::string>("route") == "POST /v1/admin/tokens");
}

TEST_CASE("event export: an events-file that cannot be opened stops the start") {
  TempDir dir;
  verifier::Config cfg;
  auto st = test::init_verifier_state();
  cfg.state_dir = st->state();
  cfg.listen = "127.0.0.1:0";
  cfg.issuer = cfg.audience = "paw-verifier";
  cfg.events_file = (dir / "no-such-dir/events.jsonl").string();
  auto svc = verifier::Service::create(cfg);
  REQUIRE_FALSE(svc.ok());
  CHECK(svc.error().code == Errc::config_error);
  CHECK(svc.error().detail.find("events-file") != std::string::npos);
}
