// store_sql_events.cpp — one device's events (migration 14's index) and
// the newest events first, both SQL dialects: the console's device page and
// Events page, `pawctl events --device` and `--last` read what they show
// without paging through the fleet's history.
#include <Poco/Data/Statement.h>

#include "store_sql.h"

namespace kw = Poco::Data::Keywords;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;
using Session = Poco::Data::Session;

namespace paw::verifier {

Result<std::vector<EventRecord>> SqlStore::list_device_events(const std::string& device, std::int64_t after,
                                                              std::int64_t limit) {
  std::vector<EventRecord> out;
  PAW_CHECK(guarded("list_device_events", [&](Session& s) -> Status {
    std::vector<std::int64_t> ids, times;
    std::vector<std::string> types, devices, details;
    s << q(
        "SELECT id, time, type, device_id, detail FROM events WHERE device_id = ? AND id > ? ORDER BY id "
        "LIMIT ?"),
        kw::bind(device), kw::bind(after), kw::bind(limit), into(ids), into(times), into(types),
        into(devices), into(details), now;
    for (std::size_t i = 0; i < ids.size(); ++i)
      out.push_back({ids[i], times[i], types[i], devices[i], details[i]});
    return ok_status();
  }));
  return out;
}

Result<std::vector<EventRecord>> SqlStore::list_events_newest(const std::string& device, std::int64_t before,
                                                              std::int64_t limit) {
  std::vector<EventRecord> out;
  PAW_CHECK(guarded("list_events_newest", [&](Session& s) -> Status {
    std::vector<std::int64_t> ids, times;
    std::vector<std::string> types, devices, details;
    if (device.empty()) {
      s << q(kNewestEventsSql), kw::bind(before), kw::bind(limit), into(ids), into(times), into(types),
          into(devices), into(details), now;
    } else {
      s << q(kNewestDeviceEventsSql), kw::bind(device), kw::bind(before), kw::bind(limit), into(ids),
          into(times), into(types), into(devices), into(details), now;
    }
    for (std::size_t i = 0; i < ids.size(); ++i)
      out.push_back({ids[i], times[i], types[i], devices[i], details[i]});
    return ok_status();
  }));
  return out;
}

}  // namespace paw::verifier
