// store_sql_invitations.cpp — admin invitations (migration 15), both SQL
// dialects. Revoking and using are one conditional UPDATE each, counted
// through RETURNING: the database decides which of two racing calls wins.
#include <Poco/Data/Statement.h>

#include "store_sql.h"

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Session = Poco::Data::Session;

namespace paw::verifier {
namespace {

constexpr const char* kSelect =
    "SELECT id, name, scope, by_credential, by_name, by_admin, created_at, expires_at, used_at, revoked_at, "
    "revoked_by FROM admin_invitations ";

// Rows: the columns of kSelect, one vector each.
struct Rows {
  std::vector<std::string> id, name, scope, by, by_name, by_admin;
  std::vector<std::int64_t> created, expires, used, revoked;
  std::vector<std::string> revoked_by;

  [[nodiscard]] std::vector<InvitationRecord> records() const {
    std::vector<InvitationRecord> out;
    for (std::size_t i = 0; i < id.size(); ++i) {
      out.push_back({id[i], name[i], stored_scope(scope[i]), by[i], by_name[i], by_admin[i], created[i], expires[i],
                     used[i], revoked[i], revoked_by[i]});
    }
    return out;
  }
};

}  // namespace

Status SqlStore::add_invitation(const InvitationRecord& i) {
  return guarded("add_invitation", [&](Session& s) -> Status {
    std::string scope(admin_scope_name(i.scope));
    std::vector<std::string> ids;
    s << q("INSERT INTO admin_invitations (id, name, scope, by_credential, by_name, by_admin, created_at, expires_at) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id"),
        kw::bind(i.id), kw::bind(i.name), kw::bind(scope), kw::bind(i.by), kw::bind(i.by_name), kw::bind(i.by_admin),
        kw::bind(i.created_at), kw::bind(i.expires_at), into(ids), now;
    if (ids.size() != 1) return make_error(Errc::conflict, "an invitation with this id exists");
    return ok_status();
  });
}

Result<std::optional<InvitationRecord>> SqlStore::find_invitation(const std::string& id) {
  std::optional<InvitationRecord> out;
  PAW_CHECK(guarded("find_invitation", [&](Session& s) -> Status {
    Rows r;
    s << q(std::string(kSelect) + "WHERE id = ?"), kw::bind(id), into(r.id), into(r.name), into(r.scope), into(r.by),
        into(r.by_name), into(r.by_admin), into(r.created), into(r.expires), into(r.used), into(r.revoked),
        into(r.revoked_by), now;
    auto recs = r.records();
    if (!recs.empty()) out = std::move(recs.front());
    return ok_status();
  }));
  return out;
}

Result<std::vector<InvitationRecord>> SqlStore::list_invitations(std::int64_t at) {
  std::vector<InvitationRecord> out;
  PAW_CHECK(guarded("list_invitations", [&](Session& s) -> Status {
    Rows r;
    s << q(std::string(kSelect) + "WHERE used_at = 0 AND revoked_at = 0 AND expires_at > ? ORDER BY created_at, id"),
        kw::bind(at), into(r.id), into(r.name), into(r.scope), into(r.by), into(r.by_name), into(r.by_admin),
        into(r.created), into(r.expires), into(r.used), into(r.revoked), into(r.revoked_by), now;
    out = r.records();
    return ok_status();
  }));
  return out;
}

Result<bool> SqlStore::revoke_invitation(const std::string& id, const std::string& by, std::int64_t at) {
  bool changed = false;
  PAW_CHECK(guarded("revoke_invitation", [&](Session& s) -> Status {
    std::vector<std::string> ids;
    s << q("UPDATE admin_invitations SET revoked_at = ?, revoked_by = ? WHERE id = ? AND used_at = 0 AND "
           "revoked_at = 0 AND expires_at > ? RETURNING id"),
        kw::bind(at), kw::bind(by), kw::bind(id), kw::bind(at), into(ids), now;
    changed = ids.size() == 1;
    return ok_status();
  }));
  return changed;
}

Result<bool> SqlStore::use_invitation(const std::string& id, std::int64_t at) {
  bool changed = false;
  PAW_CHECK(guarded("use_invitation", [&](Session& s) -> Status {
    std::vector<std::string> ids;
    s << q("UPDATE admin_invitations SET used_at = ? WHERE id = ? AND used_at = 0 AND revoked_at = 0 AND "
           "expires_at > ? RETURNING id"),
        kw::bind(at), kw::bind(id), kw::bind(at), into(ids), now;
    changed = ids.size() == 1;
    return ok_status();
  }));
  return changed;
}

}  // namespace paw::verifier
