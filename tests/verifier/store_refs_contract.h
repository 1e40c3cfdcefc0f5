// store_refs_contract.h — migration 13 (reference events), checked on both
// backends (store_test.cpp, postgres_store_test.cpp).
#pragma once

#include <doctest/doctest.h>

#include "store/store.h"

namespace paw::verifier {

// check_refs_contract: rows insert and replace by (policy, set), are listed
// per policy, the latest capture first, with every column as written.
inline void check_refs_contract(Store& store) {
  REQUIRE(store.list_reference_events("fleet")->empty());
  REQUIRE(store.put_reference_events({"fleet", "", "dev-a", 90, 100, R"({"truncated":false,"events":[]})"}).ok());
  REQUIRE(store.put_reference_events({"fleet", "bios-1.22", "dev-b", 190, 200, R"({"e":1})"}).ok());
  REQUIRE(store.put_reference_events({"lab", "bios-1.22", "dev-c", 250, 300, R"({"e":2})"}).ok());
  auto list = store.list_reference_events("fleet");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].set == "bios-1.22");
  CHECK((*list)[0].device_id == "dev-b");
  CHECK((*list)[0].attested_at == 190);
  CHECK((*list)[0].captured_at == 200);
  CHECK((*list)[0].events_json == R"({"e":1})");
  CHECK((*list)[1].set == "");
  CHECK((*list)[1].policy == "fleet");
  // Capturing a set again replaces its row.
  REQUIRE(store.put_reference_events({"fleet", "", "dev-d", 390, 400, R"({"e":3})"}).ok());
  list = store.list_reference_events("fleet");
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].set == "");
  CHECK((*list)[0].device_id == "dev-d");
  CHECK((*list)[0].events_json == R"({"e":3})");
  CHECK(store.list_reference_events("lab")->size() == 1);
  CHECK(store.list_reference_events("none")->empty());
  // policy capture: the policy and the events behind it in one transaction,
  // twice (the session the transaction ran on goes back to the pool usable).
  for (std::int64_t v : {7, 8}) {
    REQUIRE(store.put_policy_with_reference_events({"fleet", v, R"({"name":"fleet"})", 500 + v},
                                                   {"fleet", "bios-1.23", "dev-e", 490, 500 + v, R"({"e":4})"}).ok());
    auto pol = store.get_policy("fleet");
    REQUIRE(pol.ok());
    REQUIRE(pol->has_value());
    CHECK((*pol)->version == v);
    list = store.list_reference_events("fleet");
    REQUIRE(list->size() == 3);
    CHECK((*list)[0].set == "bios-1.23");
    CHECK((*list)[0].captured_at == 500 + v);
  }
}

}  // namespace paw::verifier
