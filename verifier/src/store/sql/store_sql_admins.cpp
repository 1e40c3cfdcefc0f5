// store_sql_admins.cpp — FIDO2 admins (migration 11), both SQL dialects.
#include <Poco/Data/Statement.h>

#include "store_sql.h"

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Session = Poco::Data::Session;

namespace paw::verifier {

Status SqlStore::add_admin(const AdminRecord& a) {
  return guarded("add_admin", [&](Session& s) -> Status {
    std::string scope(admin_scope_name(a.scope));
    // ON CONFLICT DO NOTHING + RETURNING: a taken name or credential id is an
    // answer (conflict), not a storage error.
    std::vector<std::string> names;
    s << q("INSERT INTO admins (name, credential_id, credential_json, scope, sign_count, created_at, created_by) "
           "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING name"),
        kw::bind(a.name), kw::bind(a.credential_id), kw::bind(a.credential_json), kw::bind(scope),
        kw::bind(a.sign_count), kw::bind(a.created_at), kw::bind(a.created_by), into(names), now;
    if (names.size() != 1) return make_error(Errc::conflict, "an admin with this name or FIDO2 credential exists");
    return ok_status();
  });
}

Result<std::vector<AdminRecord>> SqlStore::list_admins() {
  std::vector<AdminRecord> out;
  PAW_CHECK(guarded("list_admins", [&](Session& s) -> Status {
    std::vector<std::string> names, ids, jsons, scopes, by;
    std::vector<std::int64_t> counts, created;
    s << "SELECT name, credential_id, credential_json, scope, sign_count, created_at, created_by FROM admins "
         "ORDER BY name",
        into(names), into(ids), into(jsons), into(scopes), into(counts), into(created), into(by), now;
    for (std::size_t i = 0; i < names.size(); ++i) {
      out.push_back({names[i], ids[i], jsons[i], stored_scope(scopes[i]), counts[i], created[i], by[i]});
    }
    return ok_status();
  }));
  return out;
}

Result<bool> SqlStore::remove_admin(const std::string& name) {
  bool removed = false;
  PAW_CHECK(guarded("remove_admin", [&](Session& s) -> Status {
    std::vector<std::string> names;
    s << q("DELETE FROM admins WHERE name = ? RETURNING name"), kw::bind(name), into(names), now;
    removed = names.size() == 1;
    return ok_status();
  }));
  return removed;
}

Result<bool> SqlStore::advance_admin_counter(const std::string& name, std::int64_t seen, std::int64_t next) {
  bool changed = false;
  PAW_CHECK(guarded("advance_admin_counter", [&](Session& s) -> Status {
    std::vector<std::string> names;
    s << q("UPDATE admins SET sign_count = ? WHERE name = ? AND sign_count = ? RETURNING name"), kw::bind(next),
        kw::bind(name), kw::bind(seen), into(names), now;
    changed = names.size() == 1;
    return ok_status();
  }));
  return changed;
}

Result<std::int64_t> SqlStore::revoke_admin_sessions(const std::string& admin, std::int64_t at) {
  std::int64_t n = 0;
  if (admin.empty()) return n;  // "" names the plain credentials, never sessions
  PAW_CHECK(guarded("revoke_admin_sessions", [&](Session& s) -> Status {
    std::vector<std::string> ids;
    s << q("UPDATE credentials SET revoked_at = ? WHERE admin = ? AND revoked_at = 0 RETURNING id"), kw::bind(at),
        kw::bind(admin), into(ids), now;
    n = static_cast<std::int64_t>(ids.size());
    return ok_status();
  }));
  return n;
}

}  // namespace paw::verifier
