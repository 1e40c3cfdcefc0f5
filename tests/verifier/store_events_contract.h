// store_events_contract.h — migration 14 (one device's events) and the
// newest-first reads, checked on both backends (store_test.cpp,
// postgres_store_test.cpp).
#pragma once

#include <doctest/doctest.h>

#include <Poco/Data/Session.h>

#include <string>
#include <vector>

#include "api/event_query.h"
#include "store/sql/store_sql.h"
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

// check_newest_events_contract: list_events_newest gives events below
// |before| newest first, at most |limit|, every column as written, only
// |device|'s when named; pages chain through the oldest id of the last
// page; list_events_newest_for answers the same.
inline void check_newest_events_contract(Store& store) {
  std::vector<std::int64_t> ids, mine;
  for (int i = 0; i < 40; ++i) {
    const std::string device = i % 4 == 0 ? "dev-a" : (i % 4 == 1 ? "dev-b" : "");
    auto id = store.add_event({0, 2000 + i, "t" + std::to_string(i), device, "{\"n\":" + std::to_string(i) + "}"});
    REQUIRE(id.ok());
    ids.push_back(*id);
    if (device == "dev-a") mine.push_back(*id);
  }
  auto top = store.list_events_newest("", Store::kNoEventBound, 5);
  REQUIRE(top.ok());
  REQUIRE(top->size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    const std::size_t n = 39 - i;
    CHECK((*top)[i].id == ids[n]);
    CHECK((*top)[i].time == 2000 + static_cast<std::int64_t>(n));
    CHECK((*top)[i].type == "t" + std::to_string(n));
    CHECK((*top)[i].detail == "{\"n\":" + std::to_string(n) + "}");
  }
  // The next older page starts below the oldest id of this one.
  auto older = store.list_events_newest("", top->back().id, 5);
  REQUIRE(older.ok());
  REQUIRE(older->size() == 5);
  CHECK(older->front().id == ids[34]);
  CHECK(older->back().id == ids[30]);
  // The oldest page is short; nothing lies below the first id.
  auto oldest = store.list_events_newest("", ids[2], 100);
  REQUIRE(oldest.ok());
  REQUIRE(oldest->size() == 2);
  CHECK(oldest->front().id == ids[1]);
  CHECK(oldest->back().id == ids[0]);
  CHECK(store.list_events_newest("", ids[0], 100)->empty());
  CHECK(store.list_events_newest("", 1, 100)->empty());

  // One device's, newest first, paged the same way.
  auto dev = store.list_events_newest("dev-a", Store::kNoEventBound, 4);
  REQUIRE(dev.ok());
  REQUIRE(dev->size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK((*dev)[i].id == mine[mine.size() - 1 - i]);
    CHECK((*dev)[i].device_id == "dev-a");
  }
  auto dev_older = store.list_events_newest("dev-a", mine[2], 100);
  REQUIRE(dev_older.ok());
  REQUIRE(dev_older->size() == 2);
  CHECK(dev_older->front().id == mine[1]);
  CHECK(dev_older->back().id == mine[0]);
  CHECK(store.list_events_newest("dev", Store::kNoEventBound, 100)->empty());
  CHECK(store.list_events_newest("dev-b", Store::kNoEventBound, 100)->size() == 10);

  auto settled = list_events_newest_for(store, "", Store::kNoEventBound, 3);
  REQUIRE(settled.ok());
  REQUIRE(settled->size() == 3);
  CHECK(settled->front().id == ids[39]);
  CHECK(settled->back().id == ids[37]);
  auto settled_dev = list_events_newest_for(store, "dev-a", mine[5], 2);
  REQUIRE(settled_dev.ok());
  REQUIRE(settled_dev->size() == 2);
  CHECK(settled_dev->front().id == mine[4]);
  CHECK(settled_dev->back().id == mine[3]);
  CHECK(list_events_newest_for(store, "dev-c", Store::kNoEventBound, 5)->empty());
}

// newest_events_plan_sql is |sql| (kNewestEventsSql, kNewestDeviceEventsSql)
// with its `?` replaced by |literals| in order, for EXPLAIN.
inline std::string newest_events_plan_sql(std::string sql, const std::vector<std::string>& literals) {
  for (const auto& v : literals) {
    const auto at = sql.find('?');
    REQUIRE(at != std::string::npos);
    sql.replace(at, 1, v);
  }
  CHECK(sql.find('?') == std::string::npos);
  return sql;
}

// check_newest_events_plan asks the backend's own planner (|session| on the
// store's database) how it runs list_events_newest: an index read backwards
// — the primary key, events_device for one device — and no sort, which is
// how each backend orders what no index does (SQLite: a temporary b-tree;
// PostgreSQL: a Sort node). |device| should hold many events (PostgreSQL
// sorts a few dozen rows rather than walk an index).
inline void check_newest_events_plan(Poco::Data::Session& session, SqlDialect dialect, const std::string& device) {
  namespace kw = Poco::Data::Keywords;
  auto plan = [&](const std::string& sql) {
    std::vector<std::string> lines;
    if (dialect == SqlDialect::sqlite) {
      std::vector<int> a, b, c;
      session << "EXPLAIN QUERY PLAN " + sql, kw::into(a), kw::into(b), kw::into(c), kw::into(lines), kw::now;
    } else {
      session << "EXPLAIN " + sql, kw::into(lines), kw::now;
    }
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    return all;
  };
  const bool lite = dialect == SqlDialect::sqlite;
  const std::string sort = lite ? "TEMP B-TREE" : "Sort";
  const std::string fleet = plan(newest_events_plan_sql(kNewestEventsSql, {"2000000", "101"}));
  INFO(fleet);
  CHECK(fleet.find(lite ? "PRIMARY KEY" : "Index Scan Backward") != std::string::npos);
  CHECK(fleet.find(sort) == std::string::npos);
  const std::string one = plan(newest_events_plan_sql(kNewestDeviceEventsSql, {"'" + device + "'", "2000000", "101"}));
  INFO(one);
  CHECK(one.find(lite ? "events_device" : "Backward using events_device") != std::string::npos);
  CHECK(one.find(sort) == std::string::npos);
}

}  // namespace paw::verifier
