// https_client.h — paw-bench's keep-alive JSON client (one per thread): a
// thin layer over paw's one HTTPS client (paw/https/client.h) that adds the
// bearer header and one retry on a dropped connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "paw/attest/error.h"
#include "paw/https/client.h"

namespace paw::bench {

struct Target {
  std::string url;      // https://HOST:PORT (http:// only on loopback)
  std::string ca_file;  // trusted CA / self-signed certificate of the verifier (https)
};

// parse_target checks "https://HOST:PORT" and the CA file. Errc::config_error.
Result<Target> parse_target(const std::string& url, const std::string& ca_file);

using Reply = https::Reply;

class Client {
 public:
  explicit Client(Target target);
  // call sends one request (JSON body if non-empty, bearer if non-empty) and
  // reads the whole answer; reconnects once if the kept-alive connection dropped.
  // Errc::network_error when no answer arrives (or the target was refused).
  Result<Reply> call(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& bearer = {});

 private:
  Target target_;
  std::optional<https::Client> client_;
  Error open_error_;
};

// init_tls initializes Poco's SSL once per process.
void init_tls();

}  // namespace paw::bench
