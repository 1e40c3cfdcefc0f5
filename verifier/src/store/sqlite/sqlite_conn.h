// sqlite_conn.h — a raw SQLite connection with a per-connection cache of the
// hot-path statements (SqliteStore's fast path; see sqlite_store.cpp).
//
// Poco::Data compiles every statement on every call (sqlite3_prepare_v2 was
// half of the verifier's SQLite CPU). Conn prepares each statement of the
// catalogue Sql once, on first use, with SQLITE_PREPARE_PERSISTENT, and hands
// it out as a Stmt lease that resets and clears its bindings when it goes
// out of scope. A Conn is used by one thread at a time (SQLITE_OPEN_NOMUTEX);
// every SQLite return code is checked and turned into Errc::storage_error with
// sqlite3_errmsg.
#pragma once

#include <sqlite3.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "paw/attest/error.h"
#include "paw/attest/secure.h"

namespace paw::verifier::sqlite {

// Sql names the cached statements; their text is in sqlite_conn.cpp.
enum class Sql : std::size_t {
  begin_immediate,
  begin_read,
  commit,
  rollback,
  savepoint,
  rollback_to_savepoint,
  release_savepoint,
  device_head,
  get_device,
  device_revision,
  attest_update_device,
  use_nonce,
  insert_event,
  get_policy,
  device_admission,
  find_credential,
  count_,  // number of statements, not one
};

class Conn;

// Stmt is a lease of one cached statement: bind the parameters in order with
// bind(), run step() until it answers false, read columns while it answered
// true. Binding text uses SQLITE_STATIC: the bound strings must outlive the
// lease. The destructor resets the statement and clears its bindings.
class Stmt {
 public:
  Stmt(Conn& conn, sqlite3_stmt* stmt, const char* what) noexcept : conn_(&conn), stmt_(stmt), what_(what) {}
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : conn_(o.conn_), stmt_(o.stmt_), what_(o.what_), next_(o.next_), bind_rc_(o.bind_rc_) {
    o.stmt_ = nullptr;
  }
  Stmt& operator=(Stmt&&) = delete;

  Stmt& bind(std::string_view text);
  Stmt& bind(std::int64_t value);
  // step runs the statement one step: true = a row is available, false = done.
  // A bind error, a constraint violation or any other failure is storage_error.
  Result<bool> step();
  // run steps a statement that returns no rows, then returns sqlite3_changes().
  Result<std::int64_t> run();

  std::string text(int col) const;
  std::int64_t int64(int col) const;

 private:
  Conn* conn_;
  sqlite3_stmt* stmt_;
  const char* what_;
  int next_ = 1;
  int bind_rc_ = SQLITE_OK;
};

class Conn {
 public:
  // open opens |path| (which must exist) read-write, with the durability and
  // waiting settings every connection of the store uses: synchronous=FULL,
  // busy_timeout=10000, foreign_keys=ON. Errc::storage_error on failure.
  static Result<std::unique_ptr<Conn>> open(const std::string& path);

  // stmt leases the cached statement |which|, preparing it on first use.
  Result<Stmt> stmt(Sql which);
  // exec runs the no-row statement |which| once (BEGIN, COMMIT, SAVEPOINT …).
  Status exec(Sql which);

  sqlite3* db() const noexcept { return db_.get(); }
  bool in_transaction() const noexcept { return sqlite3_get_autocommit(db_.get()) == 0; }
  std::int64_t last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_.get()); }
  // error is Errc::storage_error "<what>: <sqlite3_errmsg>".
  Error error(std::string_view what) const;

 private:
  explicit Conn(sqlite3* db) noexcept : db_(db) {}

  UniquePtr<sqlite3, sqlite3_close_v2> db_;
  // Declared after db_: finalized before the connection is closed.
  std::array<UniquePtr<sqlite3_stmt, sqlite3_finalize>, static_cast<std::size_t>(Sql::count_)> cache_;
};

}  // namespace paw::verifier::sqlite
