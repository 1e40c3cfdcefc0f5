// Registering an admin's FIDO2 key in the browser (docs/console.md "Adding
// an admin from the browser"): a full admin issues a one-time invitation
// (invitation.h); the new admin opens the console link, asks for a WebAuthn
// challenge bound to that invitation, makes a credential with
// navigator.credentials.create and posts it. The verifier checks it as
// pawctl admin add's is checked (attest::verify_fido_enrollment: rpIdHash,
// user presence, ES256, packed or none; the attestation object read by
// attest's CBOR reader), plus the browser's clientDataJSON (type
// webauthn.create, the console origin, the challenge), then burns the
// challenge, uses the invitation's record (a revoked or used one is refused)
// and stores the admin with the invitation's scope, audited as added by the
// inviting admin.
//
// The two /console/invitation routes take no credential (the invitation is
// the authority); like every state change the console makes they need the
// X-Paw-Csrf header, so another site's form cannot post them, and a refusal
// writes nothing (logged only): unauthenticated input changes no state.
#include <Poco/JSON/Object.h>

#include <algorithm>

#include "paw/attest/fido.h"
#include "console.h"
#include "invitation.h"
#include "service.h"
#include "util.h"
#include "webauthn.h"

namespace paw::verifier {
namespace {
using Obj = Poco::JSON::Object;
using ObjPtr = Poco::JSON::Object::Ptr;

Status csrf_header(const Request& req) {
  if (req.field(std::string(kCsrfHeader)) != "1")
    return make_error(Errc::forbidden, "this call needs the X-Paw-Csrf: 1 header (the console sends it)");
  return ok_status();
}

// invitation_usable: a record neither revoked nor used, each said plainly
// (the invite page shows the code: revoked, or nonce_reused for used).
Status invitation_usable(const InvitationRecord& rec) {
  if (rec.revoked_at != 0)
    return make_error(Errc::revoked, "invitation " + rec.id + " for " + rec.name + " was revoked by an admin");
  if (rec.used_at != 0) return make_error(Errc::nonce_reused, "invitation " + rec.id + " was already used");
  return ok_status();
}

// kMaxAttestationObject: authData, and an attStmt of up to 3 certificates.
constexpr std::size_t kMaxAttestationObject = attest::kFidoMaxAuthData + 3 * attest::kFidoMaxCertificate + 512;

}  // namespace

void Service::add_invitation_routes() {
  auto bind = [this](Result<Response> (Service::*fn)(Request&)) {
    return [this, fn](Request& r) { return (this->*fn)(r); };
  };
  router_.add({"POST", "/v1/admin/admins/invitations", Auth::admin, 4096, bind(&Service::admin_invite),
               AdminScope::full});
  // Listing and revoking (api_invitations.cpp): reading needs read, revoking what inviting needs.
  router_.add({"GET", "/v1/admin/invitations", Auth::admin, 4096, bind(&Service::admin_list_invitations),
               AdminScope::read});
  router_.add({"POST", "/v1/admin/invitations/{}/revoke", Auth::admin, 4096,
               bind(&Service::admin_revoke_invitation), AdminScope::full});
  router_.add({"POST", "/console/invitation/challenge", Auth::none, 4096, bind(&Service::invitation_challenge)});
  router_.add({"POST", "/console/invitation/register", Auth::none, 64u << 10, bind(&Service::invitation_register)});
}

// admin_invite: {"name", "scope", "expires_in_seconds"?} → the token and
// the console link. Refused while the console is off (no origin to send the
// new admin to) and for a name that is already an admin's.
Result<Response> Service::admin_invite(Request& req) {
  PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 4096));
  PAW_CHECK(json::only_keys(body, {"name", "scope", "expires_in_seconds"}, "admin invitation"));
  PAW_TRY(std::string name, json::get_string(body, "name"));
  PAW_CHECK(check_admin_name(name));
  PAW_TRY(std::string scope_name, json::get_string(body, "scope"));
  const auto scope = admin_scope_from_name(scope_name);
  if (!scope) return make_error(Errc::malformed, "scope must be read, devices, policy or full");
  std::int64_t ttl = kInvitationDefaultTtl;
  if (body->has("expires_in_seconds")) {
    PAW_TRY(ttl, json::get_int(body, "expires_in_seconds"));
    if (ttl < kInvitationMinTtl || ttl > kInvitationMaxTtl)
      return make_error(Errc::malformed, "expires_in_seconds must be 60 to 86400");
  }
  if (cfg_.console_origin.empty())
    return make_error(Errc::conflict, "the console is off: set console-origin to invite admins (docs/console.md)");
  PAW_TRY(auto admins, store_->list_admins());
  if (std::any_of(admins.begin(), admins.end(), [&](const AdminRecord& a) { return a.name == name; }))
    return make_error(Errc::conflict, "admin " + name + " already exists");
  const std::int64_t now_s = unix_now();
  const std::int64_t expires_at = now_s + ttl;
  const std::string payload = invitation_payload(name, *scope, req.actor, req.actor_name, req.actor_admin);
  PAW_TRY(Bytes nonce, challenge_key_.issue(invitation_binding(payload), expires_at));
  const std::string token = encode_invitation(nonce, payload);
  // On record (never the token), so it can be listed and revoked on any replica.
  PAW_CHECK(store_->add_invitation({invitation_id(nonce), name, *scope, req.actor, req.actor_name, req.actor_admin,
                                    now_s, expires_at}));
  ObjPtr e = new Obj();
  e->set("by", req.actor);
  e->set("by_name", req.actor_name);
  if (!req.actor_admin.empty()) e->set("by_admin", req.actor_admin);
  e->set("admin", name);
  e->set("scope", scope_name);
  e->set("invitation", invitation_id(nonce));
  e->set("expires_at", expires_at);
  record_event("admin_invited", "", json::stringify(e));
  ObjPtr o = new Obj();
  o->set("invitation", token);
  o->set("id", invitation_id(nonce));
  o->set("url", cfg_.console_origin + "/#/invite/" + token);
  o->set("name", name);
  o->set("scope", scope_name);
  o->set("expires_at", expires_at);
  return json_response(201, o);
}

// check_invitation reads |token| and checks it is this verifier's, not
// expired, and on record neither revoked nor used (the record is read only
// for a token whose MAC holds, so a stranger's guesses cost no query). A
// registration then uses the record (use_invitation), which a revocation
// racing it on another replica may still win: that is the final word.
Result<AdminInvitation> Service::check_invitation(const std::string& token, std::int64_t now_s,
                                                  std::int64_t& expires_at) {
  PAW_TRY(AdminInvitation inv, parse_invitation(token));
  PAW_TRY(expires_at, challenge_key_.check(inv.nonce, invitation_binding(inv.payload), now_s));
  const std::string id = invitation_id(inv.nonce);
  PAW_TRY(auto rec, store_->find_invitation(id));
  // Not on record: made by a verifier before migration 15 (or by another
  // deployment sharing the key); it cannot be revoked, so it is not honoured.
  if (!rec || rec->name != inv.name || rec->scope != inv.scope)
    return make_error(Errc::nonce_unknown, "invitation " + id + " is not on record: ask for a new one");
  PAW_CHECK(invitation_usable(*rec));
  return inv;
}

// invitation_challenge: {"invitation"} → what navigator.credentials.create
// needs: the challenge (bound to this invitation), the rp id, the name.
Result<Response> Service::invitation_challenge(Request& req) {
  PAW_CHECK(csrf_header(req));
  PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 4096));
  PAW_CHECK(json::only_keys(body, {"invitation"}, "invitation challenge request"));
  PAW_TRY(std::string token, json::get_string(body, "invitation"));
  const std::int64_t now_s = unix_now();
  std::int64_t invitation_expires = 0;
  PAW_TRY(AdminInvitation inv, check_invitation(token, now_s, invitation_expires));
  const std::int64_t expires_at = std::min(now_s + cfg_.challenge_ttl, invitation_expires);
  PAW_TRY(Bytes challenge, challenge_key_.issue(invitation_challenge_binding(inv.nonce), expires_at));
  ObjPtr o = new Obj();
  o->set("challenge", base64url(challenge));
  o->set("rp_id", cfg_.rp_id);
  o->set("name", inv.name);
  o->set("scope", std::string(admin_scope_name(inv.scope)));
  o->set("user_id", base64url(ByteView(sha256(as_bytes(inv.name))).subspan(0, 16)));
  o->set("invited_by", inv.by_admin.empty() ? inv.by_name : inv.by_admin);
  o->set("expires_at", invitation_expires);
  return json_response(200, o);
}

Result<Response> Service::invitation_register(Request& req) {
  auto r = invitation_register_attempt(req);
  if (!r.ok()) {
    log_line("warn", "admin invitation refused",
             {{"reason", std::string(errc_name(r.error().code))}, {"remote", req.remote}, {"detail", r.error().detail}});
  }
  return r;
}

// invitation_register_attempt: {"invitation", "credential_id",
// "client_data_json", "attestation_object"} (base64url, as the browser's
// PublicKeyCredential has them). Every check comes before any write; then
// the challenge and the invitation are burnt (Store::use_nonce: one winner,
// also across replicas) and only then is the admin stored.
Result<Response> Service::invitation_register_attempt(Request& req) {
  PAW_CHECK(csrf_header(req));
  PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 64u << 10));
  PAW_CHECK(json::only_keys(body, {"invitation", "credential_id", "client_data_json", "attestation_object"},
                            "invitation registration"));
  PAW_TRY(std::string token, json::get_string(body, "invitation"));
  const std::int64_t now_s = unix_now();
  std::int64_t invitation_expires = 0;
  PAW_TRY(AdminInvitation inv, check_invitation(token, now_s, invitation_expires));
  attest::FidoEnrollmentEvidence ev;
  PAW_TRY(ev.credential_id, field_b64url(body, "credential_id", attest::kFidoMaxCredentialId));
  PAW_TRY(Bytes client_data, field_b64url(body, "client_data_json", kMaxClientDataJson));
  PAW_TRY(Bytes object, field_b64url(body, "attestation_object", kMaxAttestationObject));
  // The browser's statement: a create ceremony, on this console, for a
  // challenge this verifier issued for this invitation.
  PAW_TRY(WebAuthnClientData cd, parse_webauthn_client_data(client_data));
  PAW_CHECK(check_webauthn_client_data(cd, "webauthn.create", cfg_.console_origin));
  if (cd.challenge.size() != kInvitationNonceSize)
    return make_error(Errc::nonce_unknown, "not a challenge of this verifier");
  const std::string challenge_binding = invitation_challenge_binding(inv.nonce);
  PAW_TRY(std::int64_t challenge_expires, challenge_key_.check(cd.challenge, challenge_binding, now_s));
  // The authenticator's: the attestation object (attest's CBOR reader), checked as pawctl admin add's.
  PAW_TRY(attest::FidoAttestationObject att, attest::parse_fido_attestation_object(object));
  ev.fmt = att.fmt;
  ev.auth_data = std::move(att.auth_data);
  PAW_TRY(ev.attestation, attest::parse_fido_attestation_statement(att.att_stmt));
  ev.algorithm = attest::kCoseEs256;
  // WebAuthn: a packed statement signs authData || SHA-256(clientDataJSON).
  PAW_TRY(attest::FidoStoredCredential cred,
          attest::verify_fido_enrollment(ev, sha256(client_data),
                                         admin_key_policy(cfg_.rp_id, fido_trust_.get(), now_s)));
  PAW_TRY(auto admins, store_->list_admins());
  const std::string cred_id = base64url(cred.credential_id);
  for (const auto& a : admins) {
    if (a.name == inv.name) return make_error(Errc::conflict, "admin " + inv.name + " already exists");
    if (a.credential_id == cred_id) return make_error(Errc::conflict, "this key is already an admin's");
  }
  PAW_CHECK(store_->use_nonce({sha256_hex(ByteView(cd.challenge)), challenge_binding, now_s, challenge_expires}));
  // One winner between this registration and a revocation (or a second
  // registration), also across replicas; the loser learns which it met.
  const std::string id = invitation_id(inv.nonce);
  PAW_TRY(bool won, store_->use_invitation(id, now_s));
  if (!won) {
    PAW_TRY(auto rec, store_->find_invitation(id));
    if (!rec) return make_error(Errc::nonce_expired, "invitation " + id + " expired");
    PAW_CHECK(invitation_usable(*rec));
    return make_error(Errc::nonce_expired, "invitation " + id + " expired");
  }
  // Burnt as a nonce too, as verifiers before migration 15 burn it (rolling upgrades).
  PAW_CHECK(store_->use_nonce({sha256_hex(ByteView(inv.nonce)), invitation_binding(inv.payload), now_s,
                               invitation_expires}));
  AdminRecord rec{inv.name,        cred_id, attest::serialize_fido_credential(cred), inv.scope,
                  cred.sign_count, now_s,   inv.by};
  PAW_CHECK(store_->add_admin(rec));
  ObjPtr e = new Obj();
  e->set("by", inv.by);
  e->set("by_name", inv.by_name);
  if (!inv.by_admin.empty()) e->set("by_admin", inv.by_admin);
  e->set("admin", inv.name);
  e->set("scope", std::string(admin_scope_name(inv.scope)));
  e->set("attestation_type", cred.attestation_type);
  e->set("via", "invitation");
  e->set("invitation", invitation_id(inv.nonce));
  e->set("remote", req.remote);
  record_event("admin_added", "", json::stringify(e));
  ObjPtr o = new Obj();
  o->set("name", inv.name);
  o->set("scope", std::string(admin_scope_name(inv.scope)));
  o->set("credential_id", cred_id);
  return json_response(201, o);
}

}  // namespace paw::verifier
