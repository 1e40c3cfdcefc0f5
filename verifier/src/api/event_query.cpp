#include "event_query.h"

#include <algorithm>

#include "paw/attest/evidence.h"

namespace paw::verifier {

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

}  // namespace paw::verifier
