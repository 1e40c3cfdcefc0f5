// invite_test_util.h — what the invitation tests share: a console
// configuration, the clientDataJSON and attestationObject a browser posts,
// made by a software FIDO2 key (packed self attestation over
// SHA-256(clientDataJSON), as a browser's authenticator makes it), and the
// calls of the invite page (console_invite_test.cpp, invitation_revoke_test.cpp).
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"
#include "paw/attest/fido.h"
#include "paw/attest/json.h"
#include "soft_device.h"
#include "verifier_fixture.h"

namespace paw::test {

inline constexpr const char* kOrigin = "https://console.paw.test:8443";
inline constexpr const char* kRpId = "paw.test";
inline const std::vector<std::pair<std::string, std::string>> kCsrf = {{"X-Paw-Csrf", "1"}};

inline void console_config(verifier::Config& c) {
  c.rp_id = kRpId;
  c.console_origin = kOrigin;
}

inline std::string client_data(const std::string& type, const std::string& challenge_b64url, const std::string& origin) {
  return R"({"type":")" + type + R"(","challenge":")" + challenge_b64url + R"(","origin":")" + origin +
         R"(","crossOrigin":false})";
}

// attestation_object is the CBOR map a browser's attestationObject is.
inline Bytes attestation_object(const std::string& fmt, const Bytes& att_stmt, const Bytes& auth_data) {
  Bytes out = {0xa3, 0x63, 'f', 'm', 't', static_cast<std::uint8_t>(0x60 + fmt.size())};
  out.insert(out.end(), fmt.begin(), fmt.end());
  const std::string att = "attStmt";
  out.push_back(0x67);
  out.insert(out.end(), att.begin(), att.end());
  out.insert(out.end(), att_stmt.begin(), att_stmt.end());
  out.insert(out.end(), {0x68, 'a', 'u', 't', 'h', 'D', 'a', 't', 'a'});
  // A byte string head in its shortest form, as CBOR's canonical encoding (and paw's reader) wants.
  if (auth_data.size() < 256) {
    out.insert(out.end(), {0x58, static_cast<std::uint8_t>(auth_data.size())});
  } else {
    out.insert(out.end(), {0x59, static_cast<std::uint8_t>(auth_data.size() >> 8),
                           static_cast<std::uint8_t>(auth_data.size() & 0xff)});
  }
  out.insert(out.end(), auth_data.begin(), auth_data.end());
  return out;
}

struct Made {
  std::string client_data_json;
  Bytes credential_id, object;
};

// make: |key| makes a credential (packed self attestation) for clientDataJSON |cdj|.
inline Made make(soft::SoftFido& key, const std::string& cdj) {
  auto m = key.make_credential(sha256(as_bytes(cdj)), soft::AttestationMode::self);
  REQUIRE(m.ok());
  REQUIRE(m->attestation.has_value());
  attest::FidoAttestation st{static_cast<int>(m->attestation->alg), m->attestation->sig, {}};
  return {cdj, m->credential_id, attestation_object("packed", attest::encode_fido_attestation_statement(st),
                                                   m->auth_data)};
}

inline std::string register_body(const std::string& invitation, const Made& m) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
  o->set("invitation", invitation);
  o->set("credential_id", base64url(m.credential_id));
  o->set("client_data_json", base64url(as_bytes(m.client_data_json)));
  o->set("attestation_object", base64url(m.object));
  return json::stringify(o);
}

inline std::string error_of(const HttpAnswer& r) { return r.json() ? r.json()->getValue<std::string>("error") : r.body; }

// invite: a full admin's invitation for |name| (the token).
inline std::string invite_with(const HttpsClient& c, const std::string& admin, const std::string& name,
                               const std::string& scope) {
  auto r = c.post("/v1/admin/admins/invitations", R"({"name":")" + name + R"(","scope":")" + scope + R"("})", admin);
  REQUIRE_MESSAGE(r.status == 201, r.body);
  return r.json()->getValue<std::string>("invitation");
}
// invitation_challenge / invitation_submit: the invite page's two calls.
inline HttpAnswer invitation_challenge(const HttpsClient& c, const std::string& invitation) {
  return c.request("POST", "/console/invitation/challenge", R"({"invitation":")" + invitation + R"("})", "", kCsrf);
}
inline HttpAnswer invitation_submit(const HttpsClient& c, const std::string& invitation, const Made& m,
                                    const std::vector<std::pair<std::string, std::string>>& headers = kCsrf) {
  return c.request("POST", "/console/invitation/register", register_body(invitation, m), "", headers);
}

// console_sign_in: |name|, whose key is |key|, signs in to the console with
// an assertion over a login challenge (the route pawctl login shares); the
// answer of POST /console/login (201, a session cookie, on success).
inline HttpAnswer console_sign_in(const HttpsClient& c, soft::SoftFido& key, const std::string& name) {
  auto lc = c.post("/v1/admin/login/challenge", R"({"name":")" + name + R"("})");
  REQUIRE_MESSAGE(lc.status == 200, lc.body);
  const Bytes ch = unbase64(lc.json()->getValue<std::string>("challenge")).value();
  const std::string cdj = client_data("webauthn.get", base64url(ch), kOrigin);
  auto a = key.get_assertion(sha256(as_bytes(cdj)), 0x01);
  REQUIRE(a.ok());
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
  o->set("credential_id", base64url(a->credential_id));
  o->set("client_data_json", base64url(as_bytes(cdj)));
  o->set("authenticator_data", base64url(a->auth_data));
  o->set("signature", base64url(a->signature));
  return c.post("/console/login", json::stringify(o));
}

}  // namespace paw::test
