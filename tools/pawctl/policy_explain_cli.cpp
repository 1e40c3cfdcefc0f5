// policy_explain_cli.cpp — `pawctl policy explain DEVICE` over
// GET /v1/admin/devices/{id}/explain.
#include "policy_explain_cli.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>

#include "paw/attest/json.h"

namespace pawctl {
namespace {

std::string field(const paw::json::ObjectPtr& o, const std::string& key, std::size_t max = 96) {
  const std::string v = printable(o->optValue<std::string>(key, ""), max);
  return v.empty() ? "-" : v;
}

// short_value keeps a digest readable in a table: "sha256:5ad811f923e9…".
std::string short_value(const std::string& v) {
  if (v.size() <= 28) return v;
  return v.substr(0, 24) + "...";
}

// print_explanation: the verdict rule by rule, then every reason.
int print_explanation(const paw::json::ObjectPtr& o) {
  const auto grace = o->optValue<std::int64_t>("grace_until", 0);
  std::cout << "device " << field(o, "device_id") << ", policy " << field(o, "policy") << ", attested "
            << format_time(o->optValue<std::int64_t>("attested_at", 0)) << ": " << field(o, "verdict")
            << (grace != 0 ? ", login allowed until " + format_time(grace) : std::string()) << "\n";
  auto rules = o->getArray("rules");
  if (rules.isNull() || rules->size() == 0) {
    std::cout << "no rule results were recorded with this attestation (it predates them, or the policy has no "
                 "rule that records one)\n";
  } else {
    Table t({"RULE", "SUBJECT", "EVIDENCE", "VALUE", "RESULT", "GRACE"});
    for (std::size_t i = 0; i < rules->size(); ++i) {
      auto r = rules->getObject(static_cast<unsigned>(i));
      if (r.isNull()) continue;
      std::string result = field(r, "result", 16);
      if (r->optValue<std::string>("reason", "") != "") result += " (" + field(r, "reason", 64) + ")";
      const auto until = r->optValue<std::int64_t>("grace_until", 0);
      t.add({field(r, "rule", 48), field(r, "subject"), field(r, "evidence"), short_value(field(r, "value", 160)),
             result, until != 0 ? "until " + format_time(until) : std::string("-")});
    }
    t.print();
  }
  // Every reason with its sentence (which names the event too); those no
  // rule result names (a login key, a rule that records none) only show here.
  auto reasons = o->getArray("reasons");
  if (!reasons.isNull() && reasons->size() != 0) {
    std::cout << "reasons:\n";
    for (std::size_t i = 0; i < reasons->size(); ++i) {
      auto r = reasons->getObject(static_cast<unsigned>(i));
      if (r.isNull()) continue;
      const auto until = r->optValue<std::int64_t>("grace_until", 0);
      std::cout << "  " << field(r, "code", 64) << ": " << field(r, "message", 1024)
                << (until != 0 ? " (graced until " + format_time(until) + ")" : std::string()) << "\n";
    }
  }
  return 0;
}

}  // namespace

int policy_explain(const Connection& c, const std::string& device_id) {
  if (auto st = check_segment(device_id, "device id"); !st.ok()) return report(st.error());
  return call_show(c, "GET", "/v1/admin/devices/" + device_id + "/explain", "", print_explanation);
}

}  // namespace pawctl
