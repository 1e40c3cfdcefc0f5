// Integration: TPM access through tpm2-tss against a private swtpm.
#include <doctest/doctest.h>

#include <algorithm>

#include "paw/platform/tpm.h"
#include "swtpm.h"

using namespace paw;
using namespace paw::platform;

TEST_CASE("tpm: opens swtpm by TCTI string and reports what the TPM is") {
  auto sw = test::Swtpm::start();
  auto tpm = Tpm::open(sw->tcti());
  REQUIRE_MESSAGE(tpm.ok(), tpm.error().what());
  auto info = tpm_info(*tpm);
  REQUIRE_MESSAGE(info.ok(), info.error().what());
  CHECK(info->manufacturer == "IBM");  // libtpms reports TPM_PT_MANUFACTURER "IBM"
  CHECK(info->family == "2.0");
  CHECK(info->pcr_count == 24);
  CHECK(info->firmware_version != 0);
  CHECK(info->active_banks == std::vector<HashAlg>{HashAlg::sha1, HashAlg::sha256});
  const auto& algs = info->algorithms;
  for (const char* want : {"rsa", "ecc", "sha256", "ecdsa", "rsassa", "aes", "cfb"})
    CHECK_MESSAGE(std::find(algs.begin(), algs.end(), want) != algs.end(), want);
  const std::string json = tpm_info_json(*info);
  CHECK(json.find("\"manufacturer\":\"IBM\"") != std::string::npos);
  CHECK(json.find("\"active_banks\":[\"sha1\",\"sha256\"]") != std::string::npos);
}

TEST_CASE("tpm: a TCTI that cannot be opened fails with tpm_error and a decoded reason") {
  auto tpm = Tpm::open("swtpm:host=127.0.0.1,port=1");
  REQUIRE_FALSE(tpm.ok());
  CHECK(tpm.code() == Errc::tpm_error);
  CHECK(tpm.error().detail.find("swtpm:host=127.0.0.1,port=1") != std::string::npos);
  CHECK(tpm.error().detail.find("0x") != std::string::npos);
  auto bogus = Tpm::open("no-such-tcti-module");
  CHECK(bogus.code() == Errc::tpm_error);
}

TEST_CASE("tpm: PCR read of all active banks crosses TPM2_PCR_Read's 8-digest chunks") {
  auto sw = test::Swtpm::start();
  auto tpm = Tpm::open(sw->tcti());
  REQUIRE(tpm.ok());
  auto sel = active_pcr_selection(*tpm);
  REQUIRE(sel.ok());
  REQUIRE(sel->size() == 2);
  CHECK((*sel)[0].bank == HashAlg::sha1);
  CHECK((*sel)[1].bank == HashAlg::sha256);
  CHECK((*sel)[1].indices.size() == 24);

  // Extend PCR 16 and 23 (locality 0 may extend them) with known digests.
  const Bytes d256 = sha256(as_bytes("paw pcr 16"));
  REQUIRE(extend_pcr(*tpm, 16, HashAlg::sha256, d256).ok());
  auto d1 = digest(HashAlg::sha1, as_bytes("paw pcr 23"));
  REQUIRE(extend_pcr(*tpm, 23, HashAlg::sha1, *d1).ok());

  auto pcrs = read_pcrs(*tpm, *sel);
  REQUIRE_MESSAGE(pcrs.ok(), pcrs.error().what());
  REQUIRE(pcrs->at(HashAlg::sha1).size() == 24);
  REQUIRE(pcrs->at(HashAlg::sha256).size() == 24);
  Bytes zero32(32, 0);
  Bytes cat = zero32;
  cat.insert(cat.end(), d256.begin(), d256.end());
  CHECK(pcrs->at(HashAlg::sha256).at(16) == sha256(cat));
  Bytes cat1(20, 0);
  cat1.insert(cat1.end(), d1->begin(), d1->end());
  CHECK(pcrs->at(HashAlg::sha1).at(23) == *digest(HashAlg::sha1, cat1));
  CHECK(pcrs->at(HashAlg::sha256).at(15) == zero32);

  // tpm2-tools agrees about the value.
  std::string out;
  REQUIRE(test::run_command({"tpm2_pcrread", "-T", sw->tcti(), "sha256:16"}, &out) == 0);
  std::string upper = hex(pcrs->at(HashAlg::sha256).at(16));
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK_MESSAGE(out.find(upper) != std::string::npos, out);

  // Bad input is refused before the TPM sees it.
  CHECK(extend_pcr(*tpm, 24, HashAlg::sha256, d256).code() == Errc::malformed);
  CHECK(extend_pcr(*tpm, 16, HashAlg::sha1, d256).code() == Errc::malformed);
  CHECK(read_pcrs(*tpm, {{HashAlg::sha256, {24}}}).code() == Errc::malformed);
}

TEST_CASE("tpm: transient handles are flushed by their guard") {
  auto sw = test::Swtpm::start();
  auto tpm = Tpm::open(sw->tcti());
  REQUIRE(tpm.ok());
  auto count_transients = [&] {
    std::string out;
    REQUIRE(test::run_command({"tpm2_getcap", "-T", sw->tcti(), "handles-transient"}, &out) == 0);
    return std::count(out.begin(), out.end(), '-');
  };
  CHECK(count_transients() == 0);
  {
    TPM2B_PUBLIC tpl{};
    tpl.publicArea.type = TPM2_ALG_KEYEDHASH;
    tpl.publicArea.nameAlg = TPM2_ALG_SHA256;
    tpl.publicArea.objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT |
                                      TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                      TPMA_OBJECT_SENSITIVEDATAORIGIN;
    tpl.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_HMAC;
    tpl.publicArea.parameters.keyedHashDetail.scheme.details.hmac.hashAlg = TPM2_ALG_SHA256;
    TPM2B_SENSITIVE_CREATE sens{};
    TPM2B_DATA outside{};
    TPML_PCR_SELECTION none{};
    ESYS_TR h = ESYS_TR_NONE;
    REQUIRE(Esys_CreatePrimary(tpm->esys(), ESYS_TR_RH_NULL, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
                               &tpl, &outside, &none, &h, nullptr, nullptr, nullptr, nullptr) == TSS2_RC_SUCCESS);
    TpmObject guard(tpm->esys(), h);
    TpmObject moved = std::move(guard);
    CHECK_FALSE(guard.valid());
    CHECK(moved.valid());
    CHECK(count_transients() == 1);
  }
  CHECK(count_transients() == 0);
}
