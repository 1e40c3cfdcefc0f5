// policy_report_cli.cpp — `pawctl policy report NAME` and `pawctl policy
// report-mode NAME TARGET|off` over /v1/admin/policies/NAME/report.
#include "policy_report_cli.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>

#include "command.h"
#include "paw/attest/json.h"

namespace pawctl {

int policy_report_mode(const Connection& c, const std::string& name, const std::string& target) {
  if (auto st = check_segment(name, "policy name"); !st.ok()) return report(st.error());
  const std::string path = "/v1/admin/policies/" + name + "/report";
  paw::Result<HttpAnswer> a = paw::make_error(paw::Errc::internal, "no call");
  if (target == "off") {
    a = call_ok(c, "DELETE", path);
  } else {
    if (auto st = check_segment(target, "target policy name"); !st.ok()) return report(st.error());
    Poco::JSON::Object::Ptr req = new Poco::JSON::Object();
    req->set("target", target);
    a = call_ok(c, "PUT", path, paw::json::stringify(req));
  }
  if (!a.ok()) return report(a.error());
  if (c.json) {
    std::cout << a->body << "\n";
  } else if (target == "off") {
    std::cout << "policy " << name << " is no longer judged in report mode\n";
  } else {
    std::cout << "policy " << name << " is judged in report mode for the devices of policy " << target
              << " from their next attestation; the answer stays " << target
              << "'s (pawctl policy report " << name << ")\n";
  }
  return 0;
}

namespace {

// print_report: policy |name|'s report-mode judgements, for people.
int print_report(const std::string& name, const paw::json::ObjectPtr& r) {
  const std::string target = r->optValue<std::string>("target", "");
  std::cout << "policy " << name << "@" << r->optValue<std::int64_t>("version", 0)
            << (target.empty() ? " (not in report mode now)" : " in report mode for the devices of policy " + target)
            << "\n"
            << "devices judged: " << r->optValue<std::int64_t>("devices_judged", 0)
            << "  would deny: " << r->optValue<std::int64_t>("would_deny", 0)
            << "  would warn: " << r->optValue<std::int64_t>("would_warn", 0)
            << "  errors: " << r->optValue<std::int64_t>("errors", 0) << "\n";
  if (const auto older = r->optValue<std::int64_t>("older_versions", 0); older > 0) {
    std::cout << "(" << older << " device(s) judged only by an older version: not counted)\n";
  }
  auto reasons = r->getArray("reasons");
  if (!reasons.isNull() && reasons->size() > 0) {
    Table t({"REASON", "DEVICES", "DEVICE IDS"});
    for (std::size_t i = 0; i < reasons->size(); ++i) {
      auto e = reasons->getObject(static_cast<unsigned>(i));
      if (e.isNull()) continue;
      std::string ids;
      auto list = e->getArray("devices");
      for (std::size_t k = 0; !list.isNull() && k < list->size(); ++k) {
        ids += (k ? " " : "") + list->getElement<std::string>(static_cast<unsigned>(k));
      }
      t.add({e->optValue<std::string>("code", ""), std::to_string(e->optValue<std::int64_t>("count", 0)), ids});
    }
    t.print();
  }
  auto devices = r->getArray("devices");
  if (!devices.isNull() && devices->size() > 0) {
    std::cout << "\n";
    Table t({"DEVICE", "REPORT", "ENFORCED", "JUDGED", "REASONS"});
    for (std::size_t i = 0; i < devices->size(); ++i) {
      auto d = devices->getObject(static_cast<unsigned>(i));
      if (d.isNull()) continue;
      t.add({d->optValue<std::string>("device_id", ""), d->optValue<std::string>("verdict", ""),
             d->optValue<std::string>("enforced_verdict", ""), format_age(d->optValue<std::int64_t>("judged_at", 0)),
             reasons_text(d->getArray("reasons"))});
    }
    t.print();
  }
  return 0;
}

}  // namespace

int policy_report(const Connection& c, const std::string& name) {
  if (auto st = check_segment(name, "policy name"); !st.ok()) return report(st.error());
  return call_show(c, "GET", "/v1/admin/policies/" + name + "/report", "",
                   [&](const paw::json::ObjectPtr& r) { return print_report(name, r); });
}

}  // namespace pawctl
