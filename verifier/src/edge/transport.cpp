#include "transport.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace paw::verifier::edge {
namespace {

// tls_wait maps an OpenSSL result to what the connection waits for.
Io tls_wait(SSL* ssl, int rc) {
  switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ: return Io::want_read;
    case SSL_ERROR_WANT_WRITE: return Io::want_write;
    default: return Io::closed;  // ZERO_RETURN, SYSCALL, SSL: nothing more to do with it
  }
}

}  // namespace

Transport::~Transport() {
  if (ssl_ != nullptr) {
    // Best effort close_notify; the socket is non-blocking, so this never waits.
    ERR_clear_error();
    if (SSL_is_init_finished(ssl_) && (SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) == 0) SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (fd_ >= 0) ::close(fd_);
}

Io Transport::handshake() {
  if (ssl_ == nullptr) return Io::done;
  // The error queue is per thread and shared by every connection a worker
  // serves: clear it so SSL_get_error judges only this call.
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_);
  return rc == 1 ? Io::done : tls_wait(ssl_, rc);
}

bool Transport::pending() const noexcept { return ssl_ != nullptr && SSL_has_pending(ssl_) == 1; }

Io Transport::read_some(std::string& buf, std::size_t cap, std::string_view enough) {
  char tmp[16384];
  const std::size_t start = buf.size();
  // Bytes that came before the end of the stream are served first (a
  // client may half-close after its request); the next call says closed.
  auto ended = [&](Io r) { return r == Io::closed && buf.size() > start ? Io::want_read : r; };
  const std::size_t from = start >= enough.size() ? start - enough.size() + 1 : 0;
  auto satisfied = [&] { return !enough.empty() && buf.find(enough, from) != std::string::npos; };
  while (buf.size() < cap) {
    const std::size_t want = std::min(sizeof tmp, cap - buf.size());
    if (ssl_ != nullptr) {
      ERR_clear_error();
      std::size_t got = 0;
      const int rc = SSL_read_ex(ssl_, tmp, want, &got);
      if (rc != 1) return ended(tls_wait(ssl_, rc));
      buf.append(tmp, got);
      if (satisfied()) return Io::done;
    } else {
      const ssize_t n = ::recv(fd_, tmp, want, 0);
      if (n > 0) {
        buf.append(tmp, static_cast<std::size_t>(n));
        if (satisfied()) return Io::done;
      } else if (n == 0) {
        return ended(Io::closed);
      } else if (errno == EINTR) {
        continue;
      } else {
        return ended(errno == EAGAIN || errno == EWOULDBLOCK ? Io::want_read : Io::closed);
      }
    }
  }
  return Io::done;
}

Io Transport::write_some(const std::string& buf, std::size_t& off) {
  while (off < buf.size()) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      std::size_t put = 0;
      const int rc = SSL_write_ex(ssl_, buf.data() + off, buf.size() - off, &put);
      if (rc != 1) return tls_wait(ssl_, rc);
      off += put;
    } else {
      const ssize_t n = ::send(fd_, buf.data() + off, buf.size() - off, MSG_NOSIGNAL);
      if (n >= 0) {
        off += static_cast<std::size_t>(n);
      } else if (errno == EINTR) {
        continue;
      } else {
        return errno == EAGAIN || errno == EWOULDBLOCK ? Io::want_write : Io::closed;
      }
    }
  }
  return Io::done;
}

void Transport::finish_writing() {
  if (ssl_ != nullptr) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
  }
  ::shutdown(fd_, SHUT_WR);
}

}  // namespace paw::verifier::edge
