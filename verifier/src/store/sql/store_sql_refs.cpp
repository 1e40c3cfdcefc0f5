// store_sql_refs.cpp — reference events (migration 13), both SQL dialects:
// the verified boot events each reference set was captured from, and the two
// policy writes that keep them true to the values beside them.
//
// Why each of those writes compares the stored version. The service builds
// what it writes from the policy it read before the transaction: a capture
// adds the device's values to that document, a PUT names the sets whose
// values differ from it (and checks If-Match against it). Within one
// verifier policy_mu_ orders the two; across replicas (PostgreSQL, or two
// processes on one SQLite file) nothing else does, so a capture at replica
// B can commit between a PUT's read at replica A and A's write. Without the
// compare A would then write its document over B's with the same version
// number (a version would name two documents: PolicyCache keys by it), and,
// for a set A left as the old version had it but B captured anew, keep B's
// events beside values B's boot does not explain. With the compare the race
// has one outcome:
//  - both transactions write the policies row first, so they serialize on
//    it: SQLite by the write lock BEGIN IMMEDIATE takes (the second waits,
//    busy_timeout, and reads the committed row after); PostgreSQL (READ
//    COMMITTED) by the row lock of the UPDATE (the second waits until the
//    first commits, then re-checks its WHERE against the new row) or, for a
//    policy not stored yet, by the unique index INSERT … ON CONFLICT waits on
//    (a server whose default isolation is REPEATABLE READ or SERIALIZABLE
//    fails the second with a serialization error instead: a storage error,
//    nothing written either);
//  - the first to commit wins whole (policy and events); the second finds
//    the version moved, rolls back before touching reference_events and
//    answers Errc::conflict (HTTP 409): its caller reads again and redoes
//    the edit or capture on top of the winner's document.
// So every committed state is one a serial run of the two requests gives:
// a set's events are those captured for the values beside them, or none.
// Both take the policies row before any reference_events row: no lock-order
// deadlock between them. Learn mode's approve (learn.cpp) writes through
// put_policy_clearing_reference_events with no sets: the compare alone.
// Only the first start's default policy (state.cpp) writes with put_policy.
#include <Poco/Data/Statement.h>

#include <functional>

#include "store_sql.h"

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Session = Poco::Data::Session;

namespace paw::verifier {

// write_transaction: store_sql.h.
Status write_transaction(Session& s, SqlDialect d, const std::function<Status()>& body) {
  const bool lite = d == SqlDialect::sqlite;
  if (lite) s << "BEGIN IMMEDIATE", now;
  else s.begin();
  Status st = ok_status();
  try {
    st = body();
  } catch (...) {
    try {
      if (lite) s << "ROLLBACK", now;
      else s.rollback();
    } catch (...) {
    }
    throw;
  }
  if (lite) s << (st.ok() ? "COMMIT" : "ROLLBACK"), now;
  else if (st.ok()) s.commit();
  else s.rollback();
  return st;
}

Status SqlStore::replace_policy_in(Session& s, const PolicyRecord& p, std::int64_t replaces) const {
  std::vector<std::int64_t> won;
  if (replaces == 0) {
    s << q("INSERT INTO policies (name, version, json, updated_at) VALUES (?, ?, ?, ?) "
           "ON CONFLICT (name) DO NOTHING RETURNING version"),
        kw::bind(p.name), kw::bind(p.version), kw::bind(p.json), kw::bind(p.updated_at), into(won), now;
  } else {
    s << q("UPDATE policies SET version = ?, json = ?, updated_at = ? WHERE name = ? AND version = ? "
           "RETURNING version"),
        kw::bind(p.version), kw::bind(p.json), kw::bind(p.updated_at), kw::bind(p.name), kw::bind(replaces),
        into(won), now;
  }
  if (won.size() == 1) return ok_status();
  return make_error(Errc::conflict, "policy " + p.name + " was changed by another write since " +
                                        (replaces == 0 ? std::string("it was found missing")
                                                       : "version " + std::to_string(replaces) + " was read") +
                                        ": read it again and redo the change");
}

Status SqlStore::put_policy_with_reference_events(const PolicyRecord& p, std::int64_t replaces,
                                                  const ReferenceEvents& r) {
  return guarded("put_policy_with_reference_events", [&](Session& s) -> Status {
    return write_transaction(s, dialect_, [&]() -> Status {
      PAW_CHECK(replace_policy_in(s, p, replaces));
      s << q("INSERT INTO reference_events (policy, set_name, device_id, attested_at, captured_at, events) "
             "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (policy, set_name) DO UPDATE SET device_id = excluded.device_id, "
             "attested_at = excluded.attested_at, captured_at = excluded.captured_at, events = excluded.events"),
          kw::bind(r.policy), kw::bind(r.set), kw::bind(r.device_id), kw::bind(r.attested_at),
          kw::bind(r.captured_at), kw::bind(r.events_json), now;
      return ok_status();
    });
  });
}

Status SqlStore::put_policy_clearing_reference_events(const PolicyRecord& p, std::int64_t replaces,
                                                      const std::vector<std::string>& cleared) {
  return guarded("put_policy_clearing_reference_events", [&](Session& s) -> Status {
    return write_transaction(s, dialect_, [&]() -> Status {
      PAW_CHECK(replace_policy_in(s, p, replaces));
      for (const std::string& set : cleared) {
        s << q("UPDATE reference_events SET device_id = '', attested_at = 0, captured_at = ?, events = '' "
               "WHERE policy = ? AND set_name = ?"),
            kw::bind(p.updated_at), kw::bind(p.name), kw::bind(set), now;
      }
      return ok_status();
    });
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
