// appraisal.cpp — appraise(): the verification steps in their fixed order.
// Every step that fails cryptographically or structurally returns an Error;
// policy (appraisal_policy.cpp) turns what was proven into a verdict.
#include "paw/attest/appraisal.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <set>

#include "paw/attest/fido.h"
#include "paw/attest/grace.h"
#include "paw/attest/quote.h"
#include "appraisal_internal.h"
#include "appraisal_policy.h"

namespace paw {

// AppraisalBuilder is the one place that may construct an Appraisal.
class AppraisalBuilder {
 public:
  static Appraisal make(AppraisalRecord record, EvidenceBody body, DeviceState next, bool rebooted,
                        std::int64_t token_ttl, bool user_present, std::vector<LearnSighting> learned) {
    Appraisal a;
    a.learned_ = std::move(learned);
    a.user_present_ = user_present;
    a.record_ = std::move(record);
    a.body_ = std::move(body);
    a.next_state_ = std::move(next);
    a.rebooted_ = rebooted;
    a.token_ttl_ = token_ttl;
    return a;
  }
  static AuthenticEvidence authentic(EvidenceBody body, Attest a, HashAlg signing_hash) {
    AuthenticEvidence e;
    e.body_ = std::move(body);
    e.pcr_select_ = std::move(a.pcr_select);
    e.pcr_digest_ = std::move(a.pcr_digest);
    e.clock_info_ = a.clock_info;
    e.signing_hash_ = signing_hash;
    return e;
  }
  static EvidenceBody take_body(AuthenticEvidence& e) { return std::move(e.body_); }
  static const PcrSelection& pcr_select(const AuthenticEvidence& e) { return e.pcr_select_; }
  static const Bytes& pcr_digest(const AuthenticEvidence& e) { return e.pcr_digest_; }
  static const ClockInfo& clock_info(const AuthenticEvidence& e) { return e.clock_info_; }
};

namespace {

attest::FidoStoredCredential to_stored(const FidoCredential& c, std::uint32_t sign_count) {
  attest::FidoStoredCredential s;
  s.credential_id = c.credential_id;
  s.algorithm = static_cast<int>(c.algorithm);
  s.public_key = c.public_key;
  s.sign_count = sign_count;
  s.aaguid = c.aaguid;
  s.attestation_type = c.attestation_type;
  return s;
}

// verify_presence checks the FIDO2 assertion cryptographically; flags and a
// counter stuck at zero are left to policy. Rollback and a frozen non-zero
// counter are errors: they mean a cloned or replayed authenticator.
Result<detail::PresenceFacts> verify_presence(const DeviceRecord& rec, const DeviceState& prev, const EvidenceBody& body,
                                              const AppraisalContext& ctx) {
  detail::PresenceFacts out;
  if (!body.fido) return out;
  if (!rec.fido) return make_error(Errc::fido_unknown_credential, "fido: the device enrolled no FIDO2 credential");
  attest::FidoAssertionEvidence ev;
  ev.credential_id = body.fido->credential_id;
  ev.auth_data = body.fido->auth_data;
  ev.signature = body.fido->signature;
  // The claimed hash only sharpens the error (fido_challenge_mismatch); the
  // expected one is always recomputed from the consumed nonce.
  if (body.fido->client_data_hash) ev.client_data_hash = *body.fido->client_data_hash;
  attest::FidoPresencePolicy fp;
  fp.rp_id = ctx.rp_id;
  fp.require_up = false;
  fp.require_uv = false;
  fp.allow_zero_counter = true;  // 0 == 0 is judged by policy below
  const Bytes cdh = presence_client_data_hash(body.nonce, body.device_id);
  // The counter must grow past the last one accepted, and on the first
  // presence check past the one enrollment saw: an assertion made before
  // enrollment (or by a clone of the key as it was then) is a rollback.
  const std::uint32_t floor = std::max(prev.fido_sign_count, rec.fido->sign_count);
  PAW_TRY(attest::FidoPresenceResult r, attest::verify_fido_presence(to_stored(*rec.fido, floor), ev, cdh, fp));
  out.present = true;
  out.user_present = r.user_present;
  out.user_verified = r.user_verified;
  out.sign_count = r.sign_count;
  out.counter_stuck_at_zero = r.sign_count == 0;
  return out;
}

// check_login_key_proof returns the verdict reason when the device has a login
// key and the body's proof is missing or does not verify; nullopt otherwise.
// A failure is a verdict (unhealthy), not a rejected request, so the device's
// last verdict stops being healthy at once.
std::optional<ResultReason> check_login_key_proof(const DeviceRecord& rec, const EvidenceBody& body) {
  if (!rec.login_key) return std::nullopt;
  if (!body.login_key_signature) {
    return ResultReason{std::string(reason::kLoginKeyMissing),
                        "the device has a login key but sent no login key signature"};
  }
  auto st = verify_login_key_proof(*rec.login_key, *body.login_key_signature, body.nonce, body.device_id);
  if (st.ok()) return std::nullopt;
  return ResultReason{std::string(reason::kLoginKeyBadSignature),
                      "login key signature over the challenge does not verify: " + st.error().detail};
}

}  // namespace

Result<AuthenticEvidence> authenticate_evidence(const DeviceRecord& record, const Envelope& envelope,
                                                const AppraisalContext& ctx) {
  // 1. sizes, before anything is decoded.
  if (envelope.attest.size() > kMaxAttestSize) return make_error(Errc::too_large, "sizes: TPMS_ATTEST too large");
  if (envelope.signature.size() > kMaxSignatureSize) return make_error(Errc::too_large, "sizes: TPMT_SIGNATURE too large");
  if (envelope.body.size() > kMaxBodySize) return make_error(Errc::too_large, "sizes: evidence body too large");
  if (envelope.body.empty()) return make_error(Errc::malformed, "sizes: evidence body is empty");
  // 2. quote signature over the raw TPMS_ATTEST bytes with the enrolled AK,
  // with a hash of at least SHA-256 whatever scheme the AK allows.
  auto ak = parse_public(record.ak_public);
  if (!ak.ok()) return make_error(Errc::internal, "device record: stored AK does not parse: " + ak.error().detail);
  PAW_TRY(const Signature sig, parse_signature(envelope.signature));
  PAW_CHECK(check_quote_hash(sig.hash));
  PAW_CHECK(verify_signature(*ak, envelope.attest, sig));
  // 3. parse, magic (Part 2, 6.2 TPM_GENERATED_VALUE), type (Part 2, 6.9 TPM_ST_ATTEST_QUOTE).
  PAW_TRY(Attest a, parse_attest(envelope.attest));
  if (a.magic != kTpmGeneratedValue) return make_error(Errc::bad_magic, "magic: not TPM_GENERATED_VALUE");
  if (a.type != kStAttestQuote) return make_error(Errc::bad_type, "type: not TPM_ST_ATTEST_QUOTE");
  // 4. qualifying data = SHA-256(body bytes): the quote covers the body exactly.
  if (!ct_equal(a.extra_data, qualifying_data(envelope.body))) {
    return make_error(Errc::nonce_mismatch, "qualifying data: extraData is not SHA-256 of the body");
  }
  // 5. body parse, the only one: its bytes are signed.
  PAW_TRY(EvidenceBody body, parse_body(envelope.body));
  // 6. the nonce is the challenge the service just checked for this device
  // (the envelope's routing copy, when present, is what it checked).
  if (!ct_equal(body.nonce, ctx.expected_nonce) || (!envelope.nonce.empty() && !ct_equal(body.nonce, envelope.nonce))) {
    return make_error(Errc::nonce_mismatch, "nonce: not the issued challenge");
  }
  // 7. the body speaks about the enrolled device (the one the envelope routed to).
  if (body.device_id != record.device_id || (!envelope.device_id.empty() && body.device_id != envelope.device_id)) {
    return make_error(Errc::device_mismatch, "device_id: evidence names another device");
  }
  return AppraisalBuilder::authentic(std::move(body), std::move(a), sig.hash);
}

Result<Appraisal> appraise_authentic(const DeviceRecord& record, const DeviceState& previous,
                                     AuthenticEvidence evidence, const AppraisalContext& ctx, const Policy& policy) {
  std::vector<ReportJudgement> none;
  return appraise_authentic(record, previous, std::move(evidence), ctx, policy, {}, none);
}

Result<Appraisal> appraise_authentic(const DeviceRecord& record, const DeviceState& previous,
                                     AuthenticEvidence evidence, const AppraisalContext& ctx, const Policy& policy,
                                     const std::vector<ReportInput>& report, std::vector<ReportJudgement>& judged) {
  EvidenceBody body = AppraisalBuilder::take_body(evidence);
  const AuthenticEvidence& q = evidence;
  // 8. PCR selection (both ways) and digest with the signing scheme's hash (Part 3, 18.4).
  PAW_CHECK(check_pcr_selection(AppraisalBuilder::pcr_select(q), body.pcrs));
  PAW_TRY(const Bytes want, quote_pcr_digest(q.signing_hash(), AppraisalBuilder::pcr_select(q), body.pcrs));
  if (!ct_equal(want, AppraisalBuilder::pcr_digest(q))) {
    return make_error(Errc::pcr_digest_mismatch, "PCR digest: reported PCR values are not the quoted ones");
  }
  // 9. event log: parse, bind to the quote (complete quoted bank, every quoted
  //    firmware PCR == replay or reset value), facts from bound PCRs only.
  detail::BootFacts boot;
  if (body.event_log) {
    PAW_TRY(boot, detail::check_event_log(*body.event_log, body.pcrs));
  }
  // 10. IMA log replay == quoted PCR 10.
  detail::ImaFacts ima;
  if (body.ima_log) {
    PAW_TRY(ima, detail::check_ima_log(*body.ima_log, body.pcrs));
  }
  // 11. FIDO2 presence.
  PAW_TRY(detail::PresenceFacts presence, verify_presence(record, previous, body, ctx));
  // 12. login key proof: the key the AK certified signed this challenge, inside
  //     the quoted body — so it is in the TPM just quoted. Devices enrolled
  //     before login keys have none and are not asked.
  std::optional<ResultReason> login_key_failure = check_login_key_proof(record, body);
  // 13-14. policy, then reboot and clock anomalies.
  const ClockInfo clock = AppraisalBuilder::clock_info(q);
  // One construction of the rules' inputs for the enforced and every report-only policy.
  auto inputs_for = [&](const Policy& p) {
    return detail::PolicyInputs{record, previous, body, clock, boot, ima, presence, p, ctx.now};
  };
  const detail::PolicyInputs in = inputs_for(policy);
  // Report-only policies first (their rules see the same inputs), each on its
  // own: one that throws is reported as an error and judged no further.
  for (const ReportInput& r : report) {
    ReportJudgement j;
    try {
      j.policy = r.policy->name + "@" + std::to_string(r.policy->version);
      detail::PolicyResult rr = detail::evaluate_policy(inputs_for(*r.policy));
      if (login_key_failure) rr.reasons.push_back(*login_key_failure);
      Grading g = grade_reasons(std::move(rr.reasons), r.first_seen, r.policy->enforcement, ctx.now);
      j.verdict = g.verdict;
      j.reasons = std::move(g.reasons);
      j.first_seen = std::move(g.first_seen);
    } catch (const std::exception& e) {
      j.error = e.what();
    }
    judged.push_back(std::move(j));
  }
  detail::PolicyResult pr = detail::evaluate_policy(in);
  // Learn mode: only from a device whose login key proof (if any) held.
  std::vector<LearnSighting> learned;
  if (!login_key_failure) learned = detail::learn_sightings(in, pr);
  if (login_key_failure) {
    pr.reasons.push_back(std::move(*login_key_failure));
    pr.trust["instance-identity"] = ar4si::kUntrustworthyInstance;
  }
  // 15. grading: reasons the policy graces, inside their grace, make a
  //     warning instead of unhealthy (grace.h); first sightings are remembered.
  Grading graded = grade_reasons(std::move(pr.reasons), previous.reason_first_seen, policy.enforcement, ctx.now);
  pr.next_state.reason_first_seen = std::move(graded.first_seen);
  AppraisalRecord rec;
  rec.device_id = record.device_id;
  rec.verdict = graded.verdict;
  rec.grace_until = graded.grace_until;
  rec.reasons = std::move(graded.reasons);
  rec.notes = std::move(pr.notes);
  rec.rules = std::move(pr.rules);
  rec.trust = std::move(pr.trust);
  rec.policy = policy.name + "@" + std::to_string(policy.version);
  rec.attested_at = ctx.now;
  rec.pcrs = body.pcrs;
  rec.host = body.host;
  rec.clock = clock;
  if (boot.log_present) rec.boot_events = std::move(boot.events);
  rec.secure_boot = boot.secure_boot;
  return AppraisalBuilder::make(std::move(rec), std::move(body), std::move(pr.next_state), pr.rebooted,
                                policy.token_ttl_seconds, presence.present && presence.user_present,
                                std::move(learned));
}

Result<Appraisal> appraise(const DeviceRecord& record, const DeviceState& previous, const Envelope& envelope,
                           const AppraisalContext& ctx, const Policy& policy) {
  PAW_TRY(AuthenticEvidence evidence, authenticate_evidence(record, envelope, ctx));
  return appraise_authentic(record, previous, std::move(evidence), ctx, policy);
}

ResultClaims Appraisal::claims(std::string issuer, std::string jti) const {
  ResultClaims c;
  c.iss = std::move(issuer);
  c.sub = record_.device_id;
  c.iat = record_.attested_at;
  c.exp = record_.attested_at + token_ttl_;
  c.jti = std::move(jti);
  c.verdict = std::string(verdict_name(record_.verdict));
  c.reasons = record_.reasons;
  c.trust = record_.trust;
  c.policy = record_.policy;
  // A warning admits login only inside its grace: the token ends with it.
  if (record_.verdict == Verdict::warning) {
    c.grace_until = record_.grace_until;
    c.exp = std::min(c.exp, record_.grace_until);
  }
  return c;
}

}  // namespace paw
