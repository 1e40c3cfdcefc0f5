// PostgresStore: the Store for several replicas on one PostgreSQL database
// (Poco::Data::PostgreSQL over libpq).
//
// Cross-replica guarantees live in single SQL statements, never in process
// memory: single-use rows are consumed with `UPDATE … WHERE … AND used = 0 …
// RETURNING` (or `DELETE … RETURNING`) and the caller owns the row iff a row
// came back; update_device is `UPDATE … WHERE id = $ AND revision = $
// RETURNING`. Every call runs in autocommit mode, so success means committed
// (PostgreSQL's default synchronous_commit=on: flushed to the WAL).
// Migrations run in one transaction holding pg_advisory_xact_lock, so replicas
// starting together apply each one exactly once. Connections come from a
// Poco::Data::SessionPool (thread-safe; a session returns to the pool when
// its Session object is destroyed, dead connections are dropped).
#include "postgres_store.h"
#include "clock.h"
#include "store/sql/store_sql.h"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Poco::Data::Keywords::use;

namespace paw::verifier {
namespace {

// Advisory lock key for migrations ("paw" + 1).
constexpr std::int64_t kMigrationLock = 0x70617701;


int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return make_error(Errc::config_error, "bad %-escape in database URL");
    const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return make_error(Errc::config_error, "bad %-escape in database URL");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// quote_value quotes a libpq connection-string value.
std::string quote_value(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

bool valid_keyword(std::string_view k) {
  if (k.empty()) return false;
  for (char c : k) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  }
  return true;
}

}  // namespace

Result<std::string> postgres_connection_string(const std::string& url) {
  constexpr std::string_view kScheme = "postgresql://";
  if (url.rfind(kScheme, 0) != 0) return make_error(Errc::config_error, "database URL must start with postgresql://");
  std::string_view rest(url);
  rest.remove_prefix(kScheme.size());
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view path;
  if (auto p = rest.find('/'); p != std::string_view::npos) {
    path = rest.substr(p + 1);
    rest = rest.substr(0, p);
  }
  std::string_view userinfo;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  std::string_view host = rest, port;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos) return make_error(Errc::config_error, "bad IPv6 host in database URL");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return make_error(Errc::config_error, "bad host in database URL");
      port = after.substr(1);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  for (char c : port) {
    if (c < '0' || c > '9') return make_error(Errc::config_error, "bad port in database URL");
  }
  std::vector<std::pair<std::string, std::string>> kv;
  auto add = [&](const std::string& k, std::string_view raw) -> Status {
    if (raw.empty()) return ok_status();
    PAW_TRY(std::string v, percent_decode(raw));
    kv.emplace_back(k, std::move(v));
    return ok_status();
  };
  PAW_CHECK(add("host", host));
  PAW_CHECK(add("port", port));
  if (!userinfo.empty()) {
    const auto colon = userinfo.find(':');
    PAW_CHECK(add("user", userinfo.substr(0, colon)));
    if (colon != std::string_view::npos) PAW_CHECK(add("password", userinfo.substr(colon + 1)));
  }
  PAW_CHECK(add("dbname", path));
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return make_error(Errc::config_error, "bad parameter in database URL");
    const std::string key(item.substr(0, eq));
    if (!valid_keyword(key)) return make_error(Errc::config_error, "bad parameter name in database URL: " + key);
    PAW_CHECK(add(key, item.substr(eq + 1)));
  }
  std::string out;
  for (const auto& [k, v] : kv) {
    if (!out.empty()) out.push_back(' ');
    out += k + "=" + quote_value(v);
  }
  return out;
}

class PostgresStore final : public SqlStore {
 public:
  PostgresStore(const std::string& connection, int max_sessions)
      : SqlStore(SqlDialect::postgres), pool_("PostgreSQL", connection, 1, max_sessions, 60) {}

  Status migrate() {
    return guarded("migrate", [&](Poco::Data::Session& s) -> Status {
      return transaction(s, [&]() -> Status {
        std::int64_t got = 0;
        // Held until commit/rollback: a replica starting at the same time waits here.
        s << "SELECT 1 FROM pg_advisory_xact_lock($1)", kw::bind(kMigrationLock), into(got), now;
        s << "SET LOCAL client_min_messages = warning", now;  // no NOTICE "already exists" on stderr
        s << "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL, applied_at BIGINT NOT NULL)", now;
        std::int64_t version = 0;
        s << "SELECT COALESCE(MAX(version), 0) FROM schema_version", into(version), now;
        for (std::size_t i = static_cast<std::size_t>(version); i < migrations(SqlDialect::postgres).size(); ++i) {
          for (const auto& sql : migrations(SqlDialect::postgres)[i]) s << sql, now;
          const std::int64_t v = static_cast<std::int64_t>(i + 1);
          const std::int64_t t = system_unix_now();  // bookkeeping only (clock.h)
          s << "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)", kw::bind(v), kw::bind(t), now;
        }
        return ok_status();
      });
    });
  }

  // transaction: write_transaction (store_sql.h) in this dialect.
  static Status transaction(Poco::Data::Session& s, const std::function<Status()>& body) {
    return write_transaction(s, SqlDialect::postgres, body);
  }

  Result<EnrollmentTokenRecord> consume_enrollment_token(const std::string& hash, std::int64_t now_s) override {
    EnrollmentTokenRecord rec;
    PAW_CHECK(guarded("consume_enrollment_token", [&](Poco::Data::Session& s) -> Status {
      std::vector<std::string> won_labels, won_policies;
      std::vector<std::int64_t> won_created, won_expires;
      s << "UPDATE enrollment_tokens SET used = 1 WHERE hash = $1 AND used = 0 AND revoked_at = 0 AND expires_at > $2 "
           "RETURNING label, created_at, expires_at, policy",
          kw::bind(hash), kw::bind(now_s), into(won_labels), into(won_created), into(won_expires), into(won_policies),
          now;
      if (won_labels.size() == 1) {
        rec = EnrollmentTokenRecord{hash, won_labels[0], won_created[0], won_expires[0], true, won_policies[0], false};
        return ok_status();
      }
      std::vector<std::int64_t> expires, used, revoked;
      s << "SELECT expires_at, used, revoked_at FROM enrollment_tokens WHERE hash = $1", kw::bind(hash), into(expires),
          into(used), into(revoked), now;
      if (expires.empty()) return make_error(Errc::token_invalid, "enrollment token unknown");
      if (revoked[0] != 0) return make_error(Errc::token_invalid, "enrollment token revoked");
      if (expires[0] <= now_s && used[0] == 0) return make_error(Errc::token_expired, "enrollment token expired");
      return make_error(Errc::token_invalid, "enrollment token already used");
    }));
    return rec;
  }

  Status add_enrollment(const EnrollmentRecord& e) override {
    return guarded("add_enrollment", [&](Poco::Data::Session& s) -> Status {
      s << "INSERT INTO enrollments (id, secret_hash, device_json, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
          kw::bind(e.id), kw::bind(e.secret_hash), kw::bind(e.device_json), kw::bind(e.created_at),
          kw::bind(e.expires_at), now;
      return ok_status();
    });
  }

  Result<EnrollmentRecord> take_enrollment(const std::string& id, std::int64_t now_s) override {
    EnrollmentRecord rec;
    PAW_CHECK(guarded("take_enrollment", [&](Poco::Data::Session& s) -> Status {
      std::vector<std::string> secret, device;
      std::vector<std::int64_t> created, expires;
      // Only the caller whose DELETE returned the row owns the enrollment.
      s << "DELETE FROM enrollments WHERE id = $1 RETURNING secret_hash, device_json, created_at, expires_at",
          kw::bind(id), into(secret), into(device), into(created), into(expires), now;
      if (secret.size() != 1) return make_error(Errc::not_found, "enrollment unknown or finished");
      if (expires[0] <= now_s) return make_error(Errc::token_expired, "enrollment expired");
      rec = EnrollmentRecord{id, secret[0], device[0], created[0], expires[0]};
      return ok_status();
    }));
    return rec;
  }

  Result<std::optional<StoredDevice>> get_device(const std::string& id) override {
    std::optional<StoredDevice> out;
    PAW_CHECK(guarded("get_device", [&](Poco::Data::Session& s) -> Status {
      std::vector<DeviceRow> rows;
      s << std::string(kSelectDevice) + " WHERE id = $1", kw::bind(id), into(rows), now;
      if (!rows.empty()) out = from_row(rows[0]);
      return ok_status();
    }));
    return out;
  }

  // The login path: a few columns, not the whole row.
  Result<std::optional<DeviceAdmission>> device_admission(const std::string& id) override {
    std::optional<DeviceAdmission> out;
    PAW_CHECK(guarded("device_admission", [&](Poco::Data::Session& s) -> Status {
      std::vector<std::string> status, policy, verdict, reasons, verdict_policy, owner;
      std::vector<std::int64_t> version, attested, rejected, revision, presence;
      s << placeholders(SqlDialect::postgres, kDeviceAdmissionSql), kw::bind(id), into(status), into(policy),
          into(version), into(verdict), into(reasons), into(attested), into(rejected), into(verdict_policy),
          into(revision), into(owner), into(presence), now;
      if (!status.empty()) {
        out = DeviceAdmission{device_status_from_name(status[0]).value_or(DeviceStatus::revoked),  // fail closed
                              policy[0], version[0], verdict[0], reasons[0], attested[0], rejected[0],
                              verdict_policy[0], revision[0], owner[0], presence[0]};
      }
      return ok_status();
    }));
    return out;
  }

  Result<bool> set_device_status(const std::string& id, DeviceStatus status, std::int64_t now_s) override {
    bool changed = false;
    PAW_CHECK(guarded("set_device_status", [&](Poco::Data::Session& s) -> Status {
      std::string name(device_status_name(status));
      std::vector<std::int64_t> rev;
      s << "UPDATE devices SET status = $1, updated_at = $2, revision = revision + 1 WHERE id = $3 RETURNING revision",
          kw::bind(name), kw::bind(now_s), kw::bind(id), into(rev), now;
      changed = rev.size() == 1;
      return ok_status();
    }));
    return changed;
  }

  Result<bool> delete_device(const std::string& id) override {
    bool changed = false;
    PAW_CHECK(guarded("delete_device", [&](Poco::Data::Session& s) -> Status {
      std::vector<std::string> gone;
      s << "DELETE FROM devices WHERE id = $1 RETURNING id", kw::bind(id), into(gone), now;
      changed = gone.size() == 1;
      return ok_status();
    }));
    return changed;
  }

  Status use_nonce(const UsedNonce& n) override {
    return guarded("use_nonce", [&](Poco::Data::Session& s) -> Status { return use_in(s, n); });
  }

  // use_in is the one-winner INSERT of a used nonce on |s| (inside or outside
  // a transaction); a racing transaction with the same nonce waits on the key
  // and then loses (or wins, if the other rolled back).
  static Status use_in(Poco::Data::Session& s, const UsedNonce& n) {
    std::vector<std::string> won;
    s << "INSERT INTO used_nonces (nonce_hash, device_id, used_at, expires_at) VALUES ($1, $2, $3, $4) "
         "ON CONFLICT (nonce_hash) DO NOTHING RETURNING nonce_hash",
        kw::bind(n.nonce_hash), kw::bind(n.device_id), kw::bind(n.used_at), kw::bind(n.expires_at), into(won), now;
    if (won.size() != 1) return make_error(Errc::nonce_reused, "nonce already used");
    return ok_status();
  }

  // One transaction: the nonce's use, the device compare-and-swap and the
  // events commit together (one WAL flush), or none of them does.
  Result<std::vector<std::int64_t>> record_attestation(const UsedNonce& n, const StoredDevice& d,
                                                       const std::vector<EventRecord>& events) override {
    std::vector<std::int64_t> ids;
    Status st = guarded("record_attestation", [&](Poco::Data::Session& s) -> Status {
      return transaction(s, [&]() -> Status {
        ids.clear();
        PAW_CHECK(use_in(s, n));
        PAW_CHECK(update_in(s, d));
        for (const auto& e : events) ids.push_back(insert_event(s, e));
        return ok_status();
      });
    });
    if (!st.ok()) return std::move(st).error();
    return ids;
  }

  Result<std::optional<PolicyRecord>> get_policy(const std::string& name) override {
    std::optional<PolicyRecord> out;
    PAW_CHECK(guarded("get_policy", [&](Poco::Data::Session& s) -> Status {
      std::vector<std::int64_t> version, updated;
      std::vector<std::string> text;
      s << "SELECT version, json, updated_at FROM policies WHERE name = $1", kw::bind(name), into(version),
          into(text), into(updated), now;
      if (!version.empty()) out = PolicyRecord{name, version[0], text[0], updated[0]};
      return ok_status();
    }));
    return out;
  }

  Result<std::int64_t> add_event(const EventRecord& e) override {
    std::int64_t id = 0;
    PAW_CHECK(guarded("add_event", [&](Poco::Data::Session& s) -> Status {
      // A transaction of its own, so the writer lock in insert_event is held until commit.
      return transaction(s, [&]() -> Status {
        id = insert_event(s, e);
        return ok_status();
      });
    }));
    return id;
  }

  // Event ids come from a sequence, taken at INSERT, but become visible at
  // COMMIT: a transaction slow to commit shows its id after later ones. Each
  // writer holds kEventWriterLock (shared, until its transaction ends) from
  // before it takes an id; settle_events takes the lock exclusively once, so
  // it returns when every id taken before it was called is committed or gone.
  Status settle_events() override {
    return guarded("settle_events", [&](Poco::Data::Session& s) -> Status {
      return transaction(s, [&]() -> Status {
        std::int64_t got = 0;
        s << "SELECT 1 FROM pg_advisory_xact_lock($1)", kw::bind(kEventWriterLock), into(got), now;
        return ok_status();
      });
    });
  }

  // insert_event must run inside a transaction (the writer lock lasts until it ends).
  static std::int64_t insert_event(Poco::Data::Session& s, const EventRecord& e) {
    std::int64_t got = 0;
    s << "SELECT 1 FROM pg_advisory_xact_lock_shared($1)", kw::bind(kEventWriterLock), into(got), now;
    std::int64_t id = 0;
    s << "INSERT INTO events (time, type, device_id, detail) VALUES ($1, $2, $3, $4) RETURNING id", kw::bind(e.time),
        kw::bind(e.type), kw::bind(e.device_id), kw::bind(e.detail), into(id), now;
    return id;
  }

 private:
  // session takes a pooled connection, waiting (up to 10 s) while all are busy.
  Poco::Data::Session session() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      try {
        return pool_.get();
      } catch (const Poco::Data::SessionPoolExhaustedException&) {
        if (std::chrono::steady_clock::now() > deadline) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  }

  Status guarded(const char* what, const std::function<Status(Poco::Data::Session&)>& fn) override {
    try {
      Poco::Data::Session s = session();
      return fn(s);
    } catch (const Poco::Exception& e) {
      return make_error(Errc::storage_error, std::string(what) + ": " + e.displayText());
    } catch (const std::exception& e) {
      return make_error(Errc::storage_error, std::string(what) + ": " + e.what());
    }
  }

  Poco::Data::SessionPool pool_;
};

Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url, int max_sessions) {
  PAW_TRY(std::string connection, postgres_connection_string(url));
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::PostgreSQL::Connector::registerConnector(); });
  std::unique_ptr<PostgresStore> store;
  try {
    store = std::make_unique<PostgresStore>(connection, max_sessions);
  } catch (const Poco::Exception& e) {
    return make_error(Errc::storage_error, "cannot connect to PostgreSQL: " + e.displayText());
  }
  PAW_CHECK(store->migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace paw::verifier
