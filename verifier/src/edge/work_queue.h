// work_queue.h — a fixed set of worker threads taking tasks in order. The
// edge hands a connection to it only when the connection has bytes to work
// on, so a worker never waits for a client.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace paw::verifier::edge {

class WorkQueue {
 public:
  explicit WorkQueue(std::size_t threads);
  ~WorkQueue() { stop(); }
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;
  void submit(std::function<void()> task);
  // stop runs the tasks already queued, then joins every thread.
  void stop();

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace paw::verifier::edge
