// Login-flow and operations endpoints: JWKS, health query, auth_request-style
// authz, Prometheus metrics, liveness.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <charconv>

#include "login_checks.h"
#include "paw/attest/reasons.h"
#include "service.h"
#include "util.h"
#include "verdicts.h"

namespace paw::verifier {
namespace {
using Obj = Poco::JSON::Object;
using ObjPtr = Poco::JSON::Object::Ptr;

Response empty(int status) {
  Response r;
  r.status = status;
  return r;
}

// reasons_grace_until: the earliest grace end among stored reasons (0 if none is graced).
std::int64_t reasons_grace_until(const std::vector<ResultReason>& reasons) {
  std::int64_t until = 0;
  for (const auto& r : reasons) {
    if (r.grace_until <= 0) return 0;  // an ungraced reason: no grace at all
    until = until == 0 ? r.grace_until : std::min(until, r.grace_until);
  }
  return until;
}
}  // namespace

Result<std::shared_ptr<const Policy>> Service::admitted_policy(const DeviceAdmission& a) {
  const std::string name = a.policy.empty() ? std::string(kDefaultPolicyName) : a.policy;
  // The version the parsed policy must have to be the one the row names:
  // version 0 is "no stored row", which is the built-in default (version 1;
  // a stored default starts at 2) or, for another name, an error.
  const std::int64_t want = a.policy_version != 0 ? a.policy_version : (name == kDefaultPolicyName ? 1 : 0);
  if (want != 0) {
    if (auto p = policy_versions_.get(name, a.policy_version)) return p;
  }
  PAW_TRY(Policy p, policy_for(name));
  auto shared = std::make_shared<const Policy>(std::move(p));
  // A newer row than the device's read (a PUT in between) is used now, and
  // cached by the next login that reads its version.
  if (want != 0 && shared->version == want) policy_versions_.put(name, a.policy_version, shared);
  return shared;
}

Result<Response> Service::get_jwks(Request&) {
  Response r;
  r.body = keys_->jwks();
  r.content_type = "application/jwk-set+json";
  return r;
}

Result<Response> Service::get_health(Request& req) {
  const std::int64_t now_s = unix_now();
  PAW_TRY(auto dev, store_->device_admission(req.params[0]));
  if (!dev) return make_error(Errc::not_found, "unknown device");
  PAW_TRY(auto admitted, admitted_policy(*dev));
  const Policy& policy = *admitted;
  std::int64_t max_age = policy.max_attestation_age_seconds;
  if (const auto it = req.query.find("max_age"); it != req.query.end()) {
    const std::string& v = it->second;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), max_age);
    if (ec != std::errc() || end != v.data() + v.size() || max_age < 0) {
      return make_error(Errc::malformed, "max_age must be a non-negative integer");
    }
  }
  std::vector<ResultReason> reasons;
  if (!dev->last_reasons.empty()) {
    // Written by this verifier; a row it cannot read answers with no stored reasons (logged).
    auto parsed = reasons_from_text(dev->last_reasons, "stored reasons");
    if (parsed.ok()) {
      reasons = std::move(*parsed);
    } else {
      log_line("error", "unreadable stored reasons", {{"device", req.params[0]}, {"error", parsed.error().what()}});
    }
  }
  auto add_reason = [&](const char* code, const std::string& msg) { reasons.push_back({code, msg, 0}); };
  const bool fresh = dev->last_attested_at != 0 && now_s - dev->last_attested_at <= max_age;
  // A verdict counts only under the policy that made it: after a policy
  // change (a new version, or another policy assigned) the device must attest again.
  std::string made_under = dev->verdict_policy;
  if (made_under.empty() && !dev->last_verdict.empty()) {
    // A verdict written before migration 5: its policy is in the appraisal record.
    PAW_TRY(auto row, store_->get_device(req.params[0]));
    if (row) made_under = verdict_policy_of(*row);
  }
  const bool current_policy = made_under == policy_id(policy);
  // ?user=NAME: the login is for NAME; a device enrolled to someone else (or to nobody) is not theirs.
  bool owner_ok = true;
  if (const auto it = req.query.find("user"); it != req.query.end()) {
    PAW_CHECK(check_owner(it->second));
    owner_ok = dev->owner == it->second;
  }
  // A warning (graced reasons only, grace.h) admits until its grace ends.
  const std::int64_t grace_until = dev->last_verdict == "warning" ? reasons_grace_until(reasons) : 0;
  const bool verdict_admits = dev->last_verdict == "healthy" || (dev->last_verdict == "warning" && now_s < grace_until);
  const bool allow = verdict_admits && fresh && current_policy && owner_ok && dev->status == DeviceStatus::enrolled;
  if (dev->last_verdict == "warning" && now_s >= grace_until) {
    add_reason("grace_expired", "the grace of the reasons above ended at " + std::to_string(grace_until));
  }
  if (dev->status != DeviceStatus::enrolled) {
    add_reason(dev->status == DeviceStatus::revoked ? "revoked" : "device_state",
               "device is " + std::string(device_status_name(dev->status)));
  }
  if (!fresh) add_reason("not_fresh", "no attestation within " + std::to_string(max_age) + " seconds");
  if (!current_policy && !dev->last_verdict.empty()) {
    add_reason("policy_changed", "verdict made under " + (made_under.empty() ? std::string("an unknown policy") : made_under) +
                                     "; the device's policy is now " + policy_id(policy));
  }
  if (!owner_ok) {
    add_reason("owner_mismatch", "the device is enrolled to " + (dev->owner.empty() ? std::string("nobody") : dev->owner) +
                                     ", not to " + req.query.at("user"));
  }
  ObjPtr o = new Obj();
  o->set("allow", allow);
  o->set("verdict", dev->last_verdict.empty() ? std::string("none") : dev->last_verdict);
  o->set("status", std::string(device_status_name(dev->status)));
  o->set("reasons", reasons_to_json(reasons));
  o->set("attested_at", dev->last_attested_at);
  if (grace_until != 0) o->set("grace_until", grace_until);
  return json_response(200, o);
}

Result<Response> Service::get_authz(Request& req) {
  const std::int64_t now_s = unix_now();
  const std::string token = authz_token(req.authorization);
  if (token.empty()) return make_error(Errc::unauthorized, "missing result token (Authorization: DPoP or Bearer)");
  // The signature is checked once per token (login_cache.h); the device's
  // state below is read from the database on every request.
  auto verified = token_cache_.verify(*keys_, token, now_s, cfg_.issuer);
  if (!verified.ok()) return make_error(Errc::unauthorized, verified.error().detail);
  const ResultClaims* claims = verified->get();
  if (!claims->aud.empty() && claims->aud != audience()) {
    return make_error(Errc::unauthorized, "token audience " + claims->aud + " is not " + audience());
  }
  PAW_TRY(auto dev, store_->device_admission(claims->sub));
  if (!dev || dev->status == DeviceStatus::revoked) return make_error(Errc::revoked, "device revoked or deleted");
  if (dev->status == DeviceStatus::pending) return make_error(Errc::forbidden, "device not approved");
  if (dev->status != DeviceStatus::enrolled) return make_error(Errc::forbidden, "device is stale");
  PAW_TRY(auto admitted, admitted_policy(*dev));
  const Policy& policy = *admitted;
  // Proof of possession before anything about the verdict is told: a stolen
  // token alone learns nothing more than that it is not enough.
  if (policy.login.token_binding == TokenBinding::pop) {
    if (claims->cnf_jkt.empty()) {
      return login_denial(req, {401, "token_unbound", "the policy wants proof of possession and the token has no cnf "
                                                      "key (device without a login key: paw-agent enroll --add-login-key)"});
    }
    PopContext ctx{now_s, cfg_.dpop_window, 5, is_trusted_proxy(req.peer, trusted_proxies_), !cfg_.insecure_http,
                   claims->sub, [&](std::string_view cert) { return device_ca_->client_cert_jkt(cert, now_s); }};
    ProofOutcome proved = proof_jkt(req, token, claims->cnf_jkt, ctx);
    if (!proved.ok()) return login_denial(req, proved.denial);
    if (!proved.key.jti.empty()) {
      // Single use across replicas: the store's used-once table, keyed apart from challenge nonces.
      auto used = store_->use_nonce({dpop_jti_key(proved.key.jkt, proved.key.jti), claims->sub, now_s, proved.key.jti_expires_at});
      if (!used.ok()) {
        if (used.error().code != Errc::nonce_reused) return used.error();
        return login_denial(req, {401, "dpop_replayed", "DPoP jti " + proved.key.jti + " was already used"});
      }
    }
  }
  // healthy, or warning inside its grace (the token's exp is capped at grace_until).
  const bool admits = claims->verdict == "healthy" || (claims->verdict == "warning" && now_s < claims->grace_until);
  if (!admits) return make_error(Errc::forbidden, "token verdict is " + claims->verdict);
  // A later verdict overrides the token: unhealthy or rejected since it was issued → deny.
  if (dev->last_verdict != "healthy" && dev->last_verdict != "warning" && dev->last_attested_at >= claims->iat) {
    return make_error(Errc::forbidden, "device " + (dev->last_verdict.empty() ? std::string("unknown") : dev->last_verdict) +
                                           " since the token was issued");
  }
  // A rejection voids every token issued before it, also once a later healthy
  // attestation cleared it (the device then holds a newer token). Within the
  // rejection's own second only the healthy verdict after it lets a token pass.
  if (claims->iat < dev->rejected_at) return make_error(Errc::forbidden, "device rejected since the token was issued");
  // The verdict must be fresh under the device's policy as it is now.
  if (claims->policy != policy_id(policy)) {
    return make_error(Errc::forbidden, "the device's policy changed since the token was issued");
  }
  if (now_s - dev->last_attested_at > policy.max_attestation_age_seconds) {
    return make_error(Errc::forbidden, "device is stale: no attestation within the policy's maximum age");
  }
  // Step-up: under PoP a login also needs a recent touch of the FIDO2 key.
  if (policy.login.token_binding == TokenBinding::pop && !login_presence_ok(*dev, policy, now_s)) {
    return login_denial(req, {403, "presence_stale",
                              "no attestation with FIDO2 user presence within " +
                                  std::to_string(policy.fido.login_presence_max_age_seconds) + " seconds (last at " +
                                  std::to_string(dev->last_presence_at) + ")"});
  }
  // X-Paw-User (set by nginx from an upstream authentication): the person
  // logging in must be the one the device is enrolled to.
  const bool user_repeated = std::find(req.repeated.begin(), req.repeated.end(), "x-paw-user") != req.repeated.end();
  if (const std::string user = req.field("x-paw-user"); !user.empty() || user_repeated) {
    if (user_repeated || user != dev->owner) {
      return login_denial(req, {403, "owner_mismatch", "login for " + (user_repeated ? std::string("several users") : user) +
                                                           " on a device enrolled to " +
                                                           (dev->owner.empty() ? std::string("nobody") : dev->owner)});
    }
  }
  Response r = empty(204);
  r.headers.emplace_back("X-Paw-Device", claims->sub);
  r.headers.emplace_back("X-Paw-Verdict", claims->verdict);
  if (!dev->owner.empty()) r.headers.emplace_back("X-Paw-Owner", dev->owner);
  return r;
}

Response Service::login_denial(const Request& req, const LoginDenial& d) {
  log_line("info", "login refused", {{"reason", d.reason}, {"detail", d.detail}, {"remote", req.remote}});
  ObjPtr o = new Obj();
  o->set("error", std::string(d.status == 401 ? "unauthorized" : "forbidden"));
  o->set("reason", d.reason);
  o->set("message", std::string(d.status == 401 ? "proof of possession of the device's login key is required"
                                                : "not allowed for this login now"));
  Response r = json_response(d.status, o);
  r.headers.emplace_back("X-Paw-Reason", d.reason);
  if (d.status == 401) {
    // RFC 9449 7.1: the scheme, the algorithms a proof may use and why this one failed.
    const bool token_problem = d.reason == "token_unbound" || d.reason.rfind("mtls_", 0) == 0;
    r.headers.emplace_back("WWW-Authenticate", std::string("DPoP algs=\"ES256\", error=\"") +
                                                   (token_problem ? "invalid_token" : "invalid_dpop_proof") +
                                                   "\", error_description=\"" + d.reason + "\"");
  }
  return r;
}

Result<Response> Service::get_metrics(Request&) {
  PAW_TRY(auto counts, store_->count_devices_by_status());
  Response r;
  r.body = metrics_.render(counts);
  if (webhooks_) {
    r.body += "# HELP paw_webhook_alerts_total Alerts POSTed to webhooks by this process, by outcome.\n"
              "# TYPE paw_webhook_alerts_total counter\n"
              "paw_webhook_alerts_total{result=\"delivered\"} " + std::to_string(webhooks_->delivered()) + "\n"
              "paw_webhook_alerts_total{result=\"refused\"} " + std::to_string(webhooks_->failed()) + "\n";
  }
  if (event_export_) r.body += event_export_->metrics();
  r.body += "# HELP paw_login_token_cache_total Result tokens checked by /v1/authz: from the verified-token cache (hit) or verified (miss).\n"
            "# TYPE paw_login_token_cache_total counter\n"
            "paw_login_token_cache_total{result=\"hit\"} " + std::to_string(token_cache_.hits()) + "\n"
            "paw_login_token_cache_total{result=\"miss\"} " + std::to_string(token_cache_.misses()) + "\n"
            "# HELP paw_login_token_cache_entries Verified result tokens cached.\n"
            "# TYPE paw_login_token_cache_entries gauge\n"
            "paw_login_token_cache_entries " + std::to_string(token_cache_.size()) + "\n";
  r.content_type = "text/plain; version=0.0.4";
  return r;
}

Result<Response> Service::get_healthz(Request&) {
  PAW_TRY(std::int64_t v, store_->schema_version());
  ObjPtr o = new Obj();
  o->set("status", "ok");
  o->set("schema_version", v);
  return json_response(200, o);
}

}  // namespace paw::verifier
