// ekcert_swtpm_test.cpp — swtpm's EK certificates, read live from NV with
// tpm2_nvread, chain to its local CA and hold the keys tpm2_createek reports.
#include <doctest/doctest.h>

#include "paw/attest/ekcert.h"
#include "paw/attest/tpm.h"
#include "swtpm.h"

using namespace paw;
using namespace paw::test;

TEST_CASE("live swtpm: RSA (0x1c00002) and ECC P-384 (0x1c00016) EK certificates verify and match the EKs") {
  auto t = Swtpm::start();
  TempDir d;
  auto cas = EkCaStore::load_dir(t->ca_dir().string());  // also holds keys and serials: skipped
  REQUIRE_MESSAGE(cas.ok(), cas.error().what());
  CHECK(cas->size() == 2);
  for (const auto& [index, alg] : {std::pair{"0x1c00002", "rsa"}, std::pair{"0x1c00016", "ecc384"}}) {
    CAPTURE(index);
    std::string out;
    REQUIRE(run_command({"tpm2_nvread", "-T", t->tcti(), index, "-o", (d / "cert").string()}, &out) == 0);
    REQUIRE(run_command({"tpm2_createek", "-T", t->tcti(), "-c", (d / "ek.ctx").string(), "-G", alg, "-u",
                         (d / "ek.pub").string()},
                        &out) == 0);
    run_command({"tpm2_flushcontext", "-T", t->tcti(), "-t"}, &out);
    auto ek = verify_ek_certificate(load(d / "cert"), *cas);
    REQUIRE_MESSAGE(ek.ok(), ek.error().what());
    CHECK(ek->reaches_self_signed_root);
    CHECK(ek->tpm.model == "swtpm");
    auto pub = parse_public(load(d / "ek.pub"));
    REQUIRE(pub.ok());
    CHECK(ek_matches_public(*ek, *pub).ok());
  }
  // Another TPM manufactured from the same template has the same EK (same seeds), so
  // the negative is a CA folder without swtpm's issuer.
  auto google = EkCaStore::load_dir(
      (std::filesystem::path(PAW_TEST_DATA_DIR) / "go-tpm-tools/server/ca-certs").string());
  REQUIRE(google.ok());
  std::string out;
  REQUIRE(run_command({"tpm2_nvread", "-T", t->tcti(), "0x1c00002", "-o", (d / "cert").string()}, &out) == 0);
  CHECK(verify_ek_certificate(load(d / "cert"), *google).code() == Errc::untrusted_chain);
}
