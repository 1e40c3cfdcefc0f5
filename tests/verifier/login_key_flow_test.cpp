// login_key_flow_test.cpp — the login key against the real service over
// HTTPS: enrolled with the device, shown by the admin API, proved at every
// attestation (missing / wrong key → unhealthy), and added later to a device
// enrolled without one (POST /v1/devices/{id}/login-key) — bound to the
// enrolled AK and a fresh challenge. The software workstation (soft_device)
// signs the certify with its AK; the swtpm side is in
// tests/integration/login_key_swtpm_test.cpp.
#include <doctest/doctest.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include <cctype>
#include <fstream>

#include "../attest/tpm_test_util.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/certify.h"
#include "paw/attest/client_cert.h"
#include "paw/attest/evidence.h"
#include "soft_device.h"
#include "verifier_fixture.h"

namespace paw::test {
namespace {

constexpr const char* kRp = "paw.example";

// SoftLoginKey is a P-256 key with a login key's public area (what the agent
// creates in the TPM), signing like TPM2_Sign.
struct SoftLoginKey {
  SoftSigner signer;  // its key and ECDSA TPMT_SIGNATURE; the public area is replaced below
  Bytes public_tpm2b;

  SoftLoginKey() {
    TPMT_PUBLIC p = signer.pub().pub;
    p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                         TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT;
    p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    TPM2B_PUBLIC t{};
    t.publicArea = p;
    std::uint8_t buf[sizeof(TPM2B_PUBLIC)];
    std::size_t off = 0;
    REQUIRE(Tss2_MU_TPM2B_PUBLIC_Marshal(&t, buf, sizeof(buf), &off) == TSS2_RC_SUCCESS);
    public_tpm2b.assign(buf, buf + off);
  }
  [[nodiscard]] Bytes proof(ByteView nonce, const std::string& device_id) const {
    return signer.sign(login_key_proof_message(nonce, device_id));
  }
};

// certify is TPM2_Certify of |key| with |qd|, signed by the soft device's AK.
LoginKeyCertify certify(const soft::SoftTpm& tpm, const SoftLoginKey& key, ByteView qd) {
  TPMS_ATTEST t{};
  t.magic = kTpmGeneratedValue;
  t.type = TPM2_ST_ATTEST_CERTIFY;
  t.qualifiedSigner.size = static_cast<UINT16>(tpm.ak_name().size());
  std::copy(tpm.ak_name().begin(), tpm.ak_name().end(), t.qualifiedSigner.name);
  t.extraData.size = static_cast<UINT16>(qd.size());
  std::copy(qd.begin(), qd.end(), t.extraData.buffer);
  t.clockInfo.safe = TPM2_YES;
  const Bytes name = object_name(must_public(key.public_tpm2b)).value();
  t.attested.certify.name.size = static_cast<UINT16>(name.size());
  std::copy(name.begin(), name.end(), t.attested.certify.name.name);
  t.attested.certify.qualifiedName = t.attested.certify.name;
  std::uint8_t buf[sizeof(TPMS_ATTEST)];
  std::size_t off = 0;
  REQUIRE(Tss2_MU_TPMS_ATTEST_Marshal(&t, buf, sizeof(buf), &off) == TSS2_RC_SUCCESS);
  LoginKeyCertify c;
  c.public_tpm2b = key.public_tpm2b;
  c.certify_info.assign(buf, buf + off);
  c.signature = tpm.sign_raw(c.certify_info).value();
  return c;
}

struct Setup {
  TempDir ca_dir;
  TempDir fido_ca_dir;  // the software key's attestation CA, trusted like a vendor's
  soft::SoftCa ek_ca = soft::SoftCa::generate("paw test EK CA").value();
  soft::SoftCa fido_ca = soft::SoftCa::generate("paw test FIDO CA").value();
  std::unique_ptr<TestVerifier> v;
  std::optional<soft::SoftDevice> dev;
  SoftLoginKey key;

  explicit Setup(bool loopback_is_proxy = false) {
    std::ofstream(ca_dir / "ek-ca.pem") << ek_ca.cert_pem();
    std::ofstream(fido_ca_dir / "fido-ca.pem") << fido_ca.cert_pem();
    v = std::make_unique<TestVerifier>([&](verifier::Config& c) {
      if (loopback_is_proxy) c.trusted_proxies = {"127.0.0.1"};
      c.rp_id = kRp;
      c.ek_ca_dir = ca_dir.path().string();
      c.fido_ca_dir = fido_ca_dir.path().string();
    });
    auto d = soft::SoftDevice::create(kRp, &ek_ca, &fido_ca);
    REQUIRE(d.ok());
    dev.emplace(std::move(*d));
    REQUIRE(dev->use_event_log(soft::make_event_log(soft::BootConfig{})).ok());
  }

  // enroll: with |login_qd| the request carries the login key certified over it.
  HttpAnswer enroll(std::optional<Bytes> login_qd = std::nullopt, bool use_enrollment_binding = false) {
    const std::string token = v->create_token();
    auto req = dev->enrollment_request(token);
    REQUIRE(req.ok());
    if (use_enrollment_binding) login_qd = login_key_enrollment_qualifying_data(as_bytes(token), req->ak_public);
    if (login_qd) req->login_key = certify(dev->tpm, key, *login_qd);
    auto a = v->client().post("/v1/enrollments", serialize_enrollment_request(*req));
    if (a.status != 201) return a;
    auto o = a.json();
    auto secret = dev->tpm.activate_credential(*unbase64(o->getValue<std::string>("credential_blob")),
                                               *unbase64(o->getValue<std::string>("encrypted_secret")));
    REQUIRE(secret.ok());
    auto act = v->client().post("/v1/enrollments/" + o->getValue<std::string>("enrollment_id") + "/activation",
                                R"({"secret":")" + base64(secret->view()) + "\"}");
    REQUIRE_MESSAGE(act.status == 200, act.body);
    dev->device_id = act.json()->getValue<std::string>("device_id");
    return act;
  }

  Bytes challenge() {
    auto ch = v->client().post("/v1/challenges", R"({"device_id":")" + dev->device_id + "\"}");
    REQUIRE_MESSAGE(ch.status == 201, ch.body);
    return *unhex(ch.json()->getValue<std::string>("nonce"));
  }

  // attest: |proof| chooses the login key signature (nullopt: none sent).
  HttpAnswer attest(const std::function<std::optional<Bytes>(ByteView nonce)>& proof, std::uint8_t fido_flags = 0x01) {
    const Bytes nonce = challenge();
    auto body = dev->evidence_body(nonce, fido_flags);
    REQUIRE(body.ok());
    body->login_key_signature = proof(nonce);
    auto env = dev->seal(*body);
    REQUIRE(env.ok());
    return v->client().post("/v1/attestations", serialize_envelope(*env));
  }

  std::string verdict_with(const std::function<std::optional<Bytes>(ByteView nonce)>& proof,
                           std::string* reason = nullptr) {
    auto a = attest(proof);
    REQUIRE_MESSAGE(a.status == 200, a.body);
    auto reasons = a.json()->getArray("reasons");
    if (reason != nullptr) {
      // reasons are all codes, comma-separated (one is expected here)
      reason->clear();
      for (std::size_t i = 0; i < reasons->size(); ++i) {
        *reason += (i ? "," : "") + reasons->getObject(static_cast<unsigned>(i))->getValue<std::string>("code");
      }
    }
    return a.json()->getValue<std::string>("verdict");
  }

  HttpAnswer add(const LoginKeyAddRequest& r) {
    return v->client().post("/v1/devices/" + dev->device_id + "/login-key", serialize_login_key_add_request(r));
  }
};

std::string error_of(const HttpAnswer& a) { return a.json()->getValue<std::string>("error"); }

// escaped is what nginx's $ssl_client_escaped_cert makes of a PEM.
std::string escaped(const std::string& pem) {
  std::string out;
  for (unsigned char c : pem) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      static const char* digits = "0123456789ABCDEF";
      out += {'%', digits[c >> 4], digits[c & 15]};
    }
  }
  return out;
}

}  // namespace

TEST_CASE("login key flow: enrolled with the device, shown by the admin API, proved at every attestation") {
  Setup s;
  auto act = s.enroll(std::nullopt, true);
  REQUIRE_MESSAGE(act.status == 200, act.body);
  auto shown = s.v->client().get("/v1/admin/devices/" + s.dev->device_id, s.v->admin());
  REQUIRE(shown.status == 200);
  auto lk = shown.json()->getObject("record")->getObject("login_key");
  REQUIRE_FALSE(lk.isNull());
  const std::string jkt = lk->getValue<std::string>("jkt");
  CHECK(jkt == jwk_thumbprint(to_evp_pkey(must_public(s.key.public_tpm2b)).value().get()).value());

  const std::string id = s.dev->device_id;
  CHECK(s.verdict_with([&](ByteView n) { return s.key.proof(n, id); }) == "healthy");
  std::string reason;
  // Missing: a stolen AK state without the login key, or an old agent.
  CHECK(s.verdict_with([](ByteView) { return std::nullopt; }, &reason) == "unhealthy");
  CHECK(reason == "login_key_missing");
  // Another key (a key file made elsewhere), and the right key over another challenge.
  SoftLoginKey other;
  CHECK(s.verdict_with([&](ByteView n) { return other.proof(n, id); }, &reason) == "unhealthy");
  CHECK(reason == "login_key_bad_signature");
  CHECK(s.verdict_with([&](ByteView) { return s.key.proof(random_bytes(32).value(), id); }, &reason) == "unhealthy");
  CHECK(reason == "login_key_bad_signature");
  CHECK(s.verdict_with([&](ByteView n) { return s.key.proof(n, "another-device"); }, &reason) == "unhealthy");
  CHECK(reason == "login_key_bad_signature");
  CHECK(s.verdict_with([&](ByteView n) { return s.key.proof(n, id); }) == "healthy");

  // A device that has a login key cannot have it replaced.
  LoginKeyAddRequest r;
  r.nonce = s.challenge();
  SoftLoginKey second;
  r.login_key = certify(s.dev->tpm, second, login_key_add_qualifying_data(r.nonce, s.dev->tpm.ak_public(), id));
  auto again = s.add(r);
  CHECK(again.status == 409);
  CHECK(error_of(again) == "conflict");
}

TEST_CASE("login key flow: the enrollment refuses a certify over another binding or by another key") {
  Setup s;
  auto bad = s.enroll(sha256(as_bytes("not this enrollment")));
  CHECK(bad.status == 422);
  CHECK(error_of(bad) == "nonce_mismatch");
}

TEST_CASE("login key flow: a device enrolled without one keeps working, then adds one bound to its AK and a challenge") {
  Setup s;
  REQUIRE(s.enroll().status == 200);
  const std::string id = s.dev->device_id;
  // No login key stored: no proof asked for, none checked.
  CHECK(s.verdict_with([](ByteView) { return std::nullopt; }) == "healthy");

  // Certified by another AK (not the enrolled one): refused.
  auto stranger = soft::SoftTpm::create(nullptr);
  REQUIRE(stranger.ok());
  LoginKeyAddRequest r;
  r.nonce = s.challenge();
  r.login_key = certify(*stranger, s.key, login_key_add_qualifying_data(r.nonce, s.dev->tpm.ak_public(), id));
  auto a = s.add(r);
  CHECK(a.status == 422);
  CHECK(error_of(a) == "bad_signature");
  // The challenge is spent even by a failed attempt: no retry with it.
  r.login_key = certify(s.dev->tpm, s.key, login_key_add_qualifying_data(r.nonce, s.dev->tpm.ak_public(), id));
  CHECK(s.add(r).status == 409);
  // Over a qualifying data without the challenge (the enrollment binding): refused.
  r.nonce = s.challenge();
  r.login_key = certify(s.dev->tpm, s.key, login_key_enrollment_qualifying_data(as_bytes("t"), s.dev->tpm.ak_public()));
  a = s.add(r);
  CHECK(a.status == 422);
  CHECK(error_of(a) == "nonce_mismatch");
  // A nonce the verifier never issued.
  r.nonce = random_bytes(32).value();
  r.login_key = certify(s.dev->tpm, s.key, login_key_add_qualifying_data(r.nonce, s.dev->tpm.ak_public(), id));
  CHECK(s.add(r).status == 409);
  // Malformed bodies are 400.
  CHECK(s.v->client().post("/v1/devices/" + id + "/login-key", "{}").status == 400);

  // The genuine request: stored, then proved at every attestation.
  r.nonce = s.challenge();
  r.login_key = certify(s.dev->tpm, s.key, login_key_add_qualifying_data(r.nonce, s.dev->tpm.ak_public(), id));
  a = s.add(r);
  REQUIRE_MESSAGE(a.status == 200, a.body);
  CHECK(a.json()->getValue<std::string>("jkt").size() == 43);
  CHECK(s.add(r).status == 409);  // the same request again: its challenge is used
  std::string reason;
  CHECK(s.verdict_with([](ByteView) { return std::nullopt; }, &reason) == "unhealthy");
  CHECK(reason == "login_key_missing");
  CHECK(s.verdict_with([&](ByteView n) { return s.key.proof(n, id); }) == "healthy");
}


TEST_CASE("login key flow: a healthy attestation carries the login certificate, an unhealthy one or a device without a login key none") {
  Setup s;
  REQUIRE(s.enroll(std::nullopt, true).status == 200);
  const std::string id = s.dev->device_id;
  auto ok = s.attest([&](ByteView n) { return s.key.proof(n, id); });
  REQUIRE(ok.status == 200);
  auto o = ok.json();
  REQUIRE(o->getValue<std::string>("verdict") == "healthy");
  REQUIRE(o->has("login_certificate"));
  const std::string pem = o->getValue<std::string>("login_certificate");
  // It verifies against the published bundle, names this device and the login key, and expires with the token.
  auto bundle = s.v->client().get("/.well-known/paw-device-ca.pem");
  REQUIRE(bundle.status == 200);
  CHECK(bundle.content_type.find("pem") != std::string::npos);
  UniquePtr<X509_STORE, X509_STORE_free> roots(X509_STORE_new());
  {
    UniquePtr<BIO, BIO_free> bio(BIO_new_mem_buf(bundle.body.data(), static_cast<int>(bundle.body.size())));
    while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(roots.get(), c);
      X509_free(c);
    }
  }
  const std::int64_t exp = o->getValue<std::int64_t>("expires_at");
  auto who = verify_client_cert(pem, roots.get(), exp - 1);
  REQUIRE_MESSAGE(who.ok(), who.error().what());
  CHECK(who->device_id == id);
  CHECK(who->jkt == jwk_thumbprint(to_evp_pkey(must_public(s.key.public_tpm2b)).value().get()).value());
  CHECK(who->not_after == exp);
  CHECK(verify_client_cert(pem, roots.get(), exp).code() == Errc::token_expired);

  // Unhealthy (no login key proof): a token saying so, no certificate.
  auto bad = s.attest([](ByteView) { return std::nullopt; });
  REQUIRE(bad.status == 200);
  CHECK(bad.json()->getValue<std::string>("verdict") == "unhealthy");
  CHECK_FALSE(bad.json()->has("login_certificate"));
}

TEST_CASE("login key flow: under step-up presence no credential comes without a recent touch of the FIDO2 key") {
  Setup s;
  auto put = s.v->client().request("PUT", "/v1/admin/policies/default",
                                   R"({"fido":{"user_presence":false,"login_presence_max_age_seconds":300}})", s.v->admin());
  REQUIRE_MESSAGE(put.status == 200, put.body);
  REQUIRE(s.enroll(std::nullopt, true).status == 200);
  const std::string id = s.dev->device_id;
  auto proof = [&](ByteView n) { return s.key.proof(n, id); };
  // Healthy without user presence (the policy does not ask for it at every
  // attestation), but no touch ever: a token, no login or SSH certificate.
  auto untouched = s.attest(proof, 0x00);
  REQUIRE_MESSAGE(untouched.status == 200, untouched.body);
  CHECK(untouched.json()->getValue<std::string>("verdict") == "healthy");
  CHECK(untouched.json()->has("token"));
  CHECK_FALSE(untouched.json()->has("login_certificate"));
  CHECK_FALSE(untouched.json()->has("ssh_certificate"));
  // Touched: both.
  auto touched = s.attest(proof, 0x01);
  REQUIRE_MESSAGE(touched.status == 200, touched.body);
  CHECK(touched.json()->has("login_certificate"));
  CHECK(touched.json()->has("ssh_certificate"));
  // Within the window a later round without a touch still gets them.
  CHECK(s.attest(proof, 0x00).json()->has("login_certificate"));
}

TEST_CASE("login key flow: a healthy device without a login key gets no login certificate") {
  Setup s;
  REQUIRE(s.enroll().status == 200);
  auto a = s.attest([](ByteView) { return std::nullopt; });
  REQUIRE(a.status == 200);
  CHECK(a.json()->getValue<std::string>("verdict") == "healthy");
  CHECK(a.json()->has("token"));
  CHECK_FALSE(a.json()->has("login_certificate"));
}

TEST_CASE("login key flow: /v1/authz takes the login certificate a trusted proxy forwards as the proof (RFC 8705)") {
  for (bool proxy : {true, false}) {
    CAPTURE(proxy);
    Setup s(proxy);
    REQUIRE(s.enroll(std::nullopt, true).status == 200);
    const std::string id = s.dev->device_id;
    auto a = s.attest([&](ByteView n) { return s.key.proof(n, id); });
    REQUIRE_MESSAGE(a.status == 200, a.body);
    REQUIRE(a.json()->getValue<std::string>("verdict") == "healthy");
    const std::string token = a.json()->getValue<std::string>("token");
    const std::string pem = a.json()->getValue<std::string>("login_certificate");
    auto authz = [&](const std::vector<std::pair<std::string, std::string>>& h) {
      std::vector<std::pair<std::string, std::string>> headers = h;
      headers.emplace_back("Authorization", "DPoP " + token);
      return s.v->client().request("GET", "/v1/authz", {}, {}, headers);
    };
    auto reason = [](const HttpAnswer& r) { return r.json()->getValue<std::string>("reason"); };
    // The token alone proves nothing.
    auto bare = authz({});
    CHECK(bare.status == 401);
    CHECK(reason(bare) == "dpop_missing");
    auto with_cert = authz({{"X-Client-Cert", escaped(pem)}});
    if (!proxy) {
      // Certificates are not secret: from anyone but the proxy that checked the TLS handshake, one proves nothing.
      CHECK(with_cert.status == 401);
      CHECK(reason(with_cert) == "mtls_untrusted_proxy");
      continue;
    }
    CHECK_MESSAGE(with_cert.status == 204, with_cert.body);
    // A certificate the device CA did not issue: the same key, signed by the attacker's own CA.
    std::string forged = pem;
    const auto mid = forged.find('\n', forged.size() / 2);
    forged[mid - 2] = forged[mid - 2] == 'A' ? 'B' : 'A';  // one byte of the signature
    auto bad = authz({{"X-Client-Cert", escaped(forged)}});
    CHECK(bad.status == 401);
    CHECK(reason(bad) == "mtls_cert_invalid");
    auto junk = authz({{"X-Client-Cert", "%ZZ"}});
    CHECK(junk.status == 401);
    CHECK(reason(junk) == "mtls_cert_invalid");
    // Revoked: the certificate still verifies, the device is refused.
    REQUIRE(s.v->client().post("/v1/admin/devices/" + id + "/revoke", "", s.v->admin()).status == 200);
    CHECK(authz({{"X-Client-Cert", escaped(pem)}}).status == 403);
  }
}

}  // namespace paw::test
