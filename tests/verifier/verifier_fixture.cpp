#include "verifier_fixture.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <thread>

#include "state.h"
#include "util.h"

namespace paw::test {

std::string HttpAnswer::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (Poco::icompare(k, name) == 0) return v;
  }
  return {};
}

json::ObjectPtr HttpAnswer::json() const {
  auto o = json::parse_object(body, 64u << 20);
  REQUIRE_MESSAGE(o.ok(), "not a JSON object: " << body);
  return *o;
}

HttpsClient::HttpsClient(std::string host, std::uint16_t port, std::string ca_pem_path)
    : host_(std::move(host)), port_(port), ca_(std::move(ca_pem_path)) {}

HttpAnswer HttpsClient::announce(const std::string& path, std::int64_t content_length) const {
  Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_,
                                                       Poco::Net::Context::VERIFY_STRICT, 9, false);
  Poco::Net::HTTPSClientSession session(host_, port_, ctx);
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req("POST", path, Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentType("application/json");
  req.setContentLength64(content_length);
  session.sendRequest(req).flush();
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  HttpAnswer a;
  a.status = resp.getStatus();
  Poco::StreamCopier::copyToString(in, a.body);
  return a;
}

HttpAnswer HttpsClient::request(const std::string& method, const std::string& path, const std::string& body,
                                const std::string& bearer,
                                const std::vector<std::pair<std::string, std::string>>& headers) const {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (ca_.empty()) {
    session = std::make_unique<Poco::Net::HTTPClientSession>(host_, port_);
  } else {
    // Trust exactly the verifier's self-signed certificate, verify the peer.
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_,
                                                         Poco::Net::Context::VERIFY_STRICT, 9, false);
    session = std::make_unique<Poco::Net::HTTPSClientSession>(host_, port_, ctx);
  }
  session->setTimeout(Poco::Timespan(60, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!bearer.empty()) req.set("Authorization", "Bearer " + bearer);
  for (const auto& [k, v] : headers) req.add(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session->sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session->receiveResponse(resp);
  HttpAnswer a;
  a.status = resp.getStatus();
  a.content_type = resp.getContentType();
  for (const auto& [k, v] : resp) a.headers.emplace_back(k, v);
  Poco::StreamCopier::copyToString(in, a.body);
  return a;
}

std::unique_ptr<VerifierState> init_verifier_state() {
  auto st = std::make_unique<VerifierState>();
  verifier::InitOptions o;
  o.state_dir = st->state();
  auto cred = verifier::init_state(o);
  REQUIRE_MESSAGE(cred.ok(), cred.error().what());
  st->admin = *cred;
  return st;
}

TestVerifier::TestVerifier(const std::function<void(verifier::Config&)>& tweak) : state_(init_verifier_state()) {
  verifier::set_log_quiet(true);
  verifier::Config cfg;
  cfg.state_dir = state_->state();
  cfg.listen = "127.0.0.1:0";
  cfg.issuer = "paw-verifier";
  cfg.rate_per_address = 100000;
  cfg.rate_per_device = 100000;
  if (tweak) tweak(cfg);
  auto svc = verifier::Service::create(cfg);
  REQUIRE_MESSAGE(svc.ok(), svc.error().what());
  svc_ = std::move(*svc);
  auto st = svc_->start();
  REQUIRE_MESSAGE(st.ok(), st.error().what());
}

TestVerifier::~TestVerifier() {
  if (svc_) svc_->stop(5);
}

void TestVerifier::restart() {
  verifier::Config cfg = svc_->config();
  cfg.listen = "127.0.0.1:0";
  svc_->stop(5);
  svc_.reset();
  auto svc = verifier::Service::create(cfg);
  REQUIRE_MESSAGE(svc.ok(), svc.error().what());
  svc_ = std::move(*svc);
  auto st = svc_->start();
  REQUIRE_MESSAGE(st.ok(), st.error().what());
}

HttpsClient TestVerifier::client() const {
  return HttpsClient("127.0.0.1", svc_->port(), svc_->config().insecure_http ? "" : state_->cert());
}

std::string TestVerifier::create_token(std::int64_t ttl, const std::string& label) {
  auto a = client().post("/v1/admin/tokens", R"({"ttl_seconds":)" + std::to_string(ttl) + R"(,"label":")" + label + "\"}",
                         admin());
  REQUIRE(a.status == 201);
  return a.json()->getValue<std::string>("token");
}

void TestVerifier::use_bearer_logins() {
  auto a = client().request("PUT", "/v1/admin/policies/default", R"({"login":{"token_binding":"bearer"}})", admin());
  REQUIRE_MESSAGE(a.status == 200, a.body);
}

std::string TestVerifier::create_rp() {
  auto a = client().post("/v1/admin/rp-credentials", R"({"label":"rp"})", admin());
  REQUIRE(a.status == 201);
  return a.json()->getValue<std::string>("credential");
}

bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!cond()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the poll interval, not a wait for time to pass
  }
  return true;
}

std::string verifier_binary() { return std::string(PAW_BINARY_DIR) + "/verifier/paw-verifier"; }

ChildVerifier::ChildVerifier(const std::string& state_dir, const std::vector<std::string>& extra) {
  int out[2];
  REQUIRE(::pipe(out) == 0);
  std::vector<std::string> args = {verifier_binary(), "run", "--state", state_dir, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 2);
    ::close(out[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  // Read "listening on https://127.0.0.1:PORT".
  std::string line;
  char c = 0;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  ::close(out[0]);
  const auto colon = line.rfind(':');
  REQUIRE_MESSAGE((line.rfind("listening on https://127.0.0.1:", 0) == 0 && colon != std::string::npos),
                  "unexpected first line: " << line);
  port_ = static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
}

ChildVerifier::~ChildVerifier() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void ChildVerifier::kill9() {
  REQUIRE(pid_ > 0);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int ChildVerifier::terminate() {
  REQUIRE(pid_ > 0);
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace paw::test
