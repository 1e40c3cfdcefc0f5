// Registering an admin's key in the browser with a one-time invitation
// (console_invite.cpp, invitation.h) through the real verifier over TLS,
// with a software FIDO2 key that makes credentials as a browser's
// authenticator does (packed self attestation over SHA-256(clientDataJSON),
// or none) and the attestationObject a browser posts. The happy path (scope
// from the invitation, audited as the inviter's act, sign-in with the new
// key), then every attack the brief names — the invitation used twice,
// expired, forged, for another rp id or origin, a replayed challenge, CSRF,
// no or too small a credential — refused, with no admin added, and the
// invitation still good afterwards when the refusal came before its use.
#include <doctest/doctest.h>

#include <string>

#include "clock.h"
#include "api/invitation.h"
#include "challenge.h"
#include "invite_test_util.h"
#include "store/store.h"
#include "util.h"

namespace paw::test {
namespace {

struct Invite {
  TestVerifier v{console_config};
  HttpsClient c = v.client();
  soft::SoftFido key = soft::SoftFido::create(kRpId, Bytes(16, 0), nullptr).value();

  std::string invite(const std::string& name, const std::string& scope) { return invite_with(c, v.admin(), name, scope); }
  HttpAnswer challenge(const std::string& invitation) const { return invitation_challenge(c, invitation); }
  std::string challenge_of(const std::string& invitation) const {
    auto r = challenge(invitation);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r.json()->getValue<std::string>("challenge");
  }
  HttpAnswer submit(const std::string& invitation, const Made& m,
                    const std::vector<std::pair<std::string, std::string>>& headers = kCsrf) const {
    return invitation_submit(c, invitation, m, headers);
  }
  std::size_t admins() {
    auto l = v.service().store().list_admins();
    REQUIRE(l.ok());
    return l->size();
  }
  std::string events() { return c.get("/v1/admin/events?limit=1000", v.admin()).body; }
};

}  // namespace

TEST_CASE("admin invitation: the invited admin registers a browser-made key, with the invitation's scope") {
  Invite t;
  auto r = t.c.post("/v1/admin/admins/invitations", R"({"name":"bob","scope":"devices","expires_in_seconds":600})",
                    t.v.admin());
  REQUIRE_MESSAGE(r.status == 201, r.body);
  const std::string invitation = r.json()->getValue<std::string>("invitation");
  CHECK(invitation.rfind("pawinv.", 0) == 0);
  CHECK(r.json()->getValue<std::string>("url") == std::string(kOrigin) + "/#/invite/" + invitation);
  CHECK(r.json()->getValue<std::int64_t>("expires_at") - verifier::system_unix_now() <= 600);
  auto ch = t.challenge(invitation);
  REQUIRE_MESSAGE(ch.status == 200, ch.body);
  CHECK(ch.json()->getValue<std::string>("rp_id") == kRpId);
  CHECK(ch.json()->getValue<std::string>("name") == "bob");
  CHECK(ch.json()->getValue<std::string>("scope") == "devices");
  const auto before = t.admins();
  const Made m = make(t.key, client_data("webauthn.create", ch.json()->getValue<std::string>("challenge"), kOrigin));
  auto done = t.submit(invitation, m);
  REQUIRE_MESSAGE(done.status == 201, done.body);
  CHECK(done.json()->getValue<std::string>("name") == "bob");
  CHECK(done.json()->getValue<std::string>("scope") == "devices");
  CHECK(t.admins() == before + 1);
  auto admins = t.v.service().store().list_admins();
  REQUIRE(admins.ok());
  bool found = false;
  for (const auto& a : *admins) {
    if (a.name != "bob") continue;
    found = true;
    CHECK(a.scope == verifier::AdminScope::devices);
    CHECK(a.credential_id == base64url(m.credential_id));
    CHECK_FALSE(a.created_by.empty());  // the inviting credential
  }
  CHECK(found);
  // Audited: the invitation, and the admin added by the inviting credential.
  const std::string ev = t.events();
  CHECK(ev.find(R"("type":"admin_invited")") != std::string::npos);
  CHECK(ev.find(R"("via":"invitation")") != std::string::npos);
  CHECK(ev.find(R"("admin":"bob")") != std::string::npos);
  CHECK(ev.find(invitation) == std::string::npos);  // the token itself is never in the trail

  // Bob signs in with the new key (pawctl login's route, the same credential).
  auto in = console_sign_in(t.c, t.key, "bob");
  REQUIRE_MESSAGE(in.status == 201, in.body);
  CHECK(in.json()->getValue<std::string>("admin") == "bob");
}

TEST_CASE("admin invitation: every attack is refused and changes nothing") {
  Invite t;
  const std::string invitation = t.invite("carol", "read");
  const std::string good_ch = t.challenge_of(invitation);
  const auto admins0 = t.admins();
  auto refused = [&](const HttpAnswer& r, const std::string& code) {
    CHECK_MESSAGE(r.status >= 400, r.body);
    CHECK_MESSAGE(r.status < 500, r.body);
    CHECK(error_of(r) == code);
    CHECK(t.admins() == admins0);
  };
  SUBCASE("no CSRF header: refused before anything is read") {
    refused(t.c.post("/console/invitation/challenge", R"({"invitation":")" + invitation + R"("})"), "forbidden");
    const Made m = make(t.key, client_data("webauthn.create", good_ch, kOrigin));
    refused(t.submit(invitation, m, {}), "forbidden");
  }
  SUBCASE("another origin, a cross-origin frame, a sign-in ceremony") {
    refused(t.submit(invitation, make(t.key, client_data("webauthn.create", good_ch, "https://evil.example"))),
            "fido_rp_mismatch");
    std::string cross = client_data("webauthn.create", good_ch, kOrigin);
    cross.replace(cross.find("false"), 5, "true");
    refused(t.submit(invitation, make(t.key, cross)), "fido_rp_mismatch");
    refused(t.submit(invitation, make(t.key, client_data("webauthn.get", good_ch, kOrigin))),
            "fido_challenge_mismatch");
  }
  SUBCASE("a key made for another rp id") {
    auto other = soft::SoftFido::create("evil.test", Bytes(16, 0), nullptr).value();
    refused(t.submit(invitation, make(other, client_data("webauthn.create", good_ch, kOrigin))), "fido_rp_mismatch");
  }
  SUBCASE("a challenge of another invitation, or none of this verifier's") {
    const std::string other = t.invite("dave", "full");
    refused(t.submit(invitation, make(t.key, client_data("webauthn.create", t.challenge_of(other), kOrigin))),
            "nonce_unknown");
    refused(t.submit(invitation, make(t.key, client_data("webauthn.create", base64url(Bytes(32, 7)), kOrigin))),
            "nonce_unknown");
  }
  SUBCASE("a forged invitation: another scope or name under the same nonce") {
    auto inv = verifier::parse_invitation(invitation);
    REQUIRE(inv.ok());
    for (const auto& [name, scope] : {std::pair{"carol", verifier::AdminScope::full},
                                      std::pair{"mallory", verifier::AdminScope::read}}) {
      const std::string forged = verifier::encode_invitation(
          inv->nonce, verifier::invitation_payload(name, scope, inv->by, inv->by_name, inv->by_admin));
      refused(t.challenge(forged), "nonce_unknown");
      refused(t.submit(forged, make(t.key, client_data("webauthn.create", good_ch, kOrigin))), "nonce_unknown");
    }
    refused(t.challenge("pawinv.x.y"), "malformed");
    refused(t.challenge(std::string(2000, 'a')), "too_large");
  }
  SUBCASE("an expired invitation") {
    // Issued with the verifier's own key (the store's shared secret) so only its expiry differs.
    auto secret = t.v.service().store().service_secret("challenge_key", std::string(64, '0'));
    REQUIRE(secret.ok());
    auto key = verifier::ChallengeKey::from(unhex(*secret).value());
    REQUIRE(key.ok());
    auto inv = verifier::parse_invitation(invitation);
    REQUIRE(inv.ok());
    auto nonce = key->issue(verifier::invitation_binding(inv->payload), verifier::system_unix_now() - 5);
    REQUIRE(nonce.ok());
    const std::string old = verifier::encode_invitation(*nonce, inv->payload);
    refused(t.challenge(old), "nonce_expired");
    refused(t.submit(old, make(t.key, client_data("webauthn.create", good_ch, kOrigin))), "nonce_expired");
  }
  SUBCASE("no credential, or a read-only one, cannot invite; nor can a console session") {
    const std::string body = R"({"name":"eve","scope":"full"})";
    CHECK(t.c.post("/v1/admin/admins/invitations", body).status == 401);
    auto made = t.c.post("/v1/admin/credentials", R"({"scope":"devices","label":"ops","expires_in_seconds":600})",
                         t.v.admin());
    REQUIRE_MESSAGE(made.status == 201, made.body);
    auto low = t.c.post("/v1/admin/admins/invitations", body, made.json()->getValue<std::string>("credential"));
    CHECK(low.status == 403);
    CHECK(t.events().find(R"("admin":"eve")") == std::string::npos);
  }
  SUBCASE("used twice, and a replayed registration") {
    const Made m = make(t.key, client_data("webauthn.create", good_ch, kOrigin));
    auto first = t.submit(invitation, m);
    REQUIRE_MESSAGE(first.status == 201, first.body);
    const auto admins1 = t.admins();
    CHECK(admins1 == admins0 + 1);
    // The same request again (a replayed challenge and invitation).
    auto replay = t.submit(invitation, m);
    CHECK(replay.status == 409);
    CHECK(t.admins() == admins1);
    // The invitation again: the page gets no fresh challenge for it, and
    // another key with the old one is refused as well.
    auto page = t.challenge(invitation);
    CHECK(page.status == 409);
    CHECK(error_of(page) == "nonce_reused");
    auto k2 = soft::SoftFido::create(kRpId, Bytes(16, 0), nullptr).value();
    auto again = t.submit(invitation, make(k2, client_data("webauthn.create", good_ch, kOrigin)));
    CHECK(again.status == 409);
    CHECK(t.admins() == admins1);
    // Even with carol removed (her name free again) the invitation stays burnt.
    REQUIRE(t.c.request("DELETE", "/v1/admin/admins/carol", "", t.v.admin()).status == 200);
    CHECK(error_of(t.challenge(invitation)) == "nonce_reused");
    auto k3 = soft::SoftFido::create(kRpId, Bytes(16, 0), nullptr).value();
    auto burnt = t.submit(invitation, make(k3, client_data("webauthn.create", good_ch, kOrigin)));
    CHECK(burnt.status == 409);
    CHECK(error_of(burnt) == "nonce_reused");
    CHECK(t.admins() == admins0);
    return;
  }
  // Whatever was refused above, the invitation is still good: it is burnt only by a registration.
  auto ok = t.submit(invitation, make(t.key, client_data("webauthn.create", t.challenge_of(invitation), kOrigin)));
  CHECK_MESSAGE(ok.status == 201, ok.body);
  CHECK(t.admins() == admins0 + 1);
}

TEST_CASE("admin invitation: bad requests are 400, an existing name 409, a console that is off 409") {
  Invite t;
  for (const char* body : {R"({"name":"Bad Name","scope":"read"})", R"({"name":"x","scope":"root"})",
                           R"({"name":"x","scope":"read","expires_in_seconds":59})",
                           R"({"name":"x","scope":"read","expires_in_seconds":86401})",
                           R"({"name":"x","scope":"read","extra":1})", "not json"}) {
    CAPTURE(body);
    auto r = t.c.post("/v1/admin/admins/invitations", body, t.v.admin());
    CHECK(r.status == 400);
  }
  const std::string inv = t.invite("frank", "read");
  const std::string inv2 = t.invite("frank", "full");  // two invitations for one name: the first to register wins
  REQUIRE(t.submit(inv, make(t.key, client_data("webauthn.create", t.challenge_of(inv), kOrigin))).status == 201);
  auto k2 = soft::SoftFido::create(kRpId, Bytes(16, 0), nullptr).value();
  auto second = t.submit(inv2, make(k2, client_data("webauthn.create", t.challenge_of(inv2), kOrigin)));
  CHECK(second.status == 409);
  CHECK(t.c.post("/v1/admin/admins/invitations", R"({"name":"frank","scope":"read"})", t.v.admin()).status == 409);
  // The same key cannot become a second admin.
  const std::string inv3 = t.invite("grace", "read");
  auto dup = t.submit(inv3, make(t.key, client_data("webauthn.create", t.challenge_of(inv3), kOrigin)));
  CHECK(dup.status == 409);

  TestVerifier off;  // no console-origin
  auto r = off.client().post("/v1/admin/admins/invitations", R"({"name":"x","scope":"read"})", off.admin());
  CHECK(r.status == 409);
  CHECK(r.body.find("console-origin") != std::string::npos);
}

}  // namespace paw::test
