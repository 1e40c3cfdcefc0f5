// Integration: the AK's life cycle — created under the EK, stored 0600,
// reloaded after a restart, recreated after the TPM was cleared.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include "paw/attest/tpm.h"
#include "paw/platform/ak.h"
#include "swtpm.h"
#include "test_data.h"

using namespace paw;
using namespace paw::platform;

namespace {
void check_ak_attributes(const Bytes& tpm2b, AkAlg alg) {
  auto pub = parse_public(tpm2b);
  REQUIRE(pub.ok());
  const TPMA_OBJECT a = pub->pub.objectAttributes;
  for (const TPMA_OBJECT want : {TPMA_OBJECT_RESTRICTED, TPMA_OBJECT_SIGN_ENCRYPT, TPMA_OBJECT_FIXEDTPM,
                                 TPMA_OBJECT_FIXEDPARENT, TPMA_OBJECT_SENSITIVEDATAORIGIN})
    CHECK((a & want) == want);
  CHECK((a & TPMA_OBJECT_DECRYPT) == 0);
  if (alg == AkAlg::ecc_p256) {
    CHECK(pub->is_ecc());
    CHECK(pub->pub.parameters.eccDetail.scheme.scheme == TPM2_ALG_ECDSA);
    CHECK(pub->pub.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256);
  } else {
    CHECK(pub->is_rsa());
    CHECK(pub->pub.parameters.rsaDetail.scheme.scheme == TPM2_ALG_RSASSA);
  }
}
}  // namespace

TEST_CASE("ak: created, stored 0600, reloaded after a TPM restart, recreated after tpm2_clear") {
  auto sw = test::Swtpm::start();
  test::TempDir state;
  const auto dir = state.path() / "agent";
  Bytes first_public;
  {
    auto tpm = Tpm::open(sw->tcti());
    REQUIRE(tpm.ok());
    auto ek = create_ek(*tpm, EkType::rsa2048);
    REQUIRE(ek.ok());
    auto ak = ensure_ak(*tpm, *ek, dir, AkAlg::ecc_p256);
    REQUIRE_MESSAGE(ak.ok(), ak.error().what());
    CHECK(ak->origin == AkOrigin::created);
    check_ak_attributes(ak->ak.public_tpm2b, AkAlg::ecc_p256);
    first_public = ak->ak.public_tpm2b;
    CHECK(test::mode_of(dir) == 0700);
    for (const char* f : {kAkPublicFile, kAkPrivateFile, kAkMetaFile}) CHECK(test::mode_of(dir / f) == 0600);
    auto name = object_name(*parse_public(first_public));
    CHECK(*name == ak->ak.name);
  }
  sw->restart();  // a reboot: new process, PCRs reset, transient objects gone
  {
    auto tpm = Tpm::open(sw->tcti());
    REQUIRE(tpm.ok());
    auto ek = create_ek(*tpm, EkType::rsa2048);
    REQUIRE(ek.ok());
    auto ak = ensure_ak(*tpm, *ek, dir, AkAlg::ecc_p256);
    REQUIRE_MESSAGE(ak.ok(), ak.error().what());
    CHECK(ak->origin == AkOrigin::loaded);
    CHECK(ak->ak.public_tpm2b == first_public);
  }
  std::string out;
  REQUIRE_MESSAGE(test::run_command({"tpm2_clear", "-T", sw->tcti(), "-c", "p"}, &out) == 0, out);
  {
    auto tpm = Tpm::open(sw->tcti());
    REQUIRE(tpm.ok());
    auto ek = create_ek(*tpm, EkType::rsa2048);
    REQUIRE(ek.ok());
    auto stale = load_ak_blob(dir);
    REQUIRE(stale.ok());
    REQUIRE(stale->has_value());
    CHECK(load_ak(*tpm, *ek, **stale).code() == Errc::tpm_error);
    auto ak = ensure_ak(*tpm, *ek, dir, AkAlg::ecc_p256);
    REQUIRE_MESSAGE(ak.ok(), ak.error().what());
    CHECK(ak->origin == AkOrigin::recreated);
    CHECK(ak->note.find("cleared") != std::string::npos);
    CHECK(ak->ak.public_tpm2b != first_public);
    // and the new one is what is stored now
    auto again = ensure_ak(*tpm, *ek, dir, AkAlg::ecc_p256);
    REQUIRE(again.ok());
    CHECK(again->origin == AkOrigin::loaded);
    CHECK(again->ak.public_tpm2b == ak->ak.public_tpm2b);
  }
}

TEST_CASE("ak: RSA AK, switching algorithm recreates, unsafe or damaged state is handled") {
  auto sw = test::Swtpm::start();
  test::TempDir state;
  auto tpm = Tpm::open(sw->tcti());
  REQUIRE(tpm.ok());
  auto ek = create_ek(*tpm, EkType::ecc_p384);
  REQUIRE(ek.ok());
  auto rsa = ensure_ak(*tpm, *ek, state.path(), AkAlg::rsa2048);
  REQUIRE_MESSAGE(rsa.ok(), rsa.error().what());
  CHECK(rsa->origin == AkOrigin::created);
  check_ak_attributes(rsa->ak.public_tpm2b, AkAlg::rsa2048);
  auto pem = ak_public_pem(rsa->ak.public_tpm2b);
  REQUIRE(pem.ok());
  CHECK(pem->rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
  rsa->ak.handle.reset();  // swtpm holds 3 transient objects: free the slot

  auto ecc = ensure_ak(*tpm, *ek, state.path(), AkAlg::ecc_p256);
  REQUIRE(ecc.ok());
  CHECK(ecc->origin == AkOrigin::recreated);
  check_ak_attributes(ecc->ak.public_tpm2b, AkAlg::ecc_p256);
  ecc->ak.handle.reset();

  // Group/other-readable key files are refused, not silently used.
  ::chmod((state.path() / kAkPrivateFile).c_str(), 0644);
  CHECK(ensure_ak(*tpm, *ek, state.path(), AkAlg::ecc_p256).code() == Errc::config_error);
  ::chmod((state.path() / kAkPrivateFile).c_str(), 0600);

  // A damaged public file is replaced by a fresh AK (it could never load).
  {
    FILE* f = std::fopen((state.path() / kAkPublicFile).c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fputs("junk", f);
    std::fclose(f);
  }
  auto fixed = ensure_ak(*tpm, *ek, state.path(), AkAlg::ecc_p256);
  REQUIRE_MESSAGE(fixed.ok(), fixed.error().what());
  CHECK(fixed->origin == AkOrigin::recreated);
}
