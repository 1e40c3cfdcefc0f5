// FIDO2 verification (libfido2 verify API) and counter rules on captured fixtures.
#include <doctest/doctest.h>
#include <openssl/x509.h>

#include <ctime>

#include "fido_fixtures.h"
#include "paw/attest/digest.h"
#include "paw/attest/fido.h"
#include "paw/attest/json.h"
#include "paw/attest/secure.h"
#include "test_data.h"

using namespace paw;
using namespace paw::attest;
using namespace paw::test;

namespace {

FidoEnrollmentEvidence enrollment(const std::string& name) {
  auto o = fido_fixture_json(name);
  FidoEnrollmentEvidence ev;
  ev.credential_id = json_b64(o, "credential_id");
  ev.fmt = json::get_string(o, "fmt").value();
  ev.auth_data = json_b64(o, "auth_data");
  ev.algorithm = static_cast<int>(json::get_int(o, "algorithm").value());
  auto st = parse_fido_attestation_statement(json_b64(o, "att_stmt"));
  REQUIRE(st.ok());
  ev.attestation = *st;
  return ev;
}

Bytes enroll_cdh(const std::string& name) { return json_b64(fido_fixture_json(name), "client_data_hash"); }

// The fixtures' packed x5c is the capturing virtual key's self-signed batch
// certificate: trusted here as that model's root (as --fido-ca-dir would),
// at a time inside its validity (an hour after its notBefore).
std::int64_t not_before_plus_hour(const Bytes& der) {
  const unsigned char* q = der.data();
  UniquePtr<X509, X509_free> cert(d2i_X509(nullptr, &q, static_cast<long>(der.size())));
  REQUIRE(cert);
  std::tm tm{};
  REQUIRE(ASN1_TIME_to_tm(X509_get0_notBefore(cert.get()), &tm) == 1);
  return static_cast<std::int64_t>(timegm(&tm)) + 3600;
}

FidoEnrollmentPolicy policy() {
  static const Bytes model = unhex("7061772d7669727475616c2d6669646f").value();
  static const Bytes es256_root = enrollment("enroll_es256.json").attestation.x5c.front();
  static const Bytes eddsa_root = enrollment("enroll_eddsa.json").attestation.x5c.front();
  static const auto roots = FidoAttestationRoots::from_certificates({}, {{model, {es256_root, eddsa_root}}}).value();
  FidoEnrollmentPolicy p;
  p.rp_id = "paw.example";
  p.aaguid_allowlist = {model};
  p.attestation_roots = roots.get();
  p.now = not_before_plus_hour(es256_root);
  return p;
}

FidoAssertionEvidence assertion(const std::string& name) {
  auto o = fido_fixture_json(name);
  return {json_b64(o, "credential_id"), json_b64(o, "auth_data"), json_b64(o, "signature"), json_b64(o, "client_data_hash")};
}

Bytes expected_cdh(const std::string& name) {
  auto o = fido_fixture_json(name);
  return fido_presence_client_data_hash(unhex(json::get_string(o, "nonce").value()).value(),
                                        json::get_string(o, "device_id").value());
}

FidoPresencePolicy presence() {
  FidoPresencePolicy p;
  p.rp_id = "paw.example";
  return p;
}

}  // namespace

TEST_CASE("fido fixtures: enrollment verifies, then the assertion verifies against the record") {
  for (const char* alg : {"es256", "eddsa"}) {
    CAPTURE(alg);
    const std::string en = std::string("enroll_") + alg + ".json", as = std::string("assert_") + alg + ".json";
    auto cred = verify_fido_enrollment(enrollment(en), enroll_cdh(en), policy());
    REQUIRE_MESSAGE(cred.ok(), cred.error().what());
    CHECK(cred->attestation_type == "basic");
    auto r = verify_fido_presence(*cred, assertion(as), expected_cdh(as), presence());
    REQUIRE_MESSAGE(r.ok(), r.error().what());
    CHECK(r->sign_count == 1);
    CHECK(r->user_present);
    // Replaying the same assertion after storing its counter: frozen.
    cred->sign_count = r->sign_count;
    CHECK(verify_fido_presence(*cred, assertion(as), expected_cdh(as), presence()).code() == Errc::fido_counter_frozen);
    cred->sign_count = 7;
    CHECK(verify_fido_presence(*cred, assertion(as), expected_cdh(as), presence()).code() ==
          Errc::fido_counter_rollback);
  }
}

TEST_CASE("fido fixtures: mutated enrollment evidence") {
  const std::string en = "enroll_es256.json";
  auto ev = enrollment(en);
  ev.attestation.sig[10] ^= 1;
  CHECK(verify_fido_enrollment(ev, enroll_cdh(en), policy()).code() == Errc::fido_attestation_invalid);
  ev = enrollment(en);
  ev.auth_data[0] ^= 1;  // rpIdHash
  CHECK(verify_fido_enrollment(ev, enroll_cdh(en), policy()).code() == Errc::fido_rp_mismatch);
  ev = enrollment(en);
  ev.auth_data.push_back(0);
  CHECK(verify_fido_enrollment(ev, enroll_cdh(en), policy()).code() == Errc::trailing_data);
  ev = enrollment(en);
  ev.attestation.x5c.front()[40] ^= 1;  // certificate bytes
  CHECK_FALSE(verify_fido_enrollment(ev, enroll_cdh(en), policy()).ok());
  ev = enrollment(en);
  ev.fmt = "tpm";
  CHECK(verify_fido_enrollment(ev, enroll_cdh(en), policy()).code() == Errc::unsupported);
  ev = enrollment(en);
  ev.auth_data.resize(kFidoMaxAuthData + 1);
  CHECK(verify_fido_enrollment(ev, enroll_cdh(en), policy()).code() == Errc::too_large);

  auto self = enrollment("enroll_es256_self.json");
  auto p = policy();
  CHECK(verify_fido_enrollment(self, enroll_cdh("enroll_es256_self.json"), p).code() == Errc::fido_attestation_invalid);
  p.allow_self_attestation = true;
  CHECK(verify_fido_enrollment(self, enroll_cdh("enroll_es256_self.json"), p).code() == Errc::fido_aaguid_not_allowed);
  p.any_aaguid = true;  // a self-attested model is the key's own claim: only an open policy takes it
  CHECK(verify_fido_enrollment(self, enroll_cdh("enroll_es256_self.json"), p).ok());
  auto none = enrollment("enroll_es256_none.json");
  CHECK(verify_fido_enrollment(none, enroll_cdh("enroll_es256_none.json"), policy()).code() ==
        Errc::fido_attestation_invalid);
  p.allow_none_attestation = true;
  CHECK(verify_fido_enrollment(none, enroll_cdh("enroll_es256_none.json"), p).ok());
}

TEST_CASE("fido fixtures: mutated assertions, each with its code") {
  auto cred = verify_fido_enrollment(enrollment("enroll_es256.json"), enroll_cdh("enroll_es256.json"), policy());
  REQUIRE(cred.ok());
  const std::string as = "assert_es256.json";
  auto ev = assertion(as);
  ev.credential_id[0] ^= 1;
  CHECK(verify_fido_presence(*cred, ev, expected_cdh(as), presence()).code() == Errc::fido_unknown_credential);
  ev = assertion(as);
  ev.signature[12] ^= 1;
  CHECK(verify_fido_presence(*cred, ev, expected_cdh(as), presence()).code() == Errc::fido_bad_signature);
  ev = assertion(as);
  ev.auth_data[32] &= static_cast<std::uint8_t>(~kFidoFlagUp);
  CHECK(verify_fido_presence(*cred, ev, expected_cdh(as), presence()).code() == Errc::fido_up_missing);
  auto silent = presence();
  silent.require_up = false;
  CHECK(verify_fido_presence(*cred, ev, expected_cdh(as), silent).code() == Errc::fido_bad_signature);
  ev = assertion(as);
  ev.auth_data[5] ^= 1;
  CHECK(verify_fido_presence(*cred, ev, expected_cdh(as), presence()).code() == Errc::fido_rp_mismatch);
  ev = assertion(as);
  const Bytes other = fido_presence_client_data_hash(Bytes(32, 0), "dev-fixture-1");
  CHECK(verify_fido_presence(*cred, ev, other, presence()).code() == Errc::fido_challenge_mismatch);
  ev.client_data_hash.clear();
  CHECK(verify_fido_presence(*cred, ev, other, presence()).code() == Errc::fido_bad_signature);
  ev = assertion(as);
  ev.auth_data.push_back(0);
  CHECK(verify_fido_presence(*cred, ev, expected_cdh(as), presence()).code() == Errc::trailing_data);
  ev = assertion(as);
  ev.auth_data.resize(36);
  CHECK(verify_fido_presence(*cred, ev, expected_cdh(as), presence()).code() == Errc::malformed);
}

TEST_CASE("fido counter rules") {
  CHECK(check_fido_counter(0, 1, false).ok());
  CHECK(check_fido_counter(41, 42, false).ok());
  CHECK(check_fido_counter(5, 1000, false).ok());
  CHECK(check_fido_counter(42, 42, false).code() == Errc::fido_counter_frozen);
  CHECK(check_fido_counter(42, 42, true).code() == Errc::fido_counter_frozen);  // only 0 is excused
  CHECK(check_fido_counter(0, 0, false).code() == Errc::fido_counter_frozen);
  CHECK(check_fido_counter(0, 0, true).ok());
  CHECK(check_fido_counter(42, 41, false).code() == Errc::fido_counter_rollback);
  CHECK(check_fido_counter(42, 0, true).code() == Errc::fido_counter_rollback);  // a counting key may not drop to 0
  CHECK(check_fido_counter(0xffffffffu, 0, false).code() == Errc::fido_counter_rollback);
}

TEST_CASE("fido stored credential: JSON round trip, strict reader") {
  auto cred = verify_fido_enrollment(enrollment("enroll_eddsa.json"), enroll_cdh("enroll_eddsa.json"), policy());
  REQUIRE(cred.ok());
  cred->sign_count = 12345;
  const std::string text = serialize_fido_credential(*cred);
  auto back = parse_fido_credential(text);
  REQUIRE(back.ok());
  CHECK(back->credential_id == cred->credential_id);
  CHECK(back->algorithm == kCoseEdDsa);
  CHECK(back->public_key == cred->public_key);
  CHECK(back->sign_count == 12345);
  CHECK(back->aaguid == cred->aaguid);
  CHECK(back->fmt == "packed");
  CHECK(back->attestation_type == "basic");
  std::string extra = text;
  extra.insert(1, "\"surprise\":1,");
  CHECK(parse_fido_credential(extra).code() == Errc::malformed);
  CHECK_FALSE(parse_fido_credential("{}").ok());
  CHECK_FALSE(parse_fido_credential("not json").ok());
}
