// webhooks.h — alert delivery: JSON POSTs to configured webhooks, durable.
//
// Alerts are events (the events table is written in the same transaction as
// their cause), so the queue is the events table itself: every webhook URL
// has a cursor in the database (the last event id handled) and one worker
// thread that reads the events after it, POSTs the alert types in order and
// moves the cursor after each one. Nothing is lost when the verifier stops or
// crashes: the next start resumes at the cursor (delivery is at least once —
// an alert POSTed just before a crash is POSTed again; receivers dedupe on
// `event_id`). Replicas sharing a database lease each cursor, so one replica
// delivers a URL's alerts at a time. A network error or 5xx is retried with
// back-off (0.5 s doubling to 60 s) until it succeeds, holding back the later
// alerts of that URL; a 4xx means the receiver refuses that alert for good:
// it is logged, counted as failed and skipped. Delivery never blocks a request.
// Events are read with Store::list_events_in_order, so an event whose
// transaction commits after a later one (PostgreSQL sequences) is not passed
// over: the cursor waits for it, and alerts leave as soon as they commit.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "clock.h"
#include "paw/attest/error.h"
#include "store/store.h"
#include "wakeup.h"
#include "webhook_signing.h"

namespace paw::https {
class Client;
}

namespace paw::verifier {

// alert_types are the event types delivered to webhooks.
bool is_alert_type(const std::string& type);

// alert_body is the JSON an alert is POSTed as:
// {"event_id","type","device_id","time","detail"}.
std::string alert_body(const EventRecord& e);

class WebhookQueue {
 public:
  // create reads the `webhook` settings ("URL [secret-file=PATH]",
  // webhook_signing.h: with a secret every POST is signed), checks the URLs
  // (https anywhere, plain http only to loopback hosts: Errc::config_error
  // otherwise) and starts one worker per URL on
  // |store| (which must outlive the queue). A URL new to the database starts
  // after the newest event (no backlog of old history). |clock| times the
  // leases and the signatures' timestamps (the service's clock, clock.h).
  static Result<std::unique_ptr<WebhookQueue>> create(const std::vector<std::string>& specs, Store& store,
                                                      WallClock clock);
  ~WebhookQueue();
  WebhookQueue(const WebhookQueue&) = delete;
  WebhookQueue& operator=(const WebhookQueue&) = delete;

  // notify says an alert was recorded: the workers look now, not at their next tick.
  void notify();
  // stop ends the workers; undelivered alerts wait in the database for the next start.
  void stop();
  // delivered / failed (refused with 4xx) count finished deliveries (tests, metrics).
  [[nodiscard]] std::uint64_t delivered() const { return delivered_.load(); }
  [[nodiscard]] std::uint64_t failed() const { return failed_.load(); }

  static constexpr std::int64_t kLeaseSeconds = 30;
  static constexpr std::int64_t kBatch = 200;

 private:
  WebhookQueue(std::vector<WebhookTarget> targets, Store& store, WallClock clock, std::string owner,
               std::int64_t start_after);
  enum class Pass { idle, more, failed };
  // run is one target's worker. It keeps one HTTPS client for the queue's
  // life: the TLS context (the system CA bundle) is built once, and the
  // connection is kept alive between alerts (reopened after an error or
  // when the receiver closed it).
  void run(const WebhookTarget& target);
  // pass handles what is due for |url|: more when a full batch was read,
  // failed when the database did not answer (the worker backs off).
  Pass pass(const WebhookTarget& target, std::unique_ptr<https::Client>& client);
  // post: 2xx → 0, 4xx → 4, anything else (network, 5xx) → 5. Opens |client| when it is null.
  int post(const WebhookTarget& target, std::unique_ptr<https::Client>& client, std::int64_t event_id,
           const std::string& body) const;

  std::vector<WebhookTarget> targets_;  // never resized after the workers start (they hold references)
  bool released_ = false;
  Store& store_;
  WallClock clock_;
  std::string owner_;
  std::int64_t start_after_;
  Wakeup wake_;
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::vector<std::thread> workers_;
};

}  // namespace paw::verifier
