// webhooks.h — alert delivery: JSON POSTs to configured webhooks on a
// background thread, retried with exponential back-off, never blocking the
// request that raised the alert.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "paw/attest/error.h"

namespace paw::verifier {

class WebhookQueue {
 public:
  // create checks the URLs: https anywhere, plain http only to loopback hosts.
  // Errc::config_error otherwise.
  static Result<std::unique_ptr<WebhookQueue>> create(const std::vector<std::string>& urls);
  ~WebhookQueue();
  WebhookQueue(const WebhookQueue&) = delete;
  WebhookQueue& operator=(const WebhookQueue&) = delete;

  // enqueue schedules |json_body| for every webhook (drops the oldest beyond kMaxQueued).
  void enqueue(const std::string& json_body);
  // stop ends the worker (undelivered alerts stay in the events table).
  void stop();
  // delivered / failed count finished deliveries (tests, metrics).
  [[nodiscard]] std::uint64_t delivered() const;
  [[nodiscard]] std::uint64_t failed() const;

  static constexpr std::size_t kMaxQueued = 10000;
  static constexpr int kMaxAttempts = 6;

 private:
  explicit WebhookQueue(std::vector<std::string> urls);
  struct Item {
    std::string url;
    std::string body;
    int attempt = 0;
    std::chrono::steady_clock::time_point due;
  };
  void run();
  static bool post(const std::string& url, const std::string& body);

  std::vector<std::string> urls_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stop_ = false;
  std::uint64_t delivered_ = 0;
  std::uint64_t failed_ = 0;
  std::thread worker_;
};

}  // namespace paw::verifier
