#include "listener.h"

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace paw::verifier::edge {

Result<Listener> open_listener(const std::string& listen, int backlog) {
  Poco::Net::SocketAddress addr;
  try {
    addr = Poco::Net::SocketAddress(listen);
  } catch (const Poco::Exception& e) {
    return make_error(Errc::config_error, "cannot listen on " + listen + ": " + e.displayText());
  }
  const int family = addr.family() == Poco::Net::AddressFamily::IPv6 ? AF_INET6 : AF_INET;
  const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(Errc::io_error, "cannot listen on " + listen + ": " + std::strerror(errno));
  // SO_REUSEADDR only lets a restart bind over TIME_WAIT leftovers; on Linux
  // it never shares a port with a socket that is listening.
  const int one = 1, zero = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);  // [::] serves IPv4 too
  if (::bind(fd, addr.addr(), addr.length()) != 0 || ::listen(fd, backlog) != 0) {
    const int err = errno;
    ::close(fd);
    std::string why = std::strerror(err);
    if (err == EADDRINUSE) why = "address already in use (is another paw-verifier or service on this port?)";
    return make_error(Errc::io_error, "cannot listen on " + listen + ": " + why);
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  Listener l;
  l.fd = fd;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
    l.port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  return l;
}

}  // namespace paw::verifier::edge
