// store_sql_ssh_ca.cpp — the SSH user CA's keys (ssh_ca.h), both SQL
// dialects: the same life cycle as the result-token signing keys.
#include <Poco/Data/Statement.h>

#include "store_sql.h"

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Session = Poco::Data::Session;

namespace paw::verifier {

Status SqlStore::add_ssh_ca_key(const SigningKeyRecord& k) {
  return guarded("add_ssh_ca_key", [&](Session& s) -> Status {
    s << q(
        "INSERT INTO ssh_ca_keys (kid, public_key, private_pem, created_at, retired_at) VALUES (?, ?, ?, ?, "
        "?)"),
        kw::bind(k.kid), kw::bind(k.public_jwk), kw::bind(k.private_pem), kw::bind(k.created_at),
        kw::bind(k.retired_at), now;
    return ok_status();
  });
}

Result<std::vector<SigningKeyRecord>> SqlStore::list_ssh_ca_keys() {
  std::vector<SigningKeyRecord> out;
  PAW_CHECK(guarded("list_ssh_ca_keys", [&](Session& s) -> Status {
    std::vector<std::string> kids, lines, pems;
    std::vector<std::int64_t> created, retired;
    s << "SELECT kid, public_key, private_pem, created_at, retired_at FROM ssh_ca_keys ORDER BY created_at, "
         "kid",
        into(kids), into(lines), into(pems), into(created), into(retired), now;
    for (std::size_t i = 0; i < kids.size(); ++i)
      out.push_back({kids[i], lines[i], pems[i], created[i], retired[i]});
    return ok_status();
  }));
  return out;
}

Status SqlStore::retire_ssh_ca_key(const std::string& kid, std::int64_t at) {
  return guarded("retire_ssh_ca_key", [&](Session& s) -> Status {
    s << q("UPDATE ssh_ca_keys SET retired_at = ? WHERE kid = ? AND retired_at = 0"), kw::bind(at),
        kw::bind(kid), now;
    return ok_status();
  });
}

Status SqlStore::delete_ssh_ca_keys_retired_before(std::int64_t before) {
  return guarded("delete_ssh_ca_keys", [&](Session& s) -> Status {
    s << q("DELETE FROM ssh_ca_keys WHERE retired_at <> 0 AND retired_at < ?"), kw::bind(before), now;
    return ok_status();
  });
}

}  // namespace paw::verifier
