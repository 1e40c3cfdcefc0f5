// store_refs_contract.h — migration 13 (reference events) and the two policy
// writes that keep them true to the policy's values, checked on both
// backends (store_test.cpp, postgres_store_test.cpp) with two Store
// instances on one database standing for two replicas.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"

namespace paw::verifier {

namespace refs_contract {

// doc: a policy document naming what wrote it (the store keeps it as text).
inline std::string doc(const std::string& by) { return R"({"name":"fleet","by":")" + by + "\"}"; }

inline std::int64_t version_of(Store& s, const std::string& name) {
  auto p = s.get_policy(name);
  REQUIRE(p.ok());
  return p->has_value() ? (*p)->version : 0;
}

inline std::string json_of(Store& s, const std::string& name) {
  auto p = s.get_policy(name);
  REQUIRE(p.ok());
  REQUIRE(p->has_value());
  return (*p)->json;
}

// row: set |set|'s row of policy |policy| (REQUIREs it exists).
inline ReferenceEvents row(Store& s, const std::string& policy, const std::string& set) {
  auto list = s.list_reference_events(policy);
  REQUIRE(list.ok());
  for (const auto& r : *list) {
    if (r.set == set) return r;
  }
  FAIL("no reference_events row " << policy << "/" << set);
  return {};
}

}  // namespace refs_contract

// check_refs_contract: rows insert and replace by (policy, set), are listed
// per policy, the latest capture first, with every column as written; both
// writes commit the policy and the events together over exactly the version
// they name, and of a capture and a PUT racing at two replicas the first to
// commit wins whole and the second writes nothing.
inline void check_refs_contract(Store& a, Store& b) {
  using refs_contract::doc;
  using refs_contract::json_of;
  using refs_contract::row;
  using refs_contract::version_of;
  REQUIRE(a.list_reference_events("fleet")->empty());
  // Captures (put_policy_with_reference_events), the first over no stored row.
  REQUIRE(a.put_policy_with_reference_events({"fleet", 1, doc("c1"), 100}, 0,
                                             {"fleet", "", "dev-a", 90, 100, R"({"truncated":false,"events":[]})"})
              .ok());
  REQUIRE(a.put_policy_with_reference_events({"fleet", 2, doc("c2"), 200}, 1,
                                             {"fleet", "bios-1.22", "dev-b", 190, 200, R"({"e":1})"})
              .ok());
  REQUIRE(b.put_policy_with_reference_events({"lab", 1, doc("lab"), 300}, 0,
                                             {"lab", "bios-1.22", "dev-c", 250, 300, R"({"e":2})"})
              .ok());
  auto list = b.list_reference_events("fleet");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].set == "bios-1.22");
  CHECK((*list)[0].device_id == "dev-b");
  CHECK((*list)[0].attested_at == 190);
  CHECK((*list)[0].captured_at == 200);
  CHECK((*list)[0].events_json == R"({"e":1})");
  CHECK((*list)[1].set == "");
  CHECK((*list)[1].policy == "fleet");
  CHECK((*list)[1].events_json == R"({"truncated":false,"events":[]})");
  CHECK(version_of(b, "fleet") == 2);
  CHECK(json_of(b, "fleet") == doc("c2"));
  // Capturing a set again replaces its row.
  REQUIRE(a.put_policy_with_reference_events({"fleet", 3, doc("c3"), 400}, 2,
                                             {"fleet", "", "dev-d", 390, 400, R"({"e":3})"})
              .ok());
  list = a.list_reference_events("fleet");
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].set == "");
  CHECK((*list)[0].device_id == "dev-d");
  CHECK((*list)[0].events_json == R"({"e":3})");
  CHECK(a.list_reference_events("lab")->size() == 1);
  CHECK(a.list_reference_events("none")->empty());

  // A capture made from a version that is no longer stored writes nothing:
  // neither the policy nor its events.
  auto stale = b.put_policy_with_reference_events({"fleet", 3, doc("stale"), 450}, 2,
                                                  {"fleet", "bios-1.22", "dev-x", 440, 450, R"({"x":1})"});
  CHECK(stale.code() == Errc::conflict);
  CHECK(stale.error().detail.find("version 2") != std::string::npos);
  CHECK(b.put_policy_with_reference_events({"fleet", 9, doc("fresh"), 450}, 0,
                                           {"fleet", "bios-1.22", "dev-x", 440, 450, R"({"x":1})"})
            .code() == Errc::conflict);  // "no row yet", but there is one
  CHECK(b.put_policy_with_reference_events({"ghost", 2, doc("ghost"), 450}, 1,
                                           {"ghost", "", "dev-x", 440, 450, R"({"x":1})"})
            .code() == Errc::conflict);  // a version of a policy never stored
  CHECK(version_of(a, "fleet") == 3);
  CHECK(json_of(a, "fleet") == doc("c3"));
  CHECK(row(a, "fleet", "bios-1.22").device_id == "dev-b");
  CHECK(version_of(a, "ghost") == 0);
  CHECK(a.list_reference_events("ghost")->empty());

  // A PUT (put_policy_clearing_reference_events) empties the events of the
  // sets it names, stamped with the policy's time; the others keep theirs.
  REQUIRE(a.put_policy_clearing_reference_events({"fleet", 4, doc("p4"), 600}, 3, {"bios-1.22", "never-captured"})
              .ok());
  CHECK(version_of(b, "fleet") == 4);
  CHECK(json_of(b, "fleet") == doc("p4"));
  const ReferenceEvents cleared = row(b, "fleet", "bios-1.22");
  CHECK(cleared.events_json.empty());
  CHECK(cleared.device_id.empty());
  CHECK(cleared.attested_at == 0);
  CHECK(cleared.captured_at == 600);
  const ReferenceEvents kept = row(b, "fleet", "");
  CHECK(kept.device_id == "dev-d");
  CHECK(kept.events_json == R"({"e":3})");
  CHECK(kept.captured_at == 400);
  CHECK(b.list_reference_events("fleet")->size() == 2);  // no row for a set never captured
  CHECK(row(b, "lab", "bios-1.22").events_json == R"({"e":2})");  // another policy's set of that name
  // Over a stale version, or "no row yet" when there is one: nothing cleared, nothing written.
  auto stale_put = b.put_policy_clearing_reference_events({"fleet", 4, doc("stale"), 650}, 3, {""});
  CHECK(stale_put.code() == Errc::conflict);
  CHECK(b.put_policy_clearing_reference_events({"fleet", 1, doc("stale"), 650}, 0, {""}).code() == Errc::conflict);
  CHECK(json_of(a, "fleet") == doc("p4"));
  CHECK(row(a, "fleet", "").events_json == R"({"e":3})");
  // A new policy (nothing stored yet, nothing to clear), once.
  REQUIRE(a.put_policy_clearing_reference_events({"new", 1, doc("n1"), 700}, 0, {}).ok());
  CHECK(b.put_policy_clearing_reference_events({"new", 1, doc("n1'"), 700}, 0, {}).code() == Errc::conflict);
  CHECK(json_of(b, "new") == doc("n1"));

  // A capture at replica b commits between a PUT's read at replica a and
  // its transaction: the PUT (which left "" alone, so would not clear it)
  // must not land beside b's new events for "": it writes nothing; read
  // again, it goes through on top of the capture.
  std::int64_t read_by_put = version_of(a, "fleet");  // 4
  REQUIRE(b.put_policy_with_reference_events({"fleet", read_by_put + 1, doc("c5"), 800}, read_by_put,
                                             {"fleet", "", "dev-e", 790, 800, R"({"e":5})"})
              .ok());
  CHECK(a.put_policy_clearing_reference_events({"fleet", read_by_put + 1, doc("p5"), 810}, read_by_put, {})
            .code() == Errc::conflict);
  CHECK(json_of(a, "fleet") == doc("c5"));
  CHECK(row(a, "fleet", "").device_id == "dev-e");
  read_by_put = version_of(a, "fleet");  // 5
  REQUIRE(a.put_policy_clearing_reference_events({"fleet", read_by_put + 1, doc("p6"), 820}, read_by_put, {""}).ok());
  CHECK(row(b, "fleet", "").events_json.empty());
  // A PUT at a commits between a capture's read at b and its transaction:
  // the capture (built on the document the PUT replaced) writes nothing, and
  // the PUT's clearing stands.
  const std::int64_t read_by_capture = version_of(b, "fleet");  // 6
  REQUIRE(a.put_policy_clearing_reference_events({"fleet", read_by_capture + 1, doc("p7"), 830}, read_by_capture,
                                                 {"bios-1.22"})
              .ok());
  CHECK(b.put_policy_with_reference_events({"fleet", read_by_capture + 1, doc("c7"), 840}, read_by_capture,
                                           {"fleet", "", "dev-f", 835, 840, R"({"e":7})"})
            .code() == Errc::conflict);
  CHECK(json_of(b, "fleet") == doc("p7"));
  CHECK(row(b, "fleet", "").events_json.empty());

  // Eight writers at once, half captures and half PUTs, split over the two
  // replicas, all made from the same version: exactly one commits, and the
  // stored events are the winner's (a capture's own, or cleared by a PUT).
  const std::int64_t from = version_of(a, "fleet");
  std::atomic<int> won{0}, lost{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      Store& s = i % 2 == 0 ? a : b;
      const std::string by = "w" + std::to_string(i);
      Status st = i % 4 < 2 ? s.put_policy_with_reference_events({"fleet", from + 1, doc(by), 900}, from,
                                                                  {"fleet", "race", by, 890, 900, "{}"})
                            : s.put_policy_clearing_reference_events({"fleet", from + 1, doc(by), 900}, from, {"race"});
      if (st.ok()) ++won;
      else if (st.code() == Errc::conflict) ++lost;
      else ++other;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(won == 1);
  CHECK(lost == 7);
  CHECK(other == 0);
  const std::string winner = json_of(a, "fleet");
  bool capture_won = false;
  for (int i : {0, 1, 4, 5}) capture_won |= winner == doc("w" + std::to_string(i));
  auto raced = a.list_reference_events("fleet");
  REQUIRE(raced.ok());
  const ReferenceEvents* race_row = nullptr;
  for (const auto& r : *raced) {
    if (r.set == "race") race_row = &r;
  }
  if (capture_won) {
    REQUIRE(race_row != nullptr);
    CHECK(doc(race_row->device_id) == winner);
  } else {
    CHECK(race_row == nullptr);  // a PUT won: no capture's row was ever written
  }
  CHECK(version_of(b, "fleet") == from + 1);
}

}  // namespace paw::verifier
