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

#include "paw/attest/bytes.h"
#include "rate_limit.h"
#include "util.h"

namespace paw::verifier::edge {
namespace {

constexpr std::uint64_t kListenTag = 1;
constexpr std::uint64_t kWakeTag = 2;
constexpr auto kSweepEvery = std::chrono::milliseconds(100);

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
  if (s->epoll_fd_ < 0 || s->wake_fd_ < 0) return make_error(Errc::io_error, "cannot create the connection reactor");
  s->workers_ = std::make_unique<WorkQueue>(s->opts_.threads);
  s->reactor_ = std::thread([p = s.get()] { p->loop(); });
  return s;
}

Server::Server(Options opts, Hooks hooks, Listener l) : opts_(std::move(opts)), listen_fd_(l.fd), port_(l.port) {
  shared_.hooks = std::move(hooks);
  shared_.limits = opts_.limits;
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.u64 = kWakeTag;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

Server::~Server() {
  stop(std::chrono::milliseconds(0));
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Server::wake() {
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

void Server::give_back(Conn* c) {
  {
    std::lock_guard lock(back_mu_);
    back_.push_back(c);
  }
  wake();
}

// When the reactor answers requests itself (Hooks::runs_inline), parked
// connections are registered level-triggered for what they wait for, so a
// keep-alive connection answered on the reactor needs no epoll_ctl (the
// registration is already right), and a connection handed to a worker is
// registered for nothing, one-shot (an error or hang-up is reported once,
// not in a loop while the worker holds it). When every request goes to a
// worker, connections are registered one-shot: the event that hands one over
// also disarms it, one epoll_ctl a request (to re-arm it).
std::uint32_t Server::registration(Io wait) const {
  const std::uint32_t want = wait == Io::want_write ? EPOLLOUT : EPOLLIN;
  return shared_.hooks.runs_inline ? want : want | EPOLLONESHOT;
}

void Server::arm(Conn& c) {
  const std::uint32_t want = registration(c.wait);
  if (c.armed == want && !(want & EPOLLONESHOT)) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.ptr = &c;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.io.fd(), &ev);
  c.armed = want;
}

void Server::disarm(Conn& c) {
  if (c.armed & EPOLLONESHOT) return;  // its event disarmed it
  epoll_event ev{};
  ev.events = EPOLLONESHOT;
  ev.data.ptr = &c;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.io.fd(), &ev);
  c.armed = EPOLLONESHOT;
}

void Server::settle(Conn* c) {
  if (c->wait == Io::closed) {
    destroy(c);
  } else {
    arm(*c);
  }
}

void Server::destroy(Conn* c) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c->io.fd(), nullptr);
  release(*c, shared_);
  if (!c->cap_key.empty()) {
    auto it = per_address_.find(c->cap_key);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  }
  conns_.erase(c);  // closes the socket
  open_.store(conns_.size());
}

void Server::accept_all(Clock::time_point now) {
  const Limits& lim = shared_.limits;
  for (int i = 0; i < 256; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop polling the listener for a moment instead
        // of spinning on it; the backlog waits.
        epoll_event ev{};
        ev.data.u64 = kListenTag;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
        listen_paused_ = true;
        listen_resume_ = now + std::chrono::milliseconds(100);
        log_line("error", "out of file descriptors: accepting paused");
      }
      return;
    }
    const std::string peer = peer_text(ss);
    const bool exempt = opts_.exempt && opts_.exempt(peer);
    const std::string key = exempt ? std::string() : address_bucket(peer);
    if (conns_.size() >= lim.max_connections ||
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
    auto conn = std::make_unique<Conn>(fd, ssl, peer, key, now + lim.first_request);
    Conn* c = conn.get();
    conns_.emplace(c, std::move(conn));
    if (!key.empty()) ++per_address_[key];
    epoll_event ev{};
    ev.events = registration(Io::want_read);
    ev.data.ptr = c;
    c->armed = ev.events;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) destroy(c);
  }
  open_.store(conns_.size());
}

void Server::sweep(Clock::time_point now) {
  const bool draining = shared_.draining.load();
  std::vector<Conn*> expired;
  for (auto& [c, owned] : conns_) {
    if (c->busy) continue;
    // Draining: a connection waiting for a (next) request gets none.
    const bool idle = c->phase == Phase::request || c->phase == Phase::handshake;
    if (now >= c->deadline || (draining && idle)) expired.push_back(c);
  }
  for (Conn* c : expired) destroy(c);
  if (listen_paused_ && now >= listen_resume_ && listen_fd_ >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenTag;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
    listen_paused_ = false;
  }
}

void Server::loop() {
  std::vector<epoll_event> events(512);
  auto next_sweep = Clock::now() + kSweepEvery;
  while (!stop_loop_.load()) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 50);
    const auto now = Clock::now();
    last_loop_.store(now.time_since_epoch().count());
    for (int i = 0; i < n; ++i) {
      const epoll_event& ev = events[static_cast<std::size_t>(i)];
      if (ev.data.u64 == kListenTag) {
        if (listen_fd_ >= 0 && !shared_.draining.load()) accept_all(now);
      } else if (ev.data.u64 == kWakeTag) {
        std::uint64_t v = 0;
        (void)!::read(wake_fd_, &v, sizeof v);
      } else {
        auto* c = static_cast<Conn*>(ev.data.ptr);
        if (c->busy) continue;
        if (shared_.hooks.runs_inline && c->phase != Phase::handshake) {
          // Keep-alive requests whose handler never waits are answered here,
          // without a hand-off; anything else stops for a worker.
          c->on_reactor = true;
          step(*c, shared_);
          c->on_reactor = false;
          if (!c->hand_off) {
            settle(c);
            continue;
          }
        }
        c->busy = true;
        disarm(*c);
        workers_->submit([this, c] {
          step(*c, shared_);
          give_back(c);
        });
      }
    }
    std::vector<Conn*> back;
    {
      std::lock_guard lock(back_mu_);
      back.swap(back_);
    }
    for (Conn* c : back) {
      c->busy = false;
      settle(c);
    }
    if (shared_.draining.load() && listen_fd_ >= 0) {
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
      ::close(listen_fd_);
      listen_fd_ = -1;
      next_sweep = now;  // drop idle connections at once
    }
    if (now >= next_sweep) {
      sweep(now);
      next_sweep = now + kSweepEvery;
    }
  }
}

void Server::stop(std::chrono::milliseconds drain) {
  if (!reactor_.joinable()) return;
  shared_.draining.store(true);
  wake();
  const auto deadline = Clock::now() + drain;
  // The reactor closes the listener and the idle connections; requests under
  // way finish, their answers say Connection: close and then they close too.
  while (open_.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop_loop_.store(true);
  wake();
  reactor_.join();
  workers_->stop();  // a handler still running finishes first
  conns_.clear();
  per_address_.clear();
}

}  // namespace paw::verifier::edge
