// store_sql_refs.cpp — reference events (migration 13), both SQL dialects:
// the verified boot events each reference set was captured from.
#include <Poco/Data/Statement.h>

#include "store_sql.h"

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Session = Poco::Data::Session;

namespace paw::verifier {

namespace {

// upsert_reference_events writes |r| on |s| (replacing its (policy, set) row).
void upsert_reference_events(Session& s, const std::string& sql, const ReferenceEvents& r) {
  s << sql, kw::bind(r.policy), kw::bind(r.set), kw::bind(r.device_id), kw::bind(r.attested_at),
      kw::bind(r.captured_at), kw::bind(r.events_json), now;
}

constexpr const char* kPutReferenceEventsSql =
    "INSERT INTO reference_events (policy, set_name, device_id, attested_at, captured_at, events) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (policy, set_name) DO UPDATE SET device_id = excluded.device_id, "
    "attested_at = excluded.attested_at, captured_at = excluded.captured_at, events = excluded.events";

}  // namespace

Status SqlStore::put_policy_with_reference_events(const PolicyRecord& p, const ReferenceEvents& r) {
  return guarded("put_policy_with_reference_events", [&](Session& s) -> Status {
    // SQLite: IMMEDIATE takes the write lock at BEGIN (no lock upgrade to
    // fail halfway beside the group writer); PostgreSQL through the session.
    const bool lite = dialect_ == SqlDialect::sqlite;
    if (lite) s << "BEGIN IMMEDIATE", now;
    else s.begin();
    try {
      s << q("INSERT INTO policies (name, version, json, updated_at) VALUES (?, ?, ?, ?) "
             "ON CONFLICT (name) DO UPDATE SET version = excluded.version, json = excluded.json, "
             "updated_at = excluded.updated_at"),
          kw::bind(p.name), kw::bind(p.version), kw::bind(p.json), kw::bind(p.updated_at), now;
      upsert_reference_events(s, q(kPutReferenceEventsSql), r);
    } catch (...) {
      try {
        if (lite) s << "ROLLBACK", now;
        else s.rollback();
      } catch (...) {
      }
      throw;  // guarded() makes it Errc::storage_error
    }
    if (lite) s << "COMMIT", now;
    else s.commit();
    return ok_status();
  });
}

Status SqlStore::put_reference_events(const ReferenceEvents& r) {
  return guarded("put_reference_events", [&](Session& s) -> Status {
    upsert_reference_events(s, q(kPutReferenceEventsSql), r);
    return ok_status();
  });
}

Result<std::vector<ReferenceEvents>> SqlStore::list_reference_events(const std::string& policy) {
  std::vector<ReferenceEvents> out;
  PAW_CHECK(guarded("list_reference_events", [&](Session& s) -> Status {
    std::vector<std::string> policies, sets, devices, events;
    std::vector<std::int64_t> attested, captured;
    s << q("SELECT policy, set_name, device_id, attested_at, captured_at, events FROM reference_events "
           "WHERE policy = ? ORDER BY captured_at DESC, set_name"),
        kw::bind(policy), into(policies), into(sets), into(devices), into(attested), into(captured), into(events), now;
    for (std::size_t i = 0; i < policies.size(); ++i) {
      out.push_back({policies[i], sets[i], devices[i], attested[i], captured[i], events[i]});
    }
    return ok_status();
  }));
  return out;
}

}  // namespace paw::verifier
