// ak_test.cpp — AK property checks on real AKs (swtpm via tpm2_createak, GCE,
// Windows on GCE) and one attribute/parameter flip per rule.
#include <doctest/doctest.h>

#include "paw/attest/ak.h"
#include "tpm_test_util.h"

using namespace paw;
using namespace paw::test;

namespace {

std::string fails(const TpmPublic& ak, const AkPolicy& policy = {}) {
  auto s = check_ak_properties(ak, policy);
  if (s.ok()) return "ok";
  CHECK(s.code() == Errc::ak_attributes);
  return s.error().detail;
}

bool has(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("real AKs pass: tpm2_createak RSA/ECC/RSAPSS and the GCE vTPM AK") {
  for (const char* ak : {"ak_rsa.pub", "ak_ecc.pub", "ak_pss.pub"}) {
    CAPTURE(ak);
    CHECK(fails(must_public(fixture(ak))) == "ok");
  }
  auto j = load_json(test_data("go-tpm-tools/decoded/gce-cos-85-nonce9009.decoded.json"));
  auto gce = parse_tpmt_public(hexb(j->getValue<std::string>("ak_pub_TPMT_PUBLIC_hex")));
  REQUIRE(gce.ok());
  CHECK(fails(*gce) == "ok");
}

TEST_CASE("EKs are not AKs") {
  CHECK(has(fails(must_public(fixture("ek_rsa.pub"))), "sign"));
  CHECK(has(fails(must_public(fixture("ek_ecc384.pub"))), "sign"));
}

TEST_CASE("each AK rule fails on a one-field change") {
  const TpmPublic base = must_public(fixture("ak_rsa.pub"));
  const TpmPublic ecc = must_public(fixture("ak_ecc.pub"));
  auto flip = [&](TPMA_OBJECT bit) {
    TpmPublic p = base;
    p.pub.objectAttributes ^= bit;
    return fails(p);
  };
  CHECK(has(flip(TPMA_OBJECT_RESTRICTED), "restricted"));
  CHECK(has(flip(TPMA_OBJECT_SIGN_ENCRYPT), "sign"));
  CHECK(has(flip(TPMA_OBJECT_FIXEDTPM), "fixedTPM"));
  CHECK(has(flip(TPMA_OBJECT_FIXEDPARENT), "fixedParent"));
  CHECK(has(flip(TPMA_OBJECT_SENSITIVEDATAORIGIN), "sensitiveDataOrigin"));
  CHECK(has(flip(TPMA_OBJECT_DECRYPT), "decrypt"));
  CHECK(fails(base) == "ok");
  AkPolicy strict;
  strict.allow_user_with_auth = false;
  CHECK(has(fails(base, strict), "userWithAuth"));

  TpmPublic p = base;
  p.pub.nameAlg = TPM2_ALG_SHA1;
  CHECK(has(fails(p), "nameAlg"));
  p = base;
  p.pub.parameters.rsaDetail.keyBits = 1024;
  CHECK(has(fails(p), "keyBits"));
  p = base;
  p.pub.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA1;
  CHECK(has(fails(p), "hash"));
  p = base;
  p.pub.parameters.rsaDetail.scheme.scheme = TPM2_ALG_OAEP;
  CHECK(has(fails(p), "scheme"));
  AkPolicy no_rsa;
  no_rsa.allow_rsa = false;
  CHECK(has(fails(base, no_rsa), "RSA"));

  CHECK(fails(ecc) == "ok");
  p = ecc;
  p.pub.parameters.eccDetail.curveID = TPM2_ECC_NIST_P521;
  CHECK(has(fails(p), "curve"));
  p = ecc;
  p.pub.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDAA;
  CHECK(has(fails(p), "ECDSA"));
  p = ecc;
  p.pub.type = TPM2_ALG_KEYEDHASH;
  CHECK(has(fails(p), "neither"));
}
