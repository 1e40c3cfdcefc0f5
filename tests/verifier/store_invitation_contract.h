// store_invitation_contract.h — migration 15 (admin invitations), checked on
// both backends (store_test.cpp, postgres_store_test.cpp).
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "store/store.h"

namespace paw::verifier {

// check_invitation_contract: a record round-trips; ids are unique; the list
// holds only invitations neither used, revoked nor expired; revoking and
// using succeed once per row and exclude each other; expired ones can be
// neither and are purged.
inline void check_invitation_contract(Store& store) {
  InvitationRecord a{"00000000000000aa", "alice", AdminScope::devices, "admin-1", "ops", "root", 100, 1000};
  REQUIRE(store.add_invitation(a).ok());
  CHECK(store.add_invitation(a).code() == Errc::conflict);
  REQUIRE(store.add_invitation({"00000000000000bb", "bob", AdminScope::full, "admin-1", "ops", "", 101, 1000}).ok());
  REQUIRE(store.add_invitation({"00000000000000cc", "carol", AdminScope::read, "admin-2", "ci", "", 102, 1000}).ok());
  REQUIRE(store.add_invitation({"00000000000000dd", "dave", AdminScope::read, "admin-2", "ci", "", 103, 200}).ok());

  auto found = store.find_invitation("00000000000000aa");
  REQUIRE((found.ok() && found->has_value()));
  const InvitationRecord& f = **found;
  CHECK(f.name == "alice");
  CHECK(f.scope == AdminScope::devices);
  CHECK(f.by == "admin-1");
  CHECK(f.by_name == "ops");
  CHECK(f.by_admin == "root");
  CHECK(f.created_at == 100);
  CHECK(f.expires_at == 1000);
  CHECK(f.used_at == 0);
  CHECK(f.revoked_at == 0);
  auto none = store.find_invitation("0000000000000000");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  auto names = [&](std::int64_t at) {
    auto l = store.list_invitations(at);
    REQUIRE(l.ok());
    std::string out;
    for (const auto& i : *l) out += i.name + " ";
    return out;
  };
  CHECK(names(150) == "alice bob carol dave ");  // oldest first
  CHECK(names(200) == "alice bob carol ");       // dave expired at 200

  // Revoked once; a revoked one cannot be used, nor revoked again.
  CHECK(*store.revoke_invitation("00000000000000aa", "admin-9", 300));
  CHECK_FALSE(*store.revoke_invitation("00000000000000aa", "admin-9", 301));
  CHECK_FALSE(*store.use_invitation("00000000000000aa", 302));
  auto revoked = store.find_invitation("00000000000000aa");
  REQUIRE((revoked.ok() && revoked->has_value()));
  CHECK((*revoked)->revoked_at == 300);
  CHECK((*revoked)->revoked_by == "admin-9");
  CHECK((*revoked)->used_at == 0);
  // Used once; a used one cannot be revoked, nor used again.
  CHECK(*store.use_invitation("00000000000000bb", 310));
  CHECK_FALSE(*store.use_invitation("00000000000000bb", 311));
  CHECK_FALSE(*store.revoke_invitation("00000000000000bb", "admin-9", 312));
  CHECK((*store.find_invitation("00000000000000bb"))->used_at == 310);
  CHECK((*store.find_invitation("00000000000000bb"))->revoked_at == 0);
  // Expired, or unknown: neither.
  CHECK_FALSE(*store.revoke_invitation("00000000000000dd", "admin-9", 320));
  CHECK_FALSE(*store.use_invitation("00000000000000dd", 320));
  CHECK_FALSE(*store.revoke_invitation("0000000000000000", "admin-9", 320));
  CHECK_FALSE(*store.use_invitation("0000000000000000", 320));
  CHECK(names(320) == "carol ");

  // Purged once expired, whatever their state.
  REQUIRE(store.purge_expired(999).ok());
  CHECK_FALSE(store.find_invitation("00000000000000dd")->has_value());
  CHECK(store.find_invitation("00000000000000aa")->has_value());
  REQUIRE(store.purge_expired(1001).ok());
  for (const char* id : {"00000000000000aa", "00000000000000bb", "00000000000000cc"}) {
    CAPTURE(id);
    CHECK_FALSE(store.find_invitation(id)->has_value());
  }
}

}  // namespace paw::verifier
