// http.h — the verifier's request/response types, routing and error mapping.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "admin_scope.h"
#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/json.h"

namespace paw::verifier {

// Request is what a handler sees: everything already size-limited.
struct Request {
  std::string method;
  std::string path;                                 // without the query string
  std::map<std::string, std::string> query;         // decoded; repeated keys keep the last
  std::string authorization;                        // Authorization header ("" if absent)
  std::string remote;                               // peer address (no port)
  std::string body;                                 // read up to the route's limit
  std::int64_t content_length = 0;                  // as announced; > the route's limit: body not read
  std::vector<std::string> params;                  // {id}-style path segments, in order
  std::string route;                                // route label for metrics ("POST /v1/attestations")
  std::string actor;                                // authenticated credential id (admin/rp), "" otherwise
  std::string actor_name;                           // that credential's label (its name in the audit log)
  AdminScope actor_scope = AdminScope::read;        // an admin credential's scope (admin_scope.h)
  std::string actor_admin;                          // the person of an admin session ("" = a plain credential)
  std::string peer;                                 // the TCP peer's address (whoever sent the bytes)
  // The few other header fields a handler reads (login checks: DPoP, the
  // original request a proxy admits, the expected user), by lowercase name.
  // A field sent more than once is kept as "" with its name in |repeated|.
  std::map<std::string, std::string> fields;
  std::vector<std::string> repeated;
  // field returns a kept header field ("" if absent).
  [[nodiscard]] std::string field(const std::string& lower_name) const {
    const auto it = fields.find(lower_name);
    return it == fields.end() ? std::string() : it->second;
  }
};

// kKeptFields are the header fields the edge copies into Request::fields.
inline constexpr const char* kKeptFields[] = {"host", "dpop", "x-original-method", "x-original-uri",
                                              "x-forwarded-proto", "x-forwarded-host", "x-paw-user",
                                              "x-client-cert", "cookie", "x-paw-csrf", "if-match"};

// Response is what a handler returns.
struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// json_response builds a JSON response from an object.
Response json_response(int status, const json::ObjectPtr& obj);
// json_response with a body already encoded (protocol.h's encoders).
Response json_response(int status, std::string body);
// error_response builds {"error": "<errc name>", "message": "<detail>"} with http_status(code).
Response error_response(const Error& e);
// http_status maps an error code to its HTTP status (docs/verifier.md):
// malformed/trailing_data 400, too_large 413, unauthorized/token_* 401,
// forbidden/revoked/policy_violation 403, not_found 404, nonce_*/conflict 409,
// rate_limited 429, storage_error 503, internal/io/network 500, every
// cryptographic or evidence failure 422.
int http_status(Errc code) noexcept;

// Auth is who may call a route.
enum class Auth { none, admin, relying_party };

// Route is one API endpoint. |pattern| segments written "{}" match one path
// segment ([A-Za-z0-9._-]{1,128}) and land in Request::params.
struct Route {
  std::string method;
  std::string pattern;
  Auth auth = Auth::none;
  std::size_t max_body = 64u << 10;
  std::function<Result<Response>(Request&)> handler;
  AdminScope scope = AdminScope::full;  // Auth::admin: the scope a credential needs (admin_scope.h)
};

class Router {
 public:
  void add(Route r) { routes_.push_back(std::move(r)); }
  // match finds the route for |method| and |path|, filling |params|.
  // nullptr with |path_known| = true when only the method differs (405).
  const Route* match(const std::string& method, const std::string& path, std::vector<std::string>& params,
                     bool& path_known) const;

 private:
  std::vector<Route> routes_;
};

// parse_query splits "a=1&b=x%20y" into decoded pairs (bounded: 32 keys).
std::map<std::string, std::string> parse_query(const std::string& query);
// bearer extracts the token of "Bearer <token>" ("" if the header is not that).
std::string bearer(const std::string& authorization);

// ProxyRange is one --trusted-proxy: an address and a prefix length.
struct ProxyRange {
  std::vector<std::uint8_t> net;  // 4 or 16 bytes
  unsigned bits = 0;
};
// canonical_address writes 4 or 16 address bytes as inet_ntop does
// ("10.0.0.1", "2001:db8::1e"; "" for any other size), so one client has one
// spelling — its rate bucket and audit address — however it was written.
std::string canonical_address(ByteView ip);
// parse_proxy_range reads "ADDR" or "ADDR/BITS" (IPv4 or IPv6); nullopt if it is not one.
std::optional<ProxyRange> parse_proxy_range(const std::string& text);
// client_address is the address a request comes from: |peer| unless |peer|
// is a trusted proxy, then the right-most X-Forwarded-For entry that is not
// a trusted proxy (entries to its left were written by the client and prove
// nothing). A malformed entry ends the walk at the last good address.
std::string client_address(const std::string& peer, const std::string& forwarded_for,
                           const std::vector<ProxyRange>& trusted);
// is_trusted_proxy says whether the address |peer| (text) lies in one of |trusted|.
bool is_trusted_proxy(const std::string& peer, const std::vector<ProxyRange>& trusted);

}  // namespace paw::verifier
