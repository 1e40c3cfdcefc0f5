// WebAuthn clientDataJSON: parsing and the checks the console's sign-in
// makes on it (webauthn.h). Bounded, rejects anything that is not a JSON
// object with string members where strings are due.
#include "webauthn.h"

#include <Poco/JSON/Object.h>

#include "paw/attest/json.h"

namespace paw::verifier {
namespace {

bool host_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

}  // namespace

Result<WebAuthnClientData> parse_webauthn_client_data(ByteView client_data_json) {
  if (client_data_json.size() > kMaxClientDataJson) {
    return make_error(Errc::too_large,
                      "clientDataJSON is over " + std::to_string(kMaxClientDataJson) + " bytes");
  }
  const std::string_view text(reinterpret_cast<const char*>(client_data_json.data()),
                              client_data_json.size());
  auto obj = json::parse_object(text, kMaxClientDataJson, 4);
  if (!obj.ok())
    return make_error(Errc::malformed, "clientDataJSON is not a JSON object: " + obj.error().detail);
  WebAuthnClientData out;
  auto type = json::get_string(*obj, "type");
  auto challenge = json::get_string(*obj, "challenge");
  auto origin = json::get_string(*obj, "origin");
  if (!type.ok() || !challenge.ok() || !origin.ok()) {
    return make_error(Errc::malformed, "clientDataJSON needs string members type, challenge and origin");
  }
  out.type = *type;
  out.origin = *origin;
  if (challenge->size() > 128) return make_error(Errc::malformed, "clientDataJSON challenge is too long");
  auto raw = unbase64url(*challenge);
  if (!raw.ok()) return make_error(Errc::malformed, "clientDataJSON challenge is not base64url");
  out.challenge = std::move(*raw);
  auto cross = json::opt_bool(*obj, "crossOrigin");
  if (!cross.ok()) return make_error(Errc::malformed, "clientDataJSON crossOrigin is not a boolean");
  out.cross_origin = cross->value_or(false);
  return out;
}

Status check_webauthn_client_data(const WebAuthnClientData& cd, std::string_view expected_type,
                                  std::string_view expected_origin) {
  if (cd.type != expected_type) {
    return make_error(Errc::fido_challenge_mismatch, "wrong type: clientDataJSON type is \"" +
                                                         cd.type.substr(0, 64) + "\", not \"" +
                                                         std::string(expected_type) + "\"");
  }
  if (cd.cross_origin)
    return make_error(Errc::fido_rp_mismatch, "wrong origin: the assertion was made in a cross-origin frame");
  if (expected_origin.empty()) {
    return make_error(Errc::forbidden, "console sign-in is off: set console-origin (docs/console.md)");
  }
  if (cd.origin != expected_origin) {
    return make_error(Errc::fido_rp_mismatch, "wrong origin: the page was " + cd.origin.substr(0, 128) +
                                                  ", this console is " + std::string(expected_origin));
  }
  return ok_status();
}

Status check_console_origin(std::string_view origin, std::string_view rp_id) {
  constexpr std::string_view kScheme = "https://";
  if (origin.substr(0, kScheme.size()) != kScheme) {
    return make_error(Errc::config_error,
                      "console-origin must start with https:// (WebAuthn needs a secure page)");
  }
  std::string_view host = origin.substr(kScheme.size());
  if (const auto colon = host.find(':'); colon != std::string_view::npos) {
    const std::string_view port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos) {
      return make_error(Errc::config_error, "console-origin port must be digits: " + std::string(origin));
    }
    host = host.substr(0, colon);
  }
  if (host.empty() || host.size() > 253) return make_error(Errc::config_error, "console-origin has no host");
  for (char c : host) {
    if (!host_char_ok(c)) {
      return make_error(Errc::config_error,
                        "console-origin must be https://HOST[:PORT] with a lowercase DNS name, no path: " +
                            std::string(origin));
    }
  }
  const bool same = rp_id == host;
  const bool parent = host.size() > rp_id.size() && !rp_id.empty() &&
                      host.substr(host.size() - rp_id.size()) == rp_id &&
                      host[host.size() - rp_id.size() - 1] == '.';
  if (!same && !parent) {
    return make_error(Errc::config_error, "rp-id \"" + std::string(rp_id) +
                                              "\" must be the console-origin host " + std::string(host) +
                                              " or a parent domain of it (WebAuthn rpId rule)");
  }
  return ok_status();
}

}  // namespace paw::verifier
