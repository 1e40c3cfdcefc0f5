// connection.h — one client connection and the HTTP/1.1 exchange on it.
//
// The reactor (server.h) owns every Conn and waits for its socket; when the
// socket is ready it hands the Conn to one worker, which runs step(): it does
// all the work the buffered bytes allow without blocking — TLS handshake,
// reading a request header and body, running the handler, writing the
// answer, then the next pipelined request — and returns the Conn, saying what
// to wait for next and until when. A connection that has not sent a whole
// request therefore holds no worker, however slowly it sends.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http.h"
#include "limits.h"
#include "transport.h"

namespace paw::verifier::edge {

using Clock = std::chrono::steady_clock;

// Hooks connect the edge to the service.
struct Hooks {
  // body_limit is the largest body the route of |method| |path| accepts
  // (a larger Content-Length is answered by handle without reading the body).
  std::function<std::size_t(const std::string& method, const std::string& path)> body_limit;
  // handle answers one request (never throws).
  std::function<Response(Request&)> handle;
  // client_address names the client: |peer|, or whom a trusted proxy names.
  std::function<std::string(const std::string& peer, const std::string& forwarded_for)> client_address;
  // unix_now is the service's wall clock (clock.h), for the Date header;
  // unset: the host's.
  std::function<std::int64_t()> unix_now;
  // runs_inline says that |req|'s handler never waits (no write, no remote
  // database, no sleep): the reactor answers it itself instead of handing the
  // connection to a worker, which saves two thread switches per request on
  // the login path (docs/verifier.md "Connections"). Unset: every handler
  // runs on a worker.
  std::function<bool(const Request& req)> runs_inline;
};

// Shared is the state every connection's step reads.
struct Shared {
  Hooks hooks;
  Limits limits;
  std::atomic<bool> draining{false};       // answer with Connection: close, take no new request
  std::atomic<std::size_t> body_bytes{0};  // bodies buffered now (Limits::body_budget)
};

// handle: a whole request waits for a worker to run its handler.
enum class Phase { handshake, request, body, handle, respond, linger };

struct Conn {
  Conn(int fd, SSL* ssl, std::string peer_address, std::string cap_key_, Clock::time_point now)
      : io(fd, ssl), peer(std::move(peer_address)), cap_key(std::move(cap_key_)),
        phase(ssl != nullptr ? Phase::handshake : Phase::request), deadline(now) {}

  Transport io;
  std::string peer;     // canonical peer address
  std::string cap_key;  // connection-cap bucket ("" = exempt)
  Phase phase;
  std::string in;       // received, not yet consumed
  std::string out;      // answer being written
  std::size_t out_off = 0;
  Request req;          // the request being served
  std::size_t body_len = 0;       // its Content-Length, reserved from the budget while phase == body
  bool header_started = false;    // a byte of the current request has arrived
  bool keep_alive = true;         // the connection stays open after this answer
  bool head_only = false;         // HEAD: no body in the answer
  bool unread = false;            // request bytes left unread: close gently (linger)
  Clock::time_point deadline;     // when a parked connection is dropped
  Io wait = Io::want_read;        // what it waits for when parked (closed = drop it)
  bool busy = false;              // with a worker (reactor thread only)
  std::uint32_t armed = 0;        // its epoll registration now (reactor thread only)
  bool on_reactor = false;        // this step runs on the reactor (only inline handlers)
  bool hand_off = false;          // the step stopped for a worker (handshake, body, a handler that may wait)
};

// step advances |c| as far as its bytes allow (see above) and sets c.wait
// and c.deadline. Touches nothing but |c| and |shared|. On a worker it does
// everything; with c.on_reactor it reads, answers Hooks::runs_inline
// requests and writes, and stops with c.hand_off at whatever needs a worker
// (a TLS handshake, a body, any other handler), to be resumed there.
void step(Conn& c, Shared& shared);

// release gives back the body budget a dropped connection still holds.
void release(Conn& c, Shared& shared);

}  // namespace paw::verifier::edge
