// Admin endpoints (/v1/admin/…, bearer admin credential; the edge audits every call).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <chrono>

#include "paw/attest/evidence.h"
#include "paw/attest/policy_check.h"
#include "event_query.h"
#include "service.h"
#include "util.h"

namespace paw::verifier {
namespace {
using Obj = Poco::JSON::Object;
using ObjPtr = Poco::JSON::Object::Ptr;

Poco::Dynamic::Var parse_or_null(const std::string& text) {
  if (text.empty()) return Poco::Dynamic::Var();
  auto o = json::parse_object(R"({"v":)" + text + "}", 64u << 20, 64);
  if (!o.ok()) return Poco::Dynamic::Var();
  return (*o)->get("v");
}

ObjPtr device_summary(const StoredDevice& d) {
  ObjPtr o = new Obj();
  o->set("device_id", d.id);
  o->set("status", std::string(device_status_name(d.status)));
  o->set("label", d.label);
  o->set("owner", d.owner);
  o->set("last_presence_at", d.last_presence_at);
  o->set("policy", d.policy.empty() ? std::string(kDefaultPolicyName) : d.policy);
  o->set("last_verdict", d.last_verdict.empty() ? std::string("none") : d.last_verdict);
  o->set("last_reasons", parse_or_null(d.last_reasons.empty() ? "[]" : d.last_reasons));
  o->set("last_attested_at", d.last_attested_at);
  o->set("last_healthy_at", d.last_healthy_at);
  o->set("created_at", d.created_at);
  o->set("updated_at", d.updated_at);
  return o;
}

Result<StoredDevice> existing(Store& store, const std::string& id) {
  PAW_TRY(auto d, store.get_device(id));
  if (!d) return make_error(Errc::not_found, "unknown device");
  return *d;
}

}  // namespace

Status check_policy_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxPolicyNameSize) return make_error(Errc::malformed, "bad policy name");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return make_error(Errc::malformed, "policy names are [a-z0-9._-]{1,64}");
  }
  return ok_status();
}

namespace {
}  // namespace

Result<Response> Service::admin_create_token(Request& req) {
  PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 64u << 10));
  PAW_CHECK(json::only_keys(body, {"ttl_seconds", "label", "policy", "replace", "owner"}, "token request"));
  PAW_TRY(std::int64_t ttl, json::get_int(body, "ttl_seconds"));
  if (ttl < 60 || ttl > 30 * 86400) return make_error(Errc::malformed, "ttl_seconds must be in [60, 2592000]");
  PAW_TRY(auto label, json::opt_string(body, "label"));
  if (label && label->size() > 256) return make_error(Errc::malformed, "label longer than 256");
  // A token may name the policy its device starts with; it must exist now
  // (the default always does).
  PAW_TRY(auto policy, json::opt_string(body, "policy"));
  if (policy) {
    PAW_CHECK(check_policy_name(*policy));
    PAW_CHECK(policy_for(*policy));
  }
  // replace: the device enrolled with this token may take over a TPM that
  // is already enrolled (the old device is then revoked; enroll_identity.cpp).
  PAW_TRY(auto replace, json::opt_bool(body, "replace"));
  // owner: the person the device is enrolled to (login_checks.h check_owner).
  PAW_TRY(auto owner, json::opt_string(body, "owner"));
  if (owner) PAW_CHECK(check_owner(*owner));
  const std::int64_t now_s = unix_now();
  PAW_TRY(std::string secret, random_hex(32));
  const std::string token = "pawenr_" + secret;
  EnrollmentTokenRecord rec{sha256_hex(token), label.value_or(""), now_s,           now_s + ttl, false,
                            policy.value_or(""),  replace.value_or(false)};
  rec.owner = owner.value_or("");
  PAW_CHECK(store_->add_enrollment_token(rec));
  ObjPtr o = new Obj();
  o->set("token", token);
  o->set("expires_at", now_s + ttl);
  o->set("label", label.value_or(""));
  o->set("policy", policy.value_or(std::string(kDefaultPolicyName)));
  o->set("replace", replace.value_or(false));
  o->set("owner", owner.value_or(""));
  return json_response(201, o);
}

Result<Response> Service::admin_list_devices(Request&) {
  PAW_TRY(auto devices, store_->list_devices());
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array();
  for (const auto& d : devices) arr->add(device_summary(d));
  ObjPtr o = new Obj();
  o->set("devices", arr);
  return json_response(200, o);
}

Result<Response> Service::admin_get_device(Request& req) {
  PAW_TRY(StoredDevice d, existing(*store_, req.params[0]));
  ObjPtr o = device_summary(d);
  o->set("record", parse_or_null(d.record_json));
  o->set("state", parse_or_null(d.state_json));
  o->set("last_appraisal", parse_or_null(d.last_appraisal_json));
  return json_response(200, o);
}

// admin_explain_device: the device's last appraisal, rule by rule
// (explain_appraisal), from what was stored with it: no evidence is re-read
// or re-judged, so it explains exactly the verdict the device got.
Result<Response> Service::admin_explain_device(Request& req) {
  PAW_TRY(StoredDevice d, existing(*store_, req.params[0]));
  if (d.last_appraisal_json.empty()) return make_error(Errc::conflict, "device has no verified attestation yet");
  PAW_TRY(AppraisalRecord last, parse_appraisal_record(d.last_appraisal_json));
  ObjPtr o = explain_appraisal(last);
  o->set("device_id", d.id);
  o->set("status", std::string(device_status_name(d.status)));
  // The policy assigned now, which may be newer than the one that judged.
  o->set("assigned_policy", d.policy.empty() ? std::string(kDefaultPolicyName) : d.policy);
  return json_response(200, o);
}

Result<Response> Service::admin_approve_device(Request& req) {
  PAW_TRY(StoredDevice d, existing(*store_, req.params[0]));
  if (d.status != DeviceStatus::pending) return make_error(Errc::conflict, "device is not pending");
  PAW_CHECK(store_->set_device_status(d.id, DeviceStatus::enrolled, unix_now()));
  record_event("approval", d.id, R"({"status":"enrolled"})");
  d.status = DeviceStatus::enrolled;
  return json_response(200, device_summary(d));
}

Result<Response> Service::admin_revoke_device(Request& req) {
  PAW_TRY(StoredDevice d, existing(*store_, req.params[0]));
  PAW_CHECK(store_->set_device_status(d.id, DeviceStatus::revoked, unix_now()));
  ObjPtr ev = new Obj();
  ev->set("by", req.actor);
  ev->set("by_name", req.actor_name);
  ev->set("previous_status", std::string(device_status_name(d.status)));
  record_event("revocation", d.id, json::stringify(ev));
  d.status = DeviceStatus::revoked;
  return json_response(200, device_summary(d));
}

Result<Response> Service::admin_delete_device(Request& req) {
  PAW_TRY(bool deleted, store_->delete_device(req.params[0]));
  if (!deleted) return make_error(Errc::not_found, "unknown device");
  record_event("deletion", req.params[0], "{}");
  Response r;
  r.status = 204;
  return r;
}

Result<Response> Service::admin_list_policies(Request&) {
  PAW_TRY(auto list, store_->list_policies());
  PAW_TRY(auto reporting, store_->list_report_policies());
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array();
  bool has_default = false;
  for (const auto& p : list) {
    ObjPtr o = new Obj();
    o->set("name", p.name);
    o->set("version", p.version);
    o->set("updated_at", p.updated_at);
    // report_on: the enforced policy whose devices it judges in report mode ("" = none).
    const auto r = std::find_if(reporting.begin(), reporting.end(), [&](const auto& a) { return a.name == p.name; });
    o->set("report_on", r == reporting.end() ? std::string() : r->target);
    arr->add(o);
    has_default = has_default || p.name == kDefaultPolicyName;
  }
  if (!has_default) {
    ObjPtr o = new Obj();
    o->set("name", std::string(kDefaultPolicyName));
    o->set("version", 1);
    o->set("updated_at", 0);
    o->set("report_on", "");
    arr->add(o);
  }
  ObjPtr o = new Obj();
  o->set("policies", arr);
  return json_response(200, o);
}

Result<Response> Service::admin_get_policy(Request& req) {
  PAW_TRY(Policy p, policy_for(req.params[0]));
  Response r = json_response(200, policy_to_json(p));
  r.headers.emplace_back("ETag", "\"" + std::to_string(p.version) + "\"");
  return r;
}

namespace {

// check_if_match: a PUT with If-Match: "N" (the ETag of the GET it edited;
// pawctl refs import-deb sends one) replaces version N only, so an edit made
// in between is never silently overwritten (RFC 9110, 13.1.1). Without the
// field the PUT replaces whatever is there, as policy set always has.
Status check_if_match(const Request& req, const std::string& name, std::int64_t current) {
  std::string want = req.field("if-match");
  if (want.empty()) return ok_status();
  if (want.size() >= 2 && want.front() == '"' && want.back() == '"') want = want.substr(1, want.size() - 2);
  if (want.empty() || want.size() > 18 || want.find_first_not_of("0123456789") != std::string::npos) {
    return make_error(Errc::malformed, "If-Match must be a policy version as GET's ETag gives it (\"7\")");
  }
  if (std::stoll(want) != current) {
    return make_error(Errc::conflict, "policy " + name + " is at version " + std::to_string(current) + ", not " + want +
                                          ": it changed since it was read; read it again and redo the edit");
  }
  return ok_status();
}

}  // namespace

Result<Response> Service::admin_put_policy(Request& req) {
  const std::string& name = req.params[0];
  PAW_CHECK(check_policy_name(name));
  PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, kMaxPolicySize));
  // The lint of `pawctl policy check` (policy_check.h): every error at once,
  // each with its path and fix, instead of the parser's first one.
  const auto findings = check_policy_object(body, unix_now(), name);
  if (has_errors(findings)) {
    std::size_t errors = 0;
    for (const auto& f : findings) errors += f.severity == Severity::error ? 1 : 0;
    const auto first = std::find_if(findings.begin(), findings.end(), [](const Finding& f) {
      return f.severity == Severity::error;
    });
    ObjPtr o = new Obj();
    o->set("error", std::string(errc_name(Errc::malformed)));
    o->set("message", "policy refused, " + std::to_string(errors) + " error(s); first at " + first->path + ": " +
                          first->message);
    o->set("findings", findings_to_json(findings));
    return json_response(400, o);
  }
  if (!body->has("name")) body->set("name", name);
  PAW_TRY(Policy p, policy_from_json(body));
  if (p.name != name) return make_error(Errc::malformed, "policy name in the body differs from the URL");
  std::lock_guard lock(policy_mu_);
  PAW_TRY(auto old, store_->get_policy(name));
  PAW_CHECK(check_if_match(req, name, old ? old->version : (name == kDefaultPolicyName ? 1 : 0)));
  p.version = old ? old->version + 1 : (name == kDefaultPolicyName ? 2 : 1);
  PAW_CHECK(validate_policy(p));
  PAW_CHECK(check_policy_bindings(p));
  PAW_CHECK(attest::check_aaguid_allowlist_roots(p.fido.aaguid_allowlist, fido_trust_.get()));
  // The policy being replaced, to tell which sets' captured events still
  // hold (one that no longer parses: none do).
  std::optional<Policy> before;
  if (old) {
    if (auto b = stored_policy(*old); b.ok()) before = std::move(b).value();
  }
  PAW_TRY(std::vector<std::string> cleared, reference_sets_to_clear(name, before, p));
  // One transaction: the new values and the clearing of the events captured
  // for the old ones commit together, over exactly the version read above
  // (a capture or PUT at another replica in between: 409, nothing written;
  // store_sql_refs.cpp says in what order the two serialize).
  PAW_CHECK(store_->put_policy_clearing_reference_events({name, p.version, serialize_policy(p), unix_now()},
                                                         old ? old->version : 0, cleared));
  ObjPtr ev = new Obj();
  ev->set("name", name);
  ev->set("version", p.version);
  record_event("policy_update", "", json::stringify(ev));
  return json_response(200, policy_to_json(p));
}

Result<Response> Service::admin_assign_policy(Request& req) {
  PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 64u << 10));
  PAW_CHECK(json::only_keys(body, {"name"}, "policy assignment"));
  PAW_TRY(std::string name, json::get_string(body, "name"));
  PAW_CHECK(check_policy_name(name));
  PAW_TRY(Policy p, policy_for(name));  // must exist
  (void)p;
  std::lock_guard device_guard(device_lock(req.params[0]));
  PAW_TRY(StoredDevice d, existing(*store_, req.params[0]));
  d.policy = name == kDefaultPolicyName ? std::string() : name;
  d.updated_at = unix_now();
  PAW_CHECK(store_->update_device(d));
  ++d.revision;
  ObjPtr ev = new Obj();
  ev->set("policy", name);
  record_event("policy_assignment", d.id, json::stringify(ev));
  return json_response(200, device_summary(d));
}

// admin_capture_policy: the device's last verified PCRs become references of
// its policy. Body (optional): {"mode": "replace"} (default: they become the
// policy's "reference") or {"mode": "add", "name": "bios-1.22",
// "expire_seconds": N} (a reference set of that name is added or replaced,
// ending N seconds from now, 0 = never; the other sets stay live).
Result<Response> Service::admin_capture_policy(Request& req) {
  std::string mode = "replace";
  std::string set_name;
  std::int64_t expire_seconds = 0;
  if (!req.body.empty()) {
    PAW_TRY(json::ObjectPtr body, json::parse_object(req.body, 64u << 10));
    PAW_CHECK(json::only_keys(body, {"mode", "name", "expire_seconds"}, "capture request"));
    PAW_TRY(auto m, json::opt_string(body, "mode"));
    mode = m.value_or("replace");
    PAW_TRY(auto n, json::opt_string(body, "name"));
    set_name = n.value_or("");
    if (body->has("expire_seconds")) {
      PAW_TRY(expire_seconds, json::get_int(body, "expire_seconds"));
    }
    if (mode != "replace" && mode != "add") return make_error(Errc::malformed, "mode must be replace or add");
    if (mode == "add" && set_name.empty()) return make_error(Errc::malformed, "mode add needs a set name");
    // "reference" is how diff (`--against reference`), explain and the verdicts
    // name the policy's own reference: a set of that name could never be told
    // apart from it.
    if (mode == "add" && set_name == "reference") {
      return make_error(Errc::malformed, "\"reference\" names the policy's own reference (capture without --add); "
                                         "give the set another name, e.g. bios-1.22");
    }
    if (mode == "replace" && (!set_name.empty() || expire_seconds != 0)) {
      return make_error(Errc::malformed, "name and expire_seconds go with mode add");
    }
    if (expire_seconds < 0 || expire_seconds > 10 * 365 * 86400LL) {
      return make_error(Errc::malformed, "expire_seconds must be 0 (never) to ten years");
    }
  }
  PAW_TRY(StoredDevice d, existing(*store_, req.params[0]));
  if (d.last_appraisal_json.empty()) return make_error(Errc::conflict, "device has no verified attestation yet");
  PAW_TRY(AppraisalRecord last, parse_appraisal_record(d.last_appraisal_json));
  const std::string name = d.policy.empty() ? std::string(kDefaultPolicyName) : d.policy;
  std::lock_guard lock(policy_mu_);
  PAW_TRY(auto old, store_->get_policy(name));
  Policy p;
  if (old) {
    PAW_TRY(p, stored_policy(*old));
  } else {
    PAW_TRY(p, policy_for(name));  // the built-in default, or 404
  }
  // The required PCRs take the values the device's last quote proved.
  std::size_t captured = 0;
  PcrValues values;
  for (const auto& [bank, indices] : p.pcrs.required) {
    const auto b = last.pcrs.find(bank);
    for (std::uint32_t i : indices) {
      if (b == last.pcrs.end() || b->second.count(i) == 0) {
        return make_error(Errc::conflict, "last attestation lacks required PCR " + std::string(hash_name(bank)) +
                                              ":" + std::to_string(i));
      }
      values[bank][i] = b->second.at(i);
      ++captured;
    }
  }
  if (mode == "replace") {
    for (auto& [bank, vals] : values) {
      for (auto& [i, v] : vals) p.pcrs.reference[bank][i] = v;
    }
  } else {
    ReferenceSet set{set_name, expire_seconds == 0 ? 0 : unix_now() + expire_seconds, std::move(values)};
    auto same = std::find_if(p.pcrs.sets.begin(), p.pcrs.sets.end(), [&](const ReferenceSet& s) { return s.name == set_name; });
    if (same != p.pcrs.sets.end()) *same = std::move(set);
    else p.pcrs.sets.push_back(std::move(set));
  }
  p.version = old ? old->version + 1 : p.version + 1;
  PAW_CHECK(validate_policy(p));
  PAW_CHECK(attest::check_aaguid_allowlist_roots(p.fido.aaguid_allowlist, fido_trust_.get()));
  // The values and the events behind them (for `pawctl policy diff`; none
  // without an event log) commit together: never new values beside old
  // events; and only over the version read above (409 otherwise, as PUT).
  PAW_CHECK(store_->put_policy_with_reference_events(
      {name, p.version, serialize_policy(p), unix_now()}, old ? old->version : 0,
      reference_events_of(name, mode == "add" ? set_name : std::string(), d, last)));
  ObjPtr ev = new Obj();
  ev->set("policy", name);
  ev->set("version", p.version);
  ev->set("pcrs", static_cast<std::int64_t>(captured));
  ev->set("events", static_cast<std::int64_t>(last.boot_events ? last.boot_events->events.size() : 0));
  ev->set("mode", mode);
  if (mode == "add") ev->set("set", set_name);
  record_event("policy_capture", d.id, json::stringify(ev));
  return json_response(200, policy_to_json(p));
}

Result<Response> Service::admin_list_events(Request& req) {
  PAW_TRY(EventQuery query, parse_event_query(req));  // event_query.h
  const std::int64_t after = query.after;
  const std::string& device = query.device;
  const std::int64_t limit = query.limit;
  std::vector<EventRecord> events;
  bool more = false;  // order=desc: older events exist past this page
  if (query.newest_first) {
    // One more than asked tells whether an "older" page exists.
    PAW_TRY(events, list_events_newest_for(*store_, device, query.before, limit + 1));
    more = static_cast<std::int64_t>(events.size()) > limit;
    if (more) events.pop_back();
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(query.wait);
  std::int64_t read_past = after;  // the newest local event the last empty read had seen
  while (!query.newest_first) {
    std::int64_t local = 0;
    {
      std::lock_guard lock(events_mu_);
      local = last_event_id_;
    }
    // In order: a follower moving past the last id given never misses an
    // event that another replica's transaction commits a moment later.
    PAW_TRY(events, list_events_for(*store_, device, after, limit));
    if (!events.empty() || std::chrono::steady_clock::now() >= deadline || stopping_) break;
    // Long poll: wake on a local event newer than what that read saw (with a
    // device filter, other devices' events must not make it spin), re-read
    // at least every second (other replicas).
    read_past = std::max(read_past, local);
    std::unique_lock lock(events_mu_);
    events_cv_.wait_for(lock, std::chrono::seconds(1),
                        [&] { return last_event_id_ > read_past || stopping_.load(); });
  }
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array();
  std::int64_t last = after;
  for (const auto& e : events) {
    ObjPtr o = new Obj();
    o->set("id", e.id);
    o->set("time", e.time);
    o->set("type", e.type);
    o->set("device_id", e.device_id);
    o->set("detail", parse_or_null(e.detail));
    arr->add(o);
    last = std::max(last, e.id);
  }
  ObjPtr o = new Obj();
  o->set("events", arr);
  // next: where a follower goes on with after= (the newest id given, also
  // for order=desc, whose first page is where the console starts following).
  o->set("next", last);
  // before: order=desc's cursor for the next older page, while there is one.
  if (more) o->set("before", events.back().id);
  return json_response(200, o);
}

Result<Response> Service::admin_rotate_keys(Request&) {
  PAW_TRY(std::string kid, keys_->rotate(unix_now(), cfg_.key_overlap));
  ObjPtr ev = new Obj();
  ev->set("kid", kid);
  record_event("key_rotation", "", json::stringify(ev));
  ObjPtr o = new Obj();
  o->set("kid", kid);
  return json_response(200, o);
}

}  // namespace paw::verifier
