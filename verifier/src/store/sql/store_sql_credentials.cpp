// store_sql_credentials.cpp — bearer credentials and enrollment tokens, both
// SQL dialects (the one-winner token consumption stays in each backend).
#include <Poco/Data/Statement.h>

#include "store_sql.h"

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Session = Poco::Data::Session;

namespace paw::verifier {

std::string_view credential_kind_name(CredentialKind k) noexcept {
  return k == CredentialKind::admin ? "admin" : "relying_party";
}

std::string enrollment_token_id(const std::string& hash) { return hash.substr(0, 16); }

Status SqlStore::add_credential(const CredentialRecord& c) {
  return guarded("add_credential", [&](Session& s) -> Status {
    std::string kind(credential_kind_name(c.kind));
    std::string scope(admin_scope_name(c.scope));
    s << q("INSERT INTO credentials (id, kind, hash, label, created_at, expires_at, revoked_at, scope, admin) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        kw::bind(c.id), kw::bind(kind), kw::bind(c.hash), kw::bind(c.label), kw::bind(c.created_at),
        kw::bind(c.expires_at), kw::bind(c.revoked_at), kw::bind(scope), kw::bind(c.admin), now;
    return ok_status();
  });
}

// An unknown scope text reads as read (fail closed: the least it could be).
AdminScope stored_scope(const std::string& text) { return admin_scope_from_name(text).value_or(AdminScope::read); }

Result<std::optional<CredentialRecord>> SqlStore::find_credential(CredentialKind kind, const std::string& hash) {
  std::optional<CredentialRecord> out;
  PAW_CHECK(guarded("find_credential", [&](Session& s) -> Status {
    std::string k(credential_kind_name(kind));
    std::vector<std::string> ids, labels, scopes, admins;
    std::vector<std::int64_t> created, expires, revoked;
    s << q("SELECT id, label, created_at, expires_at, revoked_at, scope, admin FROM credentials "
           "WHERE kind = ? AND hash = ?"),
        kw::bind(k), kw::bind(hash), into(ids), into(labels), into(created), into(expires), into(revoked),
        into(scopes), into(admins), now;
    if (!ids.empty()) {
      out = CredentialRecord{ids[0],     kind,       hash, labels[0], created[0], expires[0], revoked[0],
                             stored_scope(scopes[0]), admins[0]};
    }
    return ok_status();
  }));
  return out;
}

Result<std::vector<CredentialRecord>> SqlStore::list_credentials() {
  std::vector<CredentialRecord> out;
  PAW_CHECK(guarded("list_credentials", [&](Session& s) -> Status {
    std::vector<std::string> ids, kinds, hashes, labels, scopes, admins;
    std::vector<std::int64_t> created, expires, revoked;
    s << "SELECT id, kind, hash, label, created_at, expires_at, revoked_at, scope, admin FROM credentials "
         "ORDER BY created_at, id",
        into(ids), into(kinds), into(hashes), into(labels), into(created), into(expires), into(revoked),
        into(scopes), into(admins), now;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const CredentialKind k = kinds[i] == "admin" ? CredentialKind::admin : CredentialKind::relying_party;
      out.push_back({ids[i], k, hashes[i], labels[i], created[i], expires[i], revoked[i], stored_scope(scopes[i]),
                     admins[i]});
    }
    return ok_status();
  }));
  return out;
}

Result<bool> SqlStore::revoke_credential(const std::string& id, std::int64_t at) {
  bool changed = false;
  PAW_CHECK(guarded("revoke_credential", [&](Session& s) -> Status {
    std::vector<std::string> ids;
    s << q("UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at = 0 RETURNING id"), kw::bind(at),
        kw::bind(id), into(ids), now;
    changed = ids.size() == 1;
    return ok_status();
  }));
  return changed;
}

Status SqlStore::add_enrollment_token(const EnrollmentTokenRecord& t) {
  return guarded("add_enrollment_token", [&](Session& s) -> Status {
    const std::int64_t replace = t.may_replace ? 1 : 0;
    s << q("INSERT INTO enrollment_tokens (hash, label, created_at, expires_at, used, policy, may_replace, revoked_at, "
           "owner) VALUES (?, ?, ?, ?, 0, ?, ?, 0, ?)"),
        kw::bind(t.hash), kw::bind(t.label), kw::bind(t.created_at), kw::bind(t.expires_at), kw::bind(t.policy),
        kw::bind(replace), kw::bind(t.owner), now;
    return ok_status();
  });
}

Result<std::optional<EnrollmentTokenRecord>> SqlStore::find_enrollment_token(const std::string& hash) {
  std::optional<EnrollmentTokenRecord> out;
  PAW_CHECK(guarded("find_enrollment_token", [&](Session& s) -> Status {
    std::vector<std::string> labels, policies, owners;
    std::vector<std::int64_t> created, expires, used, replace, revoked;
    s << q("SELECT label, created_at, expires_at, used, policy, may_replace, revoked_at, owner FROM enrollment_tokens "
           "WHERE hash = ?"),
        kw::bind(hash), into(labels), into(created), into(expires), into(used), into(policies), into(replace),
        into(revoked), into(owners), now;
    if (!labels.empty()) {
      out = EnrollmentTokenRecord{hash,        labels[0],       created[0], expires[0], used[0] != 0,
                                  policies[0], replace[0] != 0, revoked[0], owners[0]};
    }
    return ok_status();
  }));
  return out;
}

Result<std::vector<EnrollmentTokenRecord>> SqlStore::list_enrollment_tokens() {
  std::vector<EnrollmentTokenRecord> out;
  PAW_CHECK(guarded("list_enrollment_tokens", [&](Session& s) -> Status {
    std::vector<std::string> hashes, labels, policies, owners;
    std::vector<std::int64_t> created, expires, used, revoked;
    s << "SELECT hash, label, created_at, expires_at, used, policy, revoked_at, owner FROM enrollment_tokens "
         "ORDER BY created_at, hash",
        into(hashes), into(labels), into(created), into(expires), into(used), into(policies), into(revoked),
        into(owners), now;
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      out.push_back({hashes[i], labels[i], created[i], expires[i], used[i] != 0, policies[i], false, revoked[i],
                     owners[i]});
    }
    return ok_status();
  }));
  return out;
}

Result<bool> SqlStore::revoke_enrollment_token(const std::string& id, std::int64_t at) {
  bool changed = false;
  // The id is a hash prefix of 16 hex digits: anything else matches nothing.
  if (id.size() != 16 || id.find_first_not_of("0123456789abcdef") != std::string::npos) return false;
  PAW_CHECK(guarded("revoke_enrollment_token", [&](Session& s) -> Status {
    std::vector<std::string> hashes;
    s << q("UPDATE enrollment_tokens SET revoked_at = ? WHERE substr(hash, 1, 16) = ? AND used = 0 AND revoked_at = 0 "
           "RETURNING hash"),
        kw::bind(at), kw::bind(id), into(hashes), now;
    changed = !hashes.empty();
    return ok_status();
  }));
  return changed;
}

}  // namespace paw::verifier
