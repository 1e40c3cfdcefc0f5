// console.h — the web console's pieces outside Service (docs/console.md):
// the session cookie, when a request may authenticate with it, and the
// static assets compiled into the binary (console_assets.cpp is generated
// from verifier/console/ by verifier/console/embed.cmake).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "edge/http.h"
#include "paw/attest/bytes.h"
#include "paw/attest/json.h"

namespace paw::verifier {

// kSessionCookie holds a console admin session (pawses_…): HttpOnly, Secure,
// SameSite=Strict, Path=/, Max-Age the session's life.
inline constexpr std::string_view kSessionCookie = "paw_session";
// kCsrfHeader must accompany every cookie-authenticated request other than
// GET/HEAD: a page of another site cannot send it without a CORS preflight,
// which the verifier never answers.
inline constexpr std::string_view kCsrfHeader = "x-paw-csrf";

// cookie_value is the value of |name| in a Cookie header; "" when absent,
// when the name appears more than once (cookie tossing) or over 512 bytes.
std::string cookie_value(std::string_view header, std::string_view name);

// console_credential is the admin session a browser presents in its cookie,
// or "" when it presents none or the request may not use it: a cookie
// session is only a credential for GET/HEAD, or with "X-Paw-Csrf: 1".
std::string console_credential(const Request& req);

// presented_credential is the bearer token of |req|, else (for an admin
// route, |admin|) its console_credential.
std::string presented_credential(const Request& req, bool admin);

// session_cookie / cleared_session_cookie are Set-Cookie values.
std::string session_cookie(std::string_view secret, std::int64_t max_age_seconds);
std::string cleared_session_cookie();

// ConsoleAsset is one shipped file; find_console_asset looks one up by its
// file name (index.html, console.js, console.css), nullptr if unknown.
struct ConsoleAsset {
  std::string_view name;
  std::string_view content_type;
  std::string_view body;
};
const ConsoleAsset* find_console_asset(std::string_view name);

// field_b64url decodes the base64url string member |key| of |body|, at most
// |max| bytes (Errc::too_large before and after decoding, Errc::malformed).
// The console's WebAuthn sign-in and the invitation registration read with it.
Result<Bytes> field_b64url(const json::ObjectPtr& body, const std::string& key, std::size_t max);

}  // namespace paw::verifier
