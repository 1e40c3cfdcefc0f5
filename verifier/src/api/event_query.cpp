#include "event_query.h"

#include <algorithm>
#include <charconv>

#include "paw/attest/evidence.h"

namespace paw::verifier {
namespace {

Result<std::int64_t> query_int(const Request& req, const std::string& key, std::int64_t fallback, std::int64_t min,
                               std::int64_t max) {
  const auto it = req.query.find(key);
  if (it == req.query.end()) return fallback;
  std::int64_t v = 0;
  const auto& s = it->second;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) {
    return make_error(Errc::malformed, key + " must be an integer in [" + std::to_string(min) + ", " +
                                           std::to_string(max) + "]");
  }
  return v;
}

}  // namespace

Result<EventQuery> parse_event_query(const Request& req) {
  EventQuery q;
  PAW_TRY(q.after, query_int(req, "after", 0, 0, INT64_MAX));
  PAW_TRY(q.limit, query_int(req, "limit", 100, 1, 1000));
  PAW_TRY(q.wait, query_int(req, "wait", 0, 0, 60));
  PAW_TRY(q.before, query_int(req, "before", Store::kNoEventBound, 1, INT64_MAX));
  PAW_TRY(q.device, event_device_filter(req));
  const bool follow = req.query.count("follow") != 0;
  if (follow && req.query.count("wait") == 0) q.wait = 25;
  if (const auto it = req.query.find("order"); it != req.query.end()) {
    if (it->second != "asc" && it->second != "desc")
      return make_error(Errc::malformed, "order must be asc (oldest first, the default) or desc (newest first)");
    q.newest_first = it->second == "desc";
  }
  if (!q.newest_first && req.query.count("before") != 0)
    return make_error(Errc::malformed, "before pages back through newest-first reads: add order=desc");
  if (q.newest_first && req.query.count("after") != 0)
    return make_error(Errc::malformed, "after reads oldest first: with order=desc page back with before");
  if (q.newest_first && (q.wait != 0 || follow))
    return make_error(Errc::malformed, "wait and follow need order=asc: follow from the newest id with after");
  return q;
}

Result<std::string> event_device_filter(const Request& req) {
  const auto it = req.query.find("device");
  if (it == req.query.end()) return std::string();
  const std::string& id = it->second;
  if (id.empty() || id.size() > kMaxDeviceIdSize) {
    return make_error(Errc::malformed, "device must be a device id of 1 to " +
                                           std::to_string(kMaxDeviceIdSize) + " characters");
  }
  for (char c : id) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return make_error(Errc::malformed, "device must be a device id (letters, digits, '-', '_')");
  }
  return id;
}

Result<std::vector<EventRecord>> list_events_for(Store& store, const std::string& device, std::int64_t after,
                                                 std::int64_t limit) {
  if (device.empty()) return store.list_events_in_order(after, limit);
  PAW_TRY(std::vector<EventRecord> first, store.list_device_events(device, after, limit));
  if (first.empty()) return first;
  const std::int64_t newest = first.back().id;
  PAW_CHECK(store.settle_events());
  PAW_TRY(std::vector<EventRecord> again, store.list_device_events(device, after, limit));
  std::erase_if(again, [&](const EventRecord& e) { return e.id > newest; });
  return again;
}

Result<std::vector<EventRecord>> list_events_newest_for(Store& store, const std::string& device,
                                                        std::int64_t before, std::int64_t limit) {
  PAW_TRY(std::vector<EventRecord> first, store.list_events_newest(device, before, limit));
  if (first.empty()) return first;
  const std::int64_t newest = first.front().id;
  PAW_CHECK(store.settle_events());
  // Settled, no id below |newest| can appear any more: the same bound again
  // gives the final answer (ids above |newest| belong to the next page up).
  return store.list_events_newest(device, std::min(before, newest + 1), limit);
}

}  // namespace paw::verifier
