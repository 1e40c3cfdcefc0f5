// store_sql_learn.cpp — learn mode's queue (migration 12), both SQL dialects:
// candidates per (policy, kind, digest) and the distinct devices that saw them.
//
// Every statement stands alone (no transaction): two replicas counting the
// same device at once insert one learn_sightings row between them (its
// primary key), and only the one whose insert took place raises the count.
#include <Poco/Data/Statement.h>

#include "store_sql.h"

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Session = Poco::Data::Session;

namespace paw::verifier {
namespace {

constexpr const char* kSelectCandidate =
    "SELECT id, policy, kind, digest, description, status, first_seen_at, first_device, devices, last_seen_at, "
    "decided_at, decided_by FROM learn_candidates";

struct CandidateColumns {
  std::vector<std::int64_t> id, first_seen, devices, last_seen, decided_at;
  std::vector<std::string> policy, kind, digest, description, status, first_device, decided_by;
  void read(Session& s, const std::string& sql, const std::function<void(Poco::Data::Statement&)>& bind) {
    Poco::Data::Statement st(s);
    st << sql;
    bind(st);
    st, into(id), into(policy), into(kind), into(digest), into(description), into(status), into(first_seen),
        into(first_device), into(devices), into(last_seen), into(decided_at), into(decided_by), now;
  }
  void append_to(std::vector<LearnCandidate>& out) const {
    for (std::size_t i = 0; i < id.size(); ++i) {
      out.push_back({id[i], policy[i], kind[i], digest[i], description[i], status[i], first_seen[i], first_device[i],
                     devices[i], last_seen[i], decided_at[i], decided_by[i]});
    }
  }
};

}  // namespace

Result<LearnOutcome> SqlStore::record_learn_sightings(const std::string& policy, const std::string& device,
                                                      const std::vector<LearnSeen>& seen, std::int64_t at,
                                                      const LearnLimits& limits) {
  LearnOutcome out;
  PAW_CHECK(guarded("record_learn_sightings", [&](Session& s) -> Status {
    for (const auto& x : seen) {
      std::vector<std::int64_t> ids;
      std::vector<std::string> statuses;
      auto find = [&] {
        ids.clear();
        statuses.clear();
        s << q("SELECT id, status FROM learn_candidates WHERE policy = ? AND kind = ? AND digest = ?"),
            kw::bind(policy), kw::bind(x.kind), kw::bind(x.digest), into(ids), into(statuses), now;
      };
      find();
      if (ids.empty()) {
        std::int64_t queued = 0, opened = 0;
        s << q("SELECT COUNT(*) FROM learn_candidates WHERE policy = ? AND status = 'pending'"), kw::bind(policy),
            into(queued), now;
        s << q("SELECT COUNT(*) FROM learn_candidates WHERE policy = ? AND status = 'pending' AND first_device = ?"),
            kw::bind(policy), kw::bind(device), into(opened), now;
        if (queued >= limits.per_policy || opened >= limits.per_device) {
          ++out.dropped;
          continue;
        }
        s << q("INSERT INTO learn_candidates (policy, kind, digest, description, status, first_seen_at, "
               "first_device, devices, last_seen_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, 0, ?) "
               "ON CONFLICT (policy, kind, digest) DO NOTHING"),
            kw::bind(policy), kw::bind(x.kind), kw::bind(x.digest), kw::bind(x.description), kw::bind(at),
            kw::bind(device), kw::bind(at), now;
        find();
        if (ids.empty()) continue;
      }
      if (statuses.front() != "pending") continue;  // decided: never queued again
      const std::int64_t id = ids.front();
      std::vector<std::int64_t> added;
      s << q("INSERT INTO learn_sightings (candidate_id, device_id, seen_at) VALUES (?, ?, ?) "
             "ON CONFLICT (candidate_id, device_id) DO NOTHING RETURNING candidate_id"),
          kw::bind(id), kw::bind(device), kw::bind(at), into(added), now;
      if (added.empty()) continue;  // this device counted already
      std::vector<std::int64_t> counts;
      s << q("UPDATE learn_candidates SET devices = devices + 1, last_seen_at = ? WHERE id = ? RETURNING devices"),
          kw::bind(at), kw::bind(id), into(counts), now;
      LearnCandidate c;
      c.id = id;
      c.policy = policy;
      c.kind = x.kind;
      c.digest = x.digest;
      c.description = x.description;
      c.status = "pending";
      c.devices = counts.empty() ? 0 : counts.front();
      c.last_seen_at = at;
      out.counted.push_back(std::move(c));
    }
    return ok_status();
  }));
  return out;
}

Result<std::vector<LearnCandidate>> SqlStore::list_learn_candidates(const std::string& policy) {
  std::vector<LearnCandidate> out;
  PAW_CHECK(guarded("list_learn_candidates", [&](Session& s) -> Status {
    CandidateColumns c;
    const std::string order = " ORDER BY devices DESC, first_seen_at, id";
    if (policy.empty()) {
      c.read(s, std::string(kSelectCandidate) + order, [](Poco::Data::Statement&) {});
    } else {
      c.read(s, q(std::string(kSelectCandidate) + " WHERE policy = ?" + order),
             [&](Poco::Data::Statement& st) { st, kw::bind(policy); });
    }
    c.append_to(out);
    return ok_status();
  }));
  return out;
}

Result<std::optional<LearnCandidate>> SqlStore::get_learn_candidate(std::int64_t id) {
  std::vector<LearnCandidate> out;
  PAW_CHECK(guarded("get_learn_candidate", [&](Session& s) -> Status {
    CandidateColumns c;
    c.read(s, q(std::string(kSelectCandidate) + " WHERE id = ?"), [&](Poco::Data::Statement& st) { st, kw::bind(id); });
    c.append_to(out);
    return ok_status();
  }));
  if (out.empty()) return std::optional<LearnCandidate>{};
  return std::optional<LearnCandidate>{std::move(out.front())};
}

Result<bool> SqlStore::decide_learn_candidate(std::int64_t id, const std::string& status, const std::string& by,
                                              std::int64_t at) {
  bool changed = false;
  PAW_CHECK(guarded("decide_learn_candidate", [&](Session& s) -> Status {
    std::vector<std::int64_t> ids;
    s << q("UPDATE learn_candidates SET status = ?, decided_at = ?, decided_by = ? WHERE id = ? AND status = 'pending' "
           "RETURNING id"),
        kw::bind(status), kw::bind(at), kw::bind(by), kw::bind(id), into(ids), now;
    changed = ids.size() == 1;
    return ok_status();
  }));
  return changed;
}

}  // namespace paw::verifier
