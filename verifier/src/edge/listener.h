// listener.h — the verifier's listening socket.
#pragma once

#include <cstdint>
#include <string>

#include "paw/attest/error.h"

namespace paw::verifier::edge {

struct Listener {
  int fd = -1;
  std::uint16_t port = 0;
};

// open_listener binds |listen| ("ADDR:PORT", "[V6]:PORT", "HOST:PORT"; port 0
// picks a free port) non-blocking, without SO_REUSEPORT: a second verifier on
// a port in use fails here ("address already in use") instead of silently
// sharing the traffic. Errc::io_error / config_error.
Result<Listener> open_listener(const std::string& listen, int backlog = 1024);

}  // namespace paw::verifier::edge
