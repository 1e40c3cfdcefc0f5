// server.h — the verifier's connection edge. Every socket sits in one epoll
// set with EPOLLONESHOT; a fixed pool of workers waits on that set itself,
// and the worker that is woken for a connection runs its step (connection.h)
// and arms it again. So a connection holds a worker only while it has bytes
// to work on, and a request costs no hand-off between threads (no queue, no
// wake-up of a second thread). A housekeeping thread drops connections past
// their deadline (per-address caps, deadlines: limits.h, docs/verifier.md
// "Connections").
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "connection.h"
#include "listener.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace paw::verifier::edge {

struct Options {
  std::string listen;               // ADDR:PORT
  SSL_CTX* tls = nullptr;           // null: plain HTTP; must outlive the server
  std::size_t threads = 16;         // workers
  Limits limits;
  // exempt: peers not subject to the per-address cap (trusted proxies).
  std::function<bool(const std::string& peer)> exempt;
};

class Server {
 public:
  // start binds (listener.h errors) and starts the workers and the housekeeper.
  static Result<std::unique_ptr<Server>> start(Options opts, Hooks hooks);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // stop closes the listener and every connection without a request under
  // way, lets requests under way finish and their answers go out (with
  // Connection: close) for up to |drain|, then ends every connection and
  // joins the threads.
  void stop(std::chrono::milliseconds drain);
  // since_loop is how long ago the housekeeper last went round its loop (it
  // does every 50 ms while it runs): the service watchdog's liveness sign.
  [[nodiscard]] Clock::duration since_loop() const noexcept {
    return Clock::now() - Clock::time_point(Clock::duration(last_loop_.load()));
  }

 private:
  // A Slot holds one connection at a time; a slot is never freed while the
  // server runs, so an epoll event that names a slot whose connection has
  // since been closed (its generation moved on) is safely ignored.
  struct Slot {
    std::mutex mu;                // guards everything below, and arming the socket
    std::uint32_t gen = 0;        // bumped when the connection closes
    std::unique_ptr<Conn> conn;   // null: free or reserved by accept
    bool busy = false;            // a worker is stepping it
  };
  struct Accepted {
    std::uint32_t index;
    std::unique_ptr<Conn> conn;
  };

  Server(Options opts, Hooks hooks, Listener l);
  void work();                        // a worker's loop
  void serve(std::uint64_t key);      // one ready connection
  std::vector<Accepted> accept_all(Clock::time_point now);  // under mu_
  void install(Accepted a);
  static void arm(int epoll_fd, std::uint64_t key, const Conn& c, bool add);
  void close_slot(std::uint32_t index, Slot& s);  // under s.mu
  void housekeep();
  void sweep(Clock::time_point now);

  Options opts_;
  Shared shared_;
  std::uint16_t port_ = 0;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // readable only when stopping: every worker's wait returns

  // Under mu_: the listener, the slot table's bookkeeping and the caps.
  std::mutex mu_;
  int listen_fd_ = -1;
  bool listen_paused_ = false;
  Clock::time_point listen_resume_{};
  std::vector<std::uint32_t> free_;  // closed slots to reuse
  std::uint32_t used_ = 0;           // slots handed out so far (high-water mark)
  std::unordered_map<std::string, std::size_t> per_address_;
  std::uint64_t refused_ = 0;  // connections closed at accept (caps), logged now and then
  Clock::time_point refused_logged_{};

  std::unique_ptr<std::atomic<Slot*>[]> slots_;  // limits.max_connections entries, filled lazily
  std::size_t capacity_ = 0;

  std::mutex hk_mu_;
  std::condition_variable hk_cv_;
  std::atomic<bool> stop_loop_{false};
  std::atomic<Clock::rep> last_loop_{Clock::now().time_since_epoch().count()};
  std::atomic<std::size_t> open_{0};  // open connections (for stop)
  std::vector<std::thread> workers_;
  std::thread housekeeper_;
};

}  // namespace paw::verifier::edge
