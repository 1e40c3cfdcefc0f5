// store.h — the verifier's storage interface.
// Over 500 lines: the one interface every backend implements, with the
// record types it exchanges; each method's contract sits next to it.
//
// Store is what the service needs from a database, nothing more. SqliteStore
// (sqlite_store.cpp) is the default, embedded backend; a PostgreSQL backend
// implements the same class. Every method is safe to call from many threads
// at once (implementations pool connections). Times are unix seconds. Secrets
// that clients present never reach the store: only SHA-256 hashes (lowercase
// hex) of tokens, credentials, nonces and activation secrets. The service's
// own keys do (signing keys, service_secret), so all replicas share them.
// Binary data is stored as
// base64/hex TEXT and structured data as JSON TEXT so the SQL stays portable.
//
// Atomicity contract (the service relies on it, also across replicas):
//  - consume_enrollment_token and take_enrollment succeed for exactly one
//    caller per row, however many race (`UPDATE … SET used=1 WHERE key=? AND
//    used=0 AND expires_at>?` and a changed-row count of 1, or DELETE … with
//    the same check); use_nonce succeeds for exactly one caller per nonce
//    (an INSERT on the primary key);
//  - put_policy_with_reference_events and put_policy_clearing_reference_events
//    write over exactly the policy version they were made from (a compare on
//    policies.version in their transaction); of two racing, the second to
//    commit writes nothing;
//  - a method that returned success has made its change durable (SQLite:
//    WAL + synchronous=FULL), so a crash right after loses nothing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin_scope.h"
#include "paw/attest/error.h"

namespace paw::verifier {

// DeviceStatus is the life-cycle state of an enrolled device.
enum class DeviceStatus { pending, enrolled, stale, revoked };
std::string_view device_status_name(DeviceStatus s) noexcept;
std::optional<DeviceStatus> device_status_from_name(std::string_view s) noexcept;

// DeviceHead is the part of a device row that changes with every write.
struct DeviceHead {
  DeviceStatus status = DeviceStatus::pending;
  std::int64_t revision = 0;
};

// DeviceAdmission is what a login decides on (GET /v1/authz, the health
// query): a few small columns of the device row and the version of the
// policy it is assigned, read in one narrow query instead of the whole row
// (record_json, state_json and the appraisal are kilobytes).
struct DeviceAdmission {
  DeviceStatus status = DeviceStatus::pending;
  std::string policy;                 // assigned policy name ("" = "default")
  std::int64_t policy_version = 0;    // that policy's stored version (0: no row, e.g. the built-in default)
  std::string last_verdict;
  std::string last_reasons;           // JSON array of {code, message}
  std::int64_t last_attested_at = 0;
  std::int64_t rejected_at = 0;
  std::string verdict_policy;         // "" also for rows before migration 5 (see verdict_policy_of)
  std::int64_t revision = 0;
  std::string owner;                  // the person the device is enrolled to ("" = nobody named)
  std::int64_t last_presence_at = 0;  // last attestation with FIDO2 user presence (step-up at login)
};

// CredentialKind: who a bearer credential belongs to.
enum class CredentialKind { admin, relying_party };

struct CredentialRecord {
  std::string id;          // public identifier (random hex), shown in the audit log
  CredentialKind kind = CredentialKind::admin;
  std::string hash;        // hex SHA-256 of the credential value
  std::string label;       // the credential's name, shown in the audit log next to its id
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;  // 0 = does not expire
  std::int64_t revoked_at = 0;  // 0 = not revoked
  // Migration 11: what an admin credential may do (rows before it: full),
  // and for an admin session (pawctl login) the person it belongs to — the
  // name of a FIDO2 admin ("" = a plain credential, not a session).
  AdminScope scope = AdminScope::full;
  std::string admin{};
};
std::string_view credential_kind_name(CredentialKind k) noexcept;  // "admin" | "relying_party"

// AdminRecord (migration 11) is a person who signs in with a FIDO2 key
// (pawctl admin add / login): the credential as verify_fido_enrollment
// returned it (paw/attest/fido.h, serialize_fido_credential; its
// sign_count is the column here, the JSON's is the one at registration).
struct AdminRecord {
  std::string name;             // [a-z0-9._@-]{1,64}
  std::string credential_id;    // base64url of the FIDO2 credential id (unique)
  std::string credential_json;  // serialize_fido_credential
  AdminScope scope = AdminScope::read;
  std::int64_t sign_count = 0;  // the highest signature counter accepted so far
  std::int64_t created_at = 0;
  std::string created_by;       // the credential id that registered it
};

// InvitationRecord (migration 15): an admin invitation issued (api/invitation.h), never its token; |id| is
// invitation_id. Kept until it expires (purge_expired). used_at, revoked_at: 0 = not (yet).
struct InvitationRecord {
  std::string id, name;  // name: the admin it invites
  AdminScope scope = AdminScope::read;
  std::string by, by_name, by_admin;  // the inviting credential, its label, its admin ("" for an API credential)
  std::int64_t created_at = 0, expires_at = 0, used_at = 0, revoked_at = 0;
  std::string revoked_by{};  // the revoking credential id
};

struct EnrollmentTokenRecord {
  std::string hash;        // hex SHA-256 of the token
  std::string label;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  bool used = false;
  std::string policy;      // the policy a device enrolled with it starts with ("" = default)
  // may_replace (migration 5): a device enrolled with this token may take over
  // the TPM (EK) of an existing device, which is then revoked (pawctl token
  // create --replace). Without it such an enrollment is refused.
  bool may_replace = false;
  std::int64_t revoked_at = 0;  // 0 = not revoked; a revoked token is refused like a used one
  std::string owner{};          // migration 7: the person its device is enrolled to ("" = none)
};
// enrollment_token_id is a token's public identifier: the first 16 hex
// digits of its hash (listing and revoking name tokens so; the token itself
// is never stored).
std::string enrollment_token_id(const std::string& hash);

// EnrollmentRecord is an enrollment waiting for its credential activation.
struct EnrollmentRecord {
  std::string id;
  std::string secret_hash;   // hex SHA-256 of the MakeCredential secret
  std::string device_json;   // everything the device row needs once activated (service-defined JSON)
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
};

// StoredDevice is one devices row. The JSON columns hold attest/appraisal.h
// structures: record_json = serialize_device_record (AK public, AK name, EK
// certificate/public or TOFU, FIDO2 credential, enrollment host facts and
// PCRs; immutable after enrollment), state_json = serialize_device_state
// (FIDO2 counter, last TPM clock info, pinned PCRs, timestamps),
// last_appraisal_json = serialize_appraisal_record (verified PCRs, verdict,
// reasons, trust vector). The plain columns duplicate what queries and the
// fleet watcher need without parsing JSON.
struct StoredDevice {
  std::string id;
  DeviceStatus status = DeviceStatus::pending;
  std::string label;                 // enrollment token label
  std::string policy;                // assigned policy name ("" = "default")
  std::string record_json;
  std::string state_json;
  std::string last_verdict;          // "" (never), "healthy", "unhealthy", "rejected"
  std::string last_reasons;          // JSON array of {code, message}
  std::string last_appraisal_json;   // "" before the first attestation
  std::int64_t last_attested_at = 0; // last attestation that produced a verdict
  std::int64_t last_healthy_at = 0;  // last healthy verdict
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::int64_t revision = 0;         // bumped by every write; update_device compares it
  // Migration 5:
  std::int64_t rejected_at = 0;      // last verdict `rejected` (0 = never); tokens issued before it are void
  std::string verdict_policy;        // "name@version" the last verdict was made under ("" = before migration 5)
  std::string ek_hash;               // hex SHA-256 of the EK's key (ek_identity): one enrolled id per TPM
  // Migration 7:
  std::string owner;                 // the person the device is enrolled to ("" = none); set at enrollment
  std::int64_t last_presence_at = 0; // last attestation with FIDO2 user presence (step-up at login)
};

// UsedNonce is a challenge nonce that evidence was submitted for. Nonces are
// issued without a write (challenge.h); only their use is stored, until they
// expire (purge_expired), which is what makes them single use.
struct UsedNonce {
  std::string nonce_hash;       // hex SHA-256 of the nonce
  std::string device_id;
  std::int64_t used_at = 0;
  std::int64_t expires_at = 0;  // the nonce's own expiry
};

struct PolicyRecord {
  std::string name;
  std::int64_t version = 0;
  std::string json;             // the full policy document
  std::int64_t updated_at = 0;
};

// ReportAttachment (migration 10): policy |name| is judged in report mode
// for every device whose enforced policy is |target| (docs/policy.md,
// "Trying a policy before enforcing it"). Devices have no groups: the devices
// of one enforced policy are the group a candidate replacing it would judge.
struct ReportAttachment {
  std::string name;
  std::string target;
  std::int64_t created_at = 0;
};

// ReportResult is the latest report-only verdict of policy |policy| on one device.
struct ReportResult {
  std::string policy;
  std::string device_id;
  std::int64_t policy_version = 0;   // the version that judged
  std::string verdict;               // "healthy" | "warning" | "unhealthy" | "error"
  std::string reasons;               // JSON array of {code, message}
  std::string first_seen;            // JSON object reason → unix second (the candidate's own grace clock)
  std::string enforced_verdict;      // what the enforced policy said at the same attestation
  std::int64_t judged_at = 0;
};

// ReferenceEvents (migration 13): the boot events (boot_events.h) a set ("" = "reference") was captured from.
struct ReferenceEvents {
  std::string policy, set, device_id; std::int64_t attested_at = 0, captured_at = 0; std::string events_json;
};

// LearnCandidate (migration 12): a digest learn mode queued for policy
// |policy| (docs/policy.md, "Learn mode"). |devices| counts distinct devices.
struct LearnCandidate {
  std::int64_t id = 0;
  std::string policy;
  std::string kind;            // "boot_app" | "ima"
  std::string digest;          // lowercase hex
  std::string description;     // "boot application (PCR 4)" or the IMA path (device-supplied, made printable)
  std::string status;          // "pending" | "approved" | "rejected"
  std::int64_t first_seen_at = 0;
  std::string first_device;
  std::int64_t devices = 0;
  std::int64_t last_seen_at = 0;
  std::int64_t decided_at = 0;  // 0 while pending
  std::string decided_by;       // the admin credential (and person) that decided
};

// LearnSeen is one digest one attestation showed (kind, hex digest, description).
struct LearnSeen {
  std::string kind;
  std::string digest;
  std::string description;
};

// LearnLimits bound the queue: at most |per_policy| pending candidates per
// policy, of which one device may have opened at most |per_device|. A digest
// beyond either is not queued (counted in LearnOutcome::dropped); digests
// already queued keep counting devices.
struct LearnLimits {
  std::int64_t per_policy = 1000;
  std::int64_t per_device = 100;
};

// LearnOutcome: what record_learn_sightings did — the pending candidates this
// device was counted on for the first time (with their new count), and how
// many digests the limits kept out.
struct LearnOutcome {
  std::vector<LearnCandidate> counted;
  std::int64_t dropped = 0;
};

struct EventRecord {
  std::int64_t id = 0;          // assigned by the store, increasing
  std::int64_t time = 0;
  std::string type;             // "enrollment", "attestation", "verdict_change", "admin", "stale", …
  std::string device_id;        // "" when not about a device
  std::string detail;           // JSON object
};

struct SigningKeyRecord {
  std::string kid;
  std::string public_jwk;       // JSON
  std::string private_pem;      // PKCS#8 PEM (the store file is 0600)
  std::int64_t created_at = 0;
  std::int64_t retired_at = 0;  // 0 = current
};

// CaKeyRecord is one key of a certificate authority the verifier keeps.
struct CaKeyRecord {
  std::string kind;             // which CA: "x509-device" (device_ca.h)
  std::string kid;              // key id (hex SHA-256 of the public key)
  std::string certificate;      // the CA's own certificate, PEM (public)
  std::string private_pem;      // PKCS#8 PEM (the store file is 0600)
  std::int64_t created_at = 0;
  std::int64_t retired_at = 0;  // 0 = current
};

class Store {
 public:
  virtual ~Store() = default;

  // schema_version returns the applied migration level.
  virtual Result<std::int64_t> schema_version() = 0;

  // reads_are_local: a read is served from a file on this host (SQLite's
  // WAL readers never wait for a writer), not a network round trip. The
  // edge answers the read-only login path on its reactor only then.
  [[nodiscard]] virtual bool reads_are_local() const { return false; }

  // read_snapshot: until the returned guard is destroyed, this thread's
  // reads from this store share one read transaction — one consistent view
  // and one lock instead of one per read (a health query reads a credential
  // and a device). Only around handlers that do not write. nullptr: none
  // (the backend has none, or this thread is already in one; reads then
  // run as usual).
  struct Snapshot {
    virtual ~Snapshot() = default;
  };
  [[nodiscard]] virtual std::unique_ptr<Snapshot> read_snapshot() { return nullptr; }

  // Bearer credentials (admin and relying party), looked up by hash.
  // find_credential returns revoked and expired ones too (the service
  // refuses them and says why in the audit log); it reads the database on
  // every call, so a revocation takes effect at once on every replica.
  virtual Status add_credential(const CredentialRecord& c) = 0;
  virtual Result<std::optional<CredentialRecord>> find_credential(CredentialKind kind, const std::string& hash) = 0;
  // list_credentials returns every credential (hash included), oldest first.
  virtual Result<std::vector<CredentialRecord>> list_credentials() = 0;
  // revoke_credential sets revoked_at = |now| on the credential |id| unless
  // it is revoked already; false when nothing changed (unknown or revoked).
  virtual Result<bool> revoke_credential(const std::string& id, std::int64_t now) = 0;

  // FIDO2 admins (migration 11). add_admin: Errc::conflict when the name or
  // the credential id is taken. remove_admin says whether one was removed.
  // advance_admin_counter is a compare-and-swap: it sets sign_count to
  // |next| iff it is still |seen| (false otherwise: another login won, or
  // the admin is gone), so two logins can never accept the same counter.
  virtual Status add_admin(const AdminRecord& a) = 0;
  virtual Result<std::vector<AdminRecord>> list_admins() = 0;
  virtual Result<bool> remove_admin(const std::string& name) = 0;
  virtual Result<bool> advance_admin_counter(const std::string& name, std::int64_t seen, std::int64_t next) = 0;
  // revoke_admin_sessions revokes every unrevoked session credential of
  // |admin| (at |now|) and says how many.
  virtual Result<std::int64_t> revoke_admin_sessions(const std::string& admin, std::int64_t now) = 0;

  // Admin invitations (migration 15). add_invitation: Errc::conflict for a taken id. list_invitations:
  // neither used, revoked nor expired at |now|, oldest first. revoke_invitation and use_invitation change
  // one unused, unrevoked, unexpired row (true: this call did), so of two racing calls one wins.
  virtual Status add_invitation(const InvitationRecord& i) = 0;
  virtual Result<std::optional<InvitationRecord>> find_invitation(const std::string& id) = 0;
  virtual Result<std::vector<InvitationRecord>> list_invitations(std::int64_t now) = 0;
  virtual Result<bool> revoke_invitation(const std::string& id, const std::string& by, std::int64_t now) = 0;
  virtual Result<bool> use_invitation(const std::string& id, std::int64_t now) = 0;

  // Enrollment tokens. consume_enrollment_token marks the token used exactly
  // once: Errc::token_invalid (unknown or already used), Errc::token_expired.
  // A revoked token is refused by consume_enrollment_token (token_invalid).
  virtual Status add_enrollment_token(const EnrollmentTokenRecord& t) = 0;
  virtual Result<EnrollmentTokenRecord> consume_enrollment_token(const std::string& hash, std::int64_t now) = 0;
  // list_enrollment_tokens returns the tokens not yet purged, oldest first.
  virtual Result<std::vector<EnrollmentTokenRecord>> list_enrollment_tokens() = 0;
  // revoke_enrollment_token sets revoked_at = |now| on the unused, unrevoked
  // token whose enrollment_token_id is |id|; false when nothing changed.
  virtual Result<bool> revoke_enrollment_token(const std::string& id, std::int64_t now) = 0;
  // find_enrollment_token looks a token up without consuming it (the service
  // checks it before the expensive enrollment checks): nullopt when unknown.
  virtual Result<std::optional<EnrollmentTokenRecord>> find_enrollment_token(const std::string& hash) = 0;

  // Enrollments in progress. take_enrollment removes and returns the row once:
  // Errc::not_found (unknown or already taken), Errc::token_expired.
  virtual Status add_enrollment(const EnrollmentRecord& e) = 0;
  virtual Result<EnrollmentRecord> take_enrollment(const std::string& id, std::int64_t now) = 0;

  // Devices. update_device is a compare-and-swap: it writes every column of
  // the row with |d.id| iff its revision is still |d.revision| and sets
  // revision = d.revision + 1 (Errc::conflict when another write came first,
  // Errc::not_found when the device is gone). set_device_status changes the
  // status (bumping the revision, so a racing update_device fails), returning
  // false if the device does not exist.
  virtual Status add_device(const StoredDevice& d) = 0;
  virtual Result<std::optional<StoredDevice>> get_device(const std::string& id) = 0;
  virtual Result<std::vector<StoredDevice>> list_devices() = 0;
  // find_devices_by_ek returns every device (any status) whose ek_hash is
  // |ek_hash|, oldest first: who else holds this TPM.
  virtual Result<std::vector<StoredDevice>> find_devices_by_ek(const std::string& ek_hash) = 0;
  // device_head is a device's status and revision alone (std::nullopt: no
  // such device): what the challenge endpoint needs to decide, and what the
  // attestation path needs to trust a parsed copy of the row it cached at
  // that revision, without reading the record again.
  virtual Result<std::optional<DeviceHead>> device_head(const std::string& id) {
    PAW_TRY(auto d, get_device(id));
    if (!d) return std::optional<DeviceHead>{};
    return std::optional<DeviceHead>{DeviceHead{d->status, d->revision}};
  }
  // device_admission is the login-relevant part of the device |id|
  // (std::nullopt: no such device), read from the database on every call —
  // never from a cache — so a revocation or rejection made by any replica
  // holds at the next login. Backends answer it with one prepared query.
  virtual Result<std::optional<DeviceAdmission>> device_admission(const std::string& id);
  // list_stale_candidates returns the enrolled devices whose last attestation
  // (or, never attested, their enrollment) is older than |seen_before|: the
  // fleet watcher's scan, served by an index so a healthy fleet of any size
  // costs one index probe, not a read of every row.
  virtual Result<std::vector<StoredDevice>> list_stale_candidates(std::int64_t seen_before) = 0;
  virtual Status update_device(const StoredDevice& d) = 0;
  virtual Result<bool> set_device_status(const std::string& id, DeviceStatus status, std::int64_t now) = 0;
  virtual Result<bool> delete_device(const std::string& id) = 0;
  // count_devices_by_status maps status name → number of devices.
  virtual Result<std::map<std::string, std::int64_t>> count_devices_by_status() = 0;

  // use_nonce records that |n| was used: one winner per nonce hash, however
  // many race (also across replicas) — the others get Errc::nonce_reused.
  virtual Status use_nonce(const UsedNonce& n) = 0;
  // record_attestation stores one accepted attestation: it uses the nonce
  // |n| (the rule and error of use_nonce), writes |d| (the compare-and-swap of
  // update_device: Errc::conflict / not_found) and appends |events| (their
  // ids are returned, in order) — all or nothing. A backend overrides it with
  // one transaction (one durable commit instead of 2 + events); this default
  // calls the single methods in that order, so the nonce is still used
  // exactly once, but a crash between the calls can leave the nonce used
  // without the verdict (the agent then attests again).
  virtual Result<std::vector<std::int64_t>> record_attestation(const UsedNonce& n, const StoredDevice& d,
                                                               const std::vector<EventRecord>& events) {
    PAW_CHECK(use_nonce(n));
    PAW_CHECK(update_device(d));
    std::vector<std::int64_t> ids;
    for (const auto& e : events) {
      PAW_TRY(std::int64_t id, add_event(e));
      ids.push_back(id);
    }
    return ids;
  }
  // service_secret returns the secret called |name|, storing |candidate|
  // first if there is none yet: every replica gets the value of whichever
  // stored first (e.g. the challenge key). Secrets sit next to the signing
  // keys, in the store file (0600) or database only the service can read.
  virtual Result<std::string> service_secret(const std::string& name, const std::string& candidate) = 0;
  // purge_expired deletes used nonces, enrollments, tokens, admin
  // sessions and admin invitations expired before |before|.
  virtual Status purge_expired(std::int64_t before) = 0;
  // purge_events deletes at most |limit| events older than |before| (oldest
  // first) and says how many it deleted: event retention, in bounded steps.
  virtual Result<std::int64_t> purge_events(std::int64_t before, std::int64_t limit) = 0;

  // Policies: put_policy inserts or replaces by name.
  virtual Status put_policy(const PolicyRecord& p) = 0;
  virtual Result<std::optional<PolicyRecord>> get_policy(const std::string& name) = 0;
  virtual Result<std::vector<PolicyRecord>> list_policies() = 0;

  // Report-only policies (migration 10). attach_report_policy inserts or
  // replaces |a| by name; detach_report_policy says whether one was attached.
  // list_report_results returns |policy|'s results on devices that still exist.
  virtual Status attach_report_policy(const ReportAttachment& a) = 0;
  virtual Result<bool> detach_report_policy(const std::string& name) = 0;
  virtual Result<std::vector<ReportAttachment>> list_report_policies() = 0;
  virtual Status put_report_result(const ReportResult& r) = 0;
  virtual Result<std::optional<ReportResult>> get_report_result(const std::string& policy, const std::string& device) = 0;
  virtual Result<std::vector<ReportResult>> list_report_results(const std::string& policy) = 0;

  // Learn mode (migration 12). record_learn_sightings counts |device| once
  // on each pending candidate of |policy| for |seen| (creating candidates
  // within |limits|; decided ones are left alone). list_learn_candidates:
  // every candidate of |policy| ("" = all policies), most devices first.
  // decide_learn_candidate moves a pending candidate to |status| and says
  // whether it was pending.
  virtual Result<LearnOutcome> record_learn_sightings(const std::string& policy, const std::string& device,
                                                      const std::vector<LearnSeen>& seen, std::int64_t now,
                                                      const LearnLimits& limits) = 0;
  virtual Result<std::vector<LearnCandidate>> list_learn_candidates(const std::string& policy) = 0;
  virtual Result<std::optional<LearnCandidate>> get_learn_candidate(std::int64_t id) = 0;
  virtual Result<bool> decide_learn_candidate(std::int64_t id, const std::string& status, const std::string& by,
                                              std::int64_t at) = 0;
  // Reference events (migration 13): one row per (policy, set), the latest capture listed first.
  virtual Result<std::vector<ReferenceEvents>> list_reference_events(const std::string& policy) = 0;
  // The two policy writes that keep the reference events true to the values
  // beside them. Each is one transaction that writes |p| only over version
  // |replaces| of the stored policy p.name, the one |p| was made from (0: no
  // row stored yet); when another writer got there first: Errc::conflict and
  // nothing written (store_sql_refs.cpp says why the compare is needed).
  //  - put_policy_with_reference_events (policy capture): |r| becomes the
  //    events of its (policy, set), inserted or replaced;
  //  - put_policy_clearing_reference_events (a policy PUT): the captured
  //    events of each set named in |cleared| ("" = the reference; the sets
  //    whose values the PUT changed or dropped) are emptied, their row
  //    stamped p.updated_at; other sets' rows are left alone.
  virtual Status put_policy_with_reference_events(const PolicyRecord& p, std::int64_t replaces,
                                                  const ReferenceEvents& r) = 0;
  virtual Status put_policy_clearing_reference_events(const PolicyRecord& p, std::int64_t replaces,
                                                      const std::vector<std::string>& cleared) = 0;

  // Events: add_event assigns and returns the id; list_events returns events
  // with id > |after| in id order, at most |limit|.
  virtual Result<std::int64_t> add_event(const EventRecord& e) = 0;
  virtual Result<std::vector<EventRecord>> list_events(std::int64_t after, std::int64_t limit) = 0;
  // list_device_events is list_events of |device|'s events only (migration 14 indexes them).
  virtual Result<std::vector<EventRecord>> list_device_events(const std::string& device, std::int64_t after,
                                                              std::int64_t limit) = 0;
  // list_events_newest: ids below |before| (kNoEventBound: none), newest first, at most |limit|,
  // |device|'s only unless "": an index read backwards (primary key, events_device), never a sort.
  static constexpr std::int64_t kNoEventBound = INT64_MAX;
  virtual Result<std::vector<EventRecord>> list_events_newest(const std::string& device, std::int64_t before,
                                                              std::int64_t limit) = 0;
  // last_event_id is the newest event's id (0 when there is none).
  virtual Result<std::int64_t> last_event_id() = 0;
  // settle_events returns once every transaction that had taken an event id
  // when it was called has committed or rolled back: after it, an id missing
  // below the newest one seen before the call will never appear. (SQLite has
  // nothing to wait for: ids are taken under its one write lock, so commits
  // come in id order.)
  virtual Status settle_events() { return ok_status(); }
  // list_events_in_order is list_events for readers that must not pass over
  // an event (webhook cursors, events --follow): when the answer skips an id
  // that a transaction still in flight may hold, it settles and reads again,
  // answering only events up to the newest id of the first read, so the
  // caller may move past every id it is given.
  // (store_admission.cpp)
  Result<std::vector<EventRecord>> list_events_in_order(std::int64_t after, std::int64_t limit);

  // Webhook delivery cursors, one per receiver URL. claim_webhook takes or
  // renews the lease on |url| for |owner| until |lease_until| when it is
  // free, expired (before |now|) or already |owner|'s — creating the cursor
  // at |start_after| when the URL is new — and returns the cursor (the last
  // event id handled); std::nullopt while another replica holds the lease.
  // advance_webhook moves the cursor if |owner| still holds the lease.
  virtual Result<std::optional<std::int64_t>> claim_webhook(const std::string& url, const std::string& owner,
                                                            std::int64_t now, std::int64_t lease_until,
                                                            std::int64_t start_after) = 0;
  virtual Result<bool> advance_webhook(const std::string& url, const std::string& owner, std::int64_t last_event_id) = 0;
  // release_webhook gives up |owner|'s lease at once (a clean stop), so the
  // next start or another replica goes on without waiting for it to expire.
  virtual Status release_webhook(const std::string& url, const std::string& owner) = 0;

  // Result-token signing keys (current one has retired_at == 0).
  virtual Status add_signing_key(const SigningKeyRecord& k) = 0;
  virtual Result<std::vector<SigningKeyRecord>> list_signing_keys() = 0;
  virtual Status retire_signing_key(const std::string& kid, std::int64_t at) = 0;
  // delete_signing_keys_retired_before removes keys retired before |before|.
  virtual Status delete_signing_keys_retired_before(std::int64_t before) = 0;

  // CA keys (migration 7), per kind, like the signing keys: list_ca_keys
  // returns the kind's keys oldest first; the current one has retired_at == 0.
  virtual Status add_ca_key(const CaKeyRecord& k) = 0;
  virtual Result<std::vector<CaKeyRecord>> list_ca_keys(const std::string& kind) = 0;
  virtual Status retire_ca_key(const std::string& kind, const std::string& kid, std::int64_t at) = 0;
  virtual Status delete_ca_keys_retired_before(const std::string& kind, std::int64_t before) = 0;
  // SSH user CA keys (ssh_ca.h), same life cycle; public_jwk holds the
  // OpenSSH public key line instead of a JWK.
  virtual Status add_ssh_ca_key(const SigningKeyRecord& k) = 0;
  virtual Result<std::vector<SigningKeyRecord>> list_ssh_ca_keys() = 0;
  virtual Status retire_ssh_ca_key(const std::string& kid, std::int64_t at) = 0;
  virtual Status delete_ssh_ca_keys_retired_before(std::int64_t before) = 0;
};

// open_store opens (creating and migrating as needed) the database named by
// |url|: "sqlite:PATH" (the file is created 0600). Errc::config_error for an
// unknown scheme, Errc::storage_error when the database cannot be opened.
Result<std::unique_ptr<Store>> open_store(const std::string& url);

}  // namespace paw::verifier
