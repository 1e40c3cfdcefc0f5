// Listing and revoking admin invitations (api_invitations.cpp, migration 15)
// through the real verifier over TLS: an admin lists the invitations that
// could still be used (never their tokens) and revokes one; the revoked link
// is then refused by the invite page and by a registration that had its
// challenge already, and nothing changes. Who may list and revoke (no
// credential, too small a scope, a console session), unknown and malformed
// ids, revoking twice or after use, expiry and pruning, a token the verifier
// signed but never recorded; and on two replicas of one PostgreSQL database,
// a revocation at one holds at the other at once.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "api/invitation.h"
#include "challenge.h"
#include "clock.h"
#include "invite_test_util.h"
#include "manual_clock.h"
#include "postgres.h"
#include "state.h"
#include "store/store.h"
#include "util.h"

namespace paw::test {
namespace {

std::string id_of(const std::string& invitation) {
  auto inv = verifier::parse_invitation(invitation);
  REQUIRE(inv.ok());
  return verifier::invitation_id(inv->nonce);
}

// Site is one verifier with the console on, as the invite page and an admin see it.
struct Site {
  ManualClock clock;
  TestVerifier v{[this](verifier::Config& cfg) {
    console_config(cfg);
    cfg.clock = clock.clock();
  }};
  HttpsClient c = v.client();
  soft::SoftFido key = soft::SoftFido::create(kRpId, Bytes(16, 0), nullptr).value();

  std::string invite(const std::string& name, const std::string& scope) { return invite_with(c, v.admin(), name, scope); }
  std::string challenge_of(const std::string& invitation) const {
    auto r = invitation_challenge(c, invitation);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r.json()->getValue<std::string>("challenge");
  }
  Made made_for(const std::string& challenge) { return make(key, client_data("webauthn.create", challenge, kOrigin)); }
  HttpAnswer list(const std::string& bearer) const { return c.get("/v1/admin/invitations", bearer); }
  HttpAnswer revoke(const std::string& id, const std::string& bearer) const {
    return c.post("/v1/admin/invitations/" + id + "/revoke", "", bearer);
  }
  // listed: the names of the invitations GET /v1/admin/invitations shows, in order.
  std::string listed() const {
    auto r = list(v.admin());
    REQUIRE_MESSAGE(r.status == 200, r.body);
    std::string out;
    auto arr = r.json()->getArray("invitations");
    for (std::size_t i = 0; i < arr->size(); ++i) out += arr->getObject(static_cast<unsigned>(i))->getValue<std::string>("name") + " ";
    return out;
  }
  // console_sign_in: |name| (whose key is |key|) signs in to the console; the session cookie.
  std::string console_sign_in(const std::string& name) {
    auto in = test::console_sign_in(c, key, name);
    REQUIRE_MESSAGE(in.status == 201, in.body);
    const std::string set = in.header("Set-Cookie");
    return set.substr(0, set.find(';'));
  }
  std::size_t admins() {
    auto l = v.service().store().list_admins();
    REQUIRE(l.ok());
    return l->size();
  }
  std::string events() { return c.get("/v1/admin/events?limit=1000", v.admin()).body; }
  std::string credential(const std::string& scope) {
    auto r = c.post("/v1/admin/credentials", R"({"scope":")" + scope + R"(","label":"low","expires_in_seconds":600})",
                    v.admin());
    REQUIRE_MESSAGE(r.status == 201, r.body);
    return r.json()->getValue<std::string>("credential");
  }
};

}  // namespace

TEST_CASE("admin invitations: listed without their tokens, revoked, then refused with nothing changed") {
  Site t;
  const std::string bob = t.invite("bob", "devices");
  t.clock.advance(1);  // oldest first: by the second each was made
  const std::string carol = t.invite("carol", "read");
  auto l = t.list(t.v.admin());
  REQUIRE_MESSAGE(l.status == 200, l.body);
  auto arr = l.json()->getArray("invitations");
  REQUIRE(arr->size() == 2);
  auto first = arr->getObject(0);
  CHECK(first->getValue<std::string>("id") == id_of(bob));
  CHECK(first->getValue<std::string>("name") == "bob");
  CHECK(first->getValue<std::string>("scope") == "devices");
  CHECK(first->getValue<std::string>("by").rfind("admin-", 0) == 0);  // the inviting credential
  CHECK(first->getValue<std::int64_t>("expires_at") == t.clock.now() - 1 + verifier::kInvitationDefaultTtl);
  CHECK(arr->getObject(1)->getValue<std::string>("id") == id_of(carol));
  // Neither the token nor its nonce is in the answer (the verifier keeps neither).
  CHECK(l.body.find("pawinv.") == std::string::npos);
  CHECK(l.body.find(bob.substr(7, 43)) == std::string::npos);

  // Bob's page was open already (it has a challenge) when the link is revoked.
  const std::string bob_ch = t.challenge_of(bob);
  const auto admins0 = t.admins();
  auto r = t.revoke(id_of(bob), t.v.admin());
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.json()->getValue<std::int64_t>("revoked_at") == t.clock.now());
  CHECK(r.json()->getValue<std::string>("name") == "bob");
  CHECK(t.listed() == "carol ");

  // The page and the registration are refused as revoked; no admin, no use recorded.
  // The holder of the link is told that the invitation was revoked, not a
  // device (the fixed sentence of public_error.h for this route; nothing of
  // the invitation's record).
  const std::string told =
      "the invitation was revoked by an admin; ask for a new link (the verifier log has the detail)";
  auto page = invitation_challenge(t.c, bob);
  CHECK(page.status == 403);
  CHECK(error_of(page) == "revoked");
  CHECK(page.json()->getValue<std::string>("message") == told);
  auto reg = invitation_submit(t.c, bob, t.made_for(bob_ch));
  CHECK(reg.status == 403);
  CHECK(error_of(reg) == "revoked");
  CHECK(reg.json()->getValue<std::string>("message") == told);
  CHECK(t.admins() == admins0);
  auto rec = t.v.service().store().find_invitation(id_of(bob));
  REQUIRE((rec.ok() && rec->has_value()));
  CHECK((*rec)->used_at == 0);
  CHECK((*rec)->revoked_by.rfind("admin-", 0) == 0);

  // Audited with the actor, like admin_invited; the token never.
  const std::string ev = t.events();
  CHECK(ev.find(R"("type":"admin_invitation_revoked")") != std::string::npos);
  CHECK(ev.find(R"("invitation":")" + id_of(bob) + "\"") != std::string::npos);
  CHECK(ev.find(R"("by":")" + (*rec)->revoked_by + "\"") != std::string::npos);
  CHECK(ev.find(R"("admin":"bob")") != std::string::npos);
  CHECK(ev.find("pawinv.") == std::string::npos);
  CHECK(ev.find(R"("via":"invitation")") == std::string::npos);

  // Revoked twice: 409. Carol's, untouched, still works; once used it leaves the list and cannot be revoked.
  CHECK(t.revoke(id_of(bob), t.v.admin()).status == 409);
  auto ok = invitation_submit(t.c, carol, t.made_for(t.challenge_of(carol)));
  REQUIRE_MESSAGE(ok.status == 201, ok.body);
  CHECK(t.admins() == admins0 + 1);
  CHECK(t.listed().empty());
  auto used = t.revoke(id_of(carol), t.v.admin());
  CHECK(used.status == 409);
  CHECK(used.body.find("already used") != std::string::npos);

  // Carol (a read admin) signs in to the console: her session lists, and cannot revoke.
  const std::string dave = t.invite("dave", "read");
  const std::string cookie = t.console_sign_in("carol");
  auto seen = t.c.request("GET", "/v1/admin/invitations", "", "", {{"Cookie", cookie}});
  CHECK(seen.status == 200);
  CHECK(seen.body.find(id_of(dave)) != std::string::npos);
  auto kill = t.c.request("POST", "/v1/admin/invitations/" + id_of(dave) + "/revoke", "", "",
                          {{"Cookie", cookie}, {"X-Paw-Csrf", "1"}});
  CHECK(kill.status == 403);
  CHECK(t.listed() == "dave ");
}

TEST_CASE("admin invitations: only a full admin revokes, unknown ids are 404, refusals change nothing") {
  Site t;
  const std::string bob = t.invite("bob", "full");
  const std::string id = id_of(bob);
  const std::string read = t.credential("read");
  const std::string devices = t.credential("devices");
  // No credential: neither list nor revoke (an outsider learns nothing, kills nothing).
  CHECK(t.list("").status == 401);
  CHECK(t.revoke(id, "").status == 401);
  CHECK(t.revoke(id, "pawadm_" + std::string(64, '0')).status == 401);
  // Read may list; revoking needs what inviting needs (full).
  CHECK(t.list(read).status == 200);
  CHECK(t.revoke(id, read).status == 403);
  CHECK(t.revoke(id, devices).status == 403);
  // Unknown (well formed) and malformed ids.
  auto unknown = t.revoke("0123456789abcdef", t.v.admin());
  CHECK(unknown.status == 404);
  CHECK(error_of(unknown) == "not_found");
  CHECK(t.revoke("0123456789ABCDEF", t.v.admin()).status == 400);
  CHECK(t.revoke("0123", t.v.admin()).status == 400);
  CHECK(t.revoke(id + "0", t.v.admin()).status == 400);
  // None of that touched the invitation: listed, unrevoked, and it still registers.
  CHECK(t.listed() == "bob ");
  CHECK(t.events().find("admin_invitation_revoked") == std::string::npos);
  auto reg = invitation_submit(t.c, bob, t.made_for(t.challenge_of(bob)));
  CHECK_MESSAGE(reg.status == 201, reg.body);
}

TEST_CASE("admin invitations: an expired one leaves the list, cannot be revoked, and is pruned") {
  Site t;
  auto r = t.c.post("/v1/admin/admins/invitations", R"({"name":"bob","scope":"read","expires_in_seconds":60})",
                    t.v.admin());
  REQUIRE_MESSAGE(r.status == 201, r.body);
  const std::string id = r.json()->getValue<std::string>("id");
  CHECK(t.listed() == "bob ");
  t.clock.advance(61);
  CHECK(t.listed().empty());
  auto late = t.revoke(id, t.v.admin());
  CHECK(late.status == 409);
  CHECK(late.body.find("expired") != std::string::npos);
  REQUIRE(t.v.service().store().purge_expired(t.clock.now()).ok());
  CHECK_FALSE(t.v.service().store().find_invitation(id)->has_value());
  CHECK(t.revoke(id, t.v.admin()).status == 404);
}

TEST_CASE("admin invitations: a token the verifier signed but has no record of is refused") {
  // What a verifier before migration 15 issued: a valid MAC, no record, so no
  // way to revoke it — not honoured.
  Site t;
  auto secret = t.v.service().store().service_secret("challenge_key", std::string(64, '0'));
  REQUIRE(secret.ok());
  auto key = verifier::ChallengeKey::from(unhex(*secret).value());
  REQUIRE(key.ok());
  const std::string payload = verifier::invitation_payload("mallory", verifier::AdminScope::full, "admin-x", "x", "");
  auto nonce = key->issue(verifier::invitation_binding(payload), t.clock.now() + 600);
  REQUIRE(nonce.ok());
  const std::string unrecorded = verifier::encode_invitation(*nonce, payload);
  auto page = invitation_challenge(t.c, unrecorded);
  CHECK(page.status == 409);
  CHECK(error_of(page) == "nonce_unknown");
  CHECK(t.listed().empty());
}

TEST_CASE("replicas on postgres: an invitation revoked at one replica is refused at the other at once") {
  verifier::set_log_quiet(true);
  TempDir dir;
  const std::string url = Postgres::shared().create_database();
  verifier::InitOptions o;
  o.state_dir = (dir / "state").string();
  o.database = url;
  auto admin = verifier::init_state(o);
  REQUIRE_MESSAGE(admin.ok(), admin.error().what());
  auto start = [&] {
    verifier::Config cfg;
    cfg.state_dir = (dir / "state").string();
    cfg.database = url;
    cfg.listen = "127.0.0.1:0";
    cfg.issuer = "paw-verifier";
    console_config(cfg);
    auto svc = verifier::Service::create(cfg);
    REQUIRE_MESSAGE(svc.ok(), svc.error().what());
    REQUIRE((*svc)->start().ok());
    return std::move(*svc);
  };
  auto a = start();
  auto b = start();
  const std::string cert = (dir / "state/tls/cert.pem").string();
  HttpsClient ca("127.0.0.1", a->port(), cert), cb("127.0.0.1", b->port(), cert);
  auto key = soft::SoftFido::create(kRpId, Bytes(16, 0), nullptr).value();

  const std::string bob = invite_with(ca, *admin, "bob", "read");
  auto bob_ch = invitation_challenge(ca, bob);
  REQUIRE_MESSAGE(bob_ch.status == 200, bob_ch.body);
  // B lists what A issued, and revokes it.
  auto listed = cb.get("/v1/admin/invitations", *admin);
  REQUIRE(listed.status == 200);
  CHECK(listed.body.find(id_of(bob)) != std::string::npos);
  auto r = cb.post("/v1/admin/invitations/" + id_of(bob) + "/revoke", "", *admin);
  REQUIRE_MESSAGE(r.status == 200, r.body);
  // A refuses the page and the registration at once.
  CHECK(error_of(invitation_challenge(ca, bob)) == "revoked");
  auto reg = invitation_submit(
      ca, bob, make(key, client_data("webauthn.create", bob_ch.json()->getValue<std::string>("challenge"), kOrigin)));
  CHECK(reg.status == 403);
  CHECK(error_of(reg) == "revoked");
  CHECK(a->store().list_admins()->empty());
  // An invitation issued at A and used at B is used for both: A cannot revoke it.
  const std::string carol = invite_with(ca, *admin, "carol", "read");
  auto carol_ch = invitation_challenge(cb, carol);
  REQUIRE(carol_ch.status == 200);
  auto ok = invitation_submit(
      cb, carol, make(key, client_data("webauthn.create", carol_ch.json()->getValue<std::string>("challenge"), kOrigin)));
  REQUIRE_MESSAGE(ok.status == 201, ok.body);
  CHECK(ca.post("/v1/admin/invitations/" + id_of(carol) + "/revoke", "", *admin).status == 409);
  a->stop(5);
  b->stop(5);
}

}  // namespace paw::test
