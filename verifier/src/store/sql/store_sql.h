// store_sql.h — SqlStore: what the SQLite and PostgreSQL stores share word
// for word, written once.
//
// The SQL is written with `?` placeholders; for PostgreSQL they become $1,
// $2, …. A backend derives from SqlStore, says its dialect and provides
// guarded() (a pooled Poco::Data session; exceptions → Errc::storage_error),
// and implements what differs: the hot path, transactions, migrations.
#pragma once

#include <Poco/Data/Session.h>
#include <Poco/Tuple.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace paw::verifier {

enum class SqlDialect { sqlite, postgres };

// migrations is the schema, migration by migration, in |d|'s words.
const std::vector<std::vector<std::string>>& migrations(SqlDialect d);

// kDeviceAdmissionSql answers Store::device_admission (one `?`: the device
// id); its columns in DeviceAdmission's order. The assigned policy's version
// comes with the row (one round trip): the service keys its parsed policies
// by (name, version).
inline constexpr const char* kDeviceAdmissionSql =
    "SELECT d.status, d.policy, COALESCE(p.version, 0), d.last_verdict, d.last_reasons, d.last_attested_at, "
    "d.rejected_at, d.verdict_policy, d.revision, d.owner, d.last_presence_at FROM devices d LEFT JOIN policies p "
    "ON p.name = CASE WHEN d.policy = '' THEN 'default' ELSE d.policy END WHERE d.id = ?";

// kNewestEventsSql / kNewestDeviceEventsSql answer Store::list_events_newest
// (`?`: before, limit / device, before, limit): a backward walk of the
// primary key / of events_device (device_id, id), no sort. Named here so the
// store tests can ask each backend's planner for their plan.
inline constexpr const char* kNewestEventsSql =
    "SELECT id, time, type, device_id, detail FROM events WHERE id < ? ORDER BY id DESC LIMIT ?";
inline constexpr const char* kNewestDeviceEventsSql =
    "SELECT id, time, type, device_id, detail FROM events WHERE device_id = ? AND id < ? ORDER BY id DESC LIMIT ?";

// stored_scope reads a scope column (an unknown text reads as read: fail closed).
AdminScope stored_scope(const std::string& text);

// write_transaction runs |body| on |s| between BEGIN and COMMIT; a failed
// Status rolls back, and so does an exception (rethrown: guarded() makes it
// Errc::storage_error). SQLite: BEGIN IMMEDIATE takes the write lock at
// BEGIN (no lock upgrade to fail halfway beside the group writer);
// PostgreSQL through the session.
Status write_transaction(Poco::Data::Session& s, SqlDialect d, const std::function<Status()>& body);

// placeholders rewrites `?` to `$1`, `$2`, … for PostgreSQL (the shared
// statements have no `?` inside string literals).
std::string placeholders(SqlDialect d, std::string_view sql);

class SqlStore : public Store {
 public:
  Result<std::int64_t> schema_version() override;
  Status add_device(const StoredDevice& d) override;
  Status update_device(const StoredDevice& d) override;
  Result<std::vector<StoredDevice>> list_devices() override;
  Result<std::vector<StoredDevice>> find_devices_by_ek(const std::string& ek_hash) override;
  Result<std::vector<StoredDevice>> list_stale_candidates(std::int64_t seen_before) override;
  Status add_credential(const CredentialRecord& c) override;
  Result<std::optional<CredentialRecord>> find_credential(CredentialKind kind, const std::string& hash) override;
  Status add_enrollment_token(const EnrollmentTokenRecord& t) override;
  Result<std::optional<EnrollmentTokenRecord>> find_enrollment_token(const std::string& hash) override;
  Result<std::vector<CredentialRecord>> list_credentials() override;
  Result<bool> revoke_credential(const std::string& id, std::int64_t at) override;
  Result<std::vector<EnrollmentTokenRecord>> list_enrollment_tokens() override;
  // store_sql_admins.cpp
  Status add_admin(const AdminRecord& a) override;
  Result<std::vector<AdminRecord>> list_admins() override;
  Result<bool> remove_admin(const std::string& name) override;
  Result<bool> advance_admin_counter(const std::string& name, std::int64_t seen, std::int64_t next) override;
  Result<std::int64_t> revoke_admin_sessions(const std::string& admin, std::int64_t now) override;
  // store_sql_invitations.cpp
  Status add_invitation(const InvitationRecord& i) override;
  Result<std::optional<InvitationRecord>> find_invitation(const std::string& id) override;
  Result<std::vector<InvitationRecord>> list_invitations(std::int64_t now) override;
  Result<bool> revoke_invitation(const std::string& id, const std::string& by, std::int64_t now) override;
  Result<bool> use_invitation(const std::string& id, std::int64_t now) override;
  Result<bool> revoke_enrollment_token(const std::string& id, std::int64_t at) override;
  Result<std::map<std::string, std::int64_t>> count_devices_by_status() override;
  Status purge_expired(std::int64_t before) override;
  Status put_policy(const PolicyRecord& p) override;
  Result<std::vector<PolicyRecord>> list_policies() override;
  Result<std::vector<EventRecord>> list_events(std::int64_t after, std::int64_t limit) override;
  Result<std::vector<EventRecord>> list_device_events(const std::string& device, std::int64_t after,
                                                      std::int64_t limit) override;  // store_sql_events.cpp
  Result<std::vector<EventRecord>> list_events_newest(const std::string& device, std::int64_t before,
                                                      std::int64_t limit) override;  // store_sql_events.cpp
  Result<std::int64_t> last_event_id() override;
  Result<std::int64_t> purge_events(std::int64_t before, std::int64_t limit) override;
  Result<std::optional<std::int64_t>> claim_webhook(const std::string& url, const std::string& owner, std::int64_t now,
                                                    std::int64_t lease_until, std::int64_t start_after) override;
  Result<bool> advance_webhook(const std::string& url, const std::string& owner, std::int64_t last_event_id) override;
  Status release_webhook(const std::string& url, const std::string& owner) override;
  Status add_signing_key(const SigningKeyRecord& k) override;
  Result<std::vector<SigningKeyRecord>> list_signing_keys() override;
  Status retire_signing_key(const std::string& kid, std::int64_t at) override;
  Status delete_signing_keys_retired_before(std::int64_t before) override;
  Status add_ca_key(const CaKeyRecord& k) override;
  Result<std::vector<CaKeyRecord>> list_ca_keys(const std::string& kind) override;
  Status retire_ca_key(const std::string& kind, const std::string& kid, std::int64_t at) override;
  Status delete_ca_keys_retired_before(const std::string& kind, std::int64_t before) override;
  Result<std::string> service_secret(const std::string& name, const std::string& candidate) override;
  Status add_ssh_ca_key(const SigningKeyRecord& k) override;
  Result<std::vector<SigningKeyRecord>> list_ssh_ca_keys() override;
  Status retire_ssh_ca_key(const std::string& kid, std::int64_t at) override;
  Status delete_ssh_ca_keys_retired_before(std::int64_t before) override;
  // store_sql_report.cpp
  Status attach_report_policy(const ReportAttachment& a) override;
  Result<bool> detach_report_policy(const std::string& name) override;
  Result<std::vector<ReportAttachment>> list_report_policies() override;
  Status put_report_result(const ReportResult& r) override;
  Result<std::optional<ReportResult>> get_report_result(const std::string& policy, const std::string& device) override;
  Result<std::vector<ReportResult>> list_report_results(const std::string& policy) override;
  // store_sql_learn.cpp
  Result<LearnOutcome> record_learn_sightings(const std::string& policy, const std::string& device,
                                              const std::vector<LearnSeen>& seen, std::int64_t now,
                                              const LearnLimits& limits) override;
  Result<std::vector<LearnCandidate>> list_learn_candidates(const std::string& policy) override;
  Result<std::optional<LearnCandidate>> get_learn_candidate(std::int64_t id) override;
  Result<bool> decide_learn_candidate(std::int64_t id, const std::string& status, const std::string& by,
                                      std::int64_t at) override;
  // store_sql_refs.cpp
  Result<std::vector<ReferenceEvents>> list_reference_events(const std::string& policy) override;
  Status put_policy_with_reference_events(const PolicyRecord& p, std::int64_t replaces,
                                          const ReferenceEvents& r) override;
  Status put_policy_clearing_reference_events(const PolicyRecord& p, std::int64_t replaces,
                                              const std::vector<std::string>& cleared) override;

 protected:
  explicit SqlStore(SqlDialect d) : dialect_(d) {}
  // guarded runs |fn| on a pooled session; Poco and std exceptions become
  // Errc::storage_error naming |what|.
  virtual Status guarded(const char* what, const std::function<Status(Poco::Data::Session&)>& fn) = 0;
  [[nodiscard]] std::string q(std::string_view sql) const { return placeholders(dialect_, sql); }

  // A devices row as Poco::Data reads it (kSelectDevice's columns, in order).
  using DeviceRow = Poco::Tuple<std::string, std::string, std::string, std::string, std::string, std::string,
                                std::string, std::string, std::string, std::int64_t, std::int64_t, std::int64_t,
                                std::int64_t, std::int64_t, std::int64_t, std::string, std::string, std::string,
                                std::int64_t>;
  static constexpr const char* kSelectDevice =
      "SELECT id, status, label, policy, record_json, state_json, last_verdict, last_reasons, last_appraisal_json, "
      "last_attested_at, last_healthy_at, created_at, updated_at, revision, rejected_at, verdict_policy, ek_hash, "
      "owner, last_presence_at FROM devices";
  // from_row: an unknown status text reads as revoked (fail closed).
  static StoredDevice from_row(const DeviceRow& r);
  // update_in is update_device's compare-and-swap on |s| (every column; the
  // row that changed is counted through RETURNING, which both dialects have).
  Status update_in(Poco::Data::Session& s, const StoredDevice& d) const;
  // replace_policy_in writes |p| on |s| over version |replaces| of the stored
  // policy (0: none stored), or answers Errc::conflict and writes nothing
  // (store_sql_refs.cpp: the compare both policy-and-events writes make).
  Status replace_policy_in(Poco::Data::Session& s, const PolicyRecord& p, std::int64_t replaces) const;

 private:
  SqlDialect dialect_;
};

}  // namespace paw::verifier
