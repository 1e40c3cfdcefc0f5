// paw/https/client.h — the one strict HTTPS client of paw's programs
// (paw-agent → verifier, pawctl → verifier admin API, paw-verifier → webhook
// receivers, paw-bench → verifier).
//
// The server's certificate must chain to exactly the configured CA file (no
// system CAs unless Options::system_cas) and name the URL's host: a DNS name matched by OpenSSL during
// the handshake (RFC 6125, no partial wildcards) or an IP address matched
// against an iPAddress entry. There is no switch to skip either check. Plain
// http:// is accepted only for a loopback host (development).
//
// Failures: Errc::config_error (bad URL, http:// to a non-loopback host, no
// CA file) before any byte is sent; Errc::network_error when the server
// cannot be reached, the TLS handshake fails (wrong CA, wrong host name) or
// it does not answer in time; Errc::too_large for an answer over the limit.
// Any HTTP status is a successful call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/error.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace paw::https {

// init_ssl sets up Poco's SSL once per process for clients, with a handler
// that rejects any certificate that does not verify (Client::open calls it;
// other programs with their own sessions, e.g. paw-bench, may too).
void init_ssl();

// pin_host makes a TLS handshake on |ctx| fail unless the server certificate
// names |host|: a DNS name (RFC 6125, no partial wildcards) or, for an IP
// literal, an iPAddress entry. False if OpenSSL refuses the setting.
bool pin_host(ssl_ctx_st* ctx, const std::string& host);

// Endpoint is where a server is: scheme "https" (or "http" for loopback), host
// as written in the URL (brackets of an IPv6 literal removed), port.
struct Endpoint {
  std::string scheme;
  std::string host;
  std::uint16_t port = 0;
  std::string url;  // as given, for messages
};

// is_loopback is true for localhost, 127.0.0.1 and ::1 — the only hosts plain
// http:// may reach.
bool is_loopback(std::string_view host) noexcept;

// parse_url reads scheme://host[:port][/…] (the path is ignored: requests name
// their own). Errc::config_error, detail "<what> must be an https:// URL
// (plain http only on loopback): <url>", for any other scheme, http:// to a
// non-loopback host, or a URL without a host.
Result<Endpoint> parse_url(const std::string& url, std::string_view what = "the URL");

inline constexpr std::size_t kDefaultMaxBody = std::size_t{1} << 20;

// Options say how to trust the server and how to word failures.
struct Options {
  std::string ca_file;                  // PEM: the CA (or self-signed certificate) of the server
  // system_cas: trust the system's CA store (webhook receivers on the
  // internet) instead of one CA file; the host is still pinned. paw's own
  // programs talk to the verifier with ca_file only.
  bool system_cas = false;
  int timeout_seconds = 20;             // per socket operation
  std::size_t max_body = kDefaultMaxBody;  // larger answers fail with Errc::too_large
  std::string peer = "the server";      // "the verifier": named in error messages
  std::string ca_hint;                  // after "no CA file: " when ca_file is empty
  std::string tls_hint;                 // appended to a TLS failure (what to check)
  std::string reach_hint;               // appended to a connection failure
  // keep_alive: the requests of one Client share one connection (HTTP/1.1
  // keep-alive; reopened when the server closed it): the agent's challenge
  // and evidence cost one TLS handshake, not two. Such a Client is used by
  // one thread at a time. Off: each request is one connection.
  bool keep_alive = false;
};

struct Header {
  std::string name;
  std::string value;
};

// Reply is one answer.
struct Reply {
  int status = 0;
  std::string body;
  std::string content_type;
};

// Client talks to one endpoint; each request is one connection unless
// Options::keep_alive.
class Client {
 public:
  // open parses |url| (parse_url, named |what|), requires a CA file for
  // https:// and prepares the TLS context pinned to the URL's host.
  static Result<Client> open(const std::string& url, Options options, std::string_view what = "the URL");

  // request sends |method| |path| with |body| (declared application/json when
  // non-empty or the method is POST/PUT) and |headers|, and reads the answer
  // up to options.max_body bytes. Accept: application/json is always sent.
  Result<Reply> request(const std::string& method, const std::string& path, const std::string& body = {},
                        const std::vector<Header>& headers = {}) const;

  [[nodiscard]] const Endpoint& endpoint() const noexcept { return endpoint_; }

 private:
  struct Tls;
  Client(Endpoint endpoint, Options options, std::shared_ptr<Tls> tls);
  Endpoint endpoint_;
  Options options_;
  std::shared_ptr<Tls> tls_;  // null for http://
  // The open connection with keep_alive (Poco::Net::HTTPClientSession);
  // dropped after any failure so the next request starts afresh.
  mutable std::shared_ptr<void> session_;
};

}  // namespace paw::https
