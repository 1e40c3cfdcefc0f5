// policy_report.cpp — report-only policies: a candidate policy judged beside
// the enforced one (docs/policy.md, "Trying a policy before enforcing it").
//
// A candidate is attached in report mode to an enforced policy (its
// "target"): every attestation of a device whose enforced policy is the
// target is judged by the candidate too, in the same appraisal pass
// (appraise_authentic's report overload: the same proven facts, only the
// rules and grading run again). The candidate's verdict is stored per device,
// counted in paw_policy_would_deny_total and, when it differs from the
// enforced verdict, written as a `policy_report` event. It never reaches the
// answer, the token, the device row or its state, and nothing about it can
// fail the attestation: every step here logs and goes on.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <map>
#include <set>

#include "paw/attest/grace.h"
#include "paw/attest/reasons.h"
#include "service.h"
#include "util.h"

namespace paw::verifier {
namespace {
using Obj = Poco::JSON::Object;
using ObjPtr = Poco::JSON::Object::Ptr;

// At most this many report-only policies at once: each adds a rule pass and
// a write to every attestation of its target's devices.
constexpr std::size_t kMaxReportPolicies = 16;

std::string enforced_name(const StoredDevice& d) { return d.policy.empty() ? std::string(kDefaultPolicyName) : d.policy; }

std::string first_seen_json(const std::map<std::string, std::int64_t>& m) {
  ObjPtr o = new Obj();
  for (const auto& [k, v] : m) o->set(k, v);
  return json::stringify(o);
}

// parse_first_seen reads a stored grace clock; anything odd reads as empty
// (the clock starts again: a report can only be late to say "would deny").
std::map<std::string, std::int64_t> parse_first_seen(const std::string& text) {
  std::map<std::string, std::int64_t> out;
  auto o = json::parse_object(text, 64u << 10);
  if (!o.ok()) return out;
  for (const auto& [k, v] : **o) {
    if (out.size() >= kMaxGracedReasons) break;
    if (v.isInteger()) out[k] = v.convert<std::int64_t>();
  }
  return out;
}

}  // namespace

Service::ReportRun Service::report_inputs(const StoredDevice& dev) noexcept {
  ReportRun run;
  try {
    auto attached = store_->list_report_policies();
    if (!attached.ok()) {
      log_line("error", "cannot list report-only policies", {{"error", attached.error().what()}});
      return run;
    }
    const std::string target = enforced_name(dev);
    for (const auto& a : *attached) {
      if (a.target != target || a.name == target) continue;
      auto p = policy_for(a.name);
      if (!p.ok()) {
        log_line("error", "report-only policy cannot be loaded", {{"policy", a.name}, {"error", p.error().what()}});
        continue;
      }
      run.policies.push_back(std::move(*p));
    }
    run.inputs.reserve(run.policies.size());
    for (const Policy& p : run.policies) {
      ReportInput in;
      in.policy = &p;
      auto prev = store_->get_report_result(p.name, dev.id);
      if (prev.ok() && *prev) in.first_seen = parse_first_seen((*prev)->first_seen);
      run.inputs.push_back(std::move(in));
    }
  } catch (const std::exception& e) {
    log_line("error", "report-only policies skipped", {{"error", e.what()}});
    run.inputs.clear();
  }
  return run;
}

void Service::record_reports(const StoredDevice& dev, const ReportRun& run, const std::vector<ReportJudgement>& judged,
                             const std::string& enforced_verdict, std::int64_t now) noexcept {
  try {
    for (std::size_t i = 0; i < judged.size() && i < run.policies.size(); ++i) {
      const Policy& p = *run.inputs[i].policy;
      const ReportJudgement& j = judged[i];
      const std::string verdict = j.error.empty() ? std::string(verdict_name(j.verdict)) : "error";
      if (!j.error.empty()) {
        log_line("error", "report-only policy failed", {{"policy", j.policy}, {"device", dev.id}, {"error", j.error}});
      }
      ReportResult r{p.name, dev.id, p.version, verdict, json::stringify(reasons_to_json(j.reasons)),
                     first_seen_json(j.first_seen), enforced_verdict, now};
      if (auto st = store_->put_report_result(r); !st.ok()) {
        log_line("error", "cannot store a report-only verdict", {{"policy", p.name}, {"error", st.error().what()}});
      }
      if (j.error.empty() && j.verdict == Verdict::unhealthy) {
        for (const auto& reason : j.reasons) metrics_.observe_would_deny(p.name, reason.code);
      }
      if (verdict != enforced_verdict) {
        ObjPtr ev = new Obj();
        ev->set("policy", j.policy.empty() ? p.name : j.policy);
        ev->set("verdict", verdict);
        ev->set("reasons", reasons_to_json(j.reasons));
        ev->set("enforced_verdict", enforced_verdict);
        ev->set("enforced_policy", enforced_name(dev));
        record_event("policy_report", dev.id, json::stringify(ev));
      }
    }
  } catch (const std::exception& e) {
    log_line("error", "report-only verdicts not recorded", {{"device", dev.id}, {"error", e.what()}});
  }
}

// PUT /v1/admin/policies/NAME/report {"target": "ENFORCED"}: judge NAME in
// report mode for the devices of ENFORCED (replacing an earlier target).
Result<Response> Service::admin_attach_report(Request& req) {
  const std::string& name = req.params[0];
  PAW_CHECK(check_policy_name(name));
  PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 64u << 10));
  PAW_CHECK(json::only_keys(body, {"target"}, "report mode request"));
  PAW_TRY(std::string target, json::get_string(body, "target"));
  PAW_CHECK(check_policy_name(target));
  if (target == name) {
    return make_error(Errc::malformed, "a policy cannot report on the devices it enforces: name another target");
  }
  PAW_TRY(Policy candidate, policy_for(name));
  if (auto t = policy_for(target); !t.ok()) {
    return t.code() == Errc::not_found ? make_error(Errc::not_found, "target policy " + target + " not found") : t.error();
  }
  std::lock_guard lock(policy_mu_);
  PAW_TRY(auto attached, store_->list_report_policies());
  const bool known = std::any_of(attached.begin(), attached.end(), [&](const auto& a) { return a.name == name; });
  if (!known && attached.size() >= kMaxReportPolicies) {
    return make_error(Errc::conflict, "at most " + std::to_string(kMaxReportPolicies) +
                                          " report-only policies at once: detach one first");
  }
  PAW_CHECK(store_->attach_report_policy({name, target, unix_now()}));
  ObjPtr ev = new Obj();
  ev->set("policy", name);
  ev->set("target", target);
  ev->set("mode", "report");
  record_event("policy_report_mode", "", json::stringify(ev));
  ObjPtr o = new Obj();
  o->set("policy", name);
  o->set("version", candidate.version);
  o->set("target", target);
  return json_response(200, o);
}

// DELETE /v1/admin/policies/NAME/report: stop judging NAME in report mode
// (its results stay readable until it is attached again).
Result<Response> Service::admin_detach_report(Request& req) {
  const std::string& name = req.params[0];
  PAW_CHECK(check_policy_name(name));
  std::lock_guard lock(policy_mu_);
  PAW_TRY(bool detached, store_->detach_report_policy(name));
  if (!detached) return make_error(Errc::not_found, "policy " + name + " is not in report mode");
  ObjPtr ev = new Obj();
  ev->set("policy", name);
  ev->set("mode", "off");
  record_event("policy_report_mode", "", json::stringify(ev));
  ObjPtr o = new Obj();
  o->set("policy", name);
  o->set("target", "");
  return json_response(200, o);
}

// GET /v1/admin/policies/NAME/report: what NAME's current version said about
// the devices it judged (their latest attestation each): how many it would
// deny, and for which reasons which devices.
Result<Response> Service::admin_policy_report(Request& req) {
  const std::string& name = req.params[0];
  PAW_CHECK(check_policy_name(name));
  PAW_TRY(Policy p, policy_for(name));
  PAW_TRY(auto attached, store_->list_report_policies());
  std::string target;
  for (const auto& a : attached) {
    if (a.name == name) target = a.target;
  }
  PAW_TRY(auto results, store_->list_report_results(name));
  std::int64_t judged = 0, deny = 0, warn = 0, errors = 0, stale = 0;
  std::map<std::string, std::set<std::string>> by_reason;
  Poco::JSON::Array::Ptr devices = new Poco::JSON::Array();
  for (const auto& r : results) {
    // Only the current version's word counts: a changed candidate starts afresh.
    if (r.policy_version != p.version) {
      ++stale;
      continue;
    }
    ++judged;
    auto parsed = json::parse_array(r.reasons.empty() ? "[]" : r.reasons, 1u << 20);
    json::ArrayPtr reasons = parsed.ok() ? *parsed : json::ArrayPtr(new Poco::JSON::Array());
    if (r.verdict == "unhealthy") {
      ++deny;
      for (std::size_t i = 0; i < reasons->size(); ++i) {
        auto o = reasons->getObject(static_cast<unsigned>(i));
        if (!o.isNull()) by_reason[o->optValue<std::string>("code", "")].insert(r.device_id);
      }
    } else if (r.verdict == "warning") {
      ++warn;
    } else if (r.verdict == "error") {
      ++errors;
    }
    ObjPtr d = new Obj();
    d->set("device_id", r.device_id);
    d->set("verdict", r.verdict);
    d->set("enforced_verdict", r.enforced_verdict);
    d->set("reasons", reasons);
    d->set("judged_at", r.judged_at);
    devices->add(d);
  }
  Poco::JSON::Array::Ptr reasons = new Poco::JSON::Array();
  for (const auto& [code, ids] : by_reason) {
    ObjPtr o = new Obj();
    o->set("code", code);
    o->set("count", static_cast<std::int64_t>(ids.size()));
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array();
    for (const auto& id : ids) list->add(id);
    o->set("devices", list);
    reasons->add(o);
  }
  ObjPtr o = new Obj();
  o->set("policy", name);
  o->set("version", p.version);
  o->set("target", target);  // "" = not in report mode (now)
  o->set("devices_judged", judged);
  o->set("would_deny", deny);
  o->set("would_warn", warn);
  o->set("errors", errors);
  o->set("older_versions", stale);
  o->set("reasons", reasons);
  o->set("devices", devices);
  return json_response(200, o);
}

}  // namespace paw::verifier
