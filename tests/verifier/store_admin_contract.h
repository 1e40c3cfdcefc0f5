// store_admin_contract.h — migration 11 (admin scopes, FIDO2 admins and
// their sessions), checked on both backends (store_test.cpp, postgres_store_test.cpp).
#pragma once

#include <doctest/doctest.h>

#include "store/store.h"

namespace paw::verifier {

// check_admin_contract: scopes and session owners round-trip; an admin's
// name and credential id are unique; the counter moves only by
// compare-and-swap; removing an admin and revoking its sessions.
inline void check_admin_contract(Store& store) {
  REQUIRE(store.add_credential({"admin-r", CredentialKind::admin, "hr", "ro", 1, 0, 0, AdminScope::read}).ok());
  REQUIRE(store.add_credential({"ses-1", CredentialKind::admin, "hs", "alice", 2, 900, 0, AdminScope::devices, "alice"})
              .ok());
  REQUIRE(store.add_credential({"ses-2", CredentialKind::admin, "ht", "bob", 2, 900, 0, AdminScope::full, "bob"}).ok());
  auto found = store.find_credential(CredentialKind::admin, "hs");
  REQUIRE((found.ok() && found->has_value()));
  CHECK((*found)->scope == AdminScope::devices);
  CHECK((*found)->admin == "alice");
  auto ro = store.find_credential(CredentialKind::admin, "hr");
  REQUIRE((ro.ok() && ro->has_value()));
  CHECK((*ro)->scope == AdminScope::read);
  CHECK((*ro)->admin.empty());
  auto listed = store.list_credentials();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 3);
  CHECK((*listed)[1].scope == AdminScope::devices);

  REQUIRE(store.add_admin({"alice", "cred-a", "{}", AdminScope::devices, 3, 10, "admin-1"}).ok());
  CHECK(store.add_admin({"alice", "cred-x", "{}", AdminScope::full, 0, 11, "admin-1"}).code() == Errc::conflict);
  CHECK(store.add_admin({"eve", "cred-a", "{}", AdminScope::full, 0, 11, "admin-1"}).code() == Errc::conflict);
  REQUIRE(store.add_admin({"bob", "cred-b", "{}", AdminScope::full, 0, 12, "admin-1"}).ok());
  auto admins = store.list_admins();
  REQUIRE(admins.ok());
  REQUIRE(admins->size() == 2);
  CHECK((*admins)[0].name == "alice");
  CHECK((*admins)[0].scope == AdminScope::devices);
  CHECK((*admins)[0].sign_count == 3);
  CHECK((*admins)[0].credential_id == "cred-a");
  CHECK(*store.advance_admin_counter("alice", 3, 5));
  CHECK_FALSE(*store.advance_admin_counter("alice", 3, 4));  // a second login from the same counter loses
  CHECK(store.list_admins()->front().sign_count == 5);

  CHECK(*store.revoke_admin_sessions("alice", 50) == 1);
  CHECK(*store.revoke_admin_sessions("alice", 51) == 0);
  CHECK(*store.revoke_admin_sessions("", 51) == 0);  // "" never matches the plain credentials
  CHECK((*store.find_credential(CredentialKind::admin, "hs"))->revoked_at == 50);
  CHECK((*store.find_credential(CredentialKind::admin, "ht"))->revoked_at == 0);
  CHECK((*store.find_credential(CredentialKind::admin, "hr"))->revoked_at == 0);
  CHECK(*store.remove_admin("alice"));
  CHECK_FALSE(*store.remove_admin("alice"));
  CHECK_FALSE(*store.advance_admin_counter("alice", 5, 6));
  CHECK(store.list_admins()->size() == 1);

  // Ended sessions are purged; credentials (even expired ones) are not.
  REQUIRE(store.add_credential({"admin-old", CredentialKind::admin, "ho", "old", 1, 100, 0, AdminScope::full}).ok());
  REQUIRE(store.purge_expired(1000).ok());
  auto left = store.list_credentials();
  REQUIRE(left.ok());
  std::string ids;
  for (const auto& cr : *left) ids += cr.id + " ";
  CHECK(ids == "admin-old admin-r ");
}

}  // namespace paw::verifier
