// https_client.h — a keep-alive HTTPS JSON client for paw-bench (one per thread).
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>

#include <memory>
#include <string>

#include "paw/attest/error.h"

namespace paw::bench {

struct Target {
  std::string scheme;   // "https" or "http"
  std::string host;
  std::uint16_t port = 0;
  std::string ca_file;  // trusted CA / self-signed certificate of the verifier (https)
};

// parse_target reads "https://HOST:PORT". Errc::config_error.
Result<Target> parse_target(const std::string& url, const std::string& ca_file);

struct Reply {
  int status = 0;
  std::string body;
};

class Client {
 public:
  explicit Client(Target target);
  // call sends one request (JSON body if non-empty, bearer if non-empty) and
  // reads the whole answer; reconnects once if the kept-alive connection dropped.
  // Errc::network_error when no answer arrives.
  Result<Reply> call(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& bearer = {});

 private:
  Result<Reply> once(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& bearer);
  void connect();
  Target target_;
  Poco::Net::Context::Ptr context_;
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
};

// init_tls initializes Poco's SSL once per process.
void init_tls();

}  // namespace paw::bench
