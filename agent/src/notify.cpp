#include "notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace paw::agent {
namespace {

// parse_u64 reads a whole decimal number; false for anything else.
bool parse_u64(const char* s, std::uint64_t& out) {
  if (s == nullptr || *s == '\0') return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || *s == '-') return false;
  out = v;
  return true;
}

}  // namespace

void notify(std::string_view state) noexcept {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return;
  const std::size_t len = std::strlen(path);
  sockaddr_un addr{};
  if (len < 2 || len >= sizeof addr.sun_path) return;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  (void)::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), addr_len);
  ::close(fd);
}

std::uint64_t watchdog_usec() noexcept {
  std::uint64_t usec = 0;
  if (!parse_u64(std::getenv("WATCHDOG_USEC"), usec)) return 0;
  std::uint64_t pid = 0;
  if (const char* p = std::getenv("WATCHDOG_PID"); p != nullptr) {
    if (!parse_u64(p, pid) || pid != static_cast<std::uint64_t>(::getpid())) return 0;
  }
  return usec;
}

}  // namespace paw::agent
