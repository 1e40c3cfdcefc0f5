// Fuzz target: the verifier's connection edge (verifier/src/edge/connection.h)
// reading a client's raw byte stream — request headers parsed by Poco,
// Content-Length, chunked, Expect, pipelining, header and body limits — over
// a real (plain) socket pair, plus the rate-limit key of an address. Input:
// the bytes a client sends, then end of stream.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "edge/connection.h"
#include "edge/rate_limit.h"

namespace {

paw::verifier::edge::Shared& shared() {
  static paw::verifier::edge::Shared* s = [] {
    auto* x = new paw::verifier::edge::Shared();
    x->limits.max_header_bytes = 2048;
    x->limits.body_budget = 1u << 16;
    x->hooks.body_limit = [](const std::string&, const std::string& path) -> std::size_t {
      return path == "/big" ? 8192 : 512;
    };
    x->hooks.handle = [](paw::verifier::Request& r) {
      // Invariants the handlers rely on: a body never exceeds what was announced and allowed.
      if (r.body.size() > 8192 || static_cast<std::int64_t>(r.body.size()) > r.content_length) __builtin_trap();
      paw::verifier::Response resp;
      resp.status = r.path == "/none" ? 204 : 200;
      resp.body = r.method;
      return resp;
    };
    x->hooks.client_address = [](const std::string& peer, const std::string&) { return peer; };
    return x;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)paw::verifier::address_bucket(std::string(reinterpret_cast<const char*>(data), size < 64 ? size : 64));
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) return 0;
  // The whole input, then end of stream (inputs beyond the socket buffer are cut).
  const std::size_t n = size < 100000 ? size : 100000;
  std::size_t off = 0;
  while (off < n) {
    const ssize_t w = ::send(sv[1], data + off, n - off, MSG_NOSIGNAL);
    if (w <= 0) break;
    off += static_cast<std::size_t>(w);
  }
  ::shutdown(sv[1], SHUT_WR);
  auto& sh = shared();
  const std::size_t budget_before = sh.body_bytes.load();
  {
    paw::verifier::edge::Conn c(sv[0], nullptr, "192.0.2.1", "192.0.2.1",
                                paw::verifier::edge::Clock::now() + std::chrono::seconds(10));
    // Each step runs until the connection needs the peer; the peer has said
    // everything, so a few steps end it (the output side drains into sv[1]).
    char sink[65536];
    for (int i = 0; i < 64 && c.wait != paw::verifier::edge::Io::closed; ++i) {
      paw::verifier::edge::step(c, sh);
      while (::recv(sv[1], sink, sizeof sink, 0) > 0) {
      }
      if (c.wait == paw::verifier::edge::Io::want_read && c.phase != paw::verifier::edge::Phase::linger) break;
    }
    paw::verifier::edge::release(c, sh);
  }  // closes sv[0]
  if (sh.body_bytes.load() != budget_before) __builtin_trap();  // no budget leaks
  ::close(sv[1]);
  return 0;
}
