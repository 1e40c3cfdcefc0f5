// sqlite_writer.cpp — GroupWriter (see sqlite_writer.h).
#include "sqlite_writer.h"

#include <exception>
#include <utility>

namespace paw::verifier::sqlite {

// Job lives on the caller's stack; the writer touches it only under mu_ (to
// hand over the result) or while the caller is blocked waiting for done.
struct GroupWriter::Job {
  const Work* work;
  Status result = ok_status();
  bool done = false;
};

Result<std::unique_ptr<GroupWriter>> GroupWriter::start(const std::string& path) {
  PAW_TRY(std::unique_ptr<Conn> conn, Conn::open(path));
  std::unique_ptr<GroupWriter> w(new GroupWriter(std::move(conn)));
  w->thread_ = std::thread([raw = w.get()] { raw->loop(); });
  return w;
}

GroupWriter::~GroupWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  has_work_.notify_all();
  has_room_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status GroupWriter::run(const Work& work) {
  Job job{&work};
  std::unique_lock lock(mu_);
  has_room_.wait(lock, [&] { return stop_ || queue_.size() < kMaxQueue; });
  if (stop_) return make_error(Errc::storage_error, "store is closing");
  queue_.push_back(&job);
  // The writer sleeps only when the queue was empty; wake it for the first job.
  const bool wake = queue_.size() == 1;
  lock.unlock();
  if (wake) has_work_.notify_one();
  lock.lock();
  done_.wait(lock, [&] { return job.done; });
  return std::move(job.result);
}

void GroupWriter::loop() {
  std::vector<Job*> batch;
  batch.reserve(kMaxBatch);
  std::unique_lock lock(mu_);
  for (;;) {
    has_work_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ and drained
    while (!queue_.empty() && batch.size() < kMaxBatch) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    has_room_.notify_all();
    run_batch(batch);  // fills each job's result, outside the lock
    lock.lock();
    for (Job* j : batch) j->done = true;
    batch.clear();
    lock.unlock();
    done_.notify_all();
    lock.lock();
  }
}

void GroupWriter::run_batch(const std::vector<Job*>& batch) {
  Conn& c = *conn_;
  auto fail_all = [&](const Error& e) {
    for (Job* j : batch) j->result = e;
    if (c.in_transaction()) (void)c.exec(Sql::rollback);
  };
  if (Status st = c.exec(Sql::begin_immediate); !st.ok()) return fail_all(st.error());
  for (Job* j : batch) {
    if (Status st = c.exec(Sql::savepoint); !st.ok()) return fail_all(st.error());
    try {
      j->result = (*j->work)(c);
    } catch (const std::exception& e) {
      j->result = make_error(Errc::storage_error, std::string("write job: ") + e.what());
    } catch (...) {
      j->result = make_error(Errc::storage_error, "write job: unknown exception");
    }
    // Some errors (disk full, I/O) make SQLite abandon the whole transaction:
    // the jobs before this one are lost too.
    if (!c.in_transaction()) {
      return fail_all(make_error(Errc::storage_error, "transaction aborted: " +
                                                          (j->result.ok() ? std::string("?") : j->result.error().detail)));
    }
    if (!j->result.ok()) {
      if (Status st = c.exec(Sql::rollback_to_savepoint); !st.ok()) return fail_all(st.error());
    }
    if (Status st = c.exec(Sql::release_savepoint); !st.ok()) return fail_all(st.error());
  }
  if (Status st = c.exec(Sql::commit); !st.ok()) return fail_all(st.error());
}

}  // namespace paw::verifier::sqlite
