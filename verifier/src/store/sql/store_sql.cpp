#include "store_sql.h"

#include <Poco/Data/Statement.h>

#include <vector>

#include "clock.h"

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Session = Poco::Data::Session;

namespace paw::verifier {

namespace {

// The schema, both dialects: migrations are applied in order, each once,
// inside a transaction that also records its number in schema_version.
// Never edit a shipped migration: append. {EVENT_ID} is the dialect's
// auto-increment key.
const std::vector<std::vector<std::string>> kMigrationTemplate = {
    {
        "CREATE TABLE credentials (id TEXT PRIMARY KEY, kind TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, "
        "label TEXT NOT NULL, created_at BIGINT NOT NULL)",
        "CREATE TABLE enrollment_tokens (hash TEXT PRIMARY KEY, label TEXT NOT NULL, created_at BIGINT NOT NULL, "
        "expires_at BIGINT NOT NULL, used INTEGER NOT NULL DEFAULT 0)",
        "CREATE TABLE enrollments (id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, device_json TEXT NOT NULL, "
        "created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
        "CREATE TABLE devices (id TEXT PRIMARY KEY, status TEXT NOT NULL, label TEXT NOT NULL, "
        "policy TEXT NOT NULL, record_json TEXT NOT NULL, state_json TEXT NOT NULL, last_verdict TEXT NOT NULL, "
        "last_reasons TEXT NOT NULL, last_appraisal_json TEXT NOT NULL, last_attested_at BIGINT NOT NULL, "
        "last_healthy_at BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, "
        "revision BIGINT NOT NULL)",
        "CREATE TABLE challenges (nonce_hash TEXT PRIMARY KEY, device_id TEXT NOT NULL, created_at BIGINT NOT NULL, "
        "expires_at BIGINT NOT NULL, used INTEGER NOT NULL DEFAULT 0)",
        "CREATE INDEX challenges_expiry ON challenges (expires_at)",
        "CREATE TABLE policies (name TEXT PRIMARY KEY, version BIGINT NOT NULL, json TEXT NOT NULL, "
        "updated_at BIGINT NOT NULL)",
        "CREATE TABLE events (id {EVENT_ID}, time BIGINT NOT NULL, type TEXT NOT NULL, "
        "device_id TEXT NOT NULL, detail TEXT NOT NULL)",
        "CREATE TABLE signing_keys (kid TEXT PRIMARY KEY, public_jwk TEXT NOT NULL, private_pem TEXT NOT NULL, "
        "created_at BIGINT NOT NULL, retired_at BIGINT NOT NULL DEFAULT 0)",
    },
    {
        // The fleet watcher asks for enrolled devices not seen since T.
        "CREATE INDEX devices_watch ON devices (status, last_attested_at, created_at)",
    },
    {
        // An enrollment token may name the policy its device starts with.
        "ALTER TABLE enrollment_tokens ADD COLUMN policy TEXT NOT NULL DEFAULT ''",
        // Event retention deletes by age.
        "CREATE INDEX events_time ON events (time)",
        // Durable webhook delivery: one cursor per receiver URL over the events
        // table, leased to one replica at a time.
        "CREATE TABLE webhook_cursors (url TEXT PRIMARY KEY, last_event_id BIGINT NOT NULL, "
        "owner TEXT NOT NULL DEFAULT '', lease_until BIGINT NOT NULL DEFAULT 0)",
    },
    {
        // Stateless challenges (challenge.h): nonces are issued without a
        // write; their use is recorded until they expire. A challenge
        // outstanding at the upgrade is refused once (nonce_unknown) and the
        // agent asks again. The old challenges table is left in place, unused,
        // so that replicas of the previous release keep working during a
        // rolling upgrade (migrations stay additive).
        "CREATE TABLE used_nonces (nonce_hash TEXT PRIMARY KEY, device_id TEXT NOT NULL, used_at BIGINT NOT NULL, "
        "expires_at BIGINT NOT NULL)",
        "CREATE INDEX used_nonces_expiry ON used_nonces (expires_at)",
        // Secrets all replicas share (the challenge key).
        "CREATE TABLE service_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at BIGINT NOT NULL)",
    },
    {
        // Verdict `rejected`: result tokens issued before the last rejection are void.
        "ALTER TABLE devices ADD COLUMN rejected_at BIGINT NOT NULL DEFAULT 0",
        // The policy (name@version) a verdict was made under: a verdict under
        // an older version is not fresh once the policy changes.
        "ALTER TABLE devices ADD COLUMN verdict_policy TEXT NOT NULL DEFAULT ''",
        // One enrolled id per TPM: the EK's key hash, looked up at enrollment.
        // Rows enrolled before this migration are filled in at start
        // (Service::backfill_ek_hashes).
        "ALTER TABLE devices ADD COLUMN ek_hash TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX devices_ek ON devices (ek_hash)",
        // A token may allow its device to take over an enrolled TPM (--replace).
        "ALTER TABLE enrollment_tokens ADD COLUMN may_replace INTEGER NOT NULL DEFAULT 0",
    },
    {
        // Credentials and enrollment tokens can be listed and revoked; a
        // credential may expire. 0 = never / not revoked, so existing rows
        // keep working.
        "ALTER TABLE credentials ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE credentials ADD COLUMN revoked_at BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE enrollment_tokens ADD COLUMN revoked_at BIGINT NOT NULL DEFAULT 0",
    },
    {
        // Certificate authorities the verifier keeps (the device CA that
        // issues login certificates, kind "x509-device"), shared by every
        // replica, rotated with overlap like the signing keys.
        "CREATE TABLE ca_keys (kind TEXT NOT NULL, kid TEXT NOT NULL, certificate TEXT NOT NULL, "
        "private_pem TEXT NOT NULL, created_at BIGINT NOT NULL, retired_at BIGINT NOT NULL DEFAULT 0, "
        "PRIMARY KEY (kind, kid))",
    },
    {
        // The SSH user CA (ssh_ca.h): its own keys, rotated with overlap like
        // the token keys but in their own table, so a replica of the previous
        // release never mistakes one for a token key.
        "CREATE TABLE ssh_ca_keys (kid TEXT PRIMARY KEY, public_key TEXT NOT NULL, private_pem TEXT NOT NULL, "
        "created_at BIGINT NOT NULL, retired_at BIGINT NOT NULL DEFAULT 0)",
    },
    {
        // The owner: the person an enrollment token (pawctl token create
        // --owner) binds its device to ('' = nobody named, as before).
        "ALTER TABLE enrollment_tokens ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE devices ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
        // Step-up presence at login: the last attestation whose FIDO2
        // assertion had user presence (0 = none recorded yet).
        "ALTER TABLE devices ADD COLUMN last_presence_at BIGINT NOT NULL DEFAULT 0",
    },
    {
        // Report-only policies: which candidate is judged beside which
        // enforced policy, and each candidate's latest verdict per device.
        "CREATE TABLE report_policies (name TEXT PRIMARY KEY, target TEXT NOT NULL, created_at BIGINT NOT NULL)",
        "CREATE TABLE report_results (policy TEXT NOT NULL, device_id TEXT NOT NULL, "
        "policy_version BIGINT NOT NULL, verdict TEXT NOT NULL, reasons TEXT NOT NULL, first_seen TEXT NOT NULL, "
        "enforced_verdict TEXT NOT NULL, judged_at BIGINT NOT NULL, PRIMARY KEY (policy, device_id))",
    },
    {
        // 11. Admin credential scopes (admin_scope.h): every credential made
        // before them keeps doing everything. An admin session (pawctl
        // login) is a credential row naming its person in `admin`.
        "ALTER TABLE credentials ADD COLUMN scope TEXT NOT NULL DEFAULT 'full'",
        "ALTER TABLE credentials ADD COLUMN admin TEXT NOT NULL DEFAULT ''",
        // People who sign in with a FIDO2 key: the stored credential, its
        // counter (advanced by compare-and-swap at each login) and scope.
        "CREATE TABLE admins (name TEXT PRIMARY KEY, credential_id TEXT NOT NULL UNIQUE, "
        "credential_json TEXT NOT NULL, scope TEXT NOT NULL, sign_count BIGINT NOT NULL, "
        "created_at BIGINT NOT NULL, created_by TEXT NOT NULL)",
    },
    {
        // 12. Learn mode (policy "learn", docs/policy.md): digests a policy's
        // allowlists lack, seen in verified evidence of otherwise healthy
        // devices, queued for an admin. One row per (policy, kind, digest);
        // a decided row (approved, rejected) stays so it is never queued again.
        "CREATE TABLE learn_candidates (id {EVENT_ID}, policy TEXT NOT NULL, kind TEXT NOT NULL, "
        "digest TEXT NOT NULL, description TEXT NOT NULL, status TEXT NOT NULL, first_seen_at BIGINT NOT NULL, "
        "first_device TEXT NOT NULL, devices BIGINT NOT NULL, last_seen_at BIGINT NOT NULL, "
        "decided_at BIGINT NOT NULL DEFAULT 0, decided_by TEXT NOT NULL DEFAULT '', UNIQUE (policy, kind, digest))",
        "CREATE INDEX learn_candidates_queue ON learn_candidates (policy, status)",
        // Each device counts once per candidate, however often it attests.
        "CREATE TABLE learn_sightings (candidate_id BIGINT NOT NULL, device_id TEXT NOT NULL, "
        "seen_at BIGINT NOT NULL, PRIMARY KEY (candidate_id, device_id))",
    },
    {
        // 13. Reference events (docs/policy.md, "What changed"): the verified
        // boot events a reference set was captured from, for `pawctl policy
        // diff`. Sets captured before have none; capturing again adds them.
        "CREATE TABLE reference_events (policy TEXT NOT NULL, set_name TEXT NOT NULL, device_id TEXT NOT NULL, "
        "attested_at BIGINT NOT NULL, captured_at BIGINT NOT NULL, events TEXT NOT NULL, "
        "PRIMARY KEY (policy, set_name))",
    },
    {
        // 14. One device's events in id order (GET /v1/admin/events?device=ID:
        // the console's device page, pawctl events --device) without a scan.
        "CREATE INDEX events_device ON events (device_id, id)",
    },
    {
        // 15. Admin invitations (api/invitation.h): each one issued, so an
        // admin can list and revoke it before it expires, on every replica.
        // Never the token: its id is a hash of the token's nonce.
        "CREATE TABLE admin_invitations (id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL, "
        "by_credential TEXT NOT NULL, by_name TEXT NOT NULL, by_admin TEXT NOT NULL, created_at BIGINT NOT NULL, "
        "expires_at BIGINT NOT NULL, used_at BIGINT NOT NULL DEFAULT 0, revoked_at BIGINT NOT NULL DEFAULT 0, "
        "revoked_by TEXT NOT NULL DEFAULT '')",
    },
};
}  // namespace

const std::vector<std::vector<std::string>>& migrations(SqlDialect d) {
  static const auto build = [](const char* event_id) {
    std::vector<std::vector<std::string>> out = kMigrationTemplate;
    for (auto& m : out) {
      for (auto& sql : m) {
        if (auto at = sql.find("{EVENT_ID}"); at != std::string::npos) sql.replace(at, 10, event_id);
      }
    }
    return out;
  };
  static const auto sqlite = build("INTEGER PRIMARY KEY AUTOINCREMENT");
  static const auto postgres = build("BIGSERIAL PRIMARY KEY");
  return d == SqlDialect::sqlite ? sqlite : postgres;
}

std::string placeholders(SqlDialect d, std::string_view sql) {
  if (d == SqlDialect::sqlite) return std::string(sql);
  std::string out;
  int n = 0;
  for (char c : sql) {
    if (c == '?') {
      out += "$" + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

StoredDevice SqlStore::from_row(const DeviceRow& r) {
  StoredDevice d;
  d.id = r.get<0>();
  d.status = device_status_from_name(r.get<1>()).value_or(DeviceStatus::revoked);  // unknown text: fail closed
  d.label = r.get<2>();
  d.policy = r.get<3>();
  d.record_json = r.get<4>();
  d.state_json = r.get<5>();
  d.last_verdict = r.get<6>();
  d.last_reasons = r.get<7>();
  d.last_appraisal_json = r.get<8>();
  d.last_attested_at = r.get<9>();
  d.last_healthy_at = r.get<10>();
  d.created_at = r.get<11>();
  d.updated_at = r.get<12>();
  d.revision = r.get<13>();
  d.rejected_at = r.get<14>();
  d.verdict_policy = r.get<15>();
  d.ek_hash = r.get<16>();
  d.owner = r.get<17>();
  d.last_presence_at = r.get<18>();
  return d;
}

Status SqlStore::add_device(const StoredDevice& d) {
  return guarded("add_device", [&](Session& s) -> Status {
    std::string status(device_status_name(d.status));
    s << q("INSERT INTO devices (id, status, label, policy, record_json, state_json, last_verdict, last_reasons, "
           "last_appraisal_json, last_attested_at, last_healthy_at, created_at, updated_at, revision, rejected_at, "
           "verdict_policy, ek_hash, owner, last_presence_at) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        kw::bind(d.id), kw::bind(status), kw::bind(d.label), kw::bind(d.policy), kw::bind(d.record_json),
        kw::bind(d.state_json), kw::bind(d.last_verdict), kw::bind(d.last_reasons), kw::bind(d.last_appraisal_json),
        kw::bind(d.last_attested_at), kw::bind(d.last_healthy_at), kw::bind(d.created_at), kw::bind(d.updated_at),
        kw::bind(d.revision), kw::bind(d.rejected_at), kw::bind(d.verdict_policy), kw::bind(d.ek_hash),
        kw::bind(d.owner), kw::bind(d.last_presence_at), now;
    return ok_status();
  });
}

Status SqlStore::update_device(const StoredDevice& d) {
  return guarded("update_device", [&](Session& s) -> Status { return update_in(s, d); });
}

Status SqlStore::update_in(Session& s, const StoredDevice& d) const {
  std::string status(device_status_name(d.status));
  const std::int64_t next = d.revision + 1;
  std::vector<std::int64_t> won;
  s << q("UPDATE devices SET status = ?, label = ?, policy = ?, record_json = ?, state_json = ?, "
         "last_verdict = ?, last_reasons = ?, last_appraisal_json = ?, last_attested_at = ?, "
         "last_healthy_at = ?, updated_at = ?, rejected_at = ?, verdict_policy = ?, ek_hash = ?, owner = ?, "
         "last_presence_at = ?, revision = ? "
         "WHERE id = ? AND revision = ? RETURNING revision"),
      kw::bind(status), kw::bind(d.label), kw::bind(d.policy), kw::bind(d.record_json), kw::bind(d.state_json),
      kw::bind(d.last_verdict), kw::bind(d.last_reasons), kw::bind(d.last_appraisal_json),
      kw::bind(d.last_attested_at), kw::bind(d.last_healthy_at), kw::bind(d.updated_at), kw::bind(d.rejected_at),
      kw::bind(d.verdict_policy), kw::bind(d.ek_hash), kw::bind(d.owner), kw::bind(d.last_presence_at), kw::bind(next),
      kw::bind(d.id), kw::bind(d.revision), into(won), now;
  if (won.size() == 1) return ok_status();
  std::vector<std::int64_t> rev;
  s << q("SELECT revision FROM devices WHERE id = ?"), kw::bind(d.id), into(rev), now;
  if (rev.empty()) return make_error(Errc::not_found, "device not found");
  return make_error(Errc::conflict, "device changed concurrently");
}

Result<std::vector<StoredDevice>> SqlStore::list_devices() {
  std::vector<StoredDevice> out;
  PAW_CHECK(guarded("list_devices", [&](Session& s) -> Status {
    std::vector<DeviceRow> rows;
    s << std::string(kSelectDevice) + " ORDER BY created_at, id", into(rows), now;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(from_row(r));
    return ok_status();
  }));
  return out;
}

Result<std::vector<StoredDevice>> SqlStore::find_devices_by_ek(const std::string& ek_hash) {
  std::vector<StoredDevice> out;
  if (ek_hash.empty()) return out;  // rows not yet backfilled never match
  PAW_CHECK(guarded("find_devices_by_ek", [&](Session& s) -> Status {
    std::vector<DeviceRow> rows;
    std::string h = ek_hash;
    s << q(std::string(kSelectDevice) + " WHERE ek_hash = ? ORDER BY created_at, id"), kw::bind(h), into(rows), now;
    for (const auto& r : rows) out.push_back(from_row(r));
    return ok_status();
  }));
  return out;
}

Result<std::vector<StoredDevice>> SqlStore::list_stale_candidates(std::int64_t seen_before) {
  std::vector<StoredDevice> out;
  PAW_CHECK(guarded("list_stale_candidates", [&](Session& s) -> Status {
    std::vector<DeviceRow> rows;
    std::int64_t t1 = seen_before;
    std::int64_t t2 = seen_before;
    s << q(std::string(kSelectDevice) +
           " WHERE status = 'enrolled' AND ((last_attested_at <> 0 AND last_attested_at < ?) OR "
           "(last_attested_at = 0 AND created_at < ?)) ORDER BY created_at, id"),
        kw::bind(t1), kw::bind(t2), into(rows), now;
    for (const auto& r : rows) out.push_back(from_row(r));
    return ok_status();
  }));
  return out;
}

Result<std::int64_t> SqlStore::schema_version() {
  std::int64_t v = 0;
  PAW_CHECK(guarded("schema_version", [&](Session& s) -> Status {
    s << "SELECT COALESCE(MAX(version), 0) FROM schema_version", into(v), now;
    return ok_status();
  }));
  return v;
}

Result<std::map<std::string, std::int64_t>> SqlStore::count_devices_by_status() {
  std::map<std::string, std::int64_t> out;
  PAW_CHECK(guarded("count_devices", [&](Session& s) -> Status {
    std::vector<std::string> states;
    std::vector<std::int64_t> counts;
    s << "SELECT status, COUNT(*) FROM devices GROUP BY status", into(states), into(counts), now;
    for (std::size_t i = 0; i < states.size(); ++i) out[states[i]] = counts[i];
    return ok_status();
  }));
  return out;
}

Status SqlStore::purge_expired(std::int64_t before) {
  return guarded("purge_expired", [&](Session& s) -> Status {
    s << q("DELETE FROM used_nonces WHERE expires_at < ?"), kw::bind(before), now;
    s << q("DELETE FROM enrollments WHERE expires_at < ?"), kw::bind(before), now;
    s << q("DELETE FROM enrollment_tokens WHERE expires_at < ?"), kw::bind(before), now;
    // Ended admin sessions (pawctl login); plain credentials stay listed, expired or not.
    s << q("DELETE FROM credentials WHERE admin <> '' AND expires_at <> 0 AND expires_at < ?"), kw::bind(before), now;
    s << q("DELETE FROM admin_invitations WHERE expires_at < ?"), kw::bind(before), now;
    return ok_status();
  });
}

Status SqlStore::put_policy(const PolicyRecord& p) {
  return guarded("put_policy", [&](Session& s) -> Status {
    s << q("INSERT INTO policies (name, version, json, updated_at) VALUES (?, ?, ?, ?) "
           "ON CONFLICT (name) DO UPDATE SET version = excluded.version, json = excluded.json, "
           "updated_at = excluded.updated_at"),
        kw::bind(p.name), kw::bind(p.version), kw::bind(p.json), kw::bind(p.updated_at), now;
    return ok_status();
  });
}

Result<std::vector<PolicyRecord>> SqlStore::list_policies() {
  std::vector<PolicyRecord> out;
  PAW_CHECK(guarded("list_policies", [&](Session& s) -> Status {
    std::vector<std::string> names, text;
    std::vector<std::int64_t> version, updated;
    s << "SELECT name, version, json, updated_at FROM policies ORDER BY name", into(names), into(version), into(text),
        into(updated), now;
    for (std::size_t i = 0; i < names.size(); ++i) out.push_back({names[i], version[i], text[i], updated[i]});
    return ok_status();
  }));
  return out;
}

Result<std::vector<EventRecord>> SqlStore::list_events(std::int64_t after, std::int64_t limit) {
  std::vector<EventRecord> out;
  PAW_CHECK(guarded("list_events", [&](Session& s) -> Status {
    std::vector<std::int64_t> ids, times;
    std::vector<std::string> types, devices, details;
    s << q("SELECT id, time, type, device_id, detail FROM events WHERE id > ? ORDER BY id LIMIT ?"), kw::bind(after),
        kw::bind(limit), into(ids), into(times), into(types), into(devices), into(details), now;
    for (std::size_t i = 0; i < ids.size(); ++i) out.push_back({ids[i], times[i], types[i], devices[i], details[i]});
    return ok_status();
  }));
  return out;
}

Result<std::int64_t> SqlStore::last_event_id() {
  std::int64_t id = 0;
  PAW_CHECK(guarded("last_event_id", [&](Session& s) -> Status {
    s << "SELECT COALESCE(MAX(id), 0) FROM events", into(id), now;
    return ok_status();
  }));
  return id;
}

Result<std::int64_t> SqlStore::purge_events(std::int64_t before, std::int64_t limit) {
  std::int64_t n = 0;
  PAW_CHECK(guarded("purge_events", [&](Session& s) -> Status {
    Poco::Data::Statement del(s);
    del << q("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ? ORDER BY time, id LIMIT ?)"),
        kw::bind(before), kw::bind(limit);
    n = static_cast<std::int64_t>(del.execute());
    return ok_status();
  }));
  return n;
}

Result<std::optional<std::int64_t>> SqlStore::claim_webhook(const std::string& url, const std::string& owner,
                                                            std::int64_t now_s, std::int64_t lease_until,
                                                            std::int64_t start_after) {
  std::optional<std::int64_t> out;
  PAW_CHECK(guarded("claim_webhook", [&](Session& s) -> Status {
    s << q("INSERT INTO webhook_cursors (url, last_event_id, owner, lease_until) VALUES (?, ?, '', 0) "
           "ON CONFLICT (url) DO NOTHING"),
        kw::bind(url), kw::bind(start_after), now;
    // One winner: free, expired, or already ours.
    Poco::Data::Statement up(s);
    up << q("UPDATE webhook_cursors SET owner = ?, lease_until = ? WHERE url = ? AND "
            "(owner = ? OR owner = '' OR lease_until < ?)"),
        kw::bind(owner), kw::bind(lease_until), kw::bind(url), kw::bind(owner), kw::bind(now_s);
    if (up.execute() != 1) return ok_status();
    std::vector<std::int64_t> last;
    s << q("SELECT last_event_id FROM webhook_cursors WHERE url = ?"), kw::bind(url), into(last), now;
    if (!last.empty()) out = last[0];
    return ok_status();
  }));
  return out;
}

Result<bool> SqlStore::advance_webhook(const std::string& url, const std::string& owner, std::int64_t last_event_id) {
  bool moved = false;
  PAW_CHECK(guarded("advance_webhook", [&](Session& s) -> Status {
    Poco::Data::Statement up(s);
    up << q("UPDATE webhook_cursors SET last_event_id = ? WHERE url = ? AND owner = ?"), kw::bind(last_event_id),
        kw::bind(url), kw::bind(owner);
    moved = up.execute() == 1;
    return ok_status();
  }));
  return moved;
}

Status SqlStore::release_webhook(const std::string& url, const std::string& owner) {
  return guarded("release_webhook", [&](Session& s) -> Status {
    s << q("UPDATE webhook_cursors SET owner = '', lease_until = 0 WHERE url = ? AND owner = ?"), kw::bind(url),
        kw::bind(owner), now;
    return ok_status();
  });
}

Status SqlStore::add_signing_key(const SigningKeyRecord& k) {
  return guarded("add_signing_key", [&](Session& s) -> Status {
    s << q("INSERT INTO signing_keys (kid, public_jwk, private_pem, created_at, retired_at) VALUES (?, ?, ?, ?, ?)"),
        kw::bind(k.kid), kw::bind(k.public_jwk), kw::bind(k.private_pem), kw::bind(k.created_at),
        kw::bind(k.retired_at), now;
    return ok_status();
  });
}

Result<std::vector<SigningKeyRecord>> SqlStore::list_signing_keys() {
  std::vector<SigningKeyRecord> out;
  PAW_CHECK(guarded("list_signing_keys", [&](Session& s) -> Status {
    std::vector<std::string> kids, jwks, pems;
    std::vector<std::int64_t> created, retired;
    s << "SELECT kid, public_jwk, private_pem, created_at, retired_at FROM signing_keys ORDER BY created_at, kid",
        into(kids), into(jwks), into(pems), into(created), into(retired), now;
    for (std::size_t i = 0; i < kids.size(); ++i) out.push_back({kids[i], jwks[i], pems[i], created[i], retired[i]});
    return ok_status();
  }));
  return out;
}

Status SqlStore::retire_signing_key(const std::string& kid, std::int64_t at) {
  return guarded("retire_signing_key", [&](Session& s) -> Status {
    s << q("UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at = 0"), kw::bind(at), kw::bind(kid), now;
    return ok_status();
  });
}

Status SqlStore::delete_signing_keys_retired_before(std::int64_t before) {
  return guarded("delete_signing_keys", [&](Session& s) -> Status {
    s << q("DELETE FROM signing_keys WHERE retired_at <> 0 AND retired_at < ?"), kw::bind(before), now;
    return ok_status();
  });
}

Result<std::string> SqlStore::service_secret(const std::string& name, const std::string& candidate) {
  std::string value;
  PAW_CHECK(guarded("service_secret", [&](Session& s) -> Status {
    const std::int64_t created = system_unix_now();  // bookkeeping only: nothing reads it back as a time
    s << q("INSERT INTO service_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING"),
        kw::bind(name), kw::bind(candidate), kw::bind(created), now;
    std::vector<std::string> got;
    s << q("SELECT value FROM service_secrets WHERE name = ?"), kw::bind(name), into(got), now;
    if (got.size() != 1) return make_error(Errc::storage_error, "service secret " + name + " missing after insert");
    value = got[0];
    return ok_status();
  }));
  return value;
}

}  // namespace paw::verifier
