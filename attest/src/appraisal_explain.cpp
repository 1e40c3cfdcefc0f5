// appraisal_explain.cpp — a stored appraisal, rule by rule (explain_appraisal):
// what GET /v1/admin/devices/{id}/explain answers and `pawctl policy
// explain` prints. Built from the AppraisalRecord alone, so it explains
// exactly what the verifier decided and stored, not a re-run.
#include <algorithm>

#include "paw/attest/appraisal.h"
#include "paw/attest/reasons.h"

namespace paw {

json::ObjectPtr explain_appraisal(const AppraisalRecord& rec) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("device_id", rec.device_id);
  o->set("policy", rec.policy);
  o->set("attested_at", rec.attested_at);
  o->set("verdict", std::string(verdict_name(rec.verdict)));
  if (rec.grace_until != 0) o->set("grace_until", rec.grace_until);
  json::ArrayPtr rules = new Poco::JSON::Array();
  for (const auto& r : rec.rules) {
    json::ObjectPtr x = new Poco::JSON::Object();
    x->set("rule", r.rule);
    x->set("subject", r.subject);
    x->set("evidence", r.evidence);
    x->set("value", r.value);
    x->set("result", r.result);
    x->set("reason", r.reason);
    // The grace is the reason's: every failure of one code shares it (grace.h).
    const auto graced = std::find_if(rec.reasons.begin(), rec.reasons.end(), [&](const ResultReason& g) {
      return !r.reason.empty() && g.code == r.reason && g.grace_until != 0;
    });
    x->set("grace_until", graced == rec.reasons.end() ? std::int64_t{0} : graced->grace_until);
    rules->add(x);
  }
  o->set("rules", rules);
  // Reasons no rule result names (a login key, the clock, a rule that
  // records no result): shown beside the rules so nothing is left out.
  std::vector<ResultReason> other;
  for (const auto& g : rec.reasons) {
    const bool named = std::any_of(rec.rules.begin(), rec.rules.end(), [&](const RuleResult& r) { return r.reason == g.code; });
    if (!named) other.push_back(g);
  }
  o->set("other_reasons", reasons_to_json(other));
  o->set("reasons", reasons_to_json(rec.reasons));
  o->set("notes", reasons_to_json(rec.notes));
  return o;
}

}  // namespace paw
