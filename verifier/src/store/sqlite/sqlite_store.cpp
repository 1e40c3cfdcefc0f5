// SqliteStore: the embedded default Store (SQLite; Poco::Data for the cold paths).
//
// Durability: WAL journal, synchronous=FULL (a committed transaction survives
// kill -9 and power loss), busy timeout so concurrent writers wait instead of
// failing. SQL is kept portable (no SQLite-only syntax outside the pragmas,
// the migration DDL and transaction control).
//
// Hot path (every attestation: device_head, get_device, get_policy,
// record_attestation; plus use_nonce and add_event): statements are prepared once per raw
// connection (sqlite_conn.h) instead of on every call, reads use a pool of
// raw connections, and writes go through the group-commit writer
// (sqlite_writer.h): one thread, one BEGIN IMMEDIATE … COMMIT — one WAL fsync
// — for every write queued meanwhile, each job in its own savepoint, each
// caller answered after the COMMIT. Everything else (admin, enrollment,
// fleet watcher) keeps one Poco::Data connection per in-flight call from a
// small pool; those and other processes sharing the file take the write
// lock through busy_timeout like before.
//
// Effect (paw-bench self --devices 32 --threads 8 --seconds 10, state on an
// ext4 virtual disk, verifier on 1 core, 2 shared noisy cores, two runs each):
//   on 1047641: before (a Poco statement compile per call, an fsync per write)
//     301 and 246 attestations/s (p99 335–345 ms); after 1062 and 723 /s (p99 13–23 ms)
//   on 19a20b9 (device cache, device_head): before 483 and 475 /s (p50 5.6–5.9 ms,
//     p99 139–154 ms); after 956 and 919 /s (p50 8.3–8.6 ms, p99 12.6–13.5 ms)
// Since challenges are stateless (challenge.h) an attestation waits for one
// fsync (its verdict); with more clients the batches grow.
#include <Poco/Data/RecordSet.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <tuple>

#include "clock.h"
#include "sqlite_conn.h"
#include "sqlite_readers.h"
#include "sqlite_writer.h"
#include "store/postgres/postgres_store.h"
#include "store/sql/store_sql.h"
#include "store/store.h"

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;

namespace paw::verifier {

std::string_view device_status_name(DeviceStatus s) noexcept {
  switch (s) {
    case DeviceStatus::pending: return "pending";
    case DeviceStatus::enrolled: return "enrolled";
    case DeviceStatus::stale: return "stale";
    case DeviceStatus::revoked: return "revoked";
  }
  return "pending";
}

std::optional<DeviceStatus> device_status_from_name(std::string_view s) noexcept {
  for (DeviceStatus d : {DeviceStatus::pending, DeviceStatus::enrolled, DeviceStatus::stale, DeviceStatus::revoked}) {
    if (device_status_name(d) == s) return d;
  }
  return std::nullopt;
}

namespace {


Error db_error(const std::string& what, const std::exception& e) {
  return make_error(Errc::storage_error, what + ": " + e.what());
}

}  // namespace

class SqliteStore final : public SqlStore {
 public:
  explicit SqliteStore(std::string path) : SqlStore(SqlDialect::sqlite), path_(std::move(path)) {}
  [[nodiscard]] bool reads_are_local() const override { return true; }
  ~SqliteStore() override {
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
  }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // start_checkpointer moves WAL checkpoints (which fsync the database file)
  // off the request path: a passive checkpoint every 250 ms keeps the WAL
  // below SQLite's auto-checkpoint size, so a committing request rarely has
  // to run one. Durability is unchanged (commits still fsync the WAL); the
  // auto-checkpoint stays on as the bound if this thread falls behind.
  void start_checkpointer() {
    checkpointer_ = std::thread([this] {
      std::unique_lock lock(checkpoint_mu_);
      while (!checkpoint_stop_) {
        checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(250));
        if (checkpoint_stop_) break;
        lock.unlock();
        (void)guarded("checkpoint", [](Poco::Data::Session& s) -> Status {
          int busy = 0, log = 0, done = 0;
          s << "PRAGMA wal_checkpoint(PASSIVE)", into(busy), into(log), into(done), now;
          return ok_status();
        });
        lock.lock();
      }
    });
  }

  Status open() {
    // Create the file with mode 0600 before SQLite does (it would use 0644).
    const int fd = ::open(path_.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) return make_error(Errc::storage_error, "cannot create database " + path_);
    ::close(fd);
    PAW_CHECK(guarded("migrate", [&](Poco::Data::Session& s) -> Status {
      s << "PRAGMA journal_mode=WAL", now;
      s << "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL, applied_at BIGINT NOT NULL)", now;
      std::int64_t version = 0;
      s << "SELECT COALESCE(MAX(version), 0) FROM schema_version", into(version), now;
      for (std::size_t i = static_cast<std::size_t>(version); i < migrations(SqlDialect::sqlite).size(); ++i) {
        s << "BEGIN IMMEDIATE", now;
        try {
          for (const auto& sql : migrations(SqlDialect::sqlite)[i]) s << sql, now;
          const std::int64_t v = static_cast<std::int64_t>(i + 1);
          const std::int64_t t = system_unix_now();  // bookkeeping only (clock.h)
          s << "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", kw::bind(v), kw::bind(t), now;
          s << "COMMIT", now;
        } catch (...) {
          s << "ROLLBACK", now;
          throw;
        }
      }
      return ok_status();
    }));
    PAW_TRY(writer_, sqlite::GroupWriter::start(path_));
    return ok_status();
  }

  Result<EnrollmentTokenRecord> consume_enrollment_token(const std::string& hash, std::int64_t now_s) override {
    EnrollmentTokenRecord rec;
    PAW_CHECK(guarded("consume_enrollment_token", [&](Poco::Data::Session& s) -> Status {
      Poco::Data::Statement up(s);
      up << "UPDATE enrollment_tokens SET used = 1 WHERE hash = ? AND used = 0 AND revoked_at = 0 AND expires_at > ?",
          kw::bind(hash), kw::bind(now_s);
      const std::size_t changed = up.execute();
      std::vector<std::string> labels, policies;
      std::vector<std::int64_t> created, expires, used, revoked;
      s << "SELECT label, created_at, expires_at, used, policy, revoked_at FROM enrollment_tokens WHERE hash = ?",
          kw::bind(hash), into(labels), into(created), into(expires), into(used), into(policies), into(revoked), now;
      if (labels.empty()) return make_error(Errc::token_invalid, "enrollment token unknown");
      rec = EnrollmentTokenRecord{hash, labels[0], created[0], expires[0], true, policies[0], false, revoked[0]};
      if (changed == 1) return ok_status();
      if (revoked[0] != 0) return make_error(Errc::token_invalid, "enrollment token revoked");
      if (expires[0] <= now_s && used[0] == 0) return make_error(Errc::token_expired, "enrollment token expired");
      return make_error(Errc::token_invalid, "enrollment token already used");
    }));
    return rec;
  }

  Status add_enrollment(const EnrollmentRecord& e) override {
    return guarded("add_enrollment", [&](Poco::Data::Session& s) -> Status {
      s << "INSERT INTO enrollments (id, secret_hash, device_json, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
          kw::bind(e.id), kw::bind(e.secret_hash), kw::bind(e.device_json), kw::bind(e.created_at), kw::bind(e.expires_at), now;
      return ok_status();
    });
  }

  Result<EnrollmentRecord> take_enrollment(const std::string& id, std::int64_t now_s) override {
    EnrollmentRecord rec;
    PAW_CHECK(guarded("take_enrollment", [&](Poco::Data::Session& s) -> Status {
      std::vector<std::string> secret, device;
      std::vector<std::int64_t> created, expires;
      s << "SELECT secret_hash, device_json, created_at, expires_at FROM enrollments WHERE id = ?", kw::bind(id),
          into(secret), into(device), into(created), into(expires), now;
      if (secret.empty()) return make_error(Errc::not_found, "enrollment unknown or finished");
      Poco::Data::Statement del(s);
      del << "DELETE FROM enrollments WHERE id = ?", kw::bind(id);
      // Only the caller whose DELETE removed the row owns the enrollment.
      if (del.execute() != 1) return make_error(Errc::not_found, "enrollment unknown or finished");
      if (expires[0] <= now_s) return make_error(Errc::token_expired, "enrollment expired");
      rec = EnrollmentRecord{id, secret[0], device[0], created[0], expires[0]};
      return ok_status();
    }));
    return rec;
  }

  Result<std::optional<StoredDevice>> get_device(const std::string& id) override {
    std::optional<StoredDevice> out;
    PAW_CHECK(with_reader([&](sqlite::Conn& c) -> Status {
      PAW_TRY(sqlite::Stmt q, c.stmt(sqlite::Sql::get_device));
      q.bind(id);
      PAW_TRY(bool row, q.step());
      if (row) out = device_from_stmt(q);
      return ok_status();
    }));
    return out;
  }

  Result<std::optional<DeviceHead>> device_head(const std::string& id) override {
    std::optional<DeviceHead> out;
    PAW_CHECK(with_reader([&](sqlite::Conn& c) -> Status {
      PAW_TRY(sqlite::Stmt q, c.stmt(sqlite::Sql::device_head));
      q.bind(id);
      PAW_TRY(bool row, q.step());
      // Unknown status text: fail closed.
      if (row) out = DeviceHead{device_status_from_name(q.text(0)).value_or(DeviceStatus::revoked), q.int64(1)};
      return ok_status();
    }));
    return out;
  }

  // The login path: a few columns through a cached statement (sqlite_conn.h).
  Result<std::optional<DeviceAdmission>> device_admission(const std::string& id) override {
    std::optional<DeviceAdmission> out;
    PAW_CHECK(with_reader([&](sqlite::Conn& c) -> Status {
      PAW_TRY(sqlite::Stmt q, c.stmt(sqlite::Sql::device_admission));
      q.bind(id);
      PAW_TRY(bool row, q.step());
      if (row) {
        out = DeviceAdmission{device_status_from_name(q.text(0)).value_or(DeviceStatus::revoked),  // fail closed
                              q.text(1), q.int64(2), q.text(3), q.text(4), q.int64(5), q.int64(6), q.text(7),
                              q.int64(8), q.text(9), q.int64(10)};
      }
      return ok_status();
    }));
    return out;
  }

  // Every health query authenticates its relying party: a cached statement
  // instead of Poco::Data compiling the SQL each time.
  Result<std::optional<CredentialRecord>> find_credential(CredentialKind kind, const std::string& hash) override {
    std::optional<CredentialRecord> out;
    const std::string_view k = credential_kind_name(kind);
    PAW_CHECK(with_reader([&](sqlite::Conn& c) -> Status {
      PAW_TRY(sqlite::Stmt q, c.stmt(sqlite::Sql::find_credential));
      q.bind(k).bind(hash);
      PAW_TRY(bool row, q.step());
      if (row) {
        out = CredentialRecord{q.text(0), kind,      hash,      q.text(1), q.int64(2), q.int64(3), q.int64(4),
                               stored_scope(q.text(5)), q.text(6)};
      }
      return ok_status();
    }));
    return out;
  }

  Result<bool> set_device_status(const std::string& id, DeviceStatus status, std::int64_t now_s) override {
    bool changed = false;
    PAW_CHECK(guarded("set_device_status", [&](Poco::Data::Session& s) -> Status {
      std::string name(device_status_name(status));
      Poco::Data::Statement up(s);
      up << "UPDATE devices SET status = ?, updated_at = ?, revision = revision + 1 WHERE id = ?", kw::bind(name),
          kw::bind(now_s), kw::bind(id);
      changed = up.execute() == 1;
      return ok_status();
    }));
    return changed;
  }

  Result<bool> delete_device(const std::string& id) override {
    bool changed = false;
    PAW_CHECK(guarded("delete_device", [&](Poco::Data::Session& s) -> Status {
      Poco::Data::Statement del(s);
      del << "DELETE FROM devices WHERE id = ?", kw::bind(id);
      changed = del.execute() == 1;
      return ok_status();
    }));
    return changed;
  }

  // Hot path: use_nonce, record_attestation and add_event go through the
  // group-commit writer, with statements prepared once per connection.
  Status use_nonce(const UsedNonce& n) override {
    return writer_->run([&](sqlite::Conn& db) -> Status { return use_in(db, n); });
  }

  // use_in is the one-winner INSERT of a used nonce, inside the writer's transaction.
  static Status use_in(sqlite::Conn& db, const UsedNonce& n) {
    PAW_TRY(sqlite::Stmt q, db.stmt(sqlite::Sql::use_nonce));
    q.bind(n.nonce_hash).bind(n.device_id).bind(n.used_at).bind(n.expires_at);
    PAW_TRY(std::int64_t changed, q.run());
    if (changed != 1) return make_error(Errc::nonce_reused, "nonce already used");
    return ok_status();
  }

  // attest_update_in is update_device's compare-and-swap restricted to the
  // columns an attestation changes (label, policy and record_json are what
  // the row holds at this revision anyway).
  static Status attest_update_in(sqlite::Conn& db, const StoredDevice& d) {
    const std::string_view status = device_status_name(d.status);
    {
      PAW_TRY(sqlite::Stmt up, db.stmt(sqlite::Sql::attest_update_device));
      up.bind(status).bind(d.state_json).bind(d.last_verdict).bind(d.last_reasons).bind(d.last_appraisal_json);
      up.bind(d.last_attested_at).bind(d.last_healthy_at).bind(d.updated_at).bind(d.rejected_at);
      up.bind(d.verdict_policy).bind(d.last_presence_at).bind(d.revision + 1);
      up.bind(d.id).bind(d.revision);
      PAW_TRY(std::int64_t changed, up.run());
      if (changed == 1) return ok_status();
    }
    PAW_TRY(sqlite::Stmt q, db.stmt(sqlite::Sql::device_revision));
    q.bind(d.id);
    PAW_TRY(bool row, q.step());
    if (!row) return make_error(Errc::not_found, "device not found");
    return make_error(Errc::conflict, "device changed concurrently");
  }

  static Result<std::int64_t> insert_event(sqlite::Conn& db, const EventRecord& e) {
    PAW_TRY(sqlite::Stmt q, db.stmt(sqlite::Sql::insert_event));
    q.bind(e.time).bind(e.type).bind(e.device_id).bind(e.detail);
    PAW_TRY(std::int64_t changed, q.run());
    if (changed != 1) return make_error(Errc::storage_error, "add_event: no row inserted");
    return db.last_insert_rowid();
  }

  // One job of the writer: nonce, device CAS and events all commit together
  // or not at all (its savepoint), and share the batch's single fsync.
  Result<std::vector<std::int64_t>> record_attestation(const UsedNonce& n, const StoredDevice& d,
                                                       const std::vector<EventRecord>& events) override {
    std::vector<std::int64_t> ids;
    Status st = writer_->run([&](sqlite::Conn& db) -> Status {
      ids.clear();
      PAW_CHECK(use_in(db, n));
      PAW_CHECK(attest_update_in(db, d));
      for (const auto& e : events) {
        PAW_TRY(std::int64_t id, insert_event(db, e));
        ids.push_back(id);
      }
      return ok_status();
    });
    if (!st.ok()) return std::move(st).error();
    return ids;
  }

  // Read on every attestation (the service caches only the parse).
  Result<std::optional<PolicyRecord>> get_policy(const std::string& name) override {
    std::optional<PolicyRecord> out;
    PAW_CHECK(with_reader([&](sqlite::Conn& c) -> Status {
      PAW_TRY(sqlite::Stmt q, c.stmt(sqlite::Sql::get_policy));
      q.bind(name);
      PAW_TRY(bool row, q.step());
      if (row) out = PolicyRecord{name, q.int64(0), q.text(1), q.int64(2)};
      return ok_status();
    }));
    return out;
  }

  Result<std::int64_t> add_event(const EventRecord& e) override {
    std::int64_t id = 0;
    PAW_CHECK(writer_->run([&](sqlite::Conn& db) -> Status {
      PAW_TRY(id, insert_event(db, e));
      return ok_status();
    }));
    return id;
  }

 private:
  // device_from_stmt reads a row of Sql::get_device (kSelectDevice's columns).
  static StoredDevice device_from_stmt(const sqlite::Stmt& q) {
    StoredDevice d;
    d.id = q.text(0);
    d.status = device_status_from_name(q.text(1)).value_or(DeviceStatus::revoked);  // unknown text: fail closed
    d.label = q.text(2);
    d.policy = q.text(3);
    d.record_json = q.text(4);
    d.state_json = q.text(5);
    d.last_verdict = q.text(6);
    d.last_reasons = q.text(7);
    d.last_appraisal_json = q.text(8);
    d.last_attested_at = q.int64(9);
    d.last_healthy_at = q.int64(10);
    d.created_at = q.int64(11);
    d.updated_at = q.int64(12);
    d.revision = q.int64(13);
    d.rejected_at = q.int64(14);
    d.verdict_policy = q.text(15);
    d.ek_hash = q.text(16);
    d.owner = q.text(17);
    d.last_presence_at = q.int64(18);
    return d;
  }

  // with_reader runs |fn| on a raw read connection (sqlite_readers.h).
  template <class F>
  Status with_reader(F&& fn) {
    return readers_.with(fn);
  }

 public:
  std::unique_ptr<Snapshot> read_snapshot() override { return readers_.snapshot(); }

 private:
  // Lease is a pooled connection, returned on destruction.
  std::unique_ptr<Poco::Data::Session> acquire() {
    std::unique_lock lock(mu_);
    if (!free_.empty()) {
      auto s = std::move(free_.back());
      free_.pop_back();
      return s;
    }
    lock.unlock();
    auto s = std::make_unique<Poco::Data::Session>("SQLite", path_);
    // Per-connection settings: durability and waiting instead of failing.
    *s << "PRAGMA synchronous=FULL", now;
    *s << "PRAGMA busy_timeout=10000", now;
    *s << "PRAGMA foreign_keys=ON", now;
    return s;
  }

  void release(std::unique_ptr<Poco::Data::Session> s) {
    std::lock_guard lock(mu_);
    if (free_.size() < kMaxIdle) free_.push_back(std::move(s));
  }

  Status guarded(const char* what, const std::function<Status(Poco::Data::Session&)>& fn) override {
    std::unique_ptr<Poco::Data::Session> s;
    try {
      s = acquire();
      Status st = fn(*s);
      release(std::move(s));
      return st;
    } catch (const Poco::Exception& e) {
      return make_error(Errc::storage_error, std::string(what) + ": " + e.displayText());
    } catch (const std::exception& e) {
      return db_error(what, e);
    }
  }

  static constexpr std::size_t kMaxIdle = 16;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_stop_ = false;
  std::thread checkpointer_;
  std::string path_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Poco::Data::Session>> free_;
  sqlite::ReaderPool readers_{path_};
  // Last member: destroyed first, draining its queue while the rest still exists.
  std::unique_ptr<sqlite::GroupWriter> writer_;
};

Result<std::unique_ptr<Store>> open_store(const std::string& url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.rfind("postgresql://", 0) == 0) return open_postgres_store(url);  // postgres_store.cpp
  if (url.rfind(kSqlite, 0) != 0) {
    return make_error(Errc::config_error, "unsupported database URL (want sqlite:PATH or postgresql://…): " + url);
  }
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
  auto store = std::make_unique<SqliteStore>(url.substr(kSqlite.size()));
  PAW_CHECK(store->open());
  store->start_checkpointer();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace paw::verifier
