// sqlite_conn.cpp — Conn and Stmt (see sqlite_conn.h).
#include "sqlite_conn.h"

#include <climits>

#include "store/sql/store_sql.h"

namespace paw::verifier::sqlite {
namespace {

using paw::verifier::kDeviceAdmissionSql;

struct SqlText {
  Sql id;
  const char* what;  // for error messages
  const char* sql;
};

// The statement catalogue, in Sql order (checked by the static_assert below).
// SQL stays portable apart from the transaction control words.
constexpr SqlText kSql[] = {
    {Sql::begin_immediate, "begin", "BEGIN IMMEDIATE"},
    {Sql::begin_read, "begin read", "BEGIN"},  // deferred: the first SELECT takes the read lock
    {Sql::commit, "commit", "COMMIT"},
    {Sql::rollback, "rollback", "ROLLBACK"},
    {Sql::savepoint, "savepoint", "SAVEPOINT job"},
    {Sql::rollback_to_savepoint, "rollback to savepoint", "ROLLBACK TO job"},
    {Sql::release_savepoint, "release savepoint", "RELEASE job"},
    {Sql::device_head, "device_head", "SELECT status, revision FROM devices WHERE id = ?"},
    {Sql::get_device, "get_device",
     "SELECT id, status, label, policy, record_json, state_json, last_verdict, last_reasons, last_appraisal_json, "
     "last_attested_at, last_healthy_at, created_at, updated_at, revision, rejected_at, verdict_policy, ek_hash, "
     "owner, last_presence_at FROM devices WHERE id = ?"},
    {Sql::device_revision, "device revision", "SELECT revision FROM devices WHERE id = ?"},
    // An attestation changes these columns only; label, policy and
    // record_json cannot differ at the same revision (every write bumps it).
    {Sql::attest_update_device, "update device",
     "UPDATE devices SET status = ?, state_json = ?, last_verdict = ?, last_reasons = ?, last_appraisal_json = ?, "
     "last_attested_at = ?, last_healthy_at = ?, updated_at = ?, rejected_at = ?, verdict_policy = ?, "
     "last_presence_at = ?, revision = ? WHERE id = ? AND revision = ?"},
    {Sql::use_nonce, "use_nonce",
     "INSERT INTO used_nonces (nonce_hash, device_id, used_at, expires_at) VALUES (?, ?, ?, ?) "
     "ON CONFLICT (nonce_hash) DO NOTHING"},
    {Sql::insert_event, "add_event", "INSERT INTO events (time, type, device_id, detail) VALUES (?, ?, ?, ?)"},
    {Sql::get_policy, "get_policy", "SELECT version, json, updated_at FROM policies WHERE name = ?"},
    // The login path (GET /v1/authz, the health query).
    {Sql::device_admission, "device_admission", kDeviceAdmissionSql},
    {Sql::find_credential, "find_credential",
     "SELECT id, label, created_at, expires_at, revoked_at, scope, admin FROM credentials WHERE kind = ? AND hash = ?"},
};
static_assert(std::size(kSql) == static_cast<std::size_t>(Sql::count_));

constexpr bool catalogue_in_order() {
  for (std::size_t i = 0; i < std::size(kSql); ++i) {
    if (static_cast<std::size_t>(kSql[i].id) != i) return false;
  }
  return true;
}
static_assert(catalogue_in_order());

}  // namespace

Stmt::~Stmt() {
  if (stmt_ == nullptr) return;
  // reset's return code repeats the last step's error, already reported.
  (void)sqlite3_reset(stmt_);
  (void)sqlite3_clear_bindings(stmt_);
}

Stmt& Stmt::bind(std::string_view text) {
  const int idx = next_++;
  if (bind_rc_ != SQLITE_OK) return *this;
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    bind_rc_ = SQLITE_TOOBIG;
    return *this;
  }
  // A non-null pointer even for "": NULL would bind SQL NULL, not ''.
  bind_rc_ = sqlite3_bind_text(stmt_, idx, text.empty() ? "" : text.data(), static_cast<int>(text.size()),
                               SQLITE_STATIC);
  return *this;
}

Stmt& Stmt::bind(std::int64_t value) {
  const int idx = next_++;
  if (bind_rc_ == SQLITE_OK) bind_rc_ = sqlite3_bind_int64(stmt_, idx, static_cast<sqlite3_int64>(value));
  return *this;
}

Result<bool> Stmt::step() {
  if (bind_rc_ != SQLITE_OK) {
    return make_error(Errc::storage_error, std::string(what_) + ": bind: " + sqlite3_errstr(bind_rc_));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn_->error(what_);
}

Result<std::int64_t> Stmt::run() {
  PAW_TRY(bool row, step());
  if (row) return make_error(Errc::internal, std::string(what_) + ": statement returned a row");
  return static_cast<std::int64_t>(sqlite3_changes(conn_->db()));
}

std::string Stmt::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);  // after column_text, as documented
  if (p == nullptr || n <= 0) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

std::int64_t Stmt::int64(int col) const { return static_cast<std::int64_t>(sqlite3_column_int64(stmt_, col)); }

Result<std::unique_ptr<Conn>> Conn::open(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<Conn> conn(new Conn(raw));  // owns |raw| even when open failed (documented)
  if (rc != SQLITE_OK) {
    return make_error(Errc::storage_error, "open " + path + ": " +
                                               (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  (void)sqlite3_extended_result_codes(raw, 1);
  // The busy timeout first: the pragmas after it may wait for a writer too.
  if (sqlite3_busy_timeout(raw, 10000) != SQLITE_OK) return conn->error("busy_timeout");
  for (const char* pragma : {"PRAGMA synchronous=FULL", "PRAGMA busy_timeout=10000", "PRAGMA foreign_keys=ON"}) {
    if (sqlite3_exec(raw, pragma, nullptr, nullptr, nullptr) != SQLITE_OK) return conn->error(pragma);
  }
  return conn;
}

Result<Stmt> Conn::stmt(Sql which) {
  const auto i = static_cast<std::size_t>(which);
  if (i >= cache_.size()) return make_error(Errc::internal, "sqlite: unknown statement");
  if (!cache_[i]) {
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), kSql[i].sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    cache_[i].reset(s);
    if (rc != SQLITE_OK || s == nullptr) return error(std::string("prepare ") + kSql[i].what);
  }
  return Stmt(*this, cache_[i].get(), kSql[i].what);
}

Status Conn::exec(Sql which) {
  PAW_TRY(Stmt s, stmt(which));
  PAW_TRY(std::int64_t changed, s.run());
  (void)changed;
  return ok_status();
}

Error Conn::error(std::string_view what) const {
  return make_error(Errc::storage_error, std::string(what) + ": " + sqlite3_errmsg(db_.get()));
}

}  // namespace paw::verifier::sqlite
