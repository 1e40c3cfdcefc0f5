// Listing and revoking admin invitations (docs/console.md "Adding an admin
// from the browser"): an invitation sent to the wrong person, or whose link
// leaked, is revoked at once instead of living until it expires. The record
// is in the database (migration 15) and read by every registration, so a
// revocation holds on every replica; each one is audited with its actor.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "invitation.h"
#include "service.h"
#include "util.h"

namespace paw::verifier {
namespace {
using Obj = Poco::JSON::Object;
using ObjPtr = Poco::JSON::Object::Ptr;

// invitation_json: what an admin sees of an invitation (never the token,
// which the verifier does not keep).
ObjPtr invitation_json(const InvitationRecord& r) {
  ObjPtr o = new Obj();
  o->set("id", r.id);
  o->set("name", r.name);
  o->set("scope", std::string(admin_scope_name(r.scope)));
  o->set("by", r.by);
  o->set("by_name", r.by_name);
  o->set("by_admin", r.by_admin);
  o->set("created_at", r.created_at);
  o->set("expires_at", r.expires_at);
  o->set("revoked_at", r.revoked_at);
  return o;
}

// check_invitation_id: 16 lowercase hex digits, as invitation_id writes them.
Status check_invitation_id(const std::string& id) {
  if (id.size() != 16) return make_error(Errc::malformed, "an invitation id is 16 hex digits");
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return make_error(Errc::malformed, "an invitation id is 16 lowercase hex digits");
  }
  return ok_status();
}

}  // namespace

// admin_list_invitations: the invitations that could still be used (neither
// used, revoked nor expired), oldest first.
Result<Response> Service::admin_list_invitations(Request&) {
  PAW_TRY(auto list, store_->list_invitations(unix_now()));
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array();
  for (const auto& r : list) arr->add(invitation_json(r));
  ObjPtr o = new Obj();
  o->set("invitations", arr);
  return json_response(200, o);
}

// admin_revoke_invitation: POST /v1/admin/invitations/ID/revoke. 404 for an
// id the verifier does not know (never issued, or purged after expiry), 409
// for one already used, revoked or expired.
Result<Response> Service::admin_revoke_invitation(Request& req) {
  const std::string& id = req.params[0];
  PAW_CHECK(check_invitation_id(id));
  const std::int64_t now_s = unix_now();
  PAW_TRY(auto rec, store_->find_invitation(id));
  if (!rec) return make_error(Errc::not_found, "no invitation " + id + " (pawctl admin invitations lists them)");
  if (rec->revoked_at != 0) return make_error(Errc::conflict, "invitation " + id + " is already revoked");
  if (rec->used_at != 0)
    return make_error(Errc::conflict, "invitation " + id + " was already used: " + rec->name +
                                          " is an admin (pawctl admin remove " + rec->name + ")");
  if (rec->expires_at <= now_s) return make_error(Errc::conflict, "invitation " + id + " has expired already");
  PAW_TRY(bool changed, store_->revoke_invitation(id, req.actor, now_s));
  if (!changed) return make_error(Errc::conflict, "invitation " + id + " was used or revoked meanwhile");
  InvitationRecord done = *rec;
  done.revoked_at = now_s;
  done.revoked_by = req.actor;
  ObjPtr e = new Obj();
  e->set("by", req.actor);
  e->set("by_name", req.actor_name);
  if (!req.actor_admin.empty()) e->set("by_admin", req.actor_admin);
  e->set("invitation", id);
  e->set("admin", rec->name);
  e->set("scope", std::string(admin_scope_name(rec->scope)));
  e->set("invited_by", rec->by);
  record_event("admin_invitation_revoked", "", json::stringify(e));
  return json_response(200, invitation_json(done));
}

}  // namespace paw::verifier
