// store_events_contract.h — migration 14 (one device's events), checked on
// both backends (store_test.cpp, postgres_store_test.cpp).
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "api/event_query.h"
#include "store/store.h"

namespace paw::verifier {

// check_device_events_contract: list_device_events gives |device|'s events
// only, in id order, after |after|, at most |limit|, every column as
// written; list_events_for does the same in order, and is the fleet's
// stream for "".
inline void check_device_events_contract(Store& store) {
  std::vector<std::int64_t> mine;
  for (int i = 0; i < 30; ++i) {
    const std::string device = i % 3 == 0 ? "dev-a" : (i % 3 == 1 ? "dev-b" : "");
    auto id = store.add_event(
        {0, 1000 + i, i % 2 ? "attestation" : "admin", device, "{\"n\":" + std::to_string(i) + "}"});
    REQUIRE(id.ok());
    if (device == "dev-a") mine.push_back(*id);
  }
  auto all = store.list_device_events("dev-a", 0, 1000);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 10);
  for (std::size_t i = 0; i < all->size(); ++i) {
    CHECK((*all)[i].id == mine[i]);
    CHECK((*all)[i].device_id == "dev-a");
    CHECK((*all)[i].time == 1000 + 3 * static_cast<std::int64_t>(i));
    CHECK((*all)[i].detail == "{\"n\":" + std::to_string(3 * i) + "}");
    CHECK((*all)[i].type == (i % 2 ? "attestation" : "admin"));
  }
  // after and limit page through them.
  auto page = store.list_device_events("dev-a", mine[3], 4);
  REQUIRE(page.ok());
  REQUIRE(page->size() == 4);
  CHECK(page->front().id == mine[4]);
  CHECK(page->back().id == mine[7]);
  CHECK(store.list_device_events("dev-a", mine.back(), 10)->empty());
  // A device id that is a prefix of another's, or unknown, matches nothing else.
  CHECK(store.list_device_events("dev", 0, 100)->empty());
  CHECK(store.list_device_events("dev-c", 0, 100)->empty());
  CHECK(store.list_device_events("dev-b", 0, 100)->size() == 10);

  auto ordered = list_events_for(store, "dev-a", mine[1], 3);
  REQUIRE(ordered.ok());
  REQUIRE(ordered->size() == 3);
  CHECK((*ordered)[0].id == mine[2]);
  CHECK((*ordered)[2].id == mine[4]);
  auto fleet = list_events_for(store, "", 0, 1000);
  REQUIRE(fleet.ok());
  CHECK(fleet->size() == 30);
}

}  // namespace paw::verifier
