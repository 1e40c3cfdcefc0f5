// server.h — the verifier's connection edge: one reactor thread that owns
// every socket (accept, per-address caps, deadlines) and answers the requests
// whose handlers never wait (Hooks::runs_inline: the login path), and a fixed
// pool of workers that get a connection only while it has other work
// (handshake, body, a handler that may wait) (connection.h). Numbers: limits.h, docs/verifier.md "Connections".
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "connection.h"
#include "listener.h"
#include "work_queue.h"

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
  // start binds (listener.h errors) and starts the reactor and the workers.
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
  // since_loop is how long ago the reactor last went round its loop (it does
  // at least every 50 ms while it runs): the service watchdog's liveness sign.
  [[nodiscard]] Clock::duration since_loop() const noexcept {
    return Clock::now() - Clock::time_point(Clock::duration(last_loop_.load()));
  }

 private:
  Server(Options opts, Hooks hooks, Listener l);
  void loop();
  void accept_all(Clock::time_point now);
  [[nodiscard]] std::uint32_t registration(Io wait) const;  // epoll events for a parked connection
  void arm(Conn& c);
  void disarm(Conn& c);
  void destroy(Conn* c);
  void settle(Conn* c);  // after a step: drop it, or wait for what it waits for
  void sweep(Clock::time_point now);
  void give_back(Conn* c);
  void wake();

  Options opts_;
  Shared shared_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  bool listen_paused_ = false;
  Clock::time_point listen_resume_{};

  // Reactor thread only.
  std::unordered_map<Conn*, std::unique_ptr<Conn>> conns_;
  std::unordered_map<std::string, std::size_t> per_address_;
  std::uint64_t refused_ = 0;  // connections closed at accept (caps), logged now and then
  Clock::time_point refused_logged_{};

  // Handed back by workers.
  std::mutex back_mu_;
  std::vector<Conn*> back_;

  std::atomic<bool> stop_loop_{false};
  std::atomic<Clock::rep> last_loop_{Clock::now().time_since_epoch().count()};
  std::atomic<std::size_t> open_{0};  // connections the reactor holds (for stop)
  std::unique_ptr<WorkQueue> workers_;
  std::thread reactor_;
};

}  // namespace paw::verifier::edge
