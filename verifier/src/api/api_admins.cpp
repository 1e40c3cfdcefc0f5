// Admins who sign in with a FIDO2 key (docs/security.md "Admins sign in with
// FIDO2"): registration by a full admin (pawctl admin add), sign-in with an
// assertion over a one-time challenge (pawctl login) that yields a
// short-lived session credential carrying the admin's scope, sign-out, list
// and removal. The FIDO2 checks are attest's (verify_fido_enrollment,
// verify_fido_presence); this file binds them to challenges and the store.
//
// Challenges are the stateless nonces of challenge.h, bound to
// "admin-register\n<name>" or "admin-login\n<credential id>" (no device id
// holds a newline), recorded as used (Store::use_nonce) once accepted: short
// lived, single use, and good for that one admin or credential only.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>

#include "paw/attest/admin_fido.h"
#include "paw/attest/fido.h"
#include "invitation.h"
#include "service.h"
#include "util.h"

namespace paw::verifier {
namespace {
using Obj = Poco::JSON::Object;
using ObjPtr = Poco::JSON::Object::Ptr;

constexpr std::size_t kAdminChallengeSize = 32;  // ChallengeKey's nonce

std::string register_binding(const std::string& name) { return "admin-register\n" + name; }
std::string login_binding(const std::string& credential_id_b64url) { return "admin-login\n" + credential_id_b64url; }

ObjPtr admin_json(const AdminRecord& a) {
  ObjPtr o = new Obj();
  o->set("name", a.name);
  o->set("scope", std::string(admin_scope_name(a.scope)));
  o->set("credential_id", a.credential_id);
  o->set("sign_count", a.sign_count);
  o->set("created_at", a.created_at);
  o->set("created_by", a.created_by);
  return o;
}

Result<AdminRecord> find_admin(Store& store, const std::function<bool(const AdminRecord&)>& match) {
  PAW_TRY(auto list, store.list_admins());
  const auto it = std::find_if(list.begin(), list.end(), match);
  if (it == list.end()) return make_error(Errc::not_found, "unknown admin");
  return *it;
}

}  // namespace

Result<Response> Service::admin_registration_challenge(Request& req) {
  PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 4096));
  PAW_CHECK(json::only_keys(body, {"name"}, "admin registration challenge request"));
  PAW_TRY(std::string name, json::get_string(body, "name"));
  PAW_CHECK(check_admin_name(name));
  const std::int64_t expires_at = unix_now() + cfg_.challenge_ttl;
  PAW_TRY(Bytes challenge, challenge_key_.issue(register_binding(name), expires_at));
  ObjPtr o = new Obj();
  o->set("challenge", base64(challenge));
  o->set("rp_id", cfg_.rp_id);
  o->set("expires_at", expires_at);
  return json_response(200, o);
}

// admin_add: {"name", "scope", "challenge", "credential_id", "fmt",
// "auth_data", "att_stmt"} (bytes in base64; att_stmt is the attestation
// statement CBOR as the key sent it).
Result<Response> Service::admin_add(Request& req) {
  PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 64u << 10));
  PAW_CHECK(json::only_keys(body, {"name", "scope", "challenge", "credential_id", "fmt", "auth_data", "att_stmt"},
                            "admin registration"));
  PAW_TRY(std::string name, json::get_string(body, "name"));
  PAW_CHECK(check_admin_name(name));
  PAW_TRY(std::string scope_name, json::get_string(body, "scope"));
  const auto scope = admin_scope_from_name(scope_name);
  if (!scope) return make_error(Errc::malformed, "scope must be read, devices, policy or full");
  PAW_TRY(Bytes challenge, json::get_b64(body, "challenge", kAdminChallengeSize));
  attest::FidoEnrollmentEvidence ev;
  PAW_TRY(ev.credential_id, json::get_b64(body, "credential_id", attest::kFidoMaxCredentialId));
  PAW_TRY(ev.fmt, json::get_string(body, "fmt"));
  PAW_TRY(ev.auth_data, json::get_b64(body, "auth_data", attest::kFidoMaxAuthData));
  PAW_TRY(Bytes att_stmt, json::get_b64(body, "att_stmt", 3 * attest::kFidoMaxCertificate));
  PAW_TRY(ev.attestation, attest::parse_fido_attestation_statement(att_stmt));
  ev.algorithm = attest::kCoseEs256;
  const std::int64_t now_s = unix_now();
  PAW_TRY(std::int64_t expires_at, challenge_key_.check(challenge, register_binding(name), now_s));
  PAW_TRY(attest::FidoStoredCredential cred,
          attest::verify_fido_enrollment(ev, attest::admin_register_client_data_hash(challenge, name),
                                         admin_key_policy(cfg_.rp_id, fido_trust_.get(), now_s)));
  PAW_CHECK(store_->use_nonce({sha256_hex(ByteView(challenge)), register_binding(name), now_s, expires_at}));
  AdminRecord rec{name,   base64url(cred.credential_id), attest::serialize_fido_credential(cred), *scope,
                  cred.sign_count, now_s, req.actor};
  PAW_CHECK(store_->add_admin(rec));
  ObjPtr e = new Obj();
  e->set("by", req.actor);
  e->set("by_name", req.actor_name);
  if (!req.actor_admin.empty()) e->set("by_admin", req.actor_admin);
  e->set("admin", name);
  e->set("scope", scope_name);
  e->set("attestation_type", cred.attestation_type);
  record_event("admin_added", "", json::stringify(e));
  return json_response(201, admin_json(rec));
}

Result<Response> Service::admin_list_admins(Request&) {
  PAW_TRY(auto list, store_->list_admins());
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array();
  for (const auto& a : list) arr->add(admin_json(a));
  ObjPtr o = new Obj();
  o->set("admins", arr);
  return json_response(200, o);
}

// admin_remove deletes the admin and revokes every session it holds: a
// removed person is out at once, on every replica.
Result<Response> Service::admin_remove(Request& req) {
  const std::string& name = req.params[0];
  PAW_CHECK(check_admin_name(name));
  PAW_TRY(bool removed, store_->remove_admin(name));
  if (!removed) return make_error(Errc::not_found, "unknown admin");
  PAW_TRY(std::int64_t sessions, store_->revoke_admin_sessions(name, unix_now()));
  ObjPtr e = new Obj();
  e->set("by", req.actor);
  e->set("by_name", req.actor_name);
  if (!req.actor_admin.empty()) e->set("by_admin", req.actor_admin);
  e->set("admin", name);
  e->set("sessions_revoked", sessions);
  record_event("admin_removed", "", json::stringify(e));
  ObjPtr o = new Obj();
  o->set("name", name);
  o->set("sessions_revoked", sessions);
  return json_response(200, o);
}

// post_admin_login_challenge: {"name"} → the challenge for that admin's
// credential, which the answer names (a non-resident key needs its id).
Result<Response> Service::post_admin_login_challenge(Request& req) {
  PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 4096));
  PAW_CHECK(json::only_keys(body, {"name"}, "admin login challenge request"));
  PAW_TRY(std::string name, json::get_string(body, "name"));
  PAW_CHECK(check_admin_name(name));
  PAW_TRY(AdminRecord admin, find_admin(*store_, [&](const AdminRecord& a) { return a.name == name; }));
  PAW_TRY(Bytes credential_id, unbase64url(admin.credential_id));
  const std::int64_t expires_at = unix_now() + cfg_.challenge_ttl;
  PAW_TRY(Bytes challenge, challenge_key_.issue(login_binding(admin.credential_id), expires_at));
  ObjPtr o = new Obj();
  o->set("challenge", base64(challenge));
  o->set("credential_id", base64(credential_id));
  o->set("rp_id", cfg_.rp_id);
  o->set("expires_at", expires_at);
  return json_response(200, o);
}

Result<Response> Service::post_admin_login(Request& req) {
  std::string who;
  auto r = admin_login_attempt(req, who);
  if (!r.ok()) admin_login_refused(req, who, r.error());
  return r;
}

void Service::admin_login_refused(const Request& req, const std::string& who, const Error& err) {
  // Every refusal is logged; only one the admin's key itself signed (its
  // signature verified: a counter that went back — a cloned key — or a
  // challenge used twice) becomes an audit event. Anything else proved
  // nothing, and unauthenticated input writes nothing.
  const Errc code = err.code;
  log_line("warn", "admin sign-in refused",
           {{"admin", who}, {"reason", std::string(errc_name(code))}, {"remote", req.remote}, {"detail", err.detail}});
  const bool signed_by_key = code == Errc::fido_counter_rollback || code == Errc::fido_counter_frozen ||
                             code == Errc::nonce_reused || code == Errc::conflict;
  if (signed_by_key) {
    ObjPtr e = new Obj();
    e->set("admin", who);
    e->set("reason", std::string(errc_name(code)));
    e->set("remote", req.remote);
    record_event("admin_login_failed", "", json::stringify(e));
  }
}

// admin_login_attempt: {"credential_id", "challenge", "auth_data",
// "signature"} (base64), the assertion pawctl login makes over
// admin_login_client_data_hash.
Result<Response> Service::admin_login_attempt(Request& req, std::string& who) {
  PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 16u << 10));
  PAW_CHECK(json::only_keys(body, {"credential_id", "challenge", "auth_data", "signature"}, "admin login"));
  attest::FidoAssertionEvidence ev;
  PAW_TRY(ev.credential_id, json::get_b64(body, "credential_id", attest::kFidoMaxCredentialId));
  PAW_TRY(Bytes challenge, json::get_b64(body, "challenge", kAdminChallengeSize));
  PAW_TRY(ev.auth_data, json::get_b64(body, "auth_data", attest::kFidoMaxAuthData));
  PAW_TRY(ev.signature, json::get_b64(body, "signature", attest::kFidoMaxSignature));
  const Bytes expected = attest::admin_login_client_data_hash(challenge, ev.credential_id);
  PAW_TRY(AdminSession s, admin_sign_in(req, ev, challenge, expected, std::nullopt, "pawctl", who));
  ObjPtr o = new Obj();
  o->set("session", s.secret);
  o->set("id", s.id);
  o->set("admin", s.admin);
  o->set("scope", std::string(admin_scope_name(s.scope)));
  o->set("expires_at", s.expires_at);
  return json_response(201, o);
}

// admin_sign_in checks an assertion of an admin's key and makes a session.
// In order: the credential names an admin (fido_unknown_credential), the
// challenge is this verifier's, for this credential and not expired
// (nonce_unknown / nonce_expired), the assertion (verify_fido_presence:
// rpIdHash, UP, signature over authData || |client_data_hash|, counter above
// the stored one), the challenge not used before (nonce_reused), the counter
// advanced by compare-and-swap (conflict when a concurrent login won). Only
// then is a session made, with the admin's scope or |cap| if lower.
Result<Service::AdminSession> Service::admin_sign_in(const Request& req, const attest::FidoAssertionEvidence& ev,
                                                     ByteView challenge, ByteView client_data_hash,
                                                     std::optional<AdminScope> cap, const char* via,
                                                     std::string& who) {
  const std::string cred_id = base64url(ev.credential_id);
  auto found = find_admin(*store_, [&](const AdminRecord& a) { return a.credential_id == cred_id; });
  if (!found.ok()) {
    if (found.error().code != Errc::not_found) return found.error();
    return make_error(Errc::fido_unknown_credential, "no admin holds this FIDO2 credential");
  }
  const AdminRecord admin = *found;
  who = admin.name;
  if (challenge.size() != kAdminChallengeSize) return make_error(Errc::nonce_unknown, "not a challenge of this verifier");
  const std::int64_t now_s = unix_now();
  PAW_TRY(std::int64_t expires_at, challenge_key_.check(challenge, login_binding(cred_id), now_s));
  PAW_TRY(attest::FidoStoredCredential stored, attest::parse_fido_credential(admin.credential_json));
  if (admin.sign_count < 0 || admin.sign_count > 0xffffffffLL) {
    return make_error(Errc::storage_error, "stored admin counter out of range");
  }
  stored.sign_count = static_cast<std::uint32_t>(admin.sign_count);
  attest::FidoPresencePolicy policy;
  policy.rp_id = cfg_.rp_id;
  policy.require_up = true;
  policy.allow_zero_counter = false;  // a key without a counter could be cloned unseen
  PAW_TRY(attest::FidoPresenceResult proof, attest::verify_fido_presence(stored, ev, client_data_hash, policy));
  PAW_CHECK(store_->use_nonce({sha256_hex(challenge), login_binding(cred_id), now_s, expires_at}));
  PAW_TRY(bool advanced, store_->advance_admin_counter(admin.name, admin.sign_count, proof.sign_count));
  if (!advanced) return make_error(Errc::conflict, "another sign-in of this admin came first; sign in again");
  PAW_TRY(std::string id, random_hex(8));
  PAW_TRY(std::string secret, random_hex(32));
  AdminSession s;
  s.secret = "pawses_" + secret;
  s.id = "ses-" + id;
  s.admin = admin.name;
  s.scope = cap && !scope_allows(*cap, admin.scope) ? *cap : admin.scope;
  s.expires_at = now_s + cfg_.admin_session_ttl;
  CredentialRecord rec{s.id, CredentialKind::admin, sha256_hex(s.secret), admin.name, now_s, s.expires_at,
                       0,    s.scope,              admin.name};
  PAW_CHECK(store_->add_credential(rec));
  ObjPtr e = new Obj();
  e->set("admin", admin.name);
  e->set("session", rec.id);
  e->set("scope", std::string(admin_scope_name(s.scope)));
  e->set("expires_at", s.expires_at);
  e->set("remote", req.remote);
  e->set("via", via);
  record_event("admin_login", "", json::stringify(e));
  return s;
}

// admin_logout revokes the session the call is made with.
Result<Response> Service::admin_logout(Request& req) {
  if (req.actor_admin.empty()) {
    return make_error(Errc::conflict,
                      "this is an API credential, not a session: revoke it with pawctl credentials revoke");
  }
  PAW_TRY(bool changed, store_->revoke_credential(req.actor, unix_now()));
  if (!changed) return make_error(Errc::conflict, "session already ended");
  ObjPtr e = new Obj();
  e->set("admin", req.actor_admin);
  e->set("session", req.actor);
  record_event("admin_logout", "", json::stringify(e));
  ObjPtr o = new Obj();
  o->set("admin", req.actor_admin);
  o->set("session", req.actor);
  o->set("state", "revoked");
  return json_response(200, o);
}

}  // namespace paw::verifier
