// Integration: MakeCredential (tpm2-tools, and paw's own software one) →
// TPM2_ActivateCredential in swtpm recovers the secret only for this EK + AK.
#include <doctest/doctest.h>

#include "paw/attest/makecredential.h"
#include "paw/attest/tpm.h"
#include "paw/platform/ak.h"
#include "swtpm.h"
#include "test_data.h"

using namespace paw;
using namespace paw::platform;

TEST_CASE("activate: tpm2_makecredential's challenge is answered by paw's ActivateCredential") {
  auto sw = test::Swtpm::start();
  test::TempDir tmp;
  auto tpm = Tpm::open(sw->tcti());
  REQUIRE(tpm.ok());
  auto ek = create_ek(*tpm, EkType::rsa2048);
  REQUIRE(ek.ok());
  auto ak = ensure_ak(*tpm, *ek, tmp.path() / "state", AkAlg::ecc_p256);
  REQUIRE(ak.ok());
  const Bytes secret = *random_bytes(32);
  test::save(tmp / "ek.pub", ek->public_tpm2b);
  test::save(tmp / "secret", secret);
  std::string out;
  REQUIRE_MESSAGE(test::run_command({"tpm2_makecredential", "--tcti", "none", "-u", (tmp / "ek.pub").string(), "-s", (tmp / "secret").string(), "-n", hex(ak->ak.name), "-o",
                                     (tmp / "cred").string()},
                                    &out) == 0,
                  out);
  auto blob = parse_tpm2_tools_credential_file(test::load(tmp / "cred"));
  REQUIRE_MESSAGE(blob.ok(), blob.error().what());
  auto got = activate_credential(*tpm, *ek, ak->ak, blob->credential_blob, blob->encrypted_secret);
  REQUIRE_MESSAGE(got.ok(), got.error().what());
  CHECK(got->equals(secret));
}

TEST_CASE("activate: paw's software MakeCredential binds the AK to the EK (RSA and ECC P-384 EKs)") {
  auto sw = test::Swtpm::start();
  test::TempDir tmp;
  auto tpm = Tpm::open(sw->tcti());
  REQUIRE(tpm.ok());
  for (const EkType t : {EkType::rsa2048, EkType::ecc_p384}) {
    CAPTURE(ek_type_name(t));
    auto ek = create_ek(*tpm, t);
    REQUIRE(ek.ok());
    auto ak = ensure_ak(*tpm, *ek, tmp.path() / std::string(ek_type_name(t)), AkAlg::ecc_p256);
    REQUIRE(ak.ok());
    auto ek_pub = parse_public(ek->public_tpm2b);
    REQUIRE(ek_pub.ok());
    const Bytes secret = *random_bytes(32);
    auto blob = make_credential(*ek_pub, secret, ak->ak.name);
    REQUIRE_MESSAGE(blob.ok(), blob.error().what());
    auto got = activate_credential(*tpm, *ek, ak->ak, blob->credential_blob, blob->encrypted_secret);
    REQUIRE_MESSAGE(got.ok(), got.error().what());
    CHECK(got->equals(secret));

    // A challenge made for another object name is refused by the TPM.
    Bytes other_name = ak->ak.name;
    other_name.back() ^= 1;
    auto wrong = make_credential(*ek_pub, secret, other_name);
    REQUIRE(wrong.ok());
    auto refused = activate_credential(*tpm, *ek, ak->ak, wrong->credential_blob, wrong->encrypted_secret);
    CHECK(refused.code() == Errc::activation_failed);
    // Garbage never reaches the TPM.
    CHECK(activate_credential(*tpm, *ek, ak->ak, Bytes{0, 1}, blob->encrypted_secret).code() == Errc::malformed);
    Bytes trailing = blob->credential_blob;
    trailing.push_back(0);
    CHECK(activate_credential(*tpm, *ek, ak->ak, trailing, blob->encrypted_secret).code() == Errc::trailing_data);
  }
}
