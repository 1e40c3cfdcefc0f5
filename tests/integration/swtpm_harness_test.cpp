#include <doctest/doctest.h>

#include "swtpm.h"

using namespace paw::test;

TEST_CASE("swtpm harness: a private TPM answers tpm2-tools and holds EK certificates") {
  auto tpm = Swtpm::start();
  std::string out;
  REQUIRE(run_command({"tpm2_getrandom", "-T", tpm->tcti(), "--hex", "8"}, &out) == 0);
  CHECK(out.size() >= 16);
  out.clear();
  REQUIRE(run_command({"tpm2_nvreadpublic", "-T", tpm->tcti()}, &out) == 0);
  CHECK(out.find("0x1c00002") != std::string::npos);  // RSA EK certificate
  CHECK(out.find("0x1c00016") != std::string::npos);  // ECC P-384 EK certificate (swtpm 0.7)
  CHECK(std::filesystem::exists(tpm->ca_dir() / "issuercert.pem"));
  const pid_t pid = tpm->pid();
  tpm->restart();
  CHECK(tpm->pid() != pid);
  REQUIRE(run_command({"tpm2_getrandom", "-T", tpm->tcti(), "4"}, &out) == 0);
}
