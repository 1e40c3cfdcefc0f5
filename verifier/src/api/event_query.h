// event_query.h — the reads behind GET /v1/admin/events: the fleet's events
// or, with ?device=ID, one device's (the console's device page, `pawctl
// events --device`), filtered by the store's query rather than by a client
// that would have to download the whole fleet's stream to find a device's;
// oldest first from ?after=ID (followers, webhooks), or with ?order=desc
// newest first, paging back with ?before=ID (the console's Events page,
// `pawctl events --last N`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edge/http.h"
#include "paw/attest/error.h"
#include "store/store.h"

namespace paw::verifier {

// event_device_filter reads the `device` query parameter: "" when absent
// (every device); Errc::malformed (HTTP 400) when present but empty, longer
// than kMaxDeviceIdSize (128) or not made of [A-Za-z0-9_-], the characters
// of every id the verifier issues: a filter that cannot match any device is
// the caller's mistake, said so rather than answered with nothing.
Result<std::string> event_device_filter(const Request& req);

// EventQuery is GET /v1/admin/events's parameters, read and checked.
struct EventQuery {
  std::string device;          // "" = every device
  bool newest_first = false;   // order=desc
  std::int64_t after = 0;      // order=asc: ids > after
  std::int64_t before = Store::kNoEventBound;  // order=desc: ids < before
  std::int64_t limit = 100;    // 1..1000
  std::int64_t wait = 0;       // long poll, seconds (order=asc only)
};

// parse_event_query reads after, before, order, limit, wait, follow and
// device. Errc::malformed (HTTP 400), naming the parameter, for a value out
// of range or not a number, an order other than asc/desc, before without
// order=desc, and after, a non-zero wait or follow with order=desc: a
// newest-first read pages back in time and has nothing to wait for.
Result<EventQuery> parse_event_query(const Request& req);

// list_events_for is Store::list_events_in_order for |device| "" and its
// device-filtered counterpart otherwise: a reader moving past the last id it
// is given never passes over an event of that device that a transaction
// still in flight holds. (A device's ids have gaps — other devices' events —
// so the gap test of list_events_in_order cannot tell; a non-empty answer
// always settles and reads again, up to the newest id of the first read.)
Result<std::vector<EventRecord>> list_events_for(Store& store, const std::string& device, std::int64_t after,
                                                 std::int64_t limit);

// list_events_newest_for is Store::list_events_newest with the same care:
// a non-empty answer settles and reads again up to its newest id, so a
// follower that starts after that id (the console's Events page, which
// shows the newest page and then long-polls from it) misses no event that a
// transaction in flight held below it.
Result<std::vector<EventRecord>> list_events_newest_for(Store& store, const std::string& device,
                                                        std::int64_t before, std::int64_t limit);

}  // namespace paw::verifier
