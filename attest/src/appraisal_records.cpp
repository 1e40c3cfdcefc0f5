// Storage JSON of DeviceRecord, DeviceState and AppraisalRecord (appraisal.h).
// Strict on the way back in: the database is ours, but a row edited by hand or
// written by another version must fail loudly rather than half-load.
#include <limits>
#include <stdexcept>

#include "paw/attest/reasons.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/boot_events.h"
#include "paw/attest/grace.h"

namespace paw {
namespace {

inline constexpr std::size_t kMaxRecordSize = 8u << 20;

Result<std::uint32_t> get_u32(const json::ObjectPtr& o, const std::string& key) {
  PAW_TRY(std::int64_t v, json::get_int(o, key));
  if (v < 0 || v > std::numeric_limits<std::uint32_t>::max()) {
    return make_error(Errc::malformed, "field \"" + key + "\" out of range");
  }
  return static_cast<std::uint32_t>(v);
}

json::ObjectPtr clock_to_json(const ClockInfo& c) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("clock", static_cast<std::int64_t>(c.clock));
  o->set("reset_count", static_cast<std::int64_t>(c.reset_count));
  o->set("restart_count", static_cast<std::int64_t>(c.restart_count));
  o->set("safe", c.safe);
  return o;
}

Result<ClockInfo> clock_from_json(const json::ObjectPtr& o) {
  PAW_CHECK(json::only_keys(o, {"clock", "reset_count", "restart_count", "safe"}, "clock"));
  ClockInfo c;
  PAW_TRY(std::int64_t clock, json::get_int(o, "clock"));
  if (clock < 0) return make_error(Errc::malformed, "clock is negative");
  c.clock = static_cast<std::uint64_t>(clock);
  PAW_TRY(c.reset_count, get_u32(o, "reset_count"));
  PAW_TRY(c.restart_count, get_u32(o, "restart_count"));
  PAW_TRY(c.safe, json::get_bool(o, "safe"));
  return c;
}

json::ObjectPtr fido_to_json(const FidoCredential& f) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("credential_id", base64(f.credential_id));
  o->set("algorithm", f.algorithm);
  o->set("public_key", base64(f.public_key));
  o->set("aaguid", hex(f.aaguid));
  o->set("attestation_type", f.attestation_type);
  o->set("sign_count", static_cast<std::int64_t>(f.sign_count));
  return o;
}

Result<FidoCredential> fido_from_json(const json::ObjectPtr& o) {
  PAW_CHECK(json::only_keys(o, {"credential_id", "algorithm", "public_key", "aaguid", "attestation_type", "sign_count"},
                            "fido credential"));
  FidoCredential f;
  PAW_TRY(f.credential_id, json::get_b64(o, "credential_id", kMaxFidoCredentialIdSize));
  PAW_TRY(f.algorithm, json::get_int(o, "algorithm"));
  PAW_TRY(f.public_key, json::get_b64(o, "public_key", 1024));
  PAW_TRY(f.aaguid, json::get_hex(o, "aaguid", 16));
  PAW_TRY(f.attestation_type, json::get_string(o, "attestation_type"));
  PAW_TRY(f.sign_count, get_u32(o, "sign_count"));
  return f;
}

// reasons_at decodes the reason list at |key| of |parent| (reasons.h).
Result<std::vector<ResultReason>> reasons_at(const json::ObjectPtr& parent, const std::string& key) {
  PAW_TRY(json::ArrayPtr a, json::get_array(parent, key));
  return paw::reasons_from_json(a, key);
}

json::ObjectPtr trust_to_json(const TrustVector& t) {
  json::ObjectPtr o = new Poco::JSON::Object();
  for (const auto& [k, v] : t) o->set(k, v);
  return o;
}

Result<TrustVector> trust_from_json(const json::ObjectPtr& o) {
  TrustVector t;
  for (const auto& [k, ignored] : *o) {
    PAW_TRY(std::int64_t v, json::get_int(o, k));
    if (v < -128 || v > 127) return make_error(Errc::malformed, "trust claim \"" + k + "\" out of range");
    t[k] = v;
  }
  return t;
}

Status measurements_from_json(const json::ObjectPtr& pm,
                              std::map<std::uint32_t, std::vector<PinnedMeasurement>>& out) {
  for (const auto& [key, ignored] : *pm) {
    std::uint32_t pcr = 0;
    try {
      const unsigned long v = std::stoul(key);
      if (v >= kPcrCount || std::to_string(v) != key) throw std::out_of_range(key);
      pcr = static_cast<std::uint32_t>(v);
    } catch (const std::exception&) {
      return make_error(Errc::malformed, "pinned_measurements: bad PCR index");
    }
    PAW_TRY(json::ArrayPtr a, json::get_array(pm, key));
    auto& list = out[pcr];
    for (std::size_t i = 0; i < a->size(); ++i) {
      json::ObjectPtr e = a->getObject(static_cast<unsigned>(i));
      if (e.isNull()) return make_error(Errc::malformed, "pinned_measurements entries must be objects");
      PAW_CHECK(json::only_keys(e, {"name", "digest"}, "pinned measurement"));
      PinnedMeasurement m;
      PAW_TRY(m.name, json::get_string(e, "name"));
      PAW_TRY(m.digest, json::get_hex(e, "digest", 64));
      list.push_back(std::move(m));
    }
  }
  return ok_status();
}

}  // namespace

json::ObjectPtr device_record_to_json(const DeviceRecord& r) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("device_id", r.device_id);
  o->set("ak_public", base64(r.ak_public));
  o->set("ak_name", hex(r.ak_name));
  o->set("ek_public", base64(r.ek_public));
  if (r.ek_cert) o->set("ek_cert", base64(*r.ek_cert));
  o->set("ek_tofu", r.ek_tofu);
  if (r.fido) o->set("fido", fido_to_json(*r.fido));
  o->set("host", host_to_json(r.host));
  o->set("enrollment_pcrs", pcrs_to_json(r.enrollment_pcrs));
  if (r.login_key) {
    json::ObjectPtr lk = new Poco::JSON::Object();
    lk->set("public", base64(r.login_key->public_tpm2b));
    lk->set("jkt", r.login_key->jkt);
    lk->set("added_at", r.login_key->added_at);
    o->set("login_key", lk);
  }
  return o;
}

Result<DeviceRecord> device_record_from_json(const json::ObjectPtr& o) {
  PAW_CHECK(json::only_keys(o, {"device_id", "ak_public", "ak_name", "ek_public", "ek_cert", "ek_tofu", "fido", "host",
                                "enrollment_pcrs", "login_key"},
                            "device record"));
  DeviceRecord r;
  PAW_TRY(r.device_id, json::get_string(o, "device_id"));
  PAW_TRY(r.ak_public, json::get_b64(o, "ak_public", kMaxTpmStructSize));
  PAW_TRY(r.ak_name, json::get_hex(o, "ak_name", 66));
  PAW_TRY(r.ek_public, json::get_b64(o, "ek_public", kMaxTpmStructSize));
  PAW_TRY(r.ek_cert, json::opt_b64(o, "ek_cert", kMaxEkCertSize));
  PAW_TRY(r.ek_tofu, json::get_bool(o, "ek_tofu"));
  if (o->has("fido") && !o->isNull("fido")) {
    PAW_TRY(json::ObjectPtr f, json::get_object(o, "fido"));
    PAW_TRY(FidoCredential fido, fido_from_json(f));
    r.fido = std::move(fido);
  }
  PAW_TRY(json::ObjectPtr host, json::get_object(o, "host"));
  PAW_TRY(r.host, host_from_json(host));
  PAW_TRY(json::ObjectPtr pcrs, json::get_object(o, "enrollment_pcrs"));
  PAW_TRY(r.enrollment_pcrs, pcrs_from_json(pcrs));
  if (o->has("login_key") && !o->isNull("login_key")) {
    PAW_TRY(json::ObjectPtr lk, json::get_object(o, "login_key"));
    PAW_CHECK(json::only_keys(lk, {"public", "jkt", "added_at"}, "login key"));
    LoginKey k;
    PAW_TRY(k.public_tpm2b, json::get_b64(lk, "public", kMaxTpmStructSize));
    PAW_TRY(k.jkt, json::get_string(lk, "jkt"));
    PAW_TRY(k.added_at, json::get_int(lk, "added_at"));
    r.login_key = std::move(k);
  }
  return r;
}

std::string serialize_device_record(const DeviceRecord& rec) { return json::stringify(device_record_to_json(rec)); }

Result<DeviceRecord> parse_device_record(std::string_view text) {
  PAW_TRY(json::ObjectPtr o, json::parse_object(text, kMaxRecordSize));
  return device_record_from_json(o);
}

json::ObjectPtr device_state_to_json(const DeviceState& s) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("fido_sign_count", static_cast<std::int64_t>(s.fido_sign_count));
  if (s.clock) o->set("clock", clock_to_json(*s.clock));
  o->set("pinned_pcrs", pcrs_to_json(s.pinned_pcrs));
  json::ObjectPtr pm = new Poco::JSON::Object();
  for (const auto& [pcr, list] : s.pinned_measurements) {
    json::ArrayPtr a = new Poco::JSON::Array();
    for (const auto& m : list) {
      json::ObjectPtr e = new Poco::JSON::Object();
      e->set("name", m.name);
      e->set("digest", hex(m.digest));
      a->add(e);
    }
    pm->set(std::to_string(pcr), a);
  }
  o->set("pinned_measurements", pm);
  o->set("last_attested_at", s.last_attested_at);
  o->set("last_healthy_at", s.last_healthy_at);
  if (!s.reason_first_seen.empty()) {
    json::ObjectPtr fs = new Poco::JSON::Object();
    for (const auto& [code, t] : s.reason_first_seen) fs->set(code, t);
    o->set("reason_first_seen", fs);
  }
  return o;
}

Result<DeviceState> device_state_from_json(const json::ObjectPtr& o) {
  PAW_CHECK(json::only_keys(o, {"fido_sign_count", "clock", "pinned_pcrs", "pinned_measurements", "last_attested_at",
                                "last_healthy_at", "reason_first_seen"},
                            "device state"));
  DeviceState s;
  PAW_TRY(s.fido_sign_count, get_u32(o, "fido_sign_count"));
  if (o->has("clock") && !o->isNull("clock")) {
    PAW_TRY(json::ObjectPtr c, json::get_object(o, "clock"));
    PAW_TRY(ClockInfo clock, clock_from_json(c));
    s.clock = clock;
  }
  PAW_TRY(json::ObjectPtr pcrs, json::get_object(o, "pinned_pcrs"));
  PAW_TRY(s.pinned_pcrs, pcrs_from_json(pcrs));
  if (o->has("pinned_measurements") && !o->isNull("pinned_measurements")) {
    PAW_TRY(json::ObjectPtr pm, json::get_object(o, "pinned_measurements"));
    PAW_CHECK(measurements_from_json(pm, s.pinned_measurements));
  }
  PAW_TRY(s.last_attested_at, json::get_int(o, "last_attested_at"));
  PAW_TRY(s.last_healthy_at, json::get_int(o, "last_healthy_at"));
  if (o->has("reason_first_seen") && !o->isNull("reason_first_seen")) {
    PAW_TRY(json::ObjectPtr fs, json::get_object(o, "reason_first_seen"));
    if (fs->size() > kMaxGracedReasons) return make_error(Errc::too_large, "device state: too many reasons");
    for (const auto& [code, v] : *fs) {
      PAW_TRY(std::int64_t t, json::get_int(fs, code));
      s.reason_first_seen[code] = t;
    }
  }
  return s;
}

std::string serialize_device_state(const DeviceState& st) { return json::stringify(device_state_to_json(st)); }

Result<DeviceState> parse_device_state(std::string_view text) {
  PAW_TRY(json::ObjectPtr o, json::parse_object(text, kMaxRecordSize));
  return device_state_from_json(o);
}

bool is_stale(const DeviceState& st, const Policy& policy, std::int64_t now) noexcept {
  if (st.last_attested_at <= 0) return true;
  return now - st.last_attested_at > policy.max_attestation_age_seconds;
}

namespace {
// Rule results: {"rule", "result", and "subject", "evidence", "value",
// "reason" when not empty}; the list only when the appraisal judged a rule
// that records them, so records from before it read the same.
constexpr std::string_view kRuleKeys[] = {"rule", "subject", "evidence", "value", "result", "reason"};
constexpr std::size_t kMaxRuleField = 8192;

json::ArrayPtr rules_to_json(const std::vector<RuleResult>& rules) {
  json::ArrayPtr a = new Poco::JSON::Array();
  for (const auto& x : rules) {
    json::ObjectPtr o = new Poco::JSON::Object();
    const std::string* values[] = {&x.rule, &x.subject, &x.evidence, &x.value, &x.result, &x.reason};
    for (std::size_t k = 0; k < std::size(kRuleKeys); ++k) {
      if (!values[k]->empty()) o->set(std::string(kRuleKeys[k]), *values[k]);
    }
    a->add(o);
  }
  return a;
}

Result<std::vector<RuleResult>> rules_from_json(const json::ArrayPtr& a) {
  if (a->size() > kMaxRuleResults) return make_error(Errc::malformed, "appraisal record: too many rule results");
  std::vector<RuleResult> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    json::ObjectPtr o = a->getObject(static_cast<unsigned>(i));
    if (o.isNull()) return make_error(Errc::malformed, "appraisal record: rule results are objects");
    PAW_CHECK(json::only_keys(o, {"rule", "subject", "evidence", "value", "result", "reason"}, "rule result"));
    RuleResult x;
    std::string* values[] = {&x.rule, &x.subject, &x.evidence, &x.value, &x.result, &x.reason};
    for (std::size_t k = 0; k < std::size(kRuleKeys); ++k) {
      const std::string key(kRuleKeys[k]);
      if (!o->has(key)) continue;
      PAW_TRY(*values[k], json::get_string(o, key));
      if (values[k]->size() > kMaxRuleField) return make_error(Errc::malformed, "rule result \"" + key + "\" too long");
    }
    if (x.rule.empty() || (x.result != "pass" && x.result != "fail" && x.result != "unknown")) {
      return make_error(Errc::malformed, "rule result needs a rule and a result of pass, fail or unknown");
    }
    out.push_back(std::move(x));
  }
  return out;
}
}  // namespace

json::ObjectPtr appraisal_record_to_json(const AppraisalRecord& r) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("device_id", r.device_id);
  o->set("verdict", std::string(verdict_name(r.verdict)));
  o->set("reasons", reasons_to_json(r.reasons));
  o->set("notes", reasons_to_json(r.notes));
  o->set("trust", trust_to_json(r.trust));
  o->set("policy", r.policy);
  o->set("attested_at", r.attested_at);
  o->set("pcrs", pcrs_to_json(r.pcrs));
  o->set("host", host_to_json(r.host));
  o->set("clock", clock_to_json(r.clock));
  if (r.grace_until != 0) o->set("grace_until", r.grace_until);
  if (!r.rules.empty()) o->set("rules", rules_to_json(r.rules));
  if (r.boot_events) o->set("boot_events", boot_events_to_json(*r.boot_events));
  if (r.secure_boot) o->set("secure_boot", *r.secure_boot);
  return o;
}

Result<AppraisalRecord> appraisal_record_from_json(const json::ObjectPtr& o) {
  PAW_CHECK(json::only_keys(o,
                            {"device_id", "verdict", "reasons", "notes", "trust", "policy", "attested_at",
                             "pcrs", "host", "clock", "grace_until", "rules", "boot_events", "secure_boot"},
                            "appraisal record"));
  AppraisalRecord r;
  PAW_TRY(r.device_id, json::get_string(o, "device_id"));
  PAW_TRY(std::string verdict, json::get_string(o, "verdict"));
  if (verdict == "healthy") {
    r.verdict = Verdict::healthy;
  } else if (verdict == "warning") {
    r.verdict = Verdict::warning;
  } else if (verdict == "unhealthy") {
    r.verdict = Verdict::unhealthy;
  } else {
    return make_error(Errc::malformed, "verdict must be healthy, warning or unhealthy");
  }
  PAW_TRY(r.reasons, reasons_at(o, "reasons"));
  PAW_TRY(r.notes, reasons_at(o, "notes"));
  PAW_TRY(json::ObjectPtr trust, json::get_object(o, "trust"));
  PAW_TRY(r.trust, trust_from_json(trust));
  PAW_TRY(r.policy, json::get_string(o, "policy"));
  PAW_TRY(r.attested_at, json::get_int(o, "attested_at"));
  PAW_TRY(json::ObjectPtr pcrs, json::get_object(o, "pcrs"));
  PAW_TRY(r.pcrs, pcrs_from_json(pcrs));
  PAW_TRY(json::ObjectPtr host, json::get_object(o, "host"));
  PAW_TRY(r.host, host_from_json(host));
  PAW_TRY(json::ObjectPtr clock, json::get_object(o, "clock"));
  PAW_TRY(r.clock, clock_from_json(clock));
  if (o->has("grace_until")) {
    PAW_TRY(r.grace_until, json::get_int(o, "grace_until"));
  }
  if (o->has("rules")) {
    PAW_TRY(json::ArrayPtr rules, json::get_array(o, "rules"));
    PAW_TRY(r.rules, rules_from_json(rules));
  }
  if (o->has("boot_events")) {  // absent in records stored before event diffs
    PAW_TRY(json::ObjectPtr be, json::get_object(o, "boot_events"));
    PAW_TRY(BootEvents events, boot_events_from_json(be));
    r.boot_events = std::move(events);
  }
  PAW_TRY(r.secure_boot, json::opt_bool(o, "secure_boot"));  // absent: unknown, or stored before it was kept
  return r;
}

std::string serialize_appraisal_record(const AppraisalRecord& rec) {
  return json::stringify(appraisal_record_to_json(rec));
}

Result<AppraisalRecord> parse_appraisal_record(std::string_view text) {
  PAW_TRY(json::ObjectPtr o, json::parse_object(text, kMaxRecordSize));
  return appraisal_record_from_json(o);
}

std::string trust_vector_json(const TrustVector& trust) { return json::stringify(trust_to_json(trust)); }

namespace {
bool same_clock(const ClockInfo& a, const ClockInfo& b) {
  return a.clock == b.clock && a.reset_count == b.reset_count && a.restart_count == b.restart_count && a.safe == b.safe;
}
}  // namespace

bool DeviceState::operator==(const DeviceState& o) const {
  const bool clocks = clock.has_value() == o.clock.has_value() && (!clock || same_clock(*clock, *o.clock));
  return fido_sign_count == o.fido_sign_count && clocks && pinned_pcrs == o.pinned_pcrs &&
         pinned_measurements == o.pinned_measurements && last_attested_at == o.last_attested_at &&
         last_healthy_at == o.last_healthy_at && reason_first_seen == o.reason_first_seen;
}

bool AppraisalRecord::operator==(const AppraisalRecord& o) const {
  return device_id == o.device_id && verdict == o.verdict && reasons == o.reasons && notes == o.notes &&
         trust == o.trust && policy == o.policy && attested_at == o.attested_at && pcrs == o.pcrs &&
         host == o.host && same_clock(clock, o.clock) && grace_until == o.grace_until && rules == o.rules &&
         boot_events == o.boot_events && secure_boot == o.secure_boot;
}

std::string_view verdict_name(Verdict v) noexcept {
  switch (v) {
    case Verdict::healthy: return "healthy";
    case Verdict::warning: return "warning";
    case Verdict::unhealthy: break;
  }
  return "unhealthy";
}

}  // namespace paw
