#include "paw/attest/grace.h"

#include <algorithm>

#include "paw/attest/cli.h"
#include "policy_fields.h"

namespace paw {
namespace {
// Why a reason that is not graceable cannot be: shown when a policy asks.
std::string why_never(std::string_view code) {
  if (code.starts_with("fido_")) return "the owner's FIDO2 key is what a PAW login rests on";
  if (code.starts_with("login_key_")) return "the login key proves the TPM that was quoted";
  if (code == "clock_anomaly") return "a TPM clock going back is a sign of replay";
  if (code == "pcr_not_quoted" || code == "eventlog_missing" || code == "ima_missing") {
    return "the agent chooses what to send: graced, it could withhold what would fail";
  }
  if (code == "secure_boot_off" || code == "host_secure_boot_off") return "no update turns Secure Boot off";
  if (code == "secure_boot_keys_unexpected") {
    return "a PK or KEK that is not the owner's lets someone else sign what the firmware boots: list a new owner "
           "certificate in \"boot.secure_boot_owners\" before the key change rolls out";
  }
  if (code == "ima_required_digest_mismatch") {
    return "a required file measured with a digest the policy does not list is a replaced binary: list the new "
           "build's digest in \"ima.required\" before it rolls out";
  }
  if (code == "sbat_unknown") {
    return "an SBAT level that is not measured, or not readable, or without Secure Boot proven on cannot be shown "
           "to revoke anything: a shim older than 15.3 is what the rule is there to keep out";
  }
  if (code == "cmdline_missing" || code == "cmdline_forbidden") {
    return "the kernel command line is set by whoever controls the boot loader configuration, not by an update";
  }
  return "it is not a reason code an update of a healthy machine causes";
}
}  // namespace

const std::vector<std::string_view>& graceable_reasons() {
  // A new signing authority (a shim signed by a new CA) and a dbx that lags a
  // revocation are what a fleet sees during a routine update rollout; a
  // required file not measured yet is a sensor being installed on a new
  // machine, or started after the attestation (the measured list cannot be
  // shortened by the agent: it must replay to the quoted PCR 10).
  static const std::vector<std::string_view> codes = {reason::kPcrMismatch,   reason::kBootAppNotAllowed,
                                                      reason::kImaNotAllowed, reason::kOsNotAllowed,
                                                      reason::kDiskNotEncrypted, reason::kReboot,
                                                      reason::kBootAuthorityNotAllowed, reason::kDbxOutdated,
                                                      reason::kImaRequiredMissing,
                                                      reason::kKernelOutdated,  reason::kKernelUnknown,
                                                      reason::kSbatOutdated};
  return codes;
}

bool reason_graceable(std::string_view code) noexcept {
  const auto& g = graceable_reasons();
  return std::find(g.begin(), g.end(), code) != g.end();
}

Result<Enforcement> enforcement_from_json(const json::ObjectPtr& o) {
  PAW_CHECK(detail::policy_fields::only(o, detail::policy_fields::kEnforcement, "policy \"enforcement\""));
  Enforcement e;
  if (!o->has("grace") || o->isNull("grace")) return e;
  PAW_TRY(json::ObjectPtr g, json::get_object(o, "grace"));
  if (g->size() > kMaxGracedReasons) return make_error(Errc::too_large, "policy: \"enforcement.grace\" has too many entries");
  for (const auto& [code, v] : *g) {
    std::int64_t seconds = 0;
    if (v.isString()) {
      auto d = parse_duration(v.extract<std::string>().substr(0, 32));
      if (!d.ok()) return make_error(Errc::malformed, "policy: \"enforcement.grace\": " + d.error().detail);
      seconds = *d;
    } else if (v.isInteger() && !v.isBoolean()) {
      PAW_TRY(seconds, json::get_int(g, code));
    } else {
      return make_error(Errc::malformed, "policy: \"enforcement.grace\" values are durations (\"72h\") or seconds");
    }
    e.grace[code] = seconds;
  }
  PAW_CHECK(validate_enforcement(e));
  return e;
}

json::ObjectPtr enforcement_to_json(const Enforcement& e) {
  json::ObjectPtr o = new Poco::JSON::Object();
  json::ObjectPtr g = new Poco::JSON::Object();
  for (const auto& [code, s] : e.grace) g->set(code, s);
  o->set("grace", g);
  return o;
}

Status validate_enforcement(const Enforcement& e) {
  if (e.grace.size() > kMaxGracedReasons) return make_error(Errc::too_large, "policy: too many graced reasons");
  for (const auto& [code, s] : e.grace) {
    const std::string shown = code.substr(0, 64);
    if (!reason_graceable(code)) {
      return make_error(Errc::malformed, "policy: \"enforcement.grace\": \"" + shown + "\" can never be graced: " +
                                             why_never(code));
    }
    if (s < 1 || s > kMaxGraceSeconds) {
      return make_error(Errc::malformed, "policy: \"enforcement.grace\": \"" + shown + "\" must be 1 s to 30 days");
    }
  }
  return ok_status();
}

Grading grade_reasons(std::vector<ResultReason> reasons, const std::map<std::string, std::int64_t>& first_seen,
                      const Enforcement& enforcement, std::int64_t now) {
  Grading g;
  bool all_graced = true;
  for (auto& r : reasons) {
    const auto seen = first_seen.find(r.code);
    const std::int64_t since = seen != first_seen.end() && seen->second <= now ? seen->second : now;
    if (g.first_seen.size() < kMaxGracedReasons) g.first_seen.emplace(r.code, since);
    r.grace_until = 0;
    const auto grace = enforcement.grace.find(r.code);
    if (grace == enforcement.grace.end() || !reason_graceable(r.code) || now >= since + grace->second) {
      all_graced = false;
      continue;
    }
    r.grace_until = since + grace->second;
    g.grace_until = g.grace_until == 0 ? r.grace_until : std::min(g.grace_until, r.grace_until);
  }
  if (reasons.empty()) {
    g.verdict = Verdict::healthy;
  } else if (all_graced) {
    g.verdict = Verdict::warning;
  } else {
    g.verdict = Verdict::unhealthy;
    g.grace_until = 0;
  }
  g.reasons = std::move(reasons);
  return g;
}

}  // namespace paw
