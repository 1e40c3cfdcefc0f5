// Webhook delivery keeps one client per target: alerts to one receiver share
// a kept-alive connection (and one TLS context), and a receiver that closes
// the connection still gets the next alert on a new one.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "store_test_util.h"
#include "verifier_fixture.h"

namespace paw::test {
namespace {

// PortLog is a webhook receiver (plain HTTP on loopback, keep-alive on) that
// records the client port of every POST; it closes the connection after
// the POST numbered |close_after| (1-based, 0: never).
class PortLog {
 public:
  explicit PortLog(int close_after) : close_after_(close_after), socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket_, params);
    server_->start();
  }
  ~PortLog() { server_->stopAll(true); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/hook"; }
  std::vector<int> wait_for(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [&] { return ports_.size() >= n; });
    return ports_;
  }

 private:
  struct Handler : Poco::Net::HTTPRequestHandler {
    PortLog& log;
    explicit Handler(PortLog& l) : log(l) {}
    void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
      std::string body;
      Poco::StreamCopier::copyToString(in.stream(), body);
      bool close = false;
      {
        std::lock_guard lock(log.mu_);
        log.ports_.push_back(in.clientAddress().port());
        close = static_cast<int>(log.ports_.size()) == log.close_after_;
      }
      log.cv_.notify_all();
      out.setKeepAlive(!close);
      out.setContentLength(0);
      out.send();
    }
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    PortLog& log;
    explicit Factory(PortLog& l) : log(l) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(log);
    }
  };
  int close_after_;
  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> ports_;
};

}  // namespace

TEST_CASE("webhooks: one kept-alive connection per target, a new one after the receiver closed it") {
  PortLog rx(2);
  TestVerifier v([&](verifier::Config& c) { c.webhooks = {rx.url()}; });
  auto c = v.client();
  for (int i = 0; i < 3; ++i) {
    const std::string id = "dev-k" + std::to_string(i);
    verifier::seed_device(v.service().store(), id);
    REQUIRE(c.post("/v1/admin/devices/" + id + "/revoke", "", v.admin()).status == 200);
    REQUIRE(rx.wait_for(static_cast<std::size_t>(i) + 1).size() == static_cast<std::size_t>(i) + 1);
  }
  const std::vector<int> ports = rx.wait_for(3);
  REQUIRE(ports.size() == 3);
  CHECK(ports[0] == ports[1]);  // the second alert came on the first one's connection
  CHECK(ports[2] != ports[1]);  // the receiver closed it after the second: delivered on a new one
}

}  // namespace paw::test
