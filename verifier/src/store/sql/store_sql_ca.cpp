// store_sql_ca.cpp — the CA keys table (migration 7), both SQL dialects.
#include <Poco/Data/Statement.h>

#include "store_sql.h"

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Session = Poco::Data::Session;

namespace paw::verifier {

Status SqlStore::add_ca_key(const CaKeyRecord& k) {
  return guarded("add_ca_key", [&](Session& s) -> Status {
    s << q("INSERT INTO ca_keys (kind, kid, certificate, private_pem, created_at, retired_at) "
           "VALUES (?, ?, ?, ?, ?, ?)"),
        kw::bind(k.kind), kw::bind(k.kid), kw::bind(k.certificate), kw::bind(k.private_pem), kw::bind(k.created_at),
        kw::bind(k.retired_at), now;
    return ok_status();
  });
}

Result<std::vector<CaKeyRecord>> SqlStore::list_ca_keys(const std::string& kind) {
  std::vector<CaKeyRecord> out;
  PAW_CHECK(guarded("list_ca_keys", [&](Session& s) -> Status {
    std::vector<std::string> kids, certs, pems;
    std::vector<std::int64_t> created, retired;
    s << q("SELECT kid, certificate, private_pem, created_at, retired_at FROM ca_keys WHERE kind = ? "
           "ORDER BY created_at, kid"),
        kw::bind(kind), into(kids), into(certs), into(pems), into(created), into(retired), now;
    for (std::size_t i = 0; i < kids.size(); ++i) {
      out.push_back({kind, kids[i], certs[i], pems[i], created[i], retired[i]});
    }
    return ok_status();
  }));
  return out;
}

Status SqlStore::retire_ca_key(const std::string& kind, const std::string& kid, std::int64_t at) {
  return guarded("retire_ca_key", [&](Session& s) -> Status {
    s << q("UPDATE ca_keys SET retired_at = ? WHERE kind = ? AND kid = ? AND retired_at = 0"), kw::bind(at),
        kw::bind(kind), kw::bind(kid), now;
    return ok_status();
  });
}

Status SqlStore::delete_ca_keys_retired_before(const std::string& kind, std::int64_t before) {
  return guarded("delete_ca_keys", [&](Session& s) -> Status {
    s << q("DELETE FROM ca_keys WHERE kind = ? AND retired_at <> 0 AND retired_at < ?"), kw::bind(kind),
        kw::bind(before), now;
    return ok_status();
  });
}

}  // namespace paw::verifier
