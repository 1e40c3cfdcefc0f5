// limits.h — the numbers of the connection edge (docs/verifier.md,
// "Connections"). Idle and slow connections cost a socket and a few
// kilobytes, never a worker thread; these bound how many and for how long.
#pragma once

#include <chrono>
#include <cstddef>

namespace paw::verifier::edge {

struct Limits {
  // Open connections in all (--max-connections); at the cap a new connection
  // is closed at accept.
  std::size_t max_connections = 4096;
  // Open connections per client address, IPv6 per /64
  // (--max-connections-per-address); trusted proxies are exempt.
  std::size_t max_connections_per_address = 64;
  // From accept: TLS handshake and the first request header, complete.
  std::chrono::milliseconds first_request{10000};
  // A later request on a keep-alive connection: its header, from its first byte.
  std::chrono::milliseconds header{10000};
  // A keep-alive connection with no request started.
  std::chrono::milliseconds idle{75000};
  // The request body, from the end of its header.
  std::chrono::milliseconds body{30000};
  // Writing one response.
  std::chrono::milliseconds write{30000};
  // Request line + header fields.
  std::size_t max_header_bytes = 16384;
  // Request bodies buffered at once over all connections (a body is read
  // before its handler runs); beyond it a request gets 503 + Retry-After.
  std::size_t body_budget = 256u << 20;
};

}  // namespace paw::verifier::edge
