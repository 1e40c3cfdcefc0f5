// Fuzz target: what the verifier reads from a request line and headers before
// any handler runs (verifier/src/edge/http.h): route matching with {} segments, the
// query string, the bearer credential, --trusted-proxy ranges and the
// X-Forwarded-For walk that picks the client address behind a trusted proxy.
// Input: newline-separated fields — method, path, query, Authorization, peer,
// X-Forwarded-For, then trusted-proxy ranges.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "edge/http.h"

namespace {

using paw::verifier::Route;

const paw::verifier::Router& router() {
  static const paw::verifier::Router r = [] {
    paw::verifier::Router x;
    for (const char* p : {"/v1/challenges", "/v1/attestations", "/v1/enrollments", "/v1/enrollments/{}/activation",
                          "/v1/devices/{}/health", "/v1/admin/devices/{}", "/v1/admin/devices/{}/approve",
                          "/v1/admin/policies/{}", "/.well-known/jwks.json", "/healthz"}) {
      x.add(Route{"POST", p, paw::verifier::Auth::none, 1024, nullptr});
    }
    return x;
  }();
  return r;
}

std::size_t wildcards(const std::string& pattern) {
  std::size_t n = 0;
  for (std::size_t at = pattern.find("{}"); at != std::string::npos; at = pattern.find("{}", at + 2)) ++n;
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> f;
  std::string cur;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      f.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  f.push_back(cur);
  f.resize(std::max<std::size_t>(f.size(), 6));

  std::vector<std::string> params;
  bool known = false;
  if (const Route* r = router().match(f[0], f[1], params, known)) {
    // Every {} matched one bounded, non-traversing segment.
    if (params.size() != wildcards(r->pattern)) __builtin_trap();
    for (const auto& p : params) {
      if (p.empty() || p.size() > 128 || p == "." || p == ".." || p.find('/') != std::string::npos) __builtin_trap();
    }
  }
  if (paw::verifier::parse_query(f[2]).size() > 32) __builtin_trap();
  const std::string token = paw::verifier::bearer(f[3]);
  if (!token.empty() && f[3] != "Bearer " + token) __builtin_trap();

  std::vector<paw::verifier::ProxyRange> trusted;
  for (std::size_t i = 6; i < f.size(); ++i) {
    auto r = paw::verifier::parse_proxy_range(f[i]);
    if (!r) continue;
    if ((r->net.size() != 4 && r->net.size() != 16) || r->bits > r->net.size() * 8) __builtin_trap();
    trusted.push_back(*r);
  }
  // The client is the peer or an address some entry really spelled, written
  // so that it reads back (an earlier version normalized with Poco's
  // IPAddress::toString, which writes "::1e" as "::": clients collapsed).
  const std::string client = paw::verifier::client_address(f[4], f[5], trusted);
  if (client != f[4] && !paw::verifier::parse_proxy_range(client)) __builtin_trap();
  return 0;
}
