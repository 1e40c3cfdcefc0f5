// sqlite_readers.h — the SQLite store's pool of raw read connections (the
// hot-path reads: login, health, attestation lookups) and the read snapshot
// (store.h Store::read_snapshot): while one is open on a thread, that
// thread's reads share one deferred transaction on one connection.
#pragma once

#include <array>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sqlite_conn.h"
#include "store/store.h"

namespace paw::verifier::sqlite {

class ReaderPool {
 public:
  explicit ReaderPool(std::string path) : path_(std::move(path)) {}
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // with runs |fn| on this thread's snapshot connection when one is open,
  // else on a pooled connection (an exception is a storage_error).
  template <class F>
  Status with(F&& fn) {
    if (t_snapshot.pool == this) return guard(fn, *t_snapshot.conn);
    PAW_TRY(std::unique_ptr<Conn> c, take());
    Status st = guard(fn, *c);
    give_back(std::move(c));
    return st;
  }

  // snapshot opens a read snapshot on this thread (nullptr: the thread is
  // already in one, or no connection could begin one; reads then run as usual).
  std::unique_ptr<Store::Snapshot> snapshot();

 private:
  class Snapshot;
  struct ThreadSnapshot {
    const ReaderPool* pool = nullptr;
    Conn* conn = nullptr;
  };
  static thread_local ThreadSnapshot t_snapshot;

  template <class F>
  static Status guard(F& fn, Conn& c) {
    try {
      return fn(c);
    } catch (const std::exception& e) {
      return make_error(Errc::storage_error, std::string("read: ") + e.what());
    }
  }
  Result<std::unique_ptr<Conn>> take();
  void give_back(std::unique_ptr<Conn> c);

  // Split in shards by thread, so concurrent logins do not queue on one lock
  // (a worker preempted while holding it stalls every other).
  struct Shard {
    std::mutex mu;
    std::vector<std::unique_ptr<Conn>> idle;
  };
  static constexpr std::size_t kMaxIdlePerShard = 4;
  Shard& shard();
  std::string path_;
  std::array<Shard, 8> shards_;
};

}  // namespace paw::verifier::sqlite
