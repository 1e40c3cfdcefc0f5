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
  // next returns the next datagram from this process that holds |needle|, "" after |ms| without one.
  std::string next(const std::string& needle, int ms) const {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) != 1) continue;
      char buf[65536];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) continue;
      std::string m(buf, static_cast<std::size_t>(n));
      if (m.find(" paw-verifier " + std::to_string(::getpid()) + " ") != std::string::npos &&
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
  });
  auto c = v.client();
  // No collector yet: the admin call answers at once; its audit event waits.
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(c.get("/v1/admin/devices", v.admin()).status == 200);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
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
