// learn.cpp — learn mode (docs/policy.md, "Learn mode"): digests a policy's
// allowlists lack, seen on enough otherwise healthy devices, queued for an
// admin who approves (the digest joins the policy as a new version) or
// rejects (it is never queued again for that policy).
//
// What is counted comes from Appraisal::learned(): only facts bound to a
// quote that verified with the device's AK over a fresh challenge, and only
// from a device that nothing else kept from healthy (appraisal_learn.cpp).
// Each device counts once per digest (learn_sightings' primary key). Nothing
// here ever changes a policy on its own; recording never fails an attestation.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <map>

#include "service.h"
#include "util.h"

namespace paw::verifier {
namespace {
using Obj = Poco::JSON::Object;
using ObjPtr = Poco::JSON::Object::Ptr;

constexpr std::size_t kMaxDescription = 256;

// printable: text a device sent (an IMA path) made safe to store and print.
std::string printable(std::string_view text) {
  std::string out(text.substr(0, kMaxDescription));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

Result<std::int64_t> candidate_id(const std::string& text) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    return make_error(Errc::malformed, "candidate id must be a number (pawctl refs pending lists them)");
  }
  return std::stoll(text);
}

ObjPtr candidate_json(const LearnCandidate& c, std::int64_t min_devices) {
  ObjPtr o = new Obj();
  o->set("id", c.id);
  o->set("policy", c.policy);
  o->set("kind", c.kind);
  o->set("digest", c.digest);
  o->set("description", c.description);
  o->set("status", c.status);
  o->set("devices", c.devices);
  o->set("min_devices", min_devices);
  o->set("ready", min_devices > 0 && c.devices >= min_devices);
  o->set("first_seen_at", c.first_seen_at);
  o->set("first_device", c.first_device);
  o->set("last_seen_at", c.last_seen_at);
  if (c.decided_at != 0) {
    o->set("decided_at", c.decided_at);
    o->set("decided_by", c.decided_by);
  }
  return o;
}

// decided_by names the admin credential (and the person of a session).
std::string decided_by(const Request& req) {
  std::string who = req.actor_name + " (" + req.actor + ")";
  return req.actor_admin.empty() ? who : req.actor_admin + " via " + who;
}

ObjPtr decision_event(const Request& req, const LearnCandidate& c) {
  ObjPtr ev = new Obj();
  ev->set("id", c.id);
  ev->set("policy", c.policy);
  ev->set("kind", c.kind);
  ev->set("digest", c.digest);
  ev->set("devices", c.devices);
  ev->set("credential", req.actor);
  ev->set("credential_name", req.actor_name);
  if (!req.actor_admin.empty()) ev->set("admin", req.actor_admin);
  return ev;
}

}  // namespace

void Service::record_learning(const StoredDevice& dev, const Policy& policy, const Appraisal& a,
                              std::int64_t now) noexcept {
  if (!policy.learn.on() || a.learned().empty()) return;
  try {
    std::vector<LearnSeen> seen;
    for (const auto& s : a.learned()) seen.push_back({s.kind, hex(s.digest), printable(s.description)});
    auto out = store_->record_learn_sightings(policy.name, dev.id, seen, now, LearnLimits{});
    if (!out.ok()) {
      log_line("error", "learn mode: sightings not recorded", {{"device", dev.id}, {"error", out.error().what()}});
      return;
    }
    if (out->dropped > 0) {
      log_line("warn", "learn mode: queue full, digests not queued",
               {{"policy", policy.name}, {"device", dev.id}, {"dropped", std::to_string(out->dropped)}});
    }
    // The attestation that brings a digest to min_devices says so once.
    for (const auto& c : out->counted) {
      if (c.devices != policy.learn.min_devices) continue;
      ObjPtr ev = new Obj();
      ev->set("id", c.id);
      ev->set("policy", c.policy);
      ev->set("kind", c.kind);
      ev->set("digest", c.digest);
      ev->set("description", c.description);
      ev->set("devices", c.devices);
      record_event("learn_candidate", dev.id, json::stringify(ev));
    }
  } catch (const std::exception& e) {
    log_line("error", "learn mode: sightings not recorded", {{"device", dev.id}, {"error", e.what()}});
  }
}

// GET /v1/admin/refs/pending[?policy=NAME][&status=pending|approved|rejected|all]:
// the queue, most devices first (those at min_devices first of all).
Result<Response> Service::admin_list_refs(Request& req) {
  std::string policy;
  if (auto it = req.query.find("policy"); it != req.query.end()) {
    policy = it->second;
    PAW_CHECK(check_policy_name(policy));
  }
  std::string status = "pending";
  if (auto it = req.query.find("status"); it != req.query.end()) status = it->second;
  if (status != "pending" && status != "approved" && status != "rejected" && status != "all") {
    return make_error(Errc::malformed, "status must be pending, approved, rejected or all");
  }
  PAW_TRY(std::vector<LearnCandidate> all, store_->list_learn_candidates(policy));
  std::map<std::string, std::int64_t> min_devices;  // per policy, 0 = learn off or unreadable
  auto min_of = [&](const std::string& name) {
    auto [it, fresh] = min_devices.try_emplace(name, 0);
    if (fresh) {
      if (auto p = policy_for(name); p.ok()) it->second = p->learn.min_devices;
    }
    return it->second;
  };
  Poco::JSON::Array::Ptr ready = new Poco::JSON::Array(), rest = new Poco::JSON::Array();
  for (const auto& c : all) {
    if (status != "all" && c.status != status) continue;
    const std::int64_t n = min_of(c.policy);
    (n > 0 && c.devices >= n ? ready : rest)->add(candidate_json(c, n));
  }
  for (std::size_t i = 0; i < rest->size(); ++i) ready->add(rest->get(static_cast<unsigned>(i)));
  ObjPtr o = new Obj();
  o->set("candidates", ready);
  return json_response(200, o);
}

// POST /v1/admin/refs/{id}/approve: the digest joins the policy's allowlist
// ("boot_applications" or "ima.allowlist") as a new policy version, exactly
// as `policy set` would store it.
Result<Response> Service::admin_approve_ref(Request& req) {
  PAW_TRY(const std::int64_t id, candidate_id(req.params[0]));
  std::lock_guard lock(policy_mu_);
  PAW_TRY(auto found, store_->get_learn_candidate(id));
  if (!found) return make_error(Errc::not_found, "no such candidate");
  const LearnCandidate c = *found;
  if (c.status != "pending") return make_error(Errc::conflict, "candidate was " + c.status + " already");
  // The new version is built on the one row read here and written only over
  // it (a capture or PUT at another replica in between: 409, nothing written).
  PAW_TRY(auto old, store_->get_policy(c.policy));
  Policy p;
  if (old) {
    PAW_TRY(p, stored_policy(*old));
  } else {
    PAW_TRY(p, policy_for(c.policy));
  }
  PAW_TRY(Bytes digest, unhex(c.digest));
  ByteSet& list = c.kind == kLearnBootApp ? p.boot_applications : p.ima.allowlist;
  // An empty list allows every digest: one entry would make it allow only that.
  if (list.empty()) {
    return make_error(Errc::conflict, "policy " + c.policy + "'s " +
                                          (c.kind == kLearnBootApp ? "boot_applications" : "ima.allowlist") +
                                          " is empty (every digest is allowed): approving would allow only this one");
  }
  list.insert(std::move(digest));
  p.version = old ? old->version + 1 : (c.policy == kDefaultPolicyName ? 2 : 1);
  PAW_CHECK(validate_policy(p));
  PAW_CHECK(check_policy_bindings(p));
  // An allowlist entry changes no PCR value: no captured events to clear.
  PAW_CHECK(store_->put_policy_clearing_reference_events({c.policy, p.version, serialize_policy(p), unix_now()},
                                                         old ? old->version : 0, {}));
  PAW_TRY(bool decided, store_->decide_learn_candidate(id, "approved", decided_by(req), unix_now()));
  if (!decided) log_line("warn", "learn mode: candidate decided elsewhere meanwhile", {{"id", std::to_string(c.id)}});
  ObjPtr up = new Obj();
  up->set("name", c.policy);
  up->set("version", p.version);
  up->set("learned", c.id);
  record_event("policy_update", "", json::stringify(up));
  ObjPtr ev = decision_event(req, c);
  ev->set("version", p.version);
  record_event("learn_approved", "", json::stringify(ev));
  ObjPtr o = candidate_json(c, p.learn.min_devices);
  o->set("status", "approved");
  o->set("policy_version", p.version);
  return json_response(200, o);
}

// POST /v1/admin/refs/{id}/reject: never queued again for that policy.
Result<Response> Service::admin_reject_ref(Request& req) {
  PAW_TRY(const std::int64_t id, candidate_id(req.params[0]));
  std::lock_guard lock(policy_mu_);  // not between an approve's check and its policy write
  PAW_TRY(auto found, store_->get_learn_candidate(id));
  if (!found) return make_error(Errc::not_found, "no such candidate");
  PAW_TRY(bool decided, store_->decide_learn_candidate(id, "rejected", decided_by(req), unix_now()));
  if (!decided) return make_error(Errc::conflict, "candidate was " + found->status + " already");
  record_event("learn_rejected", "", json::stringify(decision_event(req, *found)));
  ObjPtr o = candidate_json(*found, 0);
  o->set("status", "rejected");
  o->remove("min_devices");
  o->remove("ready");
  return json_response(200, o);
}

}  // namespace paw::verifier
