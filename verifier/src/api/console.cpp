// The read-only web console (docs/console.md): its pages and assets on the
// verifier's own TLS port, WebAuthn sign-in with an admin's FIDO2 key (the
// credential pawctl admin add registered, checked by admin_sign_in as for
// pawctl login) and the cookie session it yields. The pages hold no data:
// console.js reads the admin JSON API with the cookie, which answers 401
// without a session.
#include "console.h"

#include <Poco/JSON/Object.h>

#include "service.h"
#include "util.h"
#include "webauthn.h"

namespace paw::verifier {
namespace {

}  // namespace

void Service::add_console_routes() {
  auto bind = [this](Result<Response> (Service::*fn)(Request&)) {
    return [this, fn](Request& r) { return (this->*fn)(r); };
  };
  router_.add({"GET", "/", Auth::none, 0, bind(&Service::console_page)});
  router_.add({"GET", "/console/{}", Auth::none, 0, bind(&Service::console_asset)});
  router_.add({"POST", "/console/login", Auth::none, 16u << 10, bind(&Service::console_login)});
  // Sign-out is the one state change a console session makes: POST with the CSRF header.
  router_.add(
      {"POST", "/console/logout", Auth::admin, 4096, bind(&Service::console_logout), AdminScope::read});
}

Result<Response> Service::console_page(Request&) {
  const ConsoleAsset* a = find_console_asset("index.html");
  if (a == nullptr) return make_error(Errc::internal, "console assets missing from this build");
  Response r;
  r.content_type = std::string(a->content_type);
  r.body = std::string(a->body);
  return r;
}

Result<Response> Service::console_asset(Request& req) {
  const ConsoleAsset* a = find_console_asset(req.params[0]);
  if (a == nullptr) return make_error(Errc::not_found, "no such console file");
  Response r;
  r.content_type = std::string(a->content_type);
  r.body = std::string(a->body);
  return r;
}

Result<Response> Service::console_login(Request& req) {
  std::string who;
  auto r = console_login_attempt(req, who);
  if (!r.ok()) admin_login_refused(req, who, r.error());
  return r;
}

// console_login_attempt: {"credential_id", "client_data_json",
// "authenticator_data", "signature"} (base64url, as the browser's
// PublicKeyCredential has them). The challenge is the one in
// clientDataJSON, issued by POST /v1/admin/login/challenge. The session is
// read-only whatever the admin's scope: the console changes nothing.
Result<Response> Service::console_login_attempt(Request& req, std::string& who) {
  PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 16u << 10));
  PAW_CHECK(json::only_keys(body, {"credential_id", "client_data_json", "authenticator_data", "signature"},
                            "console sign-in"));
  attest::FidoAssertionEvidence ev;
  PAW_TRY(ev.credential_id, field_b64url(body, "credential_id", attest::kFidoMaxCredentialId));
  PAW_TRY(Bytes client_data, field_b64url(body, "client_data_json", kMaxClientDataJson));
  PAW_TRY(ev.auth_data, field_b64url(body, "authenticator_data", attest::kFidoMaxAuthData));
  PAW_TRY(ev.signature, field_b64url(body, "signature", attest::kFidoMaxSignature));
  PAW_TRY(WebAuthnClientData cd, parse_webauthn_client_data(client_data));
  PAW_CHECK(check_webauthn_client_data(cd, "webauthn.get", cfg_.console_origin));
  // The signature is over authData || SHA-256(clientDataJSON) (WebAuthn §7.2).
  const Bytes cdh = sha256(client_data);
  PAW_TRY(AdminSession s, admin_sign_in(req, ev, cd.challenge, cdh, AdminScope::read, "console", who));
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
  o->set("admin", s.admin);
  o->set("scope", std::string(admin_scope_name(s.scope)));
  o->set("expires_at", s.expires_at);
  Response r = json_response(201, o);
  r.headers.emplace_back("Set-Cookie", session_cookie(s.secret, cfg_.admin_session_ttl));
  return r;
}

Result<Response> Service::console_logout(Request& req) {
  PAW_TRY(Response r, admin_logout(req));
  r.headers.emplace_back("Set-Cookie", cleared_session_cookie());
  return r;
}

Result<Bytes> field_b64url(const json::ObjectPtr& body, const std::string& key, std::size_t max) {
  PAW_TRY(std::string text, json::get_string(body, key));
  if (text.size() > (max * 4) / 3 + 4) return make_error(Errc::too_large, key + " is too large");
  auto raw = unbase64url(text);
  if (!raw.ok()) return make_error(Errc::malformed, key + " is not base64url");
  if (raw->size() > max) return make_error(Errc::too_large, key + " is too large");
  return raw;
}

}  // namespace paw::verifier
