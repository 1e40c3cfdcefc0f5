// verifier_fixture.h — a real paw-verifier for tests: an initialized state
// folder, the service started in-process on 127.0.0.1:0 with TLS (or as a
// child process), and an HTTPS client that trusts exactly the generated
// certificate.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "paw/attest/json.h"
#include "service.h"
#include "test_data.h"

namespace paw::test {

// HttpAnswer is one response as the client saw it.
struct HttpAnswer {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string header(const std::string&) const;
  std::vector<std::pair<std::string, std::string>> headers;
  // json parses the body as an object (REQUIRE-fails the test otherwise).
  [[nodiscard]] json::ObjectPtr json() const;
};

// HttpsClient talks to one server; a new TLS connection per request unless
// |keep_alive|. Trusts only |ca_pem_path| (nullopt path = plain HTTP).
class HttpsClient {
 public:
  HttpsClient(std::string host, std::uint16_t port, std::string ca_pem_path);
  HttpAnswer request(const std::string& method, const std::string& path, const std::string& body = {},
                     const std::string& bearer = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {}) const;
  // announce sends only the headers of a POST with |content_length| (no body)
  // and reads the answer: for limits enforced before the body is read.
  HttpAnswer announce(const std::string& path, std::int64_t content_length) const;
  HttpAnswer get(const std::string& path, const std::string& bearer = {}) const { return request("GET", path, {}, bearer); }
  HttpAnswer post(const std::string& path, const std::string& body, const std::string& bearer = {}) const {
    return request("POST", path, body, bearer);
  }

 private:
  std::string host_;
  std::uint16_t port_;
  std::string ca_;
};

// VerifierState is an initialized state folder.
struct VerifierState {
  TempDir dir;
  std::string admin;   // the admin credential init printed
  [[nodiscard]] std::string state() const { return (dir / "state").string(); }
  [[nodiscard]] std::string cert() const { return (dir / "state/tls/cert.pem").string(); }
};
std::unique_ptr<VerifierState> init_verifier_state();

// TestVerifier runs the service in this process.
class TestVerifier {
 public:
  // start initializes a state folder and serves it on 127.0.0.1:0 (TLS); |tweak| may edit the config.
  explicit TestVerifier(const std::function<void(verifier::Config&)>& tweak = {});
  ~TestVerifier();
  [[nodiscard]] HttpsClient client() const;
  [[nodiscard]] verifier::Service& service() { return *svc_; }
  [[nodiscard]] const std::string& admin() const { return state_->admin; }
  [[nodiscard]] VerifierState& state() { return *state_; }
  // create_token makes an enrollment token through the admin API.
  std::string create_token(std::int64_t ttl = 3600, const std::string& label = "test");
  // use_bearer_logins stores the default policy with "login": {"token_binding":
  // "bearer"} (as "default@2"): for tests that present a result token alone.
  void use_bearer_logins();
  // create_rp makes a relying-party credential through the admin API.
  std::string create_rp();
  // restart stops the service (as SIGTERM does) and starts a new one on the
  // same state folder and configuration (on a new port).
  void restart();

 private:
  std::unique_ptr<VerifierState> state_;
  std::unique_ptr<verifier::Service> svc_;
};

// ChildVerifier runs bin/paw-verifier as a child process (crash tests).
class ChildVerifier {
 public:
  ChildVerifier(const std::string& state_dir, const std::vector<std::string>& extra = {});
  ~ChildVerifier();
  [[nodiscard]] std::uint16_t port() const { return port_; }
  // kill9 ends the process with SIGKILL; terminate with SIGTERM and returns the exit status.
  void kill9();
  int terminate();

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// wait_until polls |cond| until it holds (true) or |within| passed (false):
// a test waits for what another thread or process does, not for a guessed time.
bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds within = std::chrono::seconds(10));

// verifier_binary is the built paw-verifier.
std::string verifier_binary();

}  // namespace paw::test
