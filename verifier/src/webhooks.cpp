#include "webhooks.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/URI.h>

#include <algorithm>

#include "util.h"

namespace paw::verifier {
namespace {
bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1" || host == "[::1]";
}
}  // namespace

Result<std::unique_ptr<WebhookQueue>> WebhookQueue::create(const std::vector<std::string>& urls) {
  for (const auto& u : urls) {
    try {
      Poco::URI uri(u);
      if (uri.getScheme() == "http") {
        if (!is_loopback(uri.getHost())) {
          return make_error(Errc::config_error, "plain-http webhooks are allowed only on loopback: " + u);
        }
      } else if (uri.getScheme() != "https" || uri.getHost().empty()) {
        return make_error(Errc::config_error, "webhook must be an https:// URL: " + u);
      }
    } catch (const std::exception&) {
      return make_error(Errc::config_error, "invalid webhook URL: " + u);
    }
  }
  return std::unique_ptr<WebhookQueue>(new WebhookQueue(urls));
}

WebhookQueue::WebhookQueue(std::vector<std::string> urls) : urls_(std::move(urls)) {
  if (!urls_.empty()) worker_ = std::thread([this] { run(); });
}

WebhookQueue::~WebhookQueue() { stop(); }

void WebhookQueue::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void WebhookQueue::enqueue(const std::string& json_body) {
  if (urls_.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (const auto& u : urls_) {
      if (queue_.size() >= kMaxQueued) {
        queue_.pop_front();
        ++failed_;
      }
      queue_.push_back({u, json_body, 0, std::chrono::steady_clock::now()});
    }
  }
  cv_.notify_all();
}

std::uint64_t WebhookQueue::delivered() const {
  std::lock_guard lock(mu_);
  return delivered_;
}

std::uint64_t WebhookQueue::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

bool WebhookQueue::post(const std::string& url, const std::string& body) {
  try {
    Poco::URI uri(url);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
      // System CAs, full verification (hostname included), TLS >= 1.2.
      static const Poco::Net::Context::Ptr ctx = [] {
        Poco::Net::Context::Ptr c = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                                           Poco::Net::Context::VERIFY_RELAXED, 9, true);
        c->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        return c;
      }();
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), ctx);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    session->setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery().empty() ? "/" : uri.getPathAndQuery(),
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("application/json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    session->sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    session->receiveResponse(resp).ignore(1 << 20);
    return resp.getStatus() >= 200 && resp.getStatus() < 300;
  } catch (const std::exception&) {
    return false;
  }
}

void WebhookQueue::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    // Next item whose time has come (items are few; a linear scan is fine).
    auto it = std::min_element(queue_.begin(), queue_.end(), [](const Item& a, const Item& b) { return a.due < b.due; });
    if (it->due > std::chrono::steady_clock::now()) {
      cv_.wait_until(lock, it->due);
      continue;
    }
    Item item = std::move(*it);
    queue_.erase(it);
    lock.unlock();
    const bool ok = post(item.url, item.body);
    lock.lock();
    if (ok) {
      ++delivered_;
    } else if (++item.attempt >= kMaxAttempts) {
      ++failed_;
      log_line("warn", "webhook delivery abandoned", {{"url", item.url}, {"attempts", std::to_string(item.attempt)}});
    } else {
      // Back-off 0.5 s, 1 s, 2 s, 4 s, 8 s.
      item.due = std::chrono::steady_clock::now() + std::chrono::milliseconds(500LL << (item.attempt - 1));
      queue_.push_back(std::move(item));
    }
  }
}

}  // namespace paw::verifier
