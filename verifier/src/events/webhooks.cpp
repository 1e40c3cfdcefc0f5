#include "webhooks.h"

#include <Poco/JSON/Object.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "paw/attest/json.h"
#include "paw/https/client.h"
#include "util.h"

namespace paw::verifier {
namespace {

// Receivers are on the internet: the system's CAs, the URL's host pinned
// (paw/https/client.h); an answer is read only to learn its status.
https::Options webhook_options() {
  https::Options o;
  o.system_cas = true;
  o.timeout_seconds = 5;
  o.max_body = std::size_t{1} << 20;
  o.peer = "the webhook receiver";
  o.keep_alive = true;  // one connection per target, kept between alerts (run)
  return o;
}

}  // namespace

bool is_alert_type(const std::string& type) {
  static const std::set<std::string> kAlerts = {"enrollment",         "enrollment_failed", "attestation_failed",
                                                "verdict_change",     "revocation",        "stale",
                                                "enrollment_refused", "device_replaced"};
  return kAlerts.count(type) != 0;
}

std::string alert_body(const EventRecord& e) {
  Poco::JSON::Object::Ptr a = new Poco::JSON::Object();
  a->set("event_id", e.id);
  a->set("type", e.type);
  a->set("device_id", e.device_id);
  a->set("time", e.time);
  auto parsed = json::parse_object(e.detail, 1 << 20);
  if (parsed.ok()) a->set("detail", *parsed);
  return json::stringify(a);
}

Result<std::unique_ptr<WebhookQueue>> WebhookQueue::create(const std::vector<std::string>& specs, Store& store,
                                                           WallClock clock) {
  std::vector<WebhookTarget> targets;
  for (const auto& spec : specs) {
    PAW_TRY(WebhookTarget t, parse_webhook_spec(spec));
    const std::string& u = t.url;
    if (t.secret.size() == 0) {
      log_line("warn", "webhook without secret-file: its alerts are not signed", {{"url", u}});
    }
    // https:// (or plain http:// to loopback only), as every paw client.
    if (auto ep = https::parse_url(u, "webhook"); !ep.ok()) return ep.error();
    targets.push_back(std::move(t));
  }
  PAW_TRY(std::int64_t newest, store.last_event_id());
  PAW_TRY(std::string id, random_hex(8));
  return std::unique_ptr<WebhookQueue>(new WebhookQueue(std::move(targets), store, std::move(clock), "replica-" + id, newest));
}

WebhookQueue::WebhookQueue(std::vector<WebhookTarget> targets, Store& store, WallClock clock, std::string owner,
                           std::int64_t start_after)
    : targets_(std::move(targets)),
      store_(store),
      clock_(std::move(clock)),
      owner_(std::move(owner)),
      start_after_(start_after) {
  for (const auto& t : targets_) workers_.emplace_back([this, &t] { run(t); });
}

WebhookQueue::~WebhookQueue() { stop(); }

void WebhookQueue::stop() {
  wake_.stop();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  workers_.clear();
  if (released_) return;  // stop twice releases once
  released_ = true;
  for (const auto& t : targets_) (void)store_.release_webhook(t.url, owner_);
}

void WebhookQueue::notify() { wake_.notify(); }

int WebhookQueue::post(const WebhookTarget& target, std::unique_ptr<https::Client>& client, std::int64_t event_id,
                       const std::string& body) const {
  if (!client) {
    auto opened = https::Client::open(target.url, webhook_options(), "webhook");
    if (!opened.ok()) return 5;
    client = std::make_unique<https::Client>(std::move(*opened));
  }
  std::string path;
  try {
    path = Poco::URI(target.url).getPathAndQuery();
  } catch (const std::exception&) {
    return 5;  // parse_url accepted it at start-up: not reached
  }
  if (path.empty()) path = "/";
  std::vector<https::Header> headers;
  if (target.secret.size() != 0) {
    // Signed at each attempt (a fresh timestamp); the id stays the event's.
    const std::string id = "evt_" + std::to_string(event_id);
    const std::int64_t ts = clock_();
    headers.push_back({"webhook-id", id});
    headers.push_back({"webhook-timestamp", std::to_string(ts)});
    headers.push_back(
        {"webhook-signature", webhook_signature(ByteView(target.secret.data(), target.secret.size()), id, ts, body)});
  }
  auto reply = client->request("POST", path, body, headers);
  if (!reply.ok()) return 5;
  const int status = reply->status;
  if (status >= 200 && status < 300) return 0;
  return status >= 400 && status < 500 ? 4 : 5;
}

WebhookQueue::Pass WebhookQueue::pass(const WebhookTarget& target, std::unique_ptr<https::Client>& client) {
  const std::string& url = target.url;
  const std::int64_t now_s = clock_();
  auto cursor = store_.claim_webhook(url, owner_, now_s, now_s + kLeaseSeconds, start_after_);
  if (!cursor.ok()) {
    log_line("warn", "webhook cursor unavailable", {{"url", url}, {"error", cursor.error().what()}});
    return Pass::failed;
  }
  if (!*cursor) return Pass::idle;  // another replica delivers this URL
  const std::int64_t start = **cursor;
  std::int64_t last = start;
  // In id order with no id still to come below the newest read: moving the
  // cursor past an event never passes over one that commits later.
  auto events = store_.list_events_in_order(last, kBatch);
  if (!events.ok()) return Pass::failed;
  std::int64_t backoff_ms = 500;
  for (const auto& e : *events) {
    if (is_alert_type(e.type)) {
      const std::string body = alert_body(e);
      for (;;) {
        const int r = post(target, client, e.id, body);
        if (r == 0) {
          ++delivered_;
          break;
        }
        if (r == 4) {
          ++failed_;
          log_line("warn", "webhook refused an alert (4xx); skipped",
                   {{"url", url}, {"event_id", std::to_string(e.id)}});
          break;
        }
        // Back off (new alerts do not cut it short), keep the lease while
        // retrying, or stop if another replica took it.
        if (!wake_.sleep(backoff_ms, false)) return Pass::idle;
        backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 60000);
        const std::int64_t t = clock_();
        auto held = store_.claim_webhook(url, owner_, t, t + kLeaseSeconds, start_after_);
        if (!held.ok() || !*held) return Pass::idle;
      }
      // Moved after every delivered alert: a crash repeats at most this one.
      auto moved = store_.advance_webhook(url, owner_, e.id);
      if (!moved.ok() || !*moved) return Pass::idle;  // lease lost: the other replica goes on from its cursor
    }
    last = e.id;
  }
  // Other events are passed over with one write per batch.
  if (last != start) {
    auto moved = store_.advance_webhook(url, owner_, last);
    if (!moved.ok() || !*moved) return Pass::idle;
  }
  return static_cast<std::int64_t>(events->size()) == kBatch ? Pass::more : Pass::idle;
}

void WebhookQueue::run(const WebhookTarget& target) {
  std::unique_ptr<https::Client> client;
  std::int64_t wait_ms = 1000;
  while (wake_.sleep(wait_ms, true)) {
    switch (pass(target, client)) {
      case Pass::more: wait_ms = 0; break;  // a full batch: read on at once
      case Pass::idle: wait_ms = 1000; break;
      case Pass::failed: wait_ms = std::min<std::int64_t>(std::max<std::int64_t>(wait_ms, 1000) * 2, 30000); break;
    }
  }
}

}  // namespace paw::verifier
