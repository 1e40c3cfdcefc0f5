// store_learn_contract.h — migration 12 (learn mode's queue), checked on both
// backends (store_test.cpp, postgres_store_test.cpp).
#pragma once

#include <doctest/doctest.h>

#include "store/store.h"

namespace paw::verifier {

// check_learn_contract: a device counts once per candidate; candidates are
// per (policy, kind, digest); the limits keep new digests out but let queued
// ones count; a decided candidate is never counted or queued again.
inline void check_learn_contract(Store& store) {
  const LearnSeen app{"boot_app", std::string(64, 'a'), "boot application (PCR 4)"};
  const LearnSeen file{"ima", std::string(40, 'b'), "/usr/bin/tool"};
  auto first = store.record_learn_sightings("default", "dev-1", {app, file}, 100, {});
  REQUIRE(first.ok());
  CHECK(first->dropped == 0);
  REQUIRE(first->counted.size() == 2);
  CHECK(first->counted[0].devices == 1);
  // The same device again: nothing counted.
  auto again = store.record_learn_sightings("default", "dev-1", {app}, 200, {});
  REQUIRE(again.ok());
  CHECK(again->counted.empty());
  // Another device: counted; another policy: a candidate of its own.
  auto second = store.record_learn_sightings("default", "dev-2", {app}, 300, {});
  REQUIRE((second.ok() && second->counted.size() == 1));
  CHECK(second->counted[0].devices == 2);
  REQUIRE(store.record_learn_sightings("lab", "dev-3", {app}, 300, {}).ok());
  auto all = store.list_learn_candidates("");
  REQUIRE(all.ok());
  CHECK(all->size() == 3);
  auto mine = store.list_learn_candidates("default");
  REQUIRE((mine.ok() && mine->size() == 2));
  const LearnCandidate& top = (*mine)[0];  // most devices first
  CHECK(top.kind == "boot_app");
  CHECK(top.digest == app.digest);
  CHECK(top.devices == 2);
  CHECK(top.first_device == "dev-1");
  CHECK(top.first_seen_at == 100);
  CHECK(top.last_seen_at == 300);
  CHECK(top.status == "pending");
  CHECK((*mine)[1].description == "/usr/bin/tool");
  auto got = store.get_learn_candidate(top.id);
  REQUIRE((got.ok() && got->has_value()));
  CHECK((*got)->digest == app.digest);
  CHECK(!store.get_learn_candidate(top.id + 1000)->has_value());

  // Decided once; then neither counted nor queued again.
  CHECK(*store.decide_learn_candidate(top.id, "rejected", "ops (admin-1)", 400));
  CHECK_FALSE(*store.decide_learn_candidate(top.id, "approved", "ops (admin-1)", 401));
  auto late = store.record_learn_sightings("default", "dev-4", {app}, 500, {});
  REQUIRE(late.ok());
  CHECK(late->counted.empty());
  CHECK(late->dropped == 0);
  got = store.get_learn_candidate(top.id);
  CHECK((*got)->status == "rejected");
  CHECK((*got)->devices == 2);
  CHECK((*got)->decided_at == 400);
  CHECK((*got)->decided_by == "ops (admin-1)");

  // Limits: per device, then per policy; queued ones keep counting.
  const LearnLimits tight{3, 2};
  auto seen = [](char c) { return LearnSeen{"boot_app", std::string(64, c), "boot application (PCR 4)"}; };
  auto d5 = store.record_learn_sightings("small", "dev-5", {seen('1'), seen('2'), seen('3')}, 600, tight);
  REQUIRE(d5.ok());
  CHECK(d5->counted.size() == 2);
  CHECK(d5->dropped == 1);  // dev-5 opened two already
  auto d6 = store.record_learn_sightings("small", "dev-6", {seen('1'), seen('4'), seen('5')}, 700, tight);
  REQUIRE(d6.ok());
  CHECK(d6->counted.size() == 2);  // '1' counted, '4' opened (3 pending now), '5' over the policy's cap
  CHECK(d6->dropped == 1);
  CHECK(store.list_learn_candidates("small")->size() == 3);
}

}  // namespace paw::verifier
