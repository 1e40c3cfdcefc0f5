// The console's session cookie (console.h): reading it from a request,
// when it counts as a credential, and the Set-Cookie values. Apart from
// Service so the fuzz target (tests/fuzz/webauthn_client_data.cpp) links it.
#include "console.h"

namespace paw::verifier {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string cookie_value(std::string_view header, std::string_view name) {
  std::string found;
  int seen = 0;
  while (!header.empty()) {
    const auto semi = header.find(';');
    const std::string_view pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
    found = std::string(trim(pair.substr(eq + 1)));
    ++seen;
  }
  if (seen != 1 || found.size() > 512) return {};
  return found;
}

std::string console_credential(const Request& req) {
  std::string v = cookie_value(req.field("cookie"), kSessionCookie);
  if (v.rfind("pawses_", 0) != 0) return {};
  const bool safe = req.method == "GET" || req.method == "HEAD";
  if (!safe && req.field(std::string(kCsrfHeader)) != "1") return {};
  return v;
}

std::string presented_credential(const Request& req, bool admin) {
  std::string token = bearer(req.authorization);
  if (token.empty() && admin) token = console_credential(req);
  return token;
}

std::string session_cookie(std::string_view secret, std::int64_t max_age_seconds) {
  return std::string(kSessionCookie) + "=" + std::string(secret) +
         "; Path=/; Max-Age=" + std::to_string(max_age_seconds) + "; HttpOnly; Secure; SameSite=Strict";
}

std::string cleared_session_cookie() {
  return std::string(kSessionCookie) + "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict";
}

}  // namespace paw::verifier
