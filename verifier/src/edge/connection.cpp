#include "connection.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/MemoryStream.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>

#include <ctime>

#include "util.h"

namespace paw::verifier::edge {
namespace {

constexpr std::string_view kEnd = "\r\n\r\n";
// kReactorPipeline: pipelined requests the reactor answers in one go.
constexpr int kReactorPipeline = 8;

// park ends a step: the reactor waits for |w| until |deadline|.
void park(Conn& c, Io w, Clock::time_point deadline) {
  c.wait = w;
  c.deadline = deadline;
}

void drop(Conn& c) { c.wait = Io::closed; }

// http_date is the IMF-fixdate of |t| (RFC 9110 5.6.7), made at most once a
// second per thread.
const std::string& http_date(std::time_t t) {
  thread_local std::time_t cached_at = -1;
  thread_local std::string cached;
  if (t != cached_at) {
    cached = Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(t), Poco::DateTimeFormat::HTTP_FORMAT);
    cached_at = t;
  }
  return cached;
}

// The fields every answer carries (the console's pages and the JSON API
// alike): own scripts and styles only, no framing, no referrer, nothing
// cached (docs/console.md).
constexpr std::string_view kFixedFields =
    "Cache-Control: no-store\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Content-Security-Policy: default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'\r\n"
    "X-Frame-Options: DENY\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Server: paw-verifier\r\n";

bool fixed_field(const std::string& name) {
  for (const char* f : {"Cache-Control", "X-Content-Type-Options", "Content-Security-Policy", "X-Frame-Options",
                        "Referrer-Policy", "Server", "Date", "Connection", "Content-Length", "Content-Type",
                        "Transfer-Encoding"}) {
    if (Poco::icompare(name, f) == 0) return true;
  }
  return false;
}

// answer serializes |resp| into c.out: the status line, the handler's fields
// (a field with a line break in its name or value is dropped: no answer
// splitting), the fixed fields, Date, Connection and the body's length.
// Written by hand — it runs on every login — with Poco's reason phrases.
void answer(Conn& c, Shared& sh, Response resp) {
  if (sh.draining.load()) c.keep_alive = false;
  if (resp.status == 204) resp.body.clear();
  std::string& o = c.out;
  o.clear();
  o.reserve(512 + (c.head_only ? 0 : resp.body.size()));
  o += "HTTP/1.1 ";
  o += std::to_string(resp.status);
  o += ' ';
  o += Poco::Net::HTTPResponse::getReasonForStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status));
  o += "\r\n";
  bool retry_after = false;
  for (const auto& [k, v] : resp.headers) {
    if (k.empty() || k.find_first_of("\r\n:") != std::string::npos || v.find_first_of("\r\n") != std::string::npos ||
        fixed_field(k)) {
      continue;
    }
    retry_after = retry_after || Poco::icompare(k, "Retry-After") == 0;
    o.append(k).append(": ").append(v).append("\r\n");
  }
  // A client (or nginx) that is told when to come back does not retry at once.
  if ((resp.status == 429 || resp.status == 503) && !retry_after) o += "Retry-After: 1\r\n";
  o += kFixedFields;
  const auto now = sh.hooks.unix_now ? static_cast<std::time_t>(sh.hooks.unix_now()) : std::time(nullptr);
  o.append("Date: ").append(http_date(now)).append("\r\n");
  o += c.keep_alive ? "Connection: Keep-Alive\r\n" : "Connection: Close\r\n";
  if (resp.status != 204) {  // a 204 has neither (RFC 9110 8.6)
    o.append("Content-Type: ").append(resp.content_type).append("\r\n");
    o.append("Content-Length: ").append(std::to_string(resp.body.size())).append("\r\n");
  }
  o += "\r\n";
  if (!c.head_only) o += resp.body;
  c.out_off = 0;
  c.phase = Phase::respond;
  c.deadline = Clock::now() + sh.limits.write;
}

// refuse answers an edge-level error and closes after it (the rest of the
// stream cannot be trusted to start a request).
void refuse(Conn& c, Shared& sh, Errc code, const std::string& message, int status = 0) {
  Response r = error_response(make_error(code, message));
  if (status != 0) r.status = status;
  c.keep_alive = false;
  c.unread = true;
  answer(c, sh, std::move(r));
}

void run_handler(Conn& c, Shared& sh) {
  Response r;
  try {
    r = sh.hooks.handle(c.req);
  } catch (const std::exception& e) {
    log_line("error", "unhandled exception at the HTTP edge", {{"what", e.what()}, {"path", c.req.path}});
    r = error_response(make_error(Errc::internal, "internal error"));
  } catch (...) {
    r = error_response(make_error(Errc::internal, "internal error"));
  }
  answer(c, sh, std::move(r));
}

// run_or_defer runs the handler now, or, on the reactor, for a handler that
// may wait (Hooks::runs_inline), leaves the whole request for a worker.
void run_or_defer(Conn& c, Shared& sh) {
  if (c.on_reactor && !(sh.hooks.runs_inline && sh.hooks.runs_inline(c.req))) {
    c.phase = Phase::handle;
    c.hand_off = true;
    return;
  }
  run_handler(c, sh);
}

// start_request parses the header in c.in[0, end) with Poco and decides what
// the request needs next: its body, or an answer now.
void start_request(Conn& c, Shared& sh, std::size_t end) {
  Poco::Net::HTTPRequest head;
  try {
    Poco::MemoryInputStream is(c.in.data(), end);  // the header in place, not a copy
    head.read(is);
  } catch (const Poco::Exception&) {
    c.in.clear();
    return refuse(c, sh, Errc::malformed, "malformed request header");
  }
  c.in.erase(0, end);
  c.req = Request{};
  c.keep_alive = head.getKeepAlive() && !sh.draining.load();
  c.head_only = head.getMethod() == "HEAD";
  Request& req = c.req;
  req.method = head.getMethod();
  const std::string& uri = head.getURI();
  const auto q = uri.find('?');
  req.path = uri.substr(0, q);
  if (q != std::string::npos) req.query = parse_query(uri.substr(q + 1));
  req.authorization = head.get("Authorization", "");
  // Every X-Forwarded-For field, in order, as one list (RFC 9110 5.3).
  std::string forwarded;
  for (auto it = head.find("X-Forwarded-For"); it != head.end() && Poco::icompare(it->first, "X-Forwarded-For") == 0;
       ++it) {
    forwarded += (forwarded.empty() ? "" : ",") + it->second;
  }
  req.remote = sh.hooks.client_address(c.peer, forwarded);
  req.peer = c.peer;
  for (const char* name : kKeptFields) {
    auto it = head.find(name);
    if (it == head.end()) continue;
    auto next = it;
    if (++next != head.end() && Poco::icompare(next->first, name) == 0) {
      req.repeated.emplace_back(name);  // two DPoP proofs (or two original URIs) prove nothing
      req.fields[name] = "";
    } else {
      req.fields[name] = it->second;
    }
  }
  if (head.getChunkedTransferEncoding()) {
    return refuse(c, sh, Errc::malformed, "chunked request bodies are not accepted: send Content-Length", 411);
  }
  std::int64_t length = 0;
  try {
    length = head.hasContentLength() ? head.getContentLength64() : 0;
  } catch (const Poco::Exception&) {
    length = -1;
  }
  if (length < 0) return refuse(c, sh, Errc::malformed, "bad Content-Length");
  req.content_length = length;
  if (length == 0) return run_or_defer(c, sh);
  if (static_cast<std::uint64_t>(length) > sh.hooks.body_limit(req.method, req.path)) {
    // The handler refuses it by its length; the unread body ends the connection.
    c.keep_alive = false;
    c.unread = true;
    return run_or_defer(c, sh);
  }
  const auto n = static_cast<std::size_t>(length);
  if (sh.body_bytes.fetch_add(n) + n > sh.limits.body_budget) {
    sh.body_bytes.fetch_sub(n);
    return refuse(c, sh, Errc::storage_error, "too many request bodies in progress, retry", 503);
  }
  c.body_len = n;
  c.phase = Phase::body;
  if (Poco::icompare(head.get("Expect", ""), "100-continue") == 0 && c.in.size() < n) {
    c.out = "HTTP/1.1 100 Continue\r\n\r\n";
    c.out_off = 0;
  }
}

}  // namespace

void release(Conn& c, Shared& sh) {
  if (c.phase == Phase::body && c.body_len > 0) {
    sh.body_bytes.fetch_sub(c.body_len);
    c.body_len = 0;
  }
}

void step(Conn& c, Shared& sh) {
  const Limits& lim = sh.limits;
  c.hand_off = false;
  int answered = 0;
  for (;;) {
    if (c.hand_off) return;
    const auto now = Clock::now();
    switch (c.phase) {
      case Phase::handshake: {
        if (c.on_reactor) {  // public-key work: on a worker, so handshakes use every core
          c.hand_off = true;
          return;
        }
        const Io r = c.io.handshake();
        if (r == Io::done) {
          c.phase = Phase::request;
          continue;
        }
        return park(c, r, c.deadline);  // the deadline from accept covers handshake + first header
      }
      case Phase::request: {
        auto end = c.in.find(kEnd);
        if (end == std::string::npos) {
          if (c.in.size() > lim.max_header_bytes) {
            c.in.clear();
            refuse(c, sh, Errc::too_large, "request header too large", 431);
            continue;
          }
          if (sh.draining.load() && c.in.empty()) return drop(c);
          const std::size_t before = c.in.size();
          const Io r = c.io.read_some(c.in, lim.max_header_bytes + kEnd.size() + 1, kEnd);
          if (r == Io::closed) return drop(c);
          if (!c.header_started && c.in.size() > before) {
            // The first byte of a request starts its header clock (a keep-alive
            // connection was on the idle clock until now).
            c.header_started = true;
            c.deadline = std::min(c.deadline, now + lim.header);
          }
          if (r == Io::done || c.in.find(kEnd) != std::string::npos) continue;
          return park(c, r, c.deadline);
        }
        start_request(c, sh, end + kEnd.size());
        continue;
      }
      case Phase::body: {
        if (c.on_reactor) {  // bodies belong to handlers that write: a worker's
          c.hand_off = true;
          return;
        }
        if (c.out_off < c.out.size()) {  // "100 Continue" first
          const Io w = c.io.write_some(c.out, c.out_off);
          if (w == Io::closed) return drop(c);
          if (w != Io::done) return park(c, w, now + lim.write);
          c.out.clear();
          c.out_off = 0;
          c.deadline = now + lim.body;
        }
        if (c.in.size() < c.body_len) {
          const Io r = c.io.read_some(c.in, c.body_len);
          if (r == Io::closed) return drop(c);
          if (c.in.size() < c.body_len) return park(c, r, c.deadline);
        }
        c.req.body = c.in.substr(0, c.body_len);
        c.in.erase(0, c.body_len);
        release(c, sh);
        run_handler(c, sh);
        continue;
      }
      case Phase::handle: {
        if (c.on_reactor) {
          c.hand_off = true;
          return;
        }
        run_handler(c, sh);
        continue;
      }
      case Phase::respond: {
        const Io w = c.io.write_some(c.out, c.out_off);
        if (w == Io::closed) return drop(c);
        if (w != Io::done) return park(c, w, c.deadline);
        c.out.clear();
        c.out_off = 0;
        c.req = Request{};
        if (!c.keep_alive && c.unread) {
          // Closing on unread bytes would reset the connection and could
          // destroy the answer before the client read it: end our side, then
          // read and discard what comes until the client closes (or 2 s).
          c.io.finish_writing();
          c.phase = Phase::linger;
          c.deadline = now + std::chrono::seconds(2);
          continue;
        }
        if (!c.keep_alive) return drop(c);
        c.phase = Phase::request;
        c.header_started = !c.in.empty();
        c.deadline = now + (c.header_started ? lim.header : lim.idle);
        // Nothing of a next request yet: wait for the socket rather than
        // try a read that would only say so (bytes TLS holds are not
        // announced by the socket, so those are read now).
        if (c.in.empty() && !c.io.pending()) return park(c, Io::want_read, c.deadline);
        // More pipelined requests: the reactor answers a few, then hands the
        // connection to a worker, so one client's pipeline cannot hold it.
        if (c.on_reactor && ++answered >= kReactorPipeline) {
          c.hand_off = true;
          return;
        }
        continue;
      }
      case Phase::linger: {
        c.in.clear();
        const Io r = c.io.read_some(c.in, 1u << 16);
        if (r == Io::closed) return drop(c);
        if (r == Io::done) continue;
        return park(c, r, c.deadline);
      }
    }
  }
}

}  // namespace paw::verifier::edge
