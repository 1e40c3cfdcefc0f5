#include "server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "../rate_limit.h"
#include "../util.h"
#include "paw/attest/bytes.h"

namespace paw::verifier::edge {
namespace {

// Epoll keys: a connection's is (slot generation << 32) | slot index.
constexpr std::uint64_t kListenKey = 0xffffffffu;
constexpr std::uint64_t kWakeKey = 0xfffffffeu;
constexpr auto kSweepEvery = std::chrono::milliseconds(50);

// peer_text is the canonical peer address; an IPv4-mapped IPv6 peer (a
// dual-stack listener) is written as its IPv4 address, so caps, rate limits
// and --trusted-proxy see one spelling.
std::string peer_text(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    return canonical_address(ByteView(reinterpret_cast<const std::uint8_t*>(&a.sin_addr), 4));
  }
  const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
  const auto* b = reinterpret_cast<const std::uint8_t*>(&a.sin6_addr);
  if (IN6_IS_ADDR_V4MAPPED(&a.sin6_addr)) return canonical_address(ByteView(b + 12, 4));
  return canonical_address(ByteView(b, 16));
}

// raise_fd_limit lifts the soft open-file limit towards what the caps need
// (the Debian default soft limit, 1024, is below them).
void raise_fd_limit(std::size_t want) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want) return;
  rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : std::min<rlim_t>(want, rl.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &rl);
}

}  // namespace

Result<std::unique_ptr<Server>> Server::start(Options opts, Hooks hooks) {
  PAW_TRY(Listener l, open_listener(opts.listen));
  raise_fd_limit(opts.limits.max_connections + 256);
  std::unique_ptr<Server> s(new Server(std::move(opts), std::move(hooks), l));
  if (s->epoll_fd_ < 0 || s->wake_fd_ < 0) return make_error(Errc::io_error, "cannot create the connection poller");
  const std::size_t n = s->opts_.threads == 0 ? 1 : s->opts_.threads;
  for (std::size_t i = 0; i < n; ++i) s->workers_.emplace_back([p = s.get()] { p->work(); });
  s->housekeeper_ = std::thread([p = s.get()] { p->housekeep(); });
  return s;
}

Server::Server(Options opts, Hooks hooks, Listener l) : opts_(std::move(opts)), port_(l.port), listen_fd_(l.fd) {
  shared_.hooks = std::move(hooks);
  shared_.limits = opts_.limits;
  capacity_ = std::max<std::size_t>(1, std::min<std::size_t>(opts_.limits.max_connections, kListenKey - 16));
  slots_ = std::make_unique<std::atomic<Slot*>[]>(capacity_);
  for (std::size_t i = 0; i < capacity_; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;  // one worker accepts at a time, then arms it again
  ev.data.u64 = kListenKey;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.events = EPOLLIN;  // level-triggered and never read: once written, every wait returns
  ev.data.u64 = kWakeKey;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

Server::~Server() {
  stop(std::chrono::milliseconds(0));
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  for (std::size_t i = 0; i < capacity_; ++i) delete slots_[i].load();
}

void Server::arm(int epoll_fd, std::uint64_t key, const Conn& c, bool add) {
  epoll_event ev{};
  ev.events = (c.wait == Io::want_write ? EPOLLOUT : EPOLLIN) | EPOLLONESHOT;
  ev.data.u64 = key;
  ::epoll_ctl(epoll_fd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.io.fd(), &ev);
}

void Server::close_slot(std::uint32_t index, Slot& s) {
  release(*s.conn, shared_);
  const std::string cap_key = s.conn->cap_key;
  s.conn.reset();  // closes the socket, which leaves the epoll set
  ++s.gen;         // an event still in flight for it is now stale
  std::lock_guard lock(mu_);
  if (!cap_key.empty()) {
    auto it = per_address_.find(cap_key);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  }
  free_.push_back(index);
  open_.fetch_sub(1);
}

std::vector<Server::Accepted> Server::accept_all(Clock::time_point now) {
  const Limits& lim = shared_.limits;
  std::vector<Accepted> out;
  for (int i = 0; i < 256 && listen_fd_ >= 0; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop polling the listener for a moment instead
        // of spinning on it; the backlog waits.
        listen_paused_ = true;
        listen_resume_ = now + std::chrono::milliseconds(100);
        log_line("error", "out of file descriptors: accepting paused");
      }
      break;
    }
    const std::string peer = peer_text(ss);
    const bool exempt = opts_.exempt && opts_.exempt(peer);
    const std::string key = exempt ? std::string() : address_bucket(peer);
    const bool have_slot = !free_.empty() || used_ < capacity_;
    if (open_.load() >= lim.max_connections || !have_slot ||
        (!exempt && per_address_[key] >= lim.max_connections_per_address)) {
      if (!exempt && per_address_[key] == 0) per_address_.erase(key);
      ::close(fd);
      ++refused_;
      if (now - refused_logged_ > std::chrono::seconds(10)) {
        log_line("warn", "connections refused at accept (connection caps)",
                 {{"count", std::to_string(refused_)}, {"last_peer", peer}});
        refused_logged_ = now;
        refused_ = 0;
      }
      continue;
    }
    // Answers are small and written whole: no Nagle delay, set once here.
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SSL* ssl = nullptr;
    if (opts_.tls != nullptr) {
      ssl = SSL_new(opts_.tls);
      if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
        if (ssl != nullptr) SSL_free(ssl);
        ::close(fd);
        continue;
      }
      SSL_set_accept_state(ssl);
      // Read whole records (and what follows) in one read, not header then
      // body: half the read syscalls. Bytes read ahead are stepped at once
      // (Transport::pending), since the socket no longer announces them.
      SSL_set_read_ahead(ssl, 1);
      // Idle connections keep no read/write buffers; a write may resume
      // from a moved buffer and complete in parts.
      SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
    std::uint32_t index = 0;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      index = used_++;
    }
    if (!key.empty()) ++per_address_[key];
    open_.fetch_add(1);
    out.push_back({index, std::make_unique<Conn>(fd, ssl, peer, key, now + lim.first_request)});
  }
  return out;
}

void Server::install(Accepted a) {
  Slot* s = slots_[a.index].load(std::memory_order_acquire);
  if (s == nullptr) {
    s = new Slot;  // a slot index is handed out once before it exists, so only this thread creates it
    slots_[a.index].store(s, std::memory_order_release);
  }
  std::lock_guard lock(s->mu);
  s->conn = std::move(a.conn);
  s->busy = false;
  const std::uint64_t key = (std::uint64_t{s->gen} << 32) | a.index;
  arm(epoll_fd_, key, *s->conn, true);
}

void Server::serve(std::uint64_t key) {
  const auto index = static_cast<std::uint32_t>(key & 0xffffffffu);
  const auto gen = static_cast<std::uint32_t>(key >> 32);
  if (index >= capacity_) return;
  Slot* s = slots_[index].load(std::memory_order_acquire);
  if (s == nullptr) return;
  Conn* c = nullptr;
  {
    std::lock_guard lock(s->mu);
    if (s->gen != gen || !s->conn || s->busy) return;  // closed since the event was queued
    s->busy = true;
    c = s->conn.get();
  }
  step(*c, shared_);
  std::lock_guard lock(s->mu);
  s->busy = false;
  if (c->wait == Io::closed) {
    close_slot(index, *s);
  } else {
    arm(epoll_fd_, key, *c, false);  // under the slot's lock: the sweep cannot close it meanwhile
  }
}

void Server::work() {
  epoll_event ev{};
  while (!stop_loop_.load(std::memory_order_relaxed)) {
    // One event per wait: a worker never holds a ready connection back
    // while it serves another one.
    const int n = ::epoll_wait(epoll_fd_, &ev, 1, 1000);
    if (n <= 0 || ev.data.u64 == kWakeKey) continue;
    if (ev.data.u64 == kListenKey) {
      std::vector<Accepted> fresh;
      {
        std::lock_guard lock(mu_);
        if (listen_fd_ < 0) continue;
        if (!shared_.draining.load()) fresh = accept_all(Clock::now());
        if (!listen_paused_) {
          epoll_event lev{};
          lev.events = EPOLLIN | EPOLLONESHOT;
          lev.data.u64 = kListenKey;
          ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &lev);
        }
      }
      for (auto& a : fresh) install(std::move(a));
      continue;
    }
    serve(ev.data.u64);
  }
}

void Server::sweep(Clock::time_point now) {
  const bool draining = shared_.draining.load();
  std::uint32_t used = 0;
  {
    std::lock_guard lock(mu_);
    used = used_;
    if (draining && listen_fd_ >= 0) {
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
      ::close(listen_fd_);
      listen_fd_ = -1;
    }
    if (listen_paused_ && now >= listen_resume_ && listen_fd_ >= 0) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLONESHOT;
      ev.data.u64 = kListenKey;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
      listen_paused_ = false;
    }
  }
  for (std::uint32_t i = 0; i < used; ++i) {
    Slot* s = slots_[i].load(std::memory_order_acquire);
    if (s == nullptr) continue;
    std::lock_guard lock(s->mu);
    if (!s->conn || s->busy) continue;
    // Draining: a connection waiting for a (next) request gets none.
    const bool idle = s->conn->phase == Phase::request || s->conn->phase == Phase::handshake;
    if (now >= s->conn->deadline || (draining && idle)) close_slot(i, *s);
  }
}

void Server::housekeep() {
  std::unique_lock lock(hk_mu_);
  while (!stop_loop_.load()) {
    lock.unlock();
    const auto now = Clock::now();
    last_loop_.store(now.time_since_epoch().count());
    sweep(now);
    lock.lock();
    hk_cv_.wait_for(lock, shared_.draining.load() ? std::chrono::milliseconds(10) : kSweepEvery);
  }
}

void Server::stop(std::chrono::milliseconds drain) {
  if (!housekeeper_.joinable()) return;
  shared_.draining.store(true);
  hk_cv_.notify_all();
  const auto deadline = Clock::now() + drain;
  // The housekeeper closes the listener and the idle connections; requests
  // under way finish, their answers say Connection: close and then they
  // close too.
  while (open_.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  {
    std::lock_guard lock(hk_mu_);
    stop_loop_.store(true);
  }
  hk_cv_.notify_all();
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  housekeeper_.join();
  for (auto& t : workers_) t.join();  // a handler still running finishes first
  workers_.clear();
  for (std::size_t i = 0; i < capacity_; ++i) {
    Slot* s = slots_[i].load();
    if (s == nullptr) continue;
    std::lock_guard lock(s->mu);
    if (s->conn) close_slot(static_cast<std::uint32_t>(i), *s);
  }
}

}  // namespace paw::verifier::edge
