// login_checks_test.cpp — which request a DPoP proof must name at /v1/authz:
// the proxy's X-Original-* / X-Forwarded-* fields count only from a trusted
// proxy (anyone else could name the URL a captured proof was made for), a
// field sent twice proves nothing, and the token comes as DPoP or Bearer.
#include <doctest/doctest.h>

#include "login_checks.h"
#include "paw/attest/dpop.h"
#include "paw/attest/result_token.h"

namespace paw::verifier {
namespace {
Request proxied() {
  Request r;
  r.method = "GET";
  r.path = "/v1/authz";
  r.fields = {{"host", "verifier.example:8443"},
              {"x-original-method", "POST"},
              {"x-original-uri", "/private/page?x=1"},
              {"x-forwarded-proto", "https"},
              {"x-forwarded-host", "app.example"}};
  return r;
}
}  // namespace

TEST_CASE("login checks: the original request comes from a trusted proxy only") {
  auto o = original_request(proxied(), true, true);
  REQUIRE(o.ok());
  CHECK(o->method == "POST");
  CHECK(o->url == "https://app.example/private/page?x=1");
  // Not a trusted proxy: the same fields are ignored, the proof must name /v1/authz itself.
  auto d = original_request(proxied(), false, true);
  REQUIRE(d.ok());
  CHECK(d->method == "GET");
  CHECK(d->url == "https://verifier.example:8443/v1/authz");
  CHECK(original_request(proxied(), false, false)->url == "http://verifier.example:8443/v1/authz");
  // A proxy that forgets the scheme or host, or sends a field twice, is refused.
  Request r = proxied();
  r.fields.erase("x-forwarded-host");
  CHECK(!original_request(r, true, true).ok());
  r = proxied();
  r.fields["x-original-uri"] = "https://evil.example/";
  CHECK(!original_request(r, true, true).ok());
  r = proxied();
  r.repeated = {"x-original-uri"};
  CHECK(!original_request(r, true, true).ok());
  Request none;
  CHECK(!original_request(none, false, true).ok());
}

TEST_CASE("login checks: a proof for the app is refused on a direct call, and two DPoP headers prove nothing") {
  auto key = generate_signing_key().value();
  const std::string jkt = jwk_thumbprint(key.key.get()).value();
  const std::string token = "t.o.k";
  const PopContext trusted{1'800'000'000, 60, 5, true, true, "dev-1", {}};
  PopContext untrusted = trusted;
  untrusted.trusted_proxy = false;
  Request r = proxied();
  r.fields["x-original-method"] = "GET";
  r.fields["dpop"] = sign_dpop_proof(key.key.get(), {"GET", "https://app.example/private/page", token, trusted.now, "j1"}).value();
  auto ok = proof_jkt(r, token, jkt, trusted);
  REQUIRE_MESSAGE(ok.ok(), ok.denial.reason << ": " << ok.denial.detail);
  CHECK(ok.key.jkt == jkt);
  CHECK(ok.key.via == "dpop");
  CHECK(ok.key.jti == "j1");
  CHECK(ok.key.jti_expires_at > trusted.now + 60);
  // The same headers sent by anyone else: the proof must name the verifier's URL.
  CHECK(proof_jkt(r, token, jkt, untrusted).denial.reason == "dpop_htu_mismatch");
  r.repeated = {"dpop"};
  CHECK(proof_jkt(r, token, jkt, trusted).denial.reason == "dpop_malformed");
  Request bare = proxied();
  CHECK(proof_jkt(bare, token, jkt, trusted).denial.reason == "dpop_missing");
  CHECK(proof_jkt(bare, token, jkt, trusted).denial.status == 401);
}

TEST_CASE("login checks: a forwarded client certificate proves the key only for the token's device and key") {
  const std::string token = "t.o.k";
  PopContext ctx{1'800'000'000, 60, 5, true, true, "dev-1", {}};
  // What the device CA check (DeviceCa::client_cert_jkt, tested against real
  // certificates in login_key_flow_test) found in the certificate.
  ClientCertIdentity found{"dev-1", "key-1", "x5t", ctx.now + 60};
  ctx.verify_client_cert = [&](std::string_view) -> Result<ClientCertIdentity> { return found; };
  Request r = proxied();
  r.fields["x-client-cert"] = "PEM";
  auto ok = proof_jkt(r, token, "key-1", ctx);
  REQUIRE_MESSAGE(ok.ok(), ok.denial.reason);
  CHECK(ok.key.via == "mtls");
  CHECK(ok.key.jti.empty());
  CHECK(proof_jkt(r, token, "key-2", ctx).denial.reason == "mtls_key_mismatch");
  found.device_id = "dev-2";
  CHECK(proof_jkt(r, token, "key-1", ctx).denial.reason == "mtls_device_mismatch");
  found.device_id = "dev-1";
  PopContext untrusted = ctx;
  untrusted.trusted_proxy = false;
  CHECK(proof_jkt(r, token, "key-1", untrusted).denial.reason == "mtls_untrusted_proxy");
  Request twice = r;
  twice.repeated = {"x-client-cert"};
  CHECK(proof_jkt(twice, token, "key-1", ctx).denial.reason == "mtls_cert_invalid");
  PopContext no_ca = ctx;
  no_ca.verify_client_cert = nullptr;
  CHECK(proof_jkt(r, token, "key-1", no_ca).denial.reason == "mtls_cert_invalid");
  ctx.verify_client_cert = [](std::string_view) -> Result<ClientCertIdentity> {
    return make_error(Errc::untrusted_chain, "not issued by the device CA");
  };
  CHECK(proof_jkt(r, token, "key-1", ctx).denial.reason == "mtls_cert_invalid");
}

TEST_CASE("login checks: the token comes as DPoP or Bearer, and jti keys are scoped") {
  CHECK(authz_token("DPoP a.b.c") == "a.b.c");
  CHECK(authz_token("Bearer a.b.c") == "a.b.c");
  CHECK(authz_token("Basic abc").empty());
  CHECK(authz_token("DPoP ").empty());
  CHECK(dpop_jti_key("k1", "j") != dpop_jti_key("k2", "j"));
  CHECK(dpop_jti_key("k1", "j").size() == 64);
}

}  // namespace paw::verifier

namespace paw::verifier {

TEST_CASE("login checks: step-up presence - off at 0, else the last touch must be recent enough") {
  StoredDevice d;
  Policy p = default_policy();
  CHECK(login_presence_ok(d, p, 1000));  // off: nothing recorded is fine
  p.fido.login_presence_max_age_seconds = 300;
  CHECK_FALSE(login_presence_ok(d, p, 1000));  // never touched
  d.last_presence_at = 700;
  CHECK(login_presence_ok(d, p, 1000));   // 300 s ago: at the limit
  CHECK_FALSE(login_presence_ok(d, p, 1001));
}

}  // namespace paw::verifier
