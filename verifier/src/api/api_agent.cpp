// Agent endpoints: discovery, enrollment + credential activation, challenges,
// attestations (docs/protocol.md).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "paw/attest/reasons.h"
#include "paw/attest/evidence.h"
#include "paw/attest/protocol.h"
#include "login_checks.h"
#include "service.h"
#include "util.h"
#include "verdicts.h"

namespace paw::verifier {
namespace {

using Obj = Poco::JSON::Object;
using ObjPtr = Poco::JSON::Object::Ptr;

constexpr std::string_view kVersion = "0.1.0";

// Device ids are ours (hex) but arrive untrusted.
Status check_device_id(const std::string& id) { return protocol::check_id(id, "device_id"); }

// may_attest: a device that exists and is neither revoked nor pending
// approval may attest: Errc::not_found, revoked, forbidden (pending).
Status may_attest(const std::optional<DeviceHead>& head) {
  if (!head) return make_error(Errc::not_found, "unknown device");
  if (head->status == DeviceStatus::revoked) return make_error(Errc::revoked, "device is revoked");
  if (head->status == DeviceStatus::pending) return make_error(Errc::forbidden, "device awaits admin approval");
  return ok_status();
}

// usable_device loads a device that may attest (the errors of may_attest).
Result<StoredDevice> usable_device(Store& store, const std::string& id) {
  PAW_TRY(auto d, store.get_device(id));
  PAW_CHECK(may_attest(d ? std::optional<DeviceHead>(DeviceHead{d->status, d->revision}) : std::nullopt));
  return *d;
}

// EvidenceRoute is where evidence claims to go: the device to load and the
// challenge to check before the quote is verified.
struct EvidenceRoute {
  std::string device_id;
  Bytes nonce;
};

// route_of reads the envelope's routing copies. Agents before 0.2 send none:
// for them the body is read for these two values only and thrown away (the
// appraisal parses it again, after the signature check, and compares).
Result<EvidenceRoute> route_of(const Envelope& env) {
  if (!env.device_id.empty()) return EvidenceRoute{env.device_id, env.nonce};
  PAW_TRY(EvidenceBody unsigned_body, parse_body(env.body));
  return EvidenceRoute{std::move(unsigned_body.device_id), std::move(unsigned_body.nonce)};
}

}  // namespace

Result<Response> Service::get_info(Request&) {
  return json_response(200, protocol::encode(protocol::Info{std::string(kVersion), cfg_.rp_id}));
}

Result<Response> Service::post_enrollment(Request& req) {
  const std::int64_t now_s = unix_now();
  PAW_TRY(EnrollmentRequest er, parse_enrollment_request(req.body));
  const std::string token_hash = sha256_hex(er.token.view());
  // The token must be valid before any expensive work; it is consumed (one
  // winner) only after the evidence verified, so a broken agent can retry.
  std::string policy_name(kDefaultPolicyName);  // the token's policy judges the enrollment
  bool may_replace = false;                      // the token may take over an enrolled TPM (enroll_identity.cpp)
  std::string owner;                             // the person the token binds the device to ("" = none)
  {
    PAW_TRY(std::optional<EnrollmentTokenRecord> known, store_->find_enrollment_token(token_hash));
    if (!known || known->used) return make_error(Errc::token_invalid, "enrollment token unknown or already used");
    if (known->revoked_at != 0) return make_error(Errc::token_invalid, "enrollment token revoked");
    if (known->expires_at <= now_s) return make_error(Errc::token_expired, "enrollment token expired");
    if (!known->policy.empty()) policy_name = known->policy;
    may_replace = known->may_replace;
    owner = known->owner;
  }
  PAW_TRY(Policy policy, policy_for(policy_name));
  EnrollmentContext ctx{ek_trust_.get(), cfg_.rp_id, now_s, fido_trust_.get()};
  auto verified = verify_enrollment(er, ctx, policy);
  if (!verified.ok()) {
    ObjPtr d = new Obj();
    d->set("error", std::string(errc_name(verified.code())));
    d->set("message", verified.error().detail);
    d->set("remote", req.remote);
    record_event("enrollment_failed", "", json::stringify(d));
    return verified.error();
  }
  DeviceRecord rec = verified->record();
  // One enrolled id per TPM: refused (the token survives) unless the token may replace.
  PAW_TRY(const std::string ek_hash, ek_hash_of(rec));
  PAW_CHECK(ek_identity_check(ek_hash, may_replace, req.remote, owner));
  PAW_TRY(EnrollmentTokenRecord token, store_->consume_enrollment_token(token_hash, now_s));
  PAW_TRY(std::string device_id, random_hex(16));
  PAW_TRY(std::string enrollment_id, random_hex(16));
  rec.device_id = device_id;
  ObjPtr pending = new Obj();
  pending->set("record", device_record_to_json(rec));
  pending->set("label", token.label);
  pending->set("policy", token.policy);
  pending->set("approval", verified->requires_approval());
  pending->set("notes", reasons_to_json(verified->notes()));
  pending->set("ek_hash", ek_hash);
  pending->set("may_replace", may_replace);
  pending->set("owner", owner);
  PAW_CHECK(store_->add_enrollment({enrollment_id, hex(verified->secret_hash()), json::stringify(pending), now_s,
                                    now_s + cfg_.enrollment_ttl}));
  return json_response(201, protocol::encode(protocol::EnrollmentAnswer{enrollment_id, verified->credential_blob(),
                                                                         verified->encrypted_secret()}));
}

Result<Response> Service::post_activation(Request& req) {
  const std::int64_t now_s = unix_now();
  PAW_TRY(const protocol::ActivationRequest activation, protocol::decode_activation_request(req.body));
  const Bytes& secret = activation.secret;
  // take_enrollment removes the row: a wrong secret ends the enrollment.
  PAW_TRY(EnrollmentRecord e, store_->take_enrollment(req.params[0], now_s));
  PAW_TRY(Bytes stored_hash, unhex(e.secret_hash));
  PAW_TRY(json::ObjectPtr pending, json::parse_object(e.device_json, 1u << 24));
  PAW_TRY(json::ObjectPtr rec_json, json::get_object(pending, "record"));
  PAW_TRY(DeviceRecord rec, device_record_from_json(rec_json));
  if (auto st = check_activation(stored_hash, secret); !st.ok()) {
    ObjPtr d = new Obj();
    d->set("enrollment_id", e.id);
    d->set("remote", req.remote);
    record_event("enrollment_failed", rec.device_id, json::stringify(d));
    return st.error();
  }
  PAW_TRY(bool approval, json::get_bool(pending, "approval"));
  PAW_TRY(std::string label, json::get_string(pending, "label"));
  PAW_TRY(auto policy, json::opt_string(pending, "policy"));  // absent in enrollments made before 0.2
  PAW_TRY(auto ek_hash, json::opt_string(pending, "ek_hash"));  // absent in enrollments made before migration 5
  PAW_TRY(auto may_replace, json::opt_bool(pending, "may_replace"));
  PAW_TRY(auto owner, json::opt_string(pending, "owner"));  // absent in enrollments made before migration 7
  if (!ek_hash) {
    PAW_TRY(ek_hash, ek_hash_of(rec));
  }
  // Checked again here: another enrollment of this TPM may have been activated meanwhile.
  PAW_TRY(const std::vector<std::string> replaces,
          ek_identity_check(*ek_hash, may_replace.value_or(false), req.remote, owner.value_or("")));
  StoredDevice d;
  d.id = rec.device_id;
  d.status = approval ? DeviceStatus::pending : DeviceStatus::enrolled;
  d.label = label;
  d.policy = policy.value_or("");
  d.record_json = serialize_device_record(rec);
  d.state_json = serialize_device_state(paw::DeviceState{});
  d.last_reasons = "[]";
  d.created_at = d.updated_at = now_s;
  d.ek_hash = *ek_hash;
  d.owner = owner.value_or("");
  PAW_CHECK(store_->add_device(d));
  for (const auto& old : replaces) {
    // The replaced device is revoked (its tokens die with it) and the take-over audited.
    PAW_TRY(auto previous, store_->get_device(old));
    if (!previous) continue;
    if (previous->status != DeviceStatus::revoked) PAW_CHECK(store_->set_device_status(old, DeviceStatus::revoked, now_s));
    ObjPtr rep = new Obj();
    rep->set("replaced_by", d.id);
    rep->set("previous_status", std::string(device_status_name(previous->status)));
    rep->set("token_label", label);
    record_event("device_replaced", old, json::stringify(rep));
  }
  ObjPtr ev = new Obj();
  ev->set("label", label);
  ev->set("policy", d.policy.empty() ? std::string(kDefaultPolicyName) : d.policy);
  ev->set("status", std::string(device_status_name(d.status)));
  ev->set("ek_tofu", rec.ek_tofu);
  ev->set("owner", d.owner);
  if (rec.login_key) ev->set("login_key_jkt", rec.login_key->jkt);
  ev->set("notes", pending->getArray("notes"));
  record_event("enrollment", d.id, json::stringify(ev));
  return json_response(200, protocol::encode(protocol::ActivationAnswer{d.id, std::string(device_status_name(d.status))}));
}

Result<Response> Service::post_challenge(Request& req) {
  const std::int64_t now_s = unix_now();
  PAW_TRY(const protocol::ChallengeRequest asked, protocol::decode_challenge_request(req.body));
  const std::string& device_id = asked.device_id;
  // No per-device budget here: anyone may ask for a device's challenge (it
  // is stateless and cheap; the per-address limit bounds the asking), and a
  // budget keyed on an unauthenticated id would let them lock the device out.
  // The status alone decides whether the device may attest (the record is not needed here).
  PAW_TRY(auto head, store_->device_head(device_id));
  PAW_CHECK(may_attest(head));
  // Nothing is written: the nonce proves itself (challenge.h).
  const std::int64_t expires_at = now_s + cfg_.challenge_ttl;
  PAW_TRY(Bytes nonce, challenge_key_.issue(device_id, expires_at));
  return json_response(201, protocol::encode(protocol::Challenge{std::move(nonce), expires_at}));
}

Result<std::shared_ptr<const CachedDevice>> Service::load_device(const std::string& id, std::int64_t revision) {
  if (auto hit = device_cache_.get(id, revision)) return hit;
  PAW_TRY(StoredDevice d, usable_device(*store_, id));
  auto c = std::make_shared<CachedDevice>();
  PAW_TRY(c->record, parse_device_record(d.record_json));
  PAW_TRY(c->state, parse_device_state(d.state_json));
  c->stored = std::move(d);
  device_cache_.put(c);
  return std::shared_ptr<const CachedDevice>(std::move(c));
}

Result<Response> Service::post_attestation(Request& req) {
  const std::int64_t now_s = unix_now();
  // Sizes and shape first. The device and nonce come from the envelope's
  // unsigned routing copies; the body is parsed once, inside
  // authenticate_evidence, after the quote proved its bytes signed, and its
  // values must equal these copies.
  PAW_TRY(Envelope env, parse_envelope(req.body));
  PAW_TRY(const EvidenceRoute route, route_of(env));
  PAW_CHECK(check_device_id(route.device_id));

  // One appraisal per device at a time (FIDO2 counter, clock state); the
  // revision check in record_attestation covers other replicas.
  std::lock_guard device_guard(device_lock(route.device_id));
  PAW_TRY(auto head, store_->device_head(route.device_id));
  PAW_CHECK(may_attest(head));
  // The device's budget is spent only by evidence that verified (below), so
  // junk sent in its name never uses it up; it only runs dry when the device
  // itself attests too often. Unknown ids get no bucket (may_attest above).
  if (!device_limiter_.has_token(route.device_id)) return make_error(Errc::rate_limited, "too many attestations for this device");
  // Issued by us, to this device, not expired: decided without the store.
  // Whether it was used is decided below, in the transaction that stores the
  // verdict (one winner, also across replicas).
  PAW_TRY(const std::int64_t nonce_expires, challenge_key_.check(route.nonce, route.device_id, now_s));
  const UsedNonce nonce{sha256_hex(ByteView(route.nonce)), route.device_id, now_s, nonce_expires};
  PAW_TRY(std::shared_ptr<const CachedDevice> cached, load_device(route.device_id, head->revision));
  StoredDevice dev = cached->stored;

  PAW_TRY(Policy policy, policy_for(dev.policy));
  AppraisalContext ctx{route.nonce, cfg_.rp_id, now_s};
  // Steps 1-7: until the quote verified with the enrolled AK over this body,
  // challenge and device, the evidence could come from anyone: a failure is
  // counted and nothing about the device is written.
  auto authentic = authenticate_evidence(cached->record, env, ctx);
  if (!authentic.ok()) return refuse_unauthenticated(req, dev.id, std::move(authentic).error());
  device_limiter_.spend(dev.id);  // the quote verified against this device's AK
  // From here on the device itself said it: a failure is verdict `rejected`.
  // Report-only policies judge the same evidence in the same pass; their
  // verdicts go to the store, metrics and events, never into this answer.
  const ReportRun report = report_inputs(dev);
  std::vector<ReportJudgement> judged;
  auto appraisal = appraise_authentic(cached->record, cached->state, std::move(*authentic), ctx, policy,
                                      report.inputs, judged);
  if (!appraisal.ok()) return record_rejection(req, nonce, *cached, policy, std::move(appraisal).error());
  const Appraisal& a = *appraisal;
  const std::string verdict(verdict_name(a.verdict()));
  const std::string previous_verdict = dev.last_verdict;
  dev.status = DeviceStatus::enrolled;  // a stale device that attests again is back
  dev.state_json = serialize_device_state(a.next_state());
  dev.last_verdict = verdict;
  dev.last_reasons = json::stringify(reasons_to_json(a.reasons()));
  dev.last_appraisal_json = serialize_appraisal_record(a.record());
  dev.last_attested_at = now_s;
  dev.verdict_policy = a.record().policy;
  if (a.healthy()) dev.last_healthy_at = now_s;
  if (a.user_present()) dev.last_presence_at = now_s;  // step-up presence at login (login_presence_ok)
  dev.updated_at = now_s;

  std::vector<EventRecord> events;
  ObjPtr ev = new Obj();
  ev->set("verdict", verdict);
  ev->set("reasons", reasons_to_json(a.reasons()));
  ev->set("notes", reasons_to_json(a.notes()));
  ev->set("policy", a.record().policy);
  if (!dev.owner.empty()) ev->set("owner", dev.owner);
  events.push_back({0, now_s, "attestation", dev.id, json::stringify(ev)});
  // A first verdict is recorded by the attestation event; only changes alert.
  const bool changed = !previous_verdict.empty() && previous_verdict != verdict;
  if (changed) {
    ObjPtr ch = new Obj();
    ch->set("from", previous_verdict);
    ch->set("to", verdict);
    ch->set("reasons", reasons_to_json(a.reasons()));
    events.push_back({0, now_s, "verdict_change", dev.id, json::stringify(ch)});
  }
  // Nonce used, device compare-and-swapped and events appended in one
  // durable transaction: nothing is acknowledged before it committed.
  auto recorded = store_->record_attestation(nonce, dev, events);
  if (!recorded.ok()) {
    device_cache_.erase(dev.id);  // whatever changed the row, read it afresh next time
    return recorded.error();
  }
  const std::vector<std::int64_t>& ids = *recorded;
  auto next = std::make_shared<CachedDevice>(CachedDevice{dev, cached->record, a.next_state()});
  next->stored.revision = dev.revision + 1;  // the compare-and-swap just made it so
  device_cache_.put(std::move(next));
  metrics_.observe_verdict(verdict);
  for (std::size_t i = 0; i < ids.size() && i < events.size(); ++i) published(ids[i], events[i].type, dev.id);
  record_reports(dev, report, judged, verdict, now_s);
  record_learning(dev, policy, a, now_s);

  PAW_TRY(std::string jti, random_hex(16));
  ResultClaims claims = a.claims(cfg_.issuer, jti);
  claims.aud = audience();
  claims.owner = dev.owner;
  // Bound to the login key (RFC 7800 cnf): under a "pop" policy only its holder logs in with it.
  if (cached->record.login_key) claims.cnf_jkt = cached->record.login_key->jkt;
  PAW_TRY(std::string token, keys_->sign(claims));
  protocol::AttestationAnswer answer{verdict, a.reasons(), std::move(token), claims.exp, claims.grace_until, {}, {}};
  // The login and SSH certificates ride on the same answer (no second
  // request): only for a verdict that admits login (healthy, or warning) of a
  // device with a login key, expiring with the token.
  // Step-up presence (policy fido.login_presence_max_age_seconds): no
  // credential without a recent touch of the FIDO2 key, as at /v1/authz.
  if (a.admits_login() && login_presence_ok(dev, policy, now_s)) {
    answer.login_certificate = login_certificate(cached->record, dev.owner, a, policy, claims.exp, now_s);
    answer.ssh_certificate = ssh_certificate_for(dev, cached->record, claims);
  }
  return json_response(200, protocol::encode(answer));
}

// post_login_key: `paw-agent enroll --add-login-key` for a device enrolled
// before login keys. No credential is needed: the TPM2_Certify itself
// authenticates the request, being signed by the device's enrolled AK (a
// restricted key: only its TPM can produce a TPMS_ATTEST) over a fresh
// challenge of this device (login_key_add_qualifying_data). The challenge is
// used up whatever the outcome, so a certify cannot be replayed.
Result<Response> Service::post_login_key(Request& req) {
  const std::int64_t now_s = unix_now();
  const std::string& device_id = req.params[0];
  PAW_CHECK(check_device_id(device_id));
  if (!device_limiter_.allow(device_id)) return make_error(Errc::rate_limited, "too many requests for this device");
  PAW_TRY(LoginKeyAddRequest add, parse_login_key_add_request(req.body));
  std::lock_guard device_guard(device_lock(device_id));
  PAW_TRY(auto head, store_->device_head(device_id));
  PAW_CHECK(may_attest(head));
  PAW_TRY(const std::int64_t nonce_expires, challenge_key_.check(add.nonce, device_id, now_s));
  PAW_TRY(std::shared_ptr<const CachedDevice> cached, load_device(device_id, head->revision));
  // One login key per enrollment: replacing it would let whoever holds the
  // device's TPM swap the key relying parties were told about. Re-enroll instead.
  if (cached->record.login_key) return make_error(Errc::conflict, "the device already has a login key");
  PAW_CHECK(store_->use_nonce({sha256_hex(ByteView(add.nonce)), device_id, now_s, nonce_expires}));
  auto ak = parse_public(cached->record.ak_public);
  if (!ak.ok()) return make_error(Errc::internal, "device record: stored AK does not parse");
  auto key = verify_login_key(*ak, add.login_key,
                              login_key_add_qualifying_data(add.nonce, cached->record.ak_public, device_id), now_s);
  if (!key.ok()) {
    ObjPtr d = new Obj();
    d->set("error", std::string(errc_name(key.code())));
    d->set("message", key.error().detail);
    d->set("remote", req.remote);
    record_event("login_key_failed", device_id, json::stringify(d));
    return key.error();
  }
  DeviceRecord rec = cached->record;
  rec.login_key = *key;
  StoredDevice dev = cached->stored;
  dev.record_json = serialize_device_record(rec);
  dev.updated_at = now_s;
  auto updated = store_->update_device(dev);
  device_cache_.erase(device_id);
  PAW_CHECK(updated);
  ObjPtr ev = new Obj();
  ev->set("jkt", key->jkt);
  record_event("login_key_added", device_id, json::stringify(ev));
  return json_response(200, protocol::encode(protocol::LoginKeyAnswer{device_id, key->jkt}));
}

}  // namespace paw::verifier
