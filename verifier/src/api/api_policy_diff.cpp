// api_policy_diff.cpp — GET /v1/admin/devices/{id}/diff[?against=SET]: the
// event-level differences between a device's last verified boot and the boot
// a reference set was captured from (`pawctl policy diff`), and the reference
// events that `policy capture` keeps for it.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "paw/attest/boot_events.h"
#include "service.h"
#include "util.h"

namespace paw::verifier {
namespace {
using Obj = Poco::JSON::Object;
using ObjPtr = Poco::JSON::Object::Ptr;

// kReferenceWord names the policy's "reference" (stored with set name "").
constexpr const char* kReferenceWord = "reference";

// values_of: the PCR values of set |set| ("" = "reference") of |p|, or
// nullptr when |p| has no such set (any more) or it has ended.
const PcrValues* values_of(const Policy& p, const std::string& set, std::int64_t now) {
  if (set.empty()) return p.pcrs.reference.empty() ? nullptr : &p.pcrs.reference;
  for (const auto& s : p.pcrs.sets) {
    if (s.name == set) return s.not_after == 0 || now < s.not_after ? &s.values : nullptr;
  }
  return nullptr;
}

// set_values: the PCR values of set |set| ("" = "reference") of |p|, live or
// not; nullptr when |p| has no such set.
const PcrValues* set_values(const Policy& p, const std::string& set) {
  if (set.empty()) return &p.pcrs.reference;
  for (const auto& s : p.pcrs.sets) {
    if (s.name == set) return &s.values;
  }
  return nullptr;
}

// mismatches counts the values of |want| the quote does not carry or differs from.
std::size_t mismatches(const PcrValues& want, const PcrValues& quoted) {
  std::size_t n = 0;
  for (const auto& [bank, values] : want) {
    const auto qb = quoted.find(bank);
    for (const auto& [i, v] : values) n += qb == quoted.end() || qb->second.count(i) == 0 || qb->second.at(i) != v;
  }
  return n;
}

json::ArrayPtr pcr_differences(const PcrValues& want, const PcrValues& quoted) {
  json::ArrayPtr a = new Poco::JSON::Array();
  for (const auto& [bank, values] : want) {
    const auto qb = quoted.find(bank);
    for (const auto& [i, v] : values) {
      const bool have = qb != quoted.end() && qb->second.count(i) != 0;
      if (have && qb->second.at(i) == v) continue;
      ObjPtr o = new Obj();
      o->set("bank", std::string(hash_name(bank)));
      o->set("index", static_cast<std::int64_t>(i));
      o->set("reference", hex(v));
      o->set("device", have ? hex(qb->second.at(i)) : std::string());
      a->add(o);
    }
  }
  return a;
}

}  // namespace

ReferenceEvents Service::reference_events_of(const std::string& policy, const std::string& set, const StoredDevice& d,
                                             const AppraisalRecord& last) {
  const std::string events = last.boot_events ? json::stringify(boot_events_to_json(*last.boot_events)) : "";
  return {policy, set, d.id, last.attested_at, unix_now(), events};
}

// A hand-written policy (PUT) may give a set other values, or drop it: the
// boot captured for the old values no longer explains the set, and diff
// showing it as the set's reference would blame the wrong events. Those sets
// are named here, for the PUT's transaction to clear their events (diff then
// asks for a new capture); a set whose values stay (its not_after edited,
// another rule changed) keeps its events. The rows are read before that
// transaction: only a capture or a PUT changes them, and each moves the
// policy version the transaction compares, so a list gone stale makes the
// PUT a 409, never a wrong clear.
Result<std::vector<std::string>> Service::reference_sets_to_clear(const std::string& policy,
                                                                  const std::optional<Policy>& before,
                                                                  const Policy& after) {
  PAW_TRY(std::vector<ReferenceEvents> rows, store_->list_reference_events(policy));
  std::vector<std::string> sets;
  for (const auto& r : rows) {
    if (r.events_json.empty()) continue;
    const PcrValues* was = before ? set_values(*before, r.set) : nullptr;
    const PcrValues* is = set_values(after, r.set);
    if (was != nullptr && is != nullptr && *was == *is) continue;
    sets.push_back(r.set);
  }
  return sets;
}

Result<Response> Service::admin_policy_diff(Request& req) {
  PAW_TRY(auto dev, store_->get_device(req.params[0]));
  if (!dev) return make_error(Errc::not_found, "unknown device");
  if (dev->last_appraisal_json.empty()) return make_error(Errc::conflict, "device has no verified attestation yet");
  PAW_TRY(AppraisalRecord last, parse_appraisal_record(dev->last_appraisal_json));
  if (!last.boot_events) {
    return make_error(Errc::conflict, "the device's last attestation has no verified boot events (it sent no event "
                                      "log, or it was stored before paw kept them): let it attest again");
  }
  const std::string name = dev->policy.empty() ? std::string(kDefaultPolicyName) : dev->policy;
  PAW_TRY(Policy p, policy_for(name));
  PAW_TRY(std::vector<ReferenceEvents> rows, store_->list_reference_events(name));
  const std::int64_t now = unix_now();
  const ReferenceEvents* chosen = nullptr;
  std::string against;
  if (const auto it = req.query.find("against"); it != req.query.end()) {
    against = it->second == kReferenceWord ? "" : it->second;
    if (values_of(p, against, now) == nullptr) {
      return make_error(Errc::not_found, "policy " + name + " has no live reference set \"" + it->second + "\"");
    }
    for (const auto& r : rows) {
      if (r.set == against) chosen = &r;
    }
  } else {
    // The set nearest the device's quote (as the appraisal names the
    // differences from the nearest set), the latest capture among equals;
    // only sets the policy still has, live.
    std::size_t best = 0;
    for (const auto& r : rows) {
      const PcrValues* v = values_of(p, r.set, now);
      if (v == nullptr || r.events_json.empty()) continue;  // cleared by a hand edit: not a candidate
      const std::size_t n = mismatches(*v, last.pcrs);
      if (chosen != nullptr && n >= best) continue;
      chosen = &r;
      best = n;
    }
    if (chosen == nullptr) {
      return make_error(Errc::conflict, "no live reference set of policy " + name +
                                            " was captured with its events: pawctl policy capture DEVICE --add "
                                            "--name NAME on a reference machine");
    }
    against = chosen->set;
  }
  const std::string label = against.empty() ? std::string(kReferenceWord) : against;
  if (chosen == nullptr || chosen->events_json.empty()) {
    return make_error(Errc::conflict, "reference set \"" + label + "\" of policy " + name +
                                          " has no captured boot events (captured before paw kept them, from a "
                                          "device without an event log, or its values written or changed by hand): "
                                          "capture it again");
  }
  PAW_TRY(json::ObjectPtr ref_json, json::parse_object(chosen->events_json, 16u << 20));
  PAW_TRY(BootEvents ref, boot_events_from_json(ref_json));
  ObjPtr o = new Obj();
  o->set("device_id", dev->id);
  o->set("policy", p.name + "@" + std::to_string(p.version));
  o->set("against", label);
  o->set("captured_from", chosen->device_id);
  o->set("captured_at", chosen->captured_at);
  o->set("reference_attested_at", chosen->attested_at);
  o->set("device_attested_at", last.attested_at);
  o->set("pcrs", pcr_differences(*values_of(p, against, now), last.pcrs));
  o->set("changes", boot_event_changes_to_json(diff_boot_events(ref, *last.boot_events)));
  o->set("reference_truncated", ref.truncated);
  o->set("device_truncated", last.boot_events->truncated);
  return json_response(200, o);
}

}  // namespace paw::verifier
