// transport.h — one accepted socket, plain or TLS, driven without blocking:
// every call does what the socket allows now and says what it waits for.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

typedef struct ssl_st SSL;

namespace paw::verifier::edge {

// Io is the outcome of one non-blocking step.
enum class Io {
  done,        // finished (handshake, write) or the read reached its cap
  want_read,   // needs the socket readable
  want_write,  // needs the socket writable
  closed,      // end of stream or a transport error: drop the connection
};

class Transport {
 public:
  // Transport owns |fd| (non-blocking) and |ssl| (null for plain HTTP).
  Transport(int fd, SSL* ssl) noexcept : fd_(fd), ssl_(ssl) {}
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  [[nodiscard]] int fd() const noexcept { return fd_; }
  // handshake advances the TLS handshake (done at once for plain HTTP).
  Io handshake();
  // read_some appends to |buf| until it holds |cap| bytes or, when |enough|
  // is given, the bytes read so far contain it (done); or the socket has
  // nothing more (want_read, or want_write for TLS); or the stream ends
  // (closed). Stopping at |enough| saves the read that would only say
  // "nothing more" — a syscall per request.
  Io read_some(std::string& buf, std::size_t cap, std::string_view enough = {});
  // pending: TLS bytes already read from the socket and not yet returned
  // (read-ahead). The socket's readiness does not announce them, so a
  // connection with pending bytes must be stepped, not parked.
  [[nodiscard]] bool pending() const noexcept;
  // write_some writes |buf| from |off| on, advancing |off|: done when all is out.
  Io write_some(const std::string& buf, std::size_t& off);
  // finish_writing ends our direction (TLS close_notify, then FIN) while the
  // peer's bytes can still be read and discarded (lingering close).
  void finish_writing();

 private:
  int fd_;
  SSL* ssl_;
};

}  // namespace paw::verifier::edge
