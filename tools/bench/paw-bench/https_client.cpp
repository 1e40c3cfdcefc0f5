#include "https_client.h"

#include <utility>
#include <vector>

namespace paw::bench {
namespace {

https::Options bench_options(const std::string& ca_file) {
  https::Options o;
  o.ca_file = ca_file;
  o.keep_alive = true;
  o.timeout_seconds = 30;
  o.max_body = std::size_t{16} << 20;
  o.peer = "the verifier";
  return o;
}

}  // namespace

void init_tls() { https::init_ssl(); }

Result<Target> parse_target(const std::string& url, const std::string& ca_file) {
  PAW_TRY(https::Endpoint ep, https::parse_url(url, "--verifier"));
  if (ep.scheme == "https" && ca_file.empty()) {
    return make_error(Errc::config_error, "--ca-file (the verifier's TLS certificate or its CA) is required");
  }
  return Target{url, ca_file};
}

Client::Client(Target target) : target_(std::move(target)) {
  auto c = https::Client::open(target_.url, bench_options(target_.ca_file), "--verifier");
  if (c.ok()) {
    client_.emplace(std::move(*c));
  } else {
    open_error_ = c.error();
  }
}

Result<Reply> Client::call(const std::string& method, const std::string& path, const std::string& body,
                           const std::string& bearer) {
  if (!client_) return make_error(Errc::network_error, open_error_.detail);
  std::vector<https::Header> headers;
  if (!bearer.empty()) headers.push_back({"Authorization", "Bearer " + bearer});
  // A kept-alive connection the server closed fails once; the client then
  // starts a new one (paw/https drops the session after any failure).
  auto r = client_->request(method, path, body, headers);
  if (!r.ok() && r.code() == Errc::network_error) r = client_->request(method, path, body, headers);
  return r;
}

}  // namespace paw::bench
