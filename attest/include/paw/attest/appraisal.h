// paw/attest/appraisal.h — the verifier's decisions: enrollment and attestation
// appraisal. Pure: no sockets, no database, no clock (the caller passes `now`).
// Over 500 lines: the whole appraisal contract in one header, in marked sections.
// The service (verifier/) owns storage, nonces, tokens and HTTP; it calls:
//
//   enrollment:   parse_enrollment_request → (check the enrollment token itself:
//                 known, unused, unexpired) → verify_enrollment → store
//                 VerifiedEnrollment::record() + secret_hash(), answer
//                 {credential_blob, encrypted_secret}; on POST …/activation →
//                 check_activation(stored hash, received secret).
//   attestation:  parse_envelope (evidence.h) → consume the nonce → appraise(…)
//                 → on Error: 422 with errc_name(code) (nothing persisted but the
//                 failure event); on success: persist Appraisal::next_state() and
//                 Appraisal::record(), sign Appraisal::claims(…) (result_token.h).
//
// Concurrency: appraise() is a pure function of (record, previous state,
// envelope, policy). Two appraisals of one device must not run on the same
// previous state: the service serializes them per device (or persists
// next_state with a compare-and-swap on the previous counter) — otherwise a
// replayed FIDO2 assertion could pass twice.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/boot_events.h"
#include "paw/attest/bytes.h"
#include "paw/attest/certify.h"
#include "paw/attest/error.h"
#include "paw/attest/evidence.h"
#include "paw/attest/fido_roots.h"
#include "paw/attest/json.h"
#include "paw/attest/pcr.h"
#include "paw/attest/policy.h"
#include "paw/attest/result_token.h"
#include "paw/attest/secure.h"
#include "paw/attest/tpm.h"

struct x509_store_st;  // OpenSSL X509_STORE

namespace paw {

// ---------------------------------------------------------------------------
// Enrollment request (POST /v1/enrollments, docs/protocol.md)
// ---------------------------------------------------------------------------

inline constexpr std::size_t kMaxEnrollmentRequestSize = 4u << 20;  // JSON text
inline constexpr std::size_t kMaxEnrollmentTokenSize = 256;
inline constexpr std::size_t kMaxEkCertSize = 8192;                 // DER (+ NV padding)
inline constexpr std::size_t kMaxFidoCredentialIdSize = 1024;
inline constexpr std::size_t kMaxFidoAuthDataSize = 4096;
inline constexpr std::size_t kMaxFidoSignatureSize = 512;
inline constexpr std::size_t kMaxFidoX5cCount = 4;
inline constexpr std::size_t kMaxFidoCertSize = 4096;
inline constexpr std::size_t kActivationSecretSize = 32;

// FidoAttestationStatement is the packed attestation statement (WebAuthn §8.2).
struct FidoAttestationStatement {
  std::int64_t alg = -7;        // COSE algorithm of |sig|
  Bytes sig;
  std::vector<Bytes> x5c;       // DER; empty = self attestation
  bool operator==(const FidoAttestationStatement&) const = default;
};

// EnrollmentFido is the FIDO2 credential created on the owner's key at enrollment.
struct EnrollmentFido {
  Bytes credential_id;
  std::string fmt;              // "packed" | "none"
  Bytes auth_data;              // raw authenticatorData with attested credential data
  std::optional<FidoAttestationStatement> attestation;  // absent for "none"
  std::int64_t algorithm = -7;  // COSE: -7 ES256, -8 EdDSA
  bool operator==(const EnrollmentFido&) const = default;
};

// EnrollmentRequest is the parsed body of POST /v1/enrollments.
struct EnrollmentRequest {
  SecretBytes token;                   // the enrollment token as sent (a secret)
  std::optional<Bytes> ek_cert;        // DER, possibly NV-padded; absent = TOFU
  Bytes ek_public;                     // TPM2B_PUBLIC of the EK
  Bytes ak_public;                     // TPM2B_PUBLIC of the AK
  std::optional<EnrollmentFido> fido;  // absent only where policy does not require FIDO2
  HostFacts host;
  PcrValues pcrs;                      // as reported (no quote yet: informational)
  std::optional<Bytes> event_log;
  std::optional<LoginKeyCertify> login_key;  // absent from agents before the login key
};

// parse_enrollment_request parses the JSON body strictly: Errc::too_large
// before parsing when over kMaxEnrollmentRequestSize (and per field),
// Errc::malformed for bad JSON, unknown fields, wrong types or bad encodings.
// Structures inside (TPM2B_PUBLIC, certificates, authData) are not decoded
// here; verify_enrollment does that.
Result<EnrollmentRequest> parse_enrollment_request(std::string_view json_text);
// serialize_enrollment_request writes the JSON the agent sends (for agents and paw-bench).
std::string serialize_enrollment_request(const EnrollmentRequest& req);

// LoginKeyAddRequest is the body of POST /v1/devices/{id}/login-key
// (`paw-agent enroll --add-login-key`, docs/protocol.md): a fresh challenge
// nonce of that device and the login key certified by the enrolled AK over
// login_key_add_qualifying_data(nonce, ak_public, device_id).
inline constexpr std::size_t kMaxLoginKeyAddRequestSize = 64u << 10;
struct LoginKeyAddRequest {
  Bytes nonce;
  LoginKeyCertify login_key;
};
// parse_login_key_add_request is strict like parse_enrollment_request.
Result<LoginKeyAddRequest> parse_login_key_add_request(std::string_view json_text);
std::string serialize_login_key_add_request(const LoginKeyAddRequest& req);

// ---------------------------------------------------------------------------
// What the service persists per device
// ---------------------------------------------------------------------------

// FidoCredential is the enrolled FIDO2 credential.
struct FidoCredential {
  Bytes credential_id;
  std::int64_t algorithm = -7;     // COSE alg
  Bytes public_key;                // DER SubjectPublicKeyInfo
  Bytes aaguid;                    // 16 bytes (zeros for "none"/anonymous)
  std::string attestation_type;    // "basic" | "self" | "none"
  std::uint32_t sign_count = 0;    // signCount in the enrollment authData
  bool operator==(const FidoCredential&) const = default;
};

// DeviceRecord is what enrollment established; immutable afterwards.
struct DeviceRecord {
  std::string device_id;           // assigned by the service (verify_enrollment leaves it empty)
  Bytes ak_public;                 // TPM2B_PUBLIC as enrolled
  Bytes ak_name;                   // object name (nameAlg || H(TPMT_PUBLIC)) = MakeCredential binding
  Bytes ek_public;                 // TPM2B_PUBLIC
  std::optional<Bytes> ek_cert;    // DER as received (trimmed of NV padding); absent if TOFU
  bool ek_tofu = false;
  std::optional<FidoCredential> fido;
  HostFacts host;                  // host facts reported at enrollment
  PcrValues enrollment_pcrs;       // reported at enrollment, NOT quote-verified
  // login_key: certified by the AK at enrollment or by `enroll --add-login-key`
  // (the one later change to a record); absent for devices enrolled before.
  std::optional<LoginKey> login_key;
  bool operator==(const DeviceRecord&) const = default;
};

// PinnedMeasurement is one event-log measurement remembered with the pinned
// PCRs, so a later mismatch can name what changed ("Secure Boot db changed").
struct PinnedMeasurement {
  std::string name;   // "db", "dbx", "PK", "KEK", "SecureBoot", "boot application", "EV_POST_CODE", …
  Bytes digest;       // SHA-256 event digest
  bool operator==(const PinnedMeasurement&) const = default;
};

// DeviceState is what changes with every attestation; the service stores the
// latest and passes it to the next appraise() call. A fresh device has the default.
struct DeviceState {
  std::uint32_t fido_sign_count = 0;   // highest signCount accepted so far
  std::optional<ClockInfo> clock;      // clock info of the last verified quote
  PcrValues pinned_pcrs;               // references captured by "pin on enroll"
  // pinned_measurements: per PCR index, the event-log measurements behind the pins.
  std::map<std::uint32_t, std::vector<PinnedMeasurement>> pinned_measurements;
  std::int64_t last_attested_at = 0;   // unix seconds of the last verified attestation; 0 = never
  std::int64_t last_healthy_at = 0;    // unix seconds of the last healthy verdict; 0 = never
  // reason_first_seen: reason code → unix second of the first attestation in
  // the current unbroken run that had it (grace.h); a reason absent from an
  // attestation is dropped, so it starts afresh when it comes back.
  std::map<std::string, std::int64_t> reason_first_seen;
  bool operator==(const DeviceState& other) const;  // field by field
};

// JSON for storage. *_from_json are strict (unknown fields refused).
json::ObjectPtr device_record_to_json(const DeviceRecord& rec);
Result<DeviceRecord> device_record_from_json(const json::ObjectPtr& obj);
std::string serialize_device_record(const DeviceRecord& rec);
Result<DeviceRecord> parse_device_record(std::string_view json_text);
json::ObjectPtr device_state_to_json(const DeviceState& st);
Result<DeviceState> device_state_from_json(const json::ObjectPtr& obj);
std::string serialize_device_state(const DeviceState& st);
Result<DeviceState> parse_device_state(std::string_view json_text);

// is_stale tells whether a device's last verified attestation is older than
// the policy's max_attestation_age_seconds at |now| (never attested = stale).
bool is_stale(const DeviceState& st, const Policy& policy, std::int64_t now) noexcept;

// ---------------------------------------------------------------------------
// Enrollment
// ---------------------------------------------------------------------------

// EkTrust is a set of trusted CA certificates — the EK manufacturer CAs, or
// the FIDO2 attestation roots — loaded once at service start and shared
// read-only between threads.
class EkTrust {
 public:
  // load_dir reads every *.pem / *.crt / *.cer / *.der file of |dir| (PEM or
  // DER, several PEM certificates per file allowed). Errc::io_error if the
  // folder cannot be read, Errc::config_error if it holds no certificate or a
  // file does not parse.
  static Result<std::shared_ptr<const EkTrust>> load_dir(const std::string& dir);
  // from_der builds a store from DER certificates (tests, paw-bench).
  static Result<std::shared_ptr<const EkTrust>> from_der(const std::vector<Bytes>& certs);

  EkTrust(const EkTrust&) = delete;
  EkTrust& operator=(const EkTrust&) = delete;
  ~EkTrust();

  // size returns the number of CA certificates held.
  [[nodiscard]] std::size_t size() const noexcept;
  // x509_store is the OpenSSL view of the set (owned by this object).
  [[nodiscard]] x509_store_st* x509_store() const noexcept;

  struct Impl;
  [[nodiscard]] const Impl& impl() const noexcept { return *impl_; }

 private:
  explicit EkTrust(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// EnrollmentContext carries the trust inputs of one enrollment.
struct EnrollmentContext {
  const EkTrust* ek_trust = nullptr;   // null: only TOFU enrollments (if policy allows)
  std::string rp_id;                   // FIDO2 relying-party id (GET /v1/info "rp_id")
  std::int64_t now = 0;                // unix seconds (certificate validity)
  const attest::FidoAttestationRoots* fido_roots = nullptr; // FIDO2 attestation roots per model; null: none
                                                             // (every x5c then counts as self attestation)
};

// VerifiedEnrollment is an enrollment request whose every check passed, with
// the MakeCredential challenge for the agent. Only verify_enrollment makes one.
class VerifiedEnrollment {
 public:
  // record is the device record to persist once activation succeeds
  // (device_id empty: the service assigns it).
  [[nodiscard]] const DeviceRecord& record() const noexcept { return record_; }
  // credential_blob (TPM2B_ID_OBJECT) and encrypted_secret (TPM2B_ENCRYPTED_SECRET)
  // go to the agent, base64, as docs/protocol.md shows.
  [[nodiscard]] const Bytes& credential_blob() const noexcept { return credential_blob_; }
  [[nodiscard]] const Bytes& encrypted_secret() const noexcept { return encrypted_secret_; }
  // secret is the kActivationSecretSize-byte secret only the enrolled TPM can recover.
  [[nodiscard]] const SecretBytes& secret() const noexcept { return secret_; }
  // secret_hash is SHA-256(secret): what the service stores (never the secret
  // itself); check_activation compares against it.
  [[nodiscard]] Bytes secret_hash() const;
  // requires_approval: policy.require_admin_approval (device starts "pending").
  [[nodiscard]] bool requires_approval() const noexcept { return requires_approval_; }
  // notes are informational remarks for the audit event (e.g. "ek_tofu").
  [[nodiscard]] const std::vector<ResultReason>& notes() const noexcept { return notes_; }

 private:
  VerifiedEnrollment() = default;
  friend Result<VerifiedEnrollment> verify_enrollment(const EnrollmentRequest&, const EnrollmentContext&,
                                                      const Policy&);
  DeviceRecord record_;
  Bytes credential_blob_;
  Bytes encrypted_secret_;
  SecretBytes secret_;
  bool requires_approval_ = false;
  std::vector<ResultReason> notes_;
};

// verify_enrollment checks, in order: EK public parses (TPM2B_PUBLIC, an
// encryption key) → EK certificate chains to |ctx.ek_trust| and certifies
// exactly that key (or, without a certificate, policy.ek_allow_tofu) → AK
// public parses and has restricted|sign|fixedTPM|fixedParent|
// sensitiveDataOrigin (no decrypt) → login key (if sent): verify_login_key
// with that AK over login_key_enrollment_qualifying_data(token, ak_public)
// (certify.h) → FIDO2 credential attestation over the
// enrollment client-data hash SHA-256("paw/v1/enroll" || 0x00 ||
// SHA-256(token) || SHA-256(ak_public)) with the policy's fmt/AAGUID/UP/UV
// rules (or, without "fido", policy.fido.required == false) → reported PCRs
// valid → MakeCredential against the EK binding a fresh random secret to the
// AK name. The token's own validity (known, unused, unexpired) is the
// service's job. Errors: Errc::malformed, unsupported, untrusted_chain,
// cert_invalid, ak_attributes, the login key's (bad_signature, bad_magic,
// bad_type, nonce_mismatch, certified_name_mismatch, login_key_attributes,
// login_key_algorithm), fido_* (attestation_invalid,
// aaguid_not_allowed, rp_mismatch, up_missing, uv_missing, …),
// policy_violation (TOFU or missing FIDO2 refused by policy), internal.
Result<VerifiedEnrollment> verify_enrollment(const EnrollmentRequest& req, const EnrollmentContext& ctx,
                                             const Policy& policy);

// check_activation compares the secret the agent recovered with the stored
// SHA-256 in constant time. Errc::activation_failed on mismatch (the service
// then ends the enrollment).
Status check_activation(ByteView stored_secret_hash, ByteView received_secret);

// enrollment_client_data_hash / presence_client_data_hash are the
// domain-separated FIDO2 client-data hashes of docs/protocol.md.
Bytes enrollment_client_data_hash(ByteView token, ByteView ak_public_tpm2b);
Bytes presence_client_data_hash(ByteView nonce, std::string_view device_id);

// ---------------------------------------------------------------------------
// Attestation appraisal
// ---------------------------------------------------------------------------

// warning: every reason is one the policy graces and each is inside its
// grace (grace.h): login is allowed until AppraisalRecord::grace_until.
enum class Verdict { healthy, warning, unhealthy };
// verdict_name returns "healthy" / "warning" / "unhealthy".
std::string_view verdict_name(Verdict v) noexcept;

// Stable reason codes of policy failures (ResultReason::code) and notes.
namespace reason {
inline constexpr std::string_view kPcrNotQuoted = "pcr_not_quoted";          // required PCR missing
inline constexpr std::string_view kPcrMismatch = "pcr_mismatch";             // differs from reference
inline constexpr std::string_view kPcrPinned = "pcr_pinned";                 // note: references captured
inline constexpr std::string_view kPcrReferenceSet = "pcr_reference_set";    // note: which named set matched
inline constexpr std::string_view kEventLogMissing = "eventlog_missing";
inline constexpr std::string_view kSecureBootOff = "secure_boot_off";
inline constexpr std::string_view kBootAppNotAllowed = "boot_app_not_allowed";
inline constexpr std::string_view kBootAuthorityNotAllowed = "boot_authority_not_allowed";  // policy "boot.authorities"
inline constexpr std::string_view kCmdlineMissing = "cmdline_missing";      // a required kernel command-line word
inline constexpr std::string_view kCmdlineForbidden = "cmdline_forbidden";  // a forbidden kernel command-line word
inline constexpr std::string_view kDbxOutdated = "dbx_outdated";            // dbx lacks required revocations
inline constexpr std::string_view kSecureBootKeysUnexpected = "secure_boot_keys_unexpected";  // PK/KEK not the owners
inline constexpr std::string_view kKernelOutdated = "kernel_outdated";  // booted kernel older than "boot.min_kernel"
inline constexpr std::string_view kKernelUnknown = "kernel_unknown";    // a PCR 4 image not in "boot.images", or no kernel
inline constexpr std::string_view kSbatOutdated = "sbat_outdated";  // a measured SbatLevel below "boot.min_sbat"
inline constexpr std::string_view kSbatUnknown = "sbat_unknown";    // no readable SbatLevel, or Secure Boot not proven
inline constexpr std::string_view kImaLogMissing = "ima_missing";
inline constexpr std::string_view kImaNotAllowed = "ima_not_allowed";
inline constexpr std::string_view kImaRequiredMissing = "ima_required_missing";  // "ima.required" file not measured
inline constexpr std::string_view kImaRequiredDigestMismatch = "ima_required_digest_mismatch";  // measured, digest not listed
inline constexpr std::string_view kFidoMissing = "fido_missing";
inline constexpr std::string_view kFidoUpMissing = "fido_up_missing";
inline constexpr std::string_view kFidoUvMissing = "fido_uv_missing";
inline constexpr std::string_view kFidoCounterFrozen = "fido_counter_frozen";
inline constexpr std::string_view kFidoModelUnproven = "fido_model_unproven";  // note: self/none attestation
inline constexpr std::string_view kDiskNotEncrypted = "disk_not_encrypted";
inline constexpr std::string_view kOsNotAllowed = "os_not_allowed";
inline constexpr std::string_view kHostSecureBootOff = "host_secure_boot_off"; // agent says off
inline constexpr std::string_view kReboot = "reboot";                      // note, or failure if !reboot_allowed
inline constexpr std::string_view kClockAnomaly = "clock_anomaly";         // TPM clock went back
inline constexpr std::string_view kEventUnverified = "eventlog_event_unverified";  // note: data != digest, facts unknown
inline constexpr std::string_view kLoginKeyMissing = "login_key_missing";  // enrolled login key, no proof sent
inline constexpr std::string_view kLoginKeyBadSignature = "login_key_bad_signature";  // proof does not verify
}  // namespace reason

// AppraisalContext carries the per-request inputs.
struct AppraisalContext {
  Bytes expected_nonce;          // the challenge just consumed for this device
  std::string rp_id;             // FIDO2 relying-party id
  std::int64_t now = 0;          // unix seconds
};

// RuleResult is how one rule of the policy judged one attestation, and which
// piece of verified evidence decided it: what `pawctl policy explain` prints.
// A grace is not here: it belongs to the reason (AppraisalRecord::reasons,
// matched by |reason|).
struct RuleResult {
  std::string rule;      // the policy member: "ima.required", "boot.authorities", "pcrs.required", …
  std::string subject;   // what it judged: a path, "PCR 7 (sha256)", a command-line item
  std::string evidence;  // what decided it: "IMA entry 57 (PCR 10)", "PCR 7 event 21 (EV_EFI_…)"; "" = nothing
  std::string value;     // the value found ("sha256:<hex>", a PCR value); "" when none
  std::string result;    // "pass" | "fail" | "unknown"
  std::string reason;    // a fail's or unknown's reason code; "" on pass
  bool operator==(const RuleResult&) const = default;
};
// kMaxRuleResults bounds the rule results kept with one appraisal.
inline constexpr std::size_t kMaxRuleResults = 512;

// LearnSighting is one digest learn mode saw (policy.h LearnPolicy): a boot
// application (PCR 4) or IMA file digest (PCR 10) from verified evidence of a
// device that the policy's non-empty allowlist lacks and that is the only
// thing keeping the device from healthy.
inline constexpr std::string_view kLearnBootApp = "boot_app";
inline constexpr std::string_view kLearnIma = "ima";
inline constexpr std::size_t kMaxLearnSightings = 64;   // per attestation
struct LearnSighting {
  std::string kind;          // kLearnBootApp | kLearnIma
  Bytes digest;              // SHA-256 Authenticode digest, or the IMA file digest
  std::string description;   // "boot application (PCR 4)", or the IMA path (from the log: untrusted text)
  bool operator==(const LearnSighting&) const = default;
};

// AppraisalRecord is the storable summary of one appraisal (the verdict history).
struct AppraisalRecord {
  std::string device_id;
  Verdict verdict = Verdict::unhealthy;
  std::vector<ResultReason> reasons;   // failures; empty iff healthy
  std::vector<ResultReason> notes;     // informational (reboot seen, PCRs pinned, …)
  TrustVector trust;                   // AR4SI vector
  std::string policy;                  // "name@version"
  std::int64_t attested_at = 0;        // unix seconds (AppraisalContext::now)
  PcrValues pcrs;                      // quote-verified values
  HostFacts host;
  ClockInfo clock;
  std::int64_t grace_until = 0;        // verdict warning: the earliest end of its reasons' grace; else 0
  std::vector<RuleResult> rules;       // rule by rule, what judged what (at most kMaxRuleResults)
  // boot_events: the event log's events the quote bound (boot_events.h), for
  // `pawctl policy diff`; nullopt without an event log or in a record stored
  // before they were kept.
  std::optional<BootEvents> boot_events;
  // secure_boot: the SecureBoot variable the event log measured in PCR 7,
  // from an event the quote binds and whose data matches its digest (JSON
  // "secure_boot", beside "host": {"secure_boot"}, which is only the agent's
  // own reading of the variable); nullopt without an event log, when the log
  // does not prove it, or in a record stored before it was kept.
  std::optional<bool> secure_boot;
  bool operator==(const AppraisalRecord& other) const;  // field by field
};
json::ObjectPtr appraisal_record_to_json(const AppraisalRecord& rec);
Result<AppraisalRecord> appraisal_record_from_json(const json::ObjectPtr& obj);
std::string serialize_appraisal_record(const AppraisalRecord& rec);
Result<AppraisalRecord> parse_appraisal_record(std::string_view json_text);
// explain_appraisal is a stored appraisal rule by rule, as GET
// /v1/admin/devices/{id}/explain answers it (appraisal_explain.cpp):
//   {"device_id", "policy": "name@version", "attested_at", "verdict",
//    "grace_until" (warning only),
//    "rules": [{"rule", "subject", "evidence", "value", "result", "reason",
//               "grace_until": the grace end of its reason, 0 = none}],
//    "other_reasons": [reasons no rule result names], "reasons", "notes"}
// A record stored before rule results existed has "rules": [].
json::ObjectPtr explain_appraisal(const AppraisalRecord& rec);
// trust_vector_json writes the AR4SI vector as a JSON object text.
std::string trust_vector_json(const TrustVector& trust);

// AR4SI trustworthiness claim values (draft-ietf-rats-ar4si, 2.3): tiers are
// none (-1..1), affirming (2..31), warning (32..95), contraindicated (96..127).
namespace ar4si {
inline constexpr std::int64_t kNoClaim = 0;
inline constexpr std::int64_t kUnexpectedEvidence = 1;
inline constexpr std::int64_t kCryptoValidationFailed = 99;
// instance-identity
inline constexpr std::int64_t kTrustworthyInstance = 2;
inline constexpr std::int64_t kUntrustworthyInstance = 96;
inline constexpr std::int64_t kUnrecognizedInstance = 97;
// configuration
inline constexpr std::int64_t kApprovedConfig = 2;
inline constexpr std::int64_t kNoConfigVulns = 3;
inline constexpr std::int64_t kUnsafeConfig = 32;
inline constexpr std::int64_t kUnsupportableConfig = 96;
// executables
inline constexpr std::int64_t kApprovedRuntime = 2;
inline constexpr std::int64_t kApprovedBoot = 3;
inline constexpr std::int64_t kUnsafeRuntime = 32;
inline constexpr std::int64_t kUnrecognizedRuntime = 33;
inline constexpr std::int64_t kContraindicatedRuntime = 96;
// file-system
inline constexpr std::int64_t kApprovedFiles = 2;
inline constexpr std::int64_t kUnrecognizedFiles = 32;
inline constexpr std::int64_t kContraindicatedFiles = 96;
// hardware
inline constexpr std::int64_t kGenuineHardware = 2;
inline constexpr std::int64_t kUnsafeHardware = 32;
inline constexpr std::int64_t kContraindicatedHardware = 96;
inline constexpr std::int64_t kUnrecognizedHardware = 97;
// runtime-opaque
inline constexpr std::int64_t kEncryptedMemoryRuntime = 2;
inline constexpr std::int64_t kIsolatedMemoryRuntime = 32;
inline constexpr std::int64_t kVisibleMemoryRuntime = 96;
// storage-opaque
inline constexpr std::int64_t kHwKeysEncryptedSecrets = 2;
inline constexpr std::int64_t kSwKeysEncryptedSecrets = 32;
inline constexpr std::int64_t kUnencryptedSecrets = 96;
// sourced-data
inline constexpr std::int64_t kTrustedSources = 2;
inline constexpr std::int64_t kUntrustedSources = 32;
inline constexpr std::int64_t kContraindicatedSources = 96;
}  // namespace ar4si

// Appraisal is the outcome of a fully verified attestation. Only appraise()
// makes one: holding an Appraisal means every cryptographic check passed.
class Appraisal {
 public:
  [[nodiscard]] Verdict verdict() const noexcept { return record_.verdict; }
  [[nodiscard]] bool healthy() const noexcept { return record_.verdict == Verdict::healthy; }
  // admits_login: healthy, or warning (graced reasons only) — a result token
  // that relying parties accept, until its exp (<= grace_until).
  [[nodiscard]] bool admits_login() const noexcept { return record_.verdict != Verdict::unhealthy; }
  [[nodiscard]] const std::vector<ResultReason>& reasons() const noexcept { return record_.reasons; }
  [[nodiscard]] const std::vector<ResultReason>& notes() const noexcept { return record_.notes; }
  [[nodiscard]] const TrustVector& trust() const noexcept { return record_.trust; }
  // pcrs are the quote-verified PCR values.
  [[nodiscard]] const PcrValues& pcrs() const noexcept { return record_.pcrs; }
  // body is the parsed, verified evidence body.
  [[nodiscard]] const EvidenceBody& body() const noexcept { return body_; }
  // record is the storable summary (verdict history, health queries).
  [[nodiscard]] const AppraisalRecord& record() const noexcept { return record_; }
  // next_state is the device state to persist (new FIDO2 counter, clock, pins,
  // timestamps). Persist it whatever the verdict: the counter moved forward.
  [[nodiscard]] const DeviceState& next_state() const noexcept { return next_state_; }
  // rebooted: the TPM was reset or restarted since the previous attestation.
  [[nodiscard]] bool rebooted() const noexcept { return rebooted_; }
  // token_ttl_seconds is the policy's result-token lifetime.
  [[nodiscard]] std::int64_t token_ttl_seconds() const noexcept { return token_ttl_; }
  // user_present: the body carried a FIDO2 assertion that verified and had
  // the user-presence flag (a person touched the key for this attestation);
  // the service records its time for the step-up rule at login.
  [[nodiscard]] bool user_present() const noexcept { return user_present_; }
  // claims builds the result-token claims: sub = device id, iat = attested_at,
  // exp = iat + token_ttl_seconds, verdict, reasons, trust, policy.
  [[nodiscard]] ResultClaims claims(std::string issuer, std::string jti) const;
  // learned: learn mode's sightings (LearnSighting) in this attestation;
  // empty unless the policy has "learn" on and the device is unhealthy only
  // for digests its allowlists lack.
  [[nodiscard]] const std::vector<LearnSighting>& learned() const noexcept { return learned_; }

 private:
  Appraisal() = default;
  friend class AppraisalBuilder;
  AppraisalRecord record_;
  EvidenceBody body_;
  DeviceState next_state_;
  bool rebooted_ = false;
  std::int64_t token_ttl_ = 600;
  bool user_present_ = false;
  std::vector<LearnSighting> learned_;
};

// AuthenticEvidence is evidence the device itself produced just now: its
// quote verifies with the enrolled AK (hash SHA-256 or stronger), the quote's
// qualifying data is SHA-256 of exactly this body, and the body names this
// device and the challenge just issued to it (appraise's steps 1-7). Only
// authenticate_evidence makes one. Whatever is wrong with it afterwards (PCR
// digest, event log, IMA, FIDO2 counter) was said by the device: the service
// records it as verdict `rejected`. A failure BEFORE this point proves
// nothing about the device (anyone can send junk with a real challenge, or
// replay an old quote) and must not change the device's row.
class AuthenticEvidence {
 public:
  [[nodiscard]] const EvidenceBody& body() const noexcept { return body_; }
  [[nodiscard]] HashAlg signing_hash() const noexcept { return signing_hash_; }

 private:
  AuthenticEvidence() = default;
  friend class AppraisalBuilder;
  EvidenceBody body_;
  PcrSelection pcr_select_;
  Bytes pcr_digest_;
  ClockInfo clock_info_;
  HashAlg signing_hash_ = HashAlg::sha256;
};

// authenticate_evidence runs appraise's steps 1-7 (sizes → quote signing hash
// and signature with the enrolled AK → magic/type → qualifying data == SHA-256(body)
// → body parse, the only one: nothing is read from the body before its
// bytes proved signed → nonce == ctx.expected_nonce → device id ==
// record.device_id; the envelope's unsigned routing copies, when present,
// must equal both). Its errors are those of appraise up to device_mismatch.
Result<AuthenticEvidence> authenticate_evidence(const DeviceRecord& record, const Envelope& envelope,
                                                const AppraisalContext& ctx);
// appraise_authentic runs the remaining steps (8-13) on authentic evidence:
// its errors mean the device itself sent evidence that does not hold up.
Result<Appraisal> appraise_authentic(const DeviceRecord& record, const DeviceState& previous,
                                     AuthenticEvidence evidence, const AppraisalContext& ctx, const Policy& policy);

// Report-only policies (docs/policy.md, "Trying a policy before enforcing
// it"): the same authentic evidence is judged by more policies, whose
// verdicts are only reported. They reuse every proven fact (quote, event log,
// IMA, FIDO2) of the one appraisal; only the policy rules and the grading run
// again per policy. Nothing they find reaches the Appraisal.
struct ReportInput {
  const Policy* policy = nullptr;                    // must outlive the call
  std::map<std::string, std::int64_t> first_seen;    // this policy's own grace clock for this device
};
struct ReportJudgement {
  std::string policy;                                // "name@version"
  Verdict verdict = Verdict::healthy;
  std::vector<ResultReason> reasons;
  std::map<std::string, std::int64_t> first_seen;    // the next first-seen map to keep for this policy
  std::string error;                                 // non-empty: the report policy could not be judged
};
// This overload appends one ReportJudgement per |report| entry to |judged|
// (in order) when the evidence holds up; the Appraisal is the one the
// overload above returns — whatever the report policies say or do.
Result<Appraisal> appraise_authentic(const DeviceRecord& record, const DeviceState& previous,
                                     AuthenticEvidence evidence, const AppraisalContext& ctx, const Policy& policy,
                                     const std::vector<ReportInput>& report, std::vector<ReportJudgement>& judged);

// appraise verifies one evidence envelope of an enrolled device, in this fixed order:
//   sizes (attest, signature, body) → quote signing hash (SHA-256 or
//   stronger) and signature with the enrolled AK →
//   magic/type → qualifying data == SHA-256(body) → body parse → nonce ==
//   ctx.expected_nonce → device id == record.device_id → PCR selection and
//   digest (verify_quote) → event log parse, bound to the quote (a complete,
//   quoted bank of SHA-256 or stronger; every quoted firmware PCR equal to the
//   replay or its reset value), facts from bound PCRs only → IMA log replay == quoted PCR 10 → FIDO2 presence (client-data hash
//   over nonce and device id, enrolled credential, signature, signCount
//   strictly greater than previous.fido_sign_count) → login key proof (when
//   the record has a login key: body.login_key_signature over
//   login_key_proof_message(nonce, device id); missing or not verifying is
//   unhealthy with reason login_key_missing / login_key_bad_signature) →
//   policy → reboot and
//   clock anomalies from the quote's clock info vs previous.clock.
// Cryptographic and structural failures return an Error (the service answers
// 422 with errc_name): too_large, malformed, trailing_data, unsupported (also a
// quote signed with SHA-1),
// bad_signature, bad_magic, bad_type, nonce_mismatch, pcr_selection_mismatch,
// pcr_digest_mismatch, eventlog_malformed, eventlog_no_complete_bank,
// eventlog_replay_mismatch, ima_malformed, fido_unknown_credential,
// fido_bad_signature, fido_rp_mismatch, fido_challenge_mismatch,
// fido_counter_rollback (signCount below the stored one), fido_counter_frozen
// (signCount equal to a non-zero stored one). A counter that stays 0 is a
// policy matter: unhealthy with reason fido_counter_frozen unless
// policy.fido.allow_zero_counter.
// Policy failures return an Appraisal with Verdict::unhealthy and reasons.
Result<Appraisal> appraise(const DeviceRecord& record, const DeviceState& previous, const Envelope& envelope,
                           const AppraisalContext& ctx, const Policy& policy);
}  // namespace paw
