// store_sql_report.cpp — report-only policies (migration 10), both SQL
// dialects: which candidate policy is judged beside which enforced one, and
// each candidate's latest verdict per device.
#include <Poco/Data/Statement.h>

#include "store_sql.h"

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Session = Poco::Data::Session;

namespace paw::verifier {

Status SqlStore::attach_report_policy(const ReportAttachment& a) {
  return guarded("attach_report_policy", [&](Session& s) -> Status {
    s << q("INSERT INTO report_policies (name, target, created_at) VALUES (?, ?, ?) "
           "ON CONFLICT (name) DO UPDATE SET target = excluded.target, created_at = excluded.created_at"),
        kw::bind(a.name), kw::bind(a.target), kw::bind(a.created_at), now;
    return ok_status();
  });
}

Result<bool> SqlStore::detach_report_policy(const std::string& name) {
  bool changed = false;
  PAW_CHECK(guarded("detach_report_policy", [&](Session& s) -> Status {
    std::vector<std::string> names;
    s << q("DELETE FROM report_policies WHERE name = ? RETURNING name"), kw::bind(name), into(names), now;
    changed = names.size() == 1;
    return ok_status();
  }));
  return changed;
}

Result<std::vector<ReportAttachment>> SqlStore::list_report_policies() {
  std::vector<ReportAttachment> out;
  PAW_CHECK(guarded("list_report_policies", [&](Session& s) -> Status {
    std::vector<std::string> names, targets;
    std::vector<std::int64_t> created;
    s << "SELECT name, target, created_at FROM report_policies ORDER BY name", into(names), into(targets),
        into(created), now;
    for (std::size_t i = 0; i < names.size(); ++i) out.push_back({names[i], targets[i], created[i]});
    return ok_status();
  }));
  return out;
}

Status SqlStore::put_report_result(const ReportResult& r) {
  return guarded("put_report_result", [&](Session& s) -> Status {
    s << q("INSERT INTO report_results (policy, device_id, policy_version, verdict, reasons, first_seen, "
           "enforced_verdict, judged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (policy, device_id) DO UPDATE SET "
           "policy_version = excluded.policy_version, verdict = excluded.verdict, reasons = excluded.reasons, "
           "first_seen = excluded.first_seen, enforced_verdict = excluded.enforced_verdict, "
           "judged_at = excluded.judged_at"),
        kw::bind(r.policy), kw::bind(r.device_id), kw::bind(r.policy_version), kw::bind(r.verdict),
        kw::bind(r.reasons), kw::bind(r.first_seen), kw::bind(r.enforced_verdict), kw::bind(r.judged_at), now;
    return ok_status();
  });
}

namespace {

// kSelectResult's columns, in ReportResult's order.
constexpr const char* kSelectResult =
    "SELECT r.policy, r.device_id, r.policy_version, r.verdict, r.reasons, r.first_seen, r.enforced_verdict, "
    "r.judged_at FROM report_results r JOIN devices d ON d.id = r.device_id WHERE r.policy = ?";

struct ResultColumns {
  std::vector<std::string> policy, device, verdict, reasons, first_seen, enforced;
  std::vector<std::int64_t> version, judged;
  void append_to(std::vector<ReportResult>& out) const {
    for (std::size_t i = 0; i < policy.size(); ++i) {
      out.push_back({policy[i], device[i], version[i], verdict[i], reasons[i], first_seen[i], enforced[i], judged[i]});
    }
  }
};

}  // namespace

Result<std::optional<ReportResult>> SqlStore::get_report_result(const std::string& policy, const std::string& device) {
  std::vector<ReportResult> out;
  PAW_CHECK(guarded("get_report_result", [&](Session& s) -> Status {
    ResultColumns c;
    s << q(std::string(kSelectResult) + " AND r.device_id = ?"), kw::bind(policy), kw::bind(device), into(c.policy),
        into(c.device), into(c.version), into(c.verdict), into(c.reasons), into(c.first_seen), into(c.enforced),
        into(c.judged), now;
    c.append_to(out);
    return ok_status();
  }));
  if (out.empty()) return std::optional<ReportResult>{};
  return std::optional<ReportResult>{std::move(out.front())};
}

Result<std::vector<ReportResult>> SqlStore::list_report_results(const std::string& policy) {
  std::vector<ReportResult> out;
  PAW_CHECK(guarded("list_report_results", [&](Session& s) -> Status {
    ResultColumns c;
    s << q(std::string(kSelectResult) + " ORDER BY r.device_id"), kw::bind(policy), into(c.policy), into(c.device),
        into(c.version), into(c.verdict), into(c.reasons), into(c.first_seen), into(c.enforced), into(c.judged), now;
    c.append_to(out);
    return ok_status();
  }));
  return out;
}

}  // namespace paw::verifier
