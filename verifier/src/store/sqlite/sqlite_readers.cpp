#include "sqlite_readers.h"

#include <functional>
#include <thread>

namespace paw::verifier::sqlite {

thread_local ReaderPool::ThreadSnapshot ReaderPool::t_snapshot{};

class ReaderPool::Snapshot final : public Store::Snapshot {
 public:
  Snapshot(ReaderPool& pool, std::unique_ptr<Conn> conn) : pool_(pool), conn_(std::move(conn)) {
    t_snapshot = {&pool_, conn_.get()};
  }
  ~Snapshot() override {
    t_snapshot = {};
    (void)conn_->exec(Sql::commit);  // ends the read transaction
    pool_.give_back(std::move(conn_));
  }
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

 private:
  ReaderPool& pool_;
  std::unique_ptr<Conn> conn_;
};

std::unique_ptr<Store::Snapshot> ReaderPool::snapshot() {
  if (t_snapshot.conn != nullptr) return nullptr;  // already in one (this pool's or another store's)
  auto c = take();
  if (!c.ok()) return nullptr;
  if (!(*c)->exec(Sql::begin_read).ok()) {
    give_back(std::move(*c));
    return nullptr;
  }
  return std::make_unique<Snapshot>(*this, std::move(*c));
}

ReaderPool::Shard& ReaderPool::shard() {
  return shards_[std::hash<std::thread::id>{}(std::this_thread::get_id()) % shards_.size()];
}

Result<std::unique_ptr<Conn>> ReaderPool::take() {
  Shard& s = shard();
  {
    std::lock_guard lock(s.mu);
    if (!s.idle.empty()) {
      auto c = std::move(s.idle.back());
      s.idle.pop_back();
      return c;
    }
  }
  return Conn::open(path_);
}

void ReaderPool::give_back(std::unique_ptr<Conn> c) {
  if (c->in_transaction()) return;  // never pool a connection left inside a transaction
  Shard& s = shard();
  std::lock_guard lock(s.mu);
  if (s.idle.size() < kMaxIdlePerShard) s.idle.push_back(std::move(c));
}

}  // namespace paw::verifier::sqlite
