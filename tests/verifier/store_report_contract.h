// store_report_contract.h — migration 10 (report-only policies), checked on
// both backends (store_test.cpp, postgres_store_test.cpp).
#pragma once

#include <doctest/doctest.h>

#include "store/store.h"
#include "store_test_util.h"

namespace paw::verifier {

// check_report_contract: attachments insert, replace and detach by name;
// results upsert per (policy, device) and are listed per policy, only for
// devices that still exist.
inline void check_report_contract(Store& store) {
  REQUIRE(store.list_report_policies()->empty());
  REQUIRE(store.attach_report_policy({"strict", "default", 10}).ok());
  REQUIRE(store.attach_report_policy({"other", "lab", 11}).ok());
  REQUIRE(store.attach_report_policy({"strict", "lab", 12}).ok());  // re-targeted, not a second row
  auto list = store.list_report_policies();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 2);
  CHECK((*list)[1].name == "strict");
  CHECK((*list)[1].target == "lab");
  CHECK((*list)[1].created_at == 12);
  CHECK(*store.detach_report_policy("other"));
  CHECK_FALSE(*store.detach_report_policy("other"));
  CHECK(store.list_report_policies()->size() == 1);

  seed_device(store, "rep-a");
  seed_device(store, "rep-b");
  REQUIRE(store.put_report_result({"strict", "rep-a", 1, "unhealthy", R"([{"code":"pcr_mismatch","message":"m"}])",
                                   R"({"pcr_mismatch":100})", "healthy", 100}).ok());
  REQUIRE(store.put_report_result({"strict", "rep-b", 1, "healthy", "[]", "{}", "healthy", 101}).ok());
  REQUIRE(store.put_report_result({"other", "rep-a", 4, "healthy", "[]", "{}", "healthy", 102}).ok());
  // The latest judgement replaces the earlier one.
  REQUIRE(store.put_report_result({"strict", "rep-a", 2, "warning", "[]", R"({"pcr_mismatch":100})", "unhealthy", 200})
              .ok());
  auto got = store.get_report_result("strict", "rep-a");
  REQUIRE((got.ok() && got->has_value()));
  CHECK((*got)->policy_version == 2);
  CHECK((*got)->verdict == "warning");
  CHECK((*got)->first_seen == R"({"pcr_mismatch":100})");
  CHECK((*got)->enforced_verdict == "unhealthy");
  CHECK((*got)->judged_at == 200);
  CHECK_FALSE(store.get_report_result("strict", "rep-x")->has_value());
  auto results = store.list_report_results("strict");
  REQUIRE(results.ok());
  REQUIRE(results->size() == 2);
  CHECK((*results)[0].device_id == "rep-a");
  CHECK((*results)[1].device_id == "rep-b");
  CHECK((*results)[1].reasons == "[]");
  // A deleted device's results are not listed.
  REQUIRE(*store.delete_device("rep-b"));
  CHECK(store.list_report_results("strict")->size() == 1);
  CHECK_FALSE(store.get_report_result("strict", "rep-b")->has_value());
  CHECK(store.list_report_results("other")->size() == 1);
}

}  // namespace paw::verifier
