// The connection edge against real sockets: floods of idle, silent and
// byte-per-second connections, connection caps at accept, a thousand idle
// keep-alive TLS connections, a port already in use (two real processes),
// and the rate limiter's bounded memory.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "edge/rate_limit.h"
#include "verifier_fixture.h"

namespace paw::test {
namespace {

using Clock = std::chrono::steady_clock;

// connect_from opens a blocking TCP connection from |source| (any 127.0.0.0/8
// address works on loopback) to 127.0.0.1:|port|; -1 if it fails.
int connect_from(const char* source, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &src.sin_addr);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// closed_by_peer: the server ended the connection (EOF or reset), waiting up to |ms|.
bool closed_by_peer(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) return false;
  char b[256];
  const ssize_t n = ::recv(fd, b, sizeof b, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// TlsConn is a raw OpenSSL client connection (no certificate check: load only).
struct TlsConn {
  int fd = -1;
  SSL* ssl = nullptr;
  ~TlsConn() {
    if (ssl != nullptr) SSL_free(ssl);
    if (fd >= 0) ::close(fd);
  }
  bool open(SSL_CTX* ctx, const char* source, std::uint16_t port) {
    fd = connect_from(source, port);
    if (fd < 0) return false;
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    return SSL_connect(ssl) == 1;
  }
  // get sends one keep-alive GET and returns the status line.
  std::string get(const std::string& path) {
    const std::string r = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    if (SSL_write(ssl, r.data(), static_cast<int>(r.size())) != static_cast<int>(r.size())) return {};
    std::string in;
    char b[4096];
    // Bodies of the paths used here are small: read until the header and
    // the announced Content-Length are in.
    for (;;) {
      const auto end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        const auto cl = in.find("Content-Length: ");
        const std::size_t len = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
        if (in.size() >= end + 4 + len) break;
      }
      const int n = SSL_read(ssl, b, sizeof b);
      if (n <= 0) return {};
      in.append(b, static_cast<std::size_t>(n));
    }
    return in.substr(0, in.find("\r\n"));
  }
};

SSL_CTX* client_ctx() {
  static SSL_CTX* ctx = [] {
    SSL_CTX* c = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
    return c;
  }();
  return ctx;
}

// timed runs |f| and returns how long it took.
template <typename F>
std::chrono::milliseconds timed(F&& f) {
  const auto t0 = Clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
}

}  // namespace

TEST_CASE("edge: hundreds of silent and byte-per-second connections from one address do not delay a real request") {
  // The cap per address is lifted so every flood connection is held open:
  // this is about the workers, not the cap.
  TestVerifier v([](verifier::Config& c) { c.max_connections_per_address = 1000; });
  const std::uint16_t port = v.service().port();
  std::vector<int> silent, dribble;
  std::vector<std::unique_ptr<TlsConn>> handshaken;
  for (int i = 0; i < 150; ++i) silent.push_back(connect_from("127.0.0.2", port));
  for (int i = 0; i < 150; ++i) dribble.push_back(connect_from("127.0.0.2", port));
  for (int i = 0; i < 100; ++i) {
    // TLS done, then no request at all.
    handshaken.push_back(std::make_unique<TlsConn>());
    REQUIRE(handshaken.back()->open(client_ctx(), "127.0.0.2", port));
  }
  for (int fd : silent) REQUIRE(fd >= 0);
  for (int fd : dribble) REQUIRE(fd >= 0);
  const auto flood_start = Clock::now();
  std::atomic<bool> stop{false};
  // One byte per second on each: a TLS record header, then junk, forever.
  std::thread sender([&] {
    const char bytes[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00\x00\x00\x00";
    for (std::size_t k = 0; !stop.load(); ++k) {
      for (int fd : dribble) (void)::send(fd, bytes + (k % (sizeof bytes - 1)), 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      for (int i = 0; i < 10 && !stop.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // every worker would be stuck by now on the old edge

  auto c = v.client();
  for (int i = 0; i < 5; ++i) {
    int status = 0;
    auto dt = timed([&] { status = c.get("/healthz").status; });
    CHECK(status == 200);
    CHECK_MESSAGE(dt < std::chrono::milliseconds(2000), "GET /healthz took " << dt.count() << " ms");
    dt = timed([&] { status = c.post("/v1/challenges", R"({"device_id":"nobody"})").status; });
    CHECK(status == 404);
    CHECK_MESSAGE(dt < std::chrono::milliseconds(2000), "POST /v1/challenges took " << dt.count() << " ms");
  }

  // The deadline covers handshake + first request as a whole: the dribblers,
  // which send a byte every second and so never hit a per-read timeout, are
  // cut off too (10 s after accept), as are the silent ones.
  std::this_thread::sleep_until(flood_start + std::chrono::milliseconds(10500));
  int cut = 0, silent_cut = 0;
  for (int fd : dribble) cut += closed_by_peer(fd, 2000) ? 1 : 0;
  for (int fd : silent) silent_cut += closed_by_peer(fd, 2000) ? 1 : 0;
  stop.store(true);
  sender.join();
  CHECK(cut == 150);
  CHECK(silent_cut == 150);
  for (int fd : silent) ::close(fd);
  for (int fd : dribble) ::close(fd);
  CHECK(c.get("/healthz").status == 200);
}

TEST_CASE("edge: the per-address connection cap closes the excess at accept, other clients are served") {
  TestVerifier v([](verifier::Config& c) { c.max_connections_per_address = 8; });
  const std::uint16_t port = v.service().port();
  std::vector<int> held;
  for (int i = 0; i < 40; ++i) held.push_back(connect_from("127.0.0.2", port));
  int refused = 0;
  for (int fd : held) refused += closed_by_peer(fd, 300) ? 1 : 0;
  CHECK(refused == 32);  // 8 held, 32 closed at once
  // Another address is not affected.
  auto dt = timed([&] { CHECK(v.client().get("/healthz").status == 200); });
  CHECK(dt < std::chrono::milliseconds(2000));
  // A slot freed is a slot for the same address again.
  // The edge frees the slots when it sees the closes: retry until it has
  // (a bounded wait for that, not for time to pass).
  for (int fd : held) ::close(fd);
  CHECK(wait_until([&] {
    TlsConn t;
    return t.open(client_ctx(), "127.0.0.2", port) && t.get("/healthz") == "HTTP/1.1 200 OK";
  }));
}

TEST_CASE("edge: a thousand idle keep-alive TLS connections cost no worker - new and old connections are served") {
  // 127.0.0.1 is a trusted proxy here (as nginx would be): exempt from the
  // per-address cap, so all thousand stay open on the 16 default workers.
  TestVerifier v([](verifier::Config& c) { c.trusted_proxies = {"127.0.0.1"}; });
  const std::uint16_t port = v.service().port();
  std::vector<std::unique_ptr<TlsConn>> idle;
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(std::make_unique<TlsConn>());
    REQUIRE(idle.back()->open(client_ctx(), "127.0.0.1", port));
    REQUIRE(idle.back()->get("/healthz") == "HTTP/1.1 200 OK");
  }
  auto c = v.client();
  for (int i = 0; i < 5; ++i) {
    int status = 0;
    const auto dt = timed([&] { status = c.get("/v1/info").status; });
    CHECK(status == 200);
    CHECK_MESSAGE(dt < std::chrono::milliseconds(2000), "GET /v1/info took " << dt.count() << " ms");
  }
  // Every idle connection is still open and answers its next request.
  int served = 0;
  for (std::size_t i = 0; i < idle.size(); i += 50) served += idle[i]->get("/v1/info") == "HTTP/1.1 200 OK" ? 1 : 0;
  CHECK(served == 20);
}

TEST_CASE("edge: pipelined requests - in one TLS record or in records sent back to back - are all answered") {
  // The server reads TLS records ahead, so a request may already be in its
  // TLS buffer when it would wait for the socket: it must answer it, not
  // wait for bytes that never come (each read here fails after 5 s).
  TestVerifier v;
  const std::uint16_t port = v.service().port();
  auto count_answers = [](TlsConn& c, int want) {
    timeval tv{5, 0};
    ::setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string in;
    char b[4096];
    auto answers = [&] {
      int n = 0;
      for (std::size_t at = in.find("HTTP/1.1 200 OK"); at != std::string::npos; at = in.find("HTTP/1.1 200 OK", at + 1)) ++n;
      return n;
    };
    while (answers() < want) {
      const int n = SSL_read(c.ssl, b, sizeof b);
      if (n <= 0) break;
      in.append(b, static_cast<std::size_t>(n));
    }
    return answers();
  };
  const std::string one = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
  {
    TlsConn c;
    REQUIRE(c.open(client_ctx(), "127.0.0.1", port));
    const std::string three = one + one + one;
    REQUIRE(SSL_write(c.ssl, three.data(), static_cast<int>(three.size())) == static_cast<int>(three.size()));
    CHECK(count_answers(c, 3) == 3);
  }
  {
    TlsConn c;
    REQUIRE(c.open(client_ctx(), "127.0.0.1", port));
    const int on = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);  // the records leave in one segment
    for (int i = 0; i < 4; ++i) REQUIRE(SSL_write(c.ssl, one.data(), static_cast<int>(one.size())) == static_cast<int>(one.size()));
    const int off = 0;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
    CHECK(count_answers(c, 4) == 4);
  }
  {
    // A long pipeline: the reactor answers a few, a worker the rest (so one
    // client cannot hold the reactor); none is lost at the hand-off.
    TlsConn c;
    REQUIRE(c.open(client_ctx(), "127.0.0.1", port));
    std::string many;
    for (int i = 0; i < 40; ++i) many += one;
    REQUIRE(SSL_write(c.ssl, many.data(), static_cast<int>(many.size())) == static_cast<int>(many.size()));
    CHECK(count_answers(c, 40) == 40);
  }
}

TEST_CASE("edge: an oversized header is 431, a malformed request line 400, a chunked body 411 - each answer arrives") {
  TestVerifier v;
  // raw sends |request| on a new TLS connection and returns the status line.
  auto raw = [&](const std::string& request) {
    TlsConn t;
    REQUIRE(t.open(client_ctx(), "127.0.0.1", v.service().port()));
    if (SSL_write(t.ssl, request.data(), static_cast<int>(request.size())) <= 0) return std::string("write failed");
    std::string in;
    char b[4096];
    int n = 0;
    while (in.find("\r\n") == std::string::npos && (n = SSL_read(t.ssl, b, sizeof b)) > 0) {
      in.append(b, static_cast<std::size_t>(n));
    }
    return in.substr(0, in.find("\r\n"));
  };
  CHECK(raw("GET /healthz HTTP/1.1\r\nX-Big: " + std::string(40000, 'a') + "\r\n\r\n") ==
        "HTTP/1.1 431 Request Header Fields Too Large");
  CHECK(raw(std::string(40, 'A') + " /healthz HTTP/1.1\r\n\r\n") == "HTTP/1.1 400 Bad Request");  // method too long
  CHECK(raw("POST /v1/challenges HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n") ==
        "HTTP/1.1 411 Length Required");
  // A body over the route's limit is refused by its length, never read.
  CHECK(raw("POST /v1/challenges HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n" + std::string(20000, 'x')) ==
        "HTTP/1.1 413 Request Entity Too Large");
  // Pipelined keep-alive requests are answered in order.
  TlsConn t;
  REQUIRE(t.open(client_ctx(), "127.0.0.1", v.service().port()));
  const std::string two =
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  REQUIRE(SSL_write(t.ssl, two.data(), static_cast<int>(two.size())) == static_cast<int>(two.size()));
  std::string all;
  char b[4096];
  int n = 0;
  while ((n = SSL_read(t.ssl, b, sizeof b)) > 0) all.append(b, static_cast<std::size_t>(n));
  const auto first = all.find("HTTP/1.1 200 OK");
  const auto second = all.find("HTTP/1.1 404 Not Found");
  CHECK(first == 0);
  CHECK((second != std::string::npos && second > first));
}

TEST_CASE("edge: the reactor answers the read-only login path itself, a pipeline that mixes in other requests stays in order") {
  TestVerifier v;
  verifier::Service& svc = v.service();
  // What runs on the reactor (SQLite: reads never wait): GETs of the login
  // path only. A DPoP proof spends its jti (a write), bodies and everything
  // else go to a worker; so does a token never verified before (its
  // signature check: login_cache_test covers TokenCache::holds).
  auto req = [](std::string method, std::string path, bool dpop = false) {
    verifier::Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    if (dpop) r.fields["dpop"] = "x";
    return r;
  };
  CHECK(verifier::Service::read_only_route(req("GET", "/v1/authz")));
  CHECK_FALSE(verifier::Service::read_only_route(req("GET", "/v1/authz", true)));
  CHECK_FALSE(svc.runs_inline(req("GET", "/v1/authz")));  // no token: none verified before
  auto unknown = req("GET", "/v1/authz");
  unknown.authorization = "Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln";
  CHECK_FALSE(svc.runs_inline(unknown));
  CHECK(svc.runs_inline(req("GET", "/v1/devices/abc/health")));
  CHECK_FALSE(svc.runs_inline(req("GET", "/v1/devices/abc/x/health")));
  CHECK_FALSE(svc.runs_inline(req("GET", "/v1/devices//health/health")));
  CHECK(svc.runs_inline(req("GET", "/healthz")));
  CHECK(svc.runs_inline(req("GET", "/.well-known/jwks.json")));
  CHECK_FALSE(svc.runs_inline(req("POST", "/v1/authz")));
  CHECK_FALSE(svc.runs_inline(req("POST", "/v1/challenges")));
  CHECK_FALSE(svc.runs_inline(req("GET", "/v1/admin/devices")));
  CHECK_FALSE(svc.runs_inline(req("GET", "/v1/admin/events")));

  // One TLS write carrying: a reactor request, one that stops for a worker
  // mid-pipeline (a POST with its body), a second reactor request, a
  // worker-only GET, and a last reactor request that closes. The hand-offs
  // between reactor and worker must keep the buffered bytes and the order.
  TlsConn t;
  REQUIRE(t.open(client_ctx(), "127.0.0.1", svc.port()));
  const std::string body = "{}";
  const std::string pipeline =
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /v1/challenges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body +
      "GET /v1/authz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /v1/admin/devices HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  REQUIRE(SSL_write(t.ssl, pipeline.data(), static_cast<int>(pipeline.size())) == static_cast<int>(pipeline.size()));
  timeval tv{5, 0};
  ::setsockopt(t.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string all;
  char b[4096];
  int n = 0;
  while ((n = SSL_read(t.ssl, b, sizeof b)) > 0) all.append(b, static_cast<std::size_t>(n));
  std::vector<std::string> statuses;
  for (auto at = all.find("HTTP/1.1 "); at != std::string::npos; at = all.find("HTTP/1.1 ", at + 1)) {
    statuses.push_back(all.substr(at + 9, 3));
  }
  // healthz 200; an empty challenge request 400; authz without a token 401;
  // admin without a credential 401; the key set 200 — in that order.
  CHECK(statuses == std::vector<std::string>{"200", "400", "401", "401", "200"});
  // Every answer carries the fixed security fields.
  CHECK(all.find("Content-Security-Policy: default-src 'self'") != std::string::npos);
}

TEST_CASE("edge: a second verifier on a port in use exits non-zero saying the address is in use") {
  auto st = init_verifier_state();
  ChildVerifier first(st->state());
  auto other = init_verifier_state();
  int err[2];
  REQUIRE(::pipe(err) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(err[1], 2);
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 1);
    ::close(err[0]);
    std::string bin = verifier_binary(), state = other->state(), listen = "127.0.0.1:" + std::to_string(first.port());
    std::vector<char*> argv = {bin.data(), const_cast<char*>("run"), const_cast<char*>("--state"), state.data(),
                               const_cast<char*>("--listen"), listen.data(), nullptr};
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(err[1]);
  std::string text;
  char b[512];
  ssize_t n = 0;
  while ((n = ::read(err[0], b, sizeof b)) > 0) text.append(b, static_cast<std::size_t>(n));
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) != 0);
  CHECK_MESSAGE(text.find("address already in use") != std::string::npos, text);
  // The first one still serves, alone.
  CHECK(HttpsClient("127.0.0.1", first.port(), st->cert()).get("/healthz").status == 200);
  CHECK(first.terminate() == 0);
}

TEST_CASE("rate limiter: least recently used buckets are evicted, busy ones kept — peeking creates none") {
  verifier::RateLimiter rl(0.0001, 1, 3);
  CHECK(rl.allow("a"));
  CHECK(rl.allow("b"));
  CHECK(rl.allow("c"));
  CHECK_FALSE(rl.allow("a"));  // a is empty and now the most recently used
  CHECK(rl.allow("d"));        // evicts b, the least recently used
  CHECK(rl.size() == 3);
  CHECK_FALSE(rl.allow("a"));  // a's empty bucket survived the flood of new keys
  CHECK_FALSE(rl.allow("d"));
  CHECK(rl.allow("b"));        // b was evicted: a fresh bucket
  // has_token neither takes a token nor creates a bucket.
  CHECK(rl.has_token("never-seen"));
  CHECK(rl.size() == 3);
  CHECK_FALSE(rl.has_token("a"));
  rl.spend("e");
  CHECK_FALSE(rl.has_token("e"));
  // 100 000 new keys never reset a used bucket (the old map was cleared wholesale).
  verifier::RateLimiter big(0.0001, 1, 1000);
  CHECK(big.allow("victim"));
  for (int i = 0; i < 100000; ++i) {
    (void)big.allow("flood-" + std::to_string(i));
    if (i % 100 == 0) CHECK_FALSE(big.allow("victim"));
  }
  CHECK(big.size() == 1000);
}

TEST_CASE("rate limiter: IPv6 clients count per /64, IPv4-mapped addresses as IPv4") {
  using verifier::address_bucket;
  CHECK(address_bucket("2001:db8:1:2::1") == "2001:db8:1:2::/64");
  CHECK(address_bucket("2001:db8:1:2:ffff:eeee:dddd:cccc") == "2001:db8:1:2::/64");
  CHECK(address_bucket("2001:db8:1:3::1") == "2001:db8:1:3::/64");
  CHECK(address_bucket("::ffff:192.0.2.7") == "192.0.2.7");
  CHECK(address_bucket("192.0.2.7") == "192.0.2.7");
  CHECK(address_bucket("not an address") == "not an address");
  // Through the service: two addresses of one /64 share one bucket.
  TestVerifier v([](verifier::Config& c) {
    c.rate_per_address = 1;
    c.trusted_proxies = {"127.0.0.1"};
  });
  auto c = v.client();
  int refused = 0;
  for (int i = 0; i < 8; ++i) {
    const std::string addr = "2001:db8:5:6::" + std::to_string(i + 1);
    refused += c.request("GET", "/v1/info", {}, {}, {{"X-Forwarded-For", addr}}).status == 429 ? 1 : 0;
  }
  CHECK(refused >= 3);  // burst 4, then the /64 is out of tokens
  CHECK(c.request("GET", "/v1/info", {}, {}, {{"X-Forwarded-For", "2001:db8:5:7::1"}}).status == 200);
}

}  // namespace paw::test
