// sqlite_writer.h — group commit for SqliteStore's hot-path writes.
//
// With synchronous=FULL every commit is one fsync of the WAL (~1 ms on a real
// disk), and SQLite runs one writer at a time, so one commit per request caps
// the service at ~1/fsync requests per second. GroupWriter owns one connection
// and one thread: callers hand it a job and block; the thread takes every job
// queued (at most kMaxBatch), runs them in ONE `BEGIN IMMEDIATE … COMMIT`,
// each inside its own SAVEPOINT, and wakes the callers after the COMMIT
// returned. So:
//  - durability is unchanged: a caller is answered only after the COMMIT that
//    contains its change (synchronous=FULL) succeeded;
//  - jobs run one after another inside the transaction, each seeing the ones
//    before it, so one-winner checks (`UPDATE … WHERE used = 0`) stay exact,
//    and BEGIN IMMEDIATE serializes them against every other connection and
//    process sharing the file (they wait through busy_timeout);
//  - a job that fails (nonce reused, CAS conflict, constraint violation) is
//    rolled back to its savepoint and gets its own error; its neighbours
//    commit. If BEGIN or COMMIT fails, or SQLite aborts the whole
//    transaction, every job of the batch gets Errc::storage_error and none of
//    its changes is kept.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "paw/attest/error.h"
#include "sqlite_conn.h"

namespace paw::verifier::sqlite {

class GroupWriter {
 public:
  // Work runs one job on the writer's connection, inside the batch's
  // transaction; it must not COMMIT or ROLLBACK. What it writes to the
  // caller's variables counts only if run() returns success.
  using Work = std::function<Status(Conn&)>;

  static constexpr std::size_t kMaxBatch = 256;   // jobs per transaction
  static constexpr std::size_t kMaxQueue = 4096;  // waiting jobs; run() blocks beyond

  // start opens the writer's own connection to |path| and starts its thread.
  static Result<std::unique_ptr<GroupWriter>> start(const std::string& path);
  // The destructor lets the thread finish every job already queued, then
  // stops it. No run() may start once destruction began.
  ~GroupWriter();
  GroupWriter(const GroupWriter&) = delete;
  GroupWriter& operator=(const GroupWriter&) = delete;

  // run executes |work| in the next batch and returns its result once that
  // batch has committed (durably) or failed. Thread-safe; blocks.
  Status run(const Work& work);

 private:
  struct Job;
  explicit GroupWriter(std::unique_ptr<Conn> conn) : conn_(std::move(conn)) {}
  void loop();
  void run_batch(const std::vector<Job*>& batch);

  std::unique_ptr<Conn> conn_;  // used by the writer thread only
  std::mutex mu_;
  std::condition_variable has_work_;
  std::condition_variable has_room_;
  std::condition_variable done_;
  std::deque<Job*> queue_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace paw::verifier::sqlite
