// Admin endpoints for the secrets the verifier hands out: bearer credentials
// (admin, relying party) and enrollment tokens — list and revoke. The store
// is read on every authenticated request, so a revocation holds at once on
// every replica; each one is an audited event naming who did it.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>

#include "service.h"
#include "util.h"

namespace paw::verifier {
namespace {
using Obj = Poco::JSON::Object;
using ObjPtr = Poco::JSON::Object::Ptr;

// LabelAndLifetime: the "label" and "expires_in_seconds" members every
// credential request may carry (0 = never expires).
struct LabelAndLifetime {
  std::string label;
  std::int64_t expires_in = 0;
};

Result<LabelAndLifetime> label_and_lifetime(const json::ObjectPtr& body) {
  LabelAndLifetime out;
  PAW_TRY(auto l, json::opt_string(body, "label"));
  out.label = l.value_or("");
  if (out.label.size() > 256) return make_error(Errc::malformed, "label longer than 256");
  if (body->has("expires_in_seconds")) {
    PAW_TRY(out.expires_in, json::get_int(body, "expires_in_seconds"));
    if (out.expires_in < 60 || out.expires_in > 10 * 365 * 86400LL) {
      return make_error(Errc::malformed, "expires_in_seconds must be in [60, 315360000]");
    }
  }
  return out;
}

std::string credential_state(const CredentialRecord& c, std::int64_t now_s) {
  if (c.revoked_at != 0) return "revoked";
  if (c.expires_at != 0 && c.expires_at <= now_s) return "expired";
  return "active";
}

std::string token_state(const EnrollmentTokenRecord& t, std::int64_t now_s) {
  if (t.revoked_at != 0) return "revoked";
  if (t.used) return "used";
  if (t.expires_at <= now_s) return "expired";
  return "unused";
}

// The hash is never shown: it identifies the secret offline.
ObjPtr credential_json(const CredentialRecord& c, std::int64_t now_s) {
  ObjPtr o = new Obj();
  o->set("id", c.id);
  o->set("kind", std::string(credential_kind_name(c.kind)));
  o->set("label", c.label);
  o->set("created_at", c.created_at);
  o->set("expires_at", c.expires_at);
  o->set("revoked_at", c.revoked_at);
  o->set("state", credential_state(c, now_s));
  if (c.kind == CredentialKind::admin) {
    o->set("scope", std::string(admin_scope_name(c.scope)));
    o->set("admin", c.admin);  // the person of a session ("" = a credential)
  }
  return o;
}

ObjPtr token_json(const EnrollmentTokenRecord& t, std::int64_t now_s) {
  ObjPtr o = new Obj();
  o->set("id", enrollment_token_id(t.hash));
  o->set("label", t.label);
  o->set("policy", t.policy.empty() ? std::string(kDefaultPolicyName) : t.policy);
  o->set("created_at", t.created_at);
  o->set("expires_at", t.expires_at);
  o->set("revoked_at", t.revoked_at);
  o->set("state", token_state(t, now_s));
  return o;
}

ObjPtr actor_json(const Request& req) {
  ObjPtr ev = new Obj();
  ev->set("by", req.actor);
  ev->set("by_name", req.actor_name);
  if (!req.actor_admin.empty()) ev->set("by_admin", req.actor_admin);
  return ev;
}
}  // namespace

Result<Response> Service::admin_list_credentials(Request&) {
  const std::int64_t now_s = unix_now();
  PAW_TRY(auto list, store_->list_credentials());
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array();
  for (const auto& c : list) arr->add(credential_json(c, now_s));
  ObjPtr o = new Obj();
  o->set("credentials", arr);
  return json_response(200, o);
}

Result<Response> Service::admin_revoke_credential(Request& req) {
  const std::string& id = req.params[0];
  const std::int64_t now_s = unix_now();
  PAW_TRY(auto list, store_->list_credentials());
  const auto it = std::find_if(list.begin(), list.end(), [&](const CredentialRecord& c) { return c.id == id; });
  if (it == list.end()) return make_error(Errc::not_found, "unknown credential");
  if (it->revoked_at != 0) return make_error(Errc::conflict, "credential already revoked");
  // Nobody locks the fleet out by mistake: one usable full admin credential
  // stays (sessions and scoped credentials do not count: they end or cannot
  // make another). `paw-verifier admin-credential` on the database host makes one.
  const auto lasting_full = [&](const CredentialRecord& c) {
    return c.kind == CredentialKind::admin && c.admin.empty() && c.scope == AdminScope::full;
  };
  if (lasting_full(*it)) {
    const auto usable = std::count_if(list.begin(), list.end(), [&](const CredentialRecord& c) {
      return lasting_full(c) && c.id != id && credential_state(c, now_s) == "active";
    });
    if (usable == 0) return make_error(Errc::conflict, "the last usable admin credential cannot be revoked");
  }
  PAW_TRY(bool changed, store_->revoke_credential(id, now_s));
  if (!changed) return make_error(Errc::conflict, "credential already revoked");
  CredentialRecord done = *it;
  done.revoked_at = now_s;
  ObjPtr ev = actor_json(req);
  ev->set("credential", id);
  ev->set("credential_name", it->label);
  ev->set("kind", std::string(credential_kind_name(it->kind)));
  record_event("credential_revocation", "", json::stringify(ev));
  return json_response(200, credential_json(done, now_s));
}

// admin_create_rp_credential: a relying party's bearer credential (pawctl
// rp-credential create). Body (optional): {"label": "...", "expires_in_seconds": N}.
Result<Response> Service::admin_create_rp_credential(Request& req) {
  LabelAndLifetime asked;  // the body is optional
  if (!req.body.empty()) {
    PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 64u << 10));
    PAW_CHECK(json::only_keys(body, {"label", "expires_in_seconds"}, "relying-party credential request"));
    PAW_TRY(asked, label_and_lifetime(body));
  }
  const std::string& label = asked.label;
  const std::int64_t expires_in = asked.expires_in;
  PAW_TRY(std::string id, random_hex(8));
  PAW_TRY(std::string secret, random_hex(32));
  const std::string credential = "pawrp_" + secret;
  const std::int64_t now_s = unix_now();
  const std::int64_t expires_at = expires_in == 0 ? 0 : now_s + expires_in;
  PAW_CHECK(store_->add_credential(
      {"rp-" + id, CredentialKind::relying_party, sha256_hex(credential), label, now_s, expires_at, 0}));
  ObjPtr o = new Obj();
  o->set("id", "rp-" + id);
  o->set("credential", credential);
  o->set("label", label);
  o->set("expires_at", expires_at);
  return json_response(201, o);
}


// admin_create_credential: a scoped (and usually expiring) admin API
// credential for automation (pawctl credentials create). Body: {"scope":
// "read"|"devices"|"policy"|"full", "label": "...", "expires_in_seconds": N}.
Result<Response> Service::admin_create_credential(Request& req) {
  PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 64u << 10));
  PAW_CHECK(json::only_keys(body, {"scope", "label", "expires_in_seconds"}, "credential request"));
  PAW_TRY(std::string scope_name, json::get_string(body, "scope"));
  const auto scope = admin_scope_from_name(scope_name);
  if (!scope) return make_error(Errc::malformed, "scope must be read, devices, policy or full");
  PAW_TRY(LabelAndLifetime asked, label_and_lifetime(body));
  const std::string& label = asked.label;
  const std::int64_t expires_in = asked.expires_in;
  PAW_TRY(std::string id, random_hex(8));
  PAW_TRY(std::string secret, random_hex(32));
  const std::string credential = "pawadm_" + secret;
  const std::int64_t now_s = unix_now();
  CredentialRecord rec{"admin-" + id, CredentialKind::admin, sha256_hex(credential), label, now_s,
                       expires_in == 0 ? 0 : now_s + expires_in, 0, *scope};
  PAW_CHECK(store_->add_credential(rec));
  ObjPtr ev = actor_json(req);
  ev->set("credential", rec.id);
  ev->set("credential_name", label);
  ev->set("scope", scope_name);
  ev->set("expires_at", rec.expires_at);
  record_event("credential_creation", "", json::stringify(ev));
  ObjPtr o = credential_json(rec, now_s);
  o->set("credential", credential);
  return json_response(201, o);
}

Result<Response> Service::admin_list_tokens(Request&) {
  const std::int64_t now_s = unix_now();
  PAW_TRY(auto list, store_->list_enrollment_tokens());
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array();
  for (const auto& t : list) arr->add(token_json(t, now_s));
  ObjPtr o = new Obj();
  o->set("tokens", arr);
  return json_response(200, o);
}

Result<Response> Service::admin_revoke_token(Request& req) {
  const std::string& id = req.params[0];
  const std::int64_t now_s = unix_now();
  PAW_TRY(auto list, store_->list_enrollment_tokens());
  const auto it = std::find_if(list.begin(), list.end(),
                               [&](const EnrollmentTokenRecord& t) { return enrollment_token_id(t.hash) == id; });
  if (it == list.end()) return make_error(Errc::not_found, "unknown enrollment token");
  if (it->revoked_at != 0) return make_error(Errc::conflict, "enrollment token already revoked");
  if (it->used) return make_error(Errc::conflict, "enrollment token already used (revoke the device instead)");
  PAW_TRY(bool changed, store_->revoke_enrollment_token(id, now_s));
  if (!changed) return make_error(Errc::conflict, "enrollment token was used or revoked meanwhile");
  EnrollmentTokenRecord done = *it;
  done.revoked_at = now_s;
  ObjPtr ev = actor_json(req);
  ev->set("token", id);
  ev->set("label", it->label);
  record_event("token_revocation", "", json::stringify(ev));
  return json_response(200, token_json(done, now_s));
}

}  // namespace paw::verifier
