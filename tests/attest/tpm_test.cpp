// tpm_test.cpp — TPM structure parsers: public areas, names, keys, TPMS_ATTEST
// (quote and certify from physical TPMs), TPMT_SIGNATURE.
#include <doctest/doctest.h>

#include "paw/attest/tpm.h"
#include "tpm_test_util.h"

using namespace paw;
using namespace paw::test;

namespace {

UniquePtr<X509, X509_free> der_cert(const Bytes& der) {
  const unsigned char* p = der.data();
  UniquePtr<X509, X509_free> c(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(c != nullptr);
  return c;
}

}  // namespace

TEST_CASE("TPM2B_PUBLIC from tpm2_createak: fields / name equals tpm2-tools' name / PEM equality") {
  for (const char* ak : {"rsa", "ecc", "pss"}) {
    CAPTURE(ak);
    const auto pub = must_public(fixture(std::string("ak_") + ak + ".pub"));
    CHECK(pub.name_alg() == HashAlg::sha256);
    CHECK((pub.pub.objectAttributes & TPMA_OBJECT_RESTRICTED) != 0);
    auto name = object_name(pub);
    REQUIRE(name.ok());
    CHECK(*name == fixture(std::string("ak_") + ak + ".name"));
    auto pem = parse_pem_public_key(fixture(std::string("ak_") + ak + ".pem"));
    REQUIRE(pem.ok());
    CHECK(public_matches(pub, pem->get()).value());
  }
  const auto rsa = must_public(fixture("ak_rsa.pub"));
  auto pss_pem = parse_pem_public_key(fixture("ak_pss.pem"));
  CHECK_FALSE(public_matches(rsa, pss_pem->get()).value());
  const auto ecc = must_public(fixture("ak_ecc.pub"));
  CHECK(ecc.is_ecc());
  CHECK_FALSE(public_matches(ecc, pss_pem->get()).value());
}

TEST_CASE("public area parsers refuse short input / trailing bytes and bad sizes") {
  const Bytes b = fixture("ak_rsa.pub");
  CHECK(parse_public(ByteView(b).first(b.size() - 1)).code() == Errc::malformed);
  Bytes t = b;
  t.push_back(0);
  CHECK(parse_public(t).code() == Errc::trailing_data);
  // TPM2B size says one byte more than the TPMT_PUBLIC holds.
  Bytes inner = b;
  inner[1] = static_cast<std::uint8_t>(inner[1] + 1);
  inner.push_back(0);
  CHECK(parse_public(inner).code() == Errc::trailing_data);
  // Bare TPMT_PUBLIC with a trailing byte.
  Bytes tpmt(b.begin() + 2, b.end());
  CHECK(parse_tpmt_public(tpmt).ok());
  tpmt.push_back(0);
  CHECK(parse_tpmt_public(tpmt).code() == Errc::trailing_data);
  CHECK(parse_public({}).code() == Errc::malformed);
  // Unknown type: TPM_ALG_ID 0x0099.
  Bytes bad(b.begin() + 2, b.end());
  bad[1] = 0x99;
  CHECK(parse_tpmt_public(bad).code() == Errc::malformed);
  CHECK(parse_pem_public_key(as_bytes("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")).code() ==
        Errc::malformed);
}

TEST_CASE("ECC public areas: swtpm P-384 EK converts, a point off the curve is refused") {
  const auto ek = must_public(fixture("ek_ecc384.pub"));
  CHECK(ek.pub.parameters.eccDetail.curveID == TPM2_ECC_NIST_P384);
  auto key = to_evp_pkey(ek);
  REQUIRE(key.ok());
  CHECK(EVP_PKEY_get_bits(key->get()) == 384);
  TpmPublic bad = must_public(fixture("ak_ecc.pub"));
  bad.pub.unique.ecc.y.buffer[10] ^= 1;
  CHECK(to_evp_pkey(bad).code() == Errc::malformed);
  bad = must_public(fixture("ak_ecc.pub"));
  bad.pub.parameters.eccDetail.curveID = TPM2_ECC_BN_P256;
  CHECK(to_evp_pkey(bad).code() == Errc::unsupported);
}

TEST_CASE("WebAuthn certify structures from physical TPMs (Intel / Nuvoton x2 / STMicro)") {
  for (const char* t : {"attestation_surface_pro_4", "attestation_dell_xps_13", "attestation_lenovo_carbon_x1",
                        "tpm_with_ecc_public_area_type"}) {
    CAPTURE(t);
    const std::string base = std::string("py_webauthn/") + t;
    const Bytes info = load(test_data(base + ".certInfo.TPMS_ATTEST.bin"));
    auto a = parse_attest(info);
    REQUIRE_MESSAGE(a.ok(), a.error().what());
    CHECK(a->magic == kTpmGeneratedValue);
    CHECK(a->type == kStAttestCertify);
    auto pub = parse_tpmt_public(load(test_data(base + ".pubArea.TPMT_PUBLIC.bin")));
    REQUIRE(pub.ok());
    CHECK(object_name(*pub).value() == a->certified_name);
    CHECK(to_evp_pkey(*pub).ok());
    // The AIK certificate's key signed certInfo with RSASSA-SHA1 (COSE RS1).
    auto cert = der_cert(load(test_data(base + ".x5c0.der")));
    Signature sig{SigScheme::rsassa, HashAlg::sha1, load(test_data(base + ".sig.bin")), {}, {}};
    CHECK(verify_signature(X509_get0_pubkey(cert.get()), info, sig).ok());
    Bytes mutated = info;
    mutated[mutated.size() / 2] ^= 1;
    CHECK(verify_signature(X509_get0_pubkey(cert.get()), mutated, sig).code() == Errc::bad_signature);
    sig.scheme = SigScheme::ecdsa;
    CHECK(verify_signature(X509_get0_pubkey(cert.get()), info, sig).code() == Errc::bad_signature);
    // Refusals: truncated and trailing.
    CHECK(parse_attest(ByteView(info).first(info.size() - 1)).code() == Errc::malformed);
    Bytes trailing = info;
    trailing.push_back(0);
    CHECK(parse_attest(trailing).code() == Errc::trailing_data);
  }
}

TEST_CASE("TPMS_ATTEST quote decoding: fields / bad bank / PCR beyond 23 / repeated bank") {
  const Bytes msg = fixture("quote_rsa_sha1_sha256.msg");
  auto a = parse_attest(msg);
  REQUIRE(a.ok());
  CHECK(a->type == kStAttestQuote);
  CHECK(a->extra_data == hexb("a1b2c3d4e5f60718"));
  REQUIRE(a->pcr_select.size() == 2);
  CHECK(a->pcr_select[0] == PcrSelectionEntry{HashAlg::sha1, {0, 1, 16}});
  CHECK(a->pcr_select[1] == PcrSelectionEntry{HashAlg::sha256, {0, 16}});
  CHECK(a->qualified_signer.size() == 34);

  auto edit = [&](auto f) {
    TPMS_ATTEST t{};
    std::size_t off = 0;
    REQUIRE(Tss2_MU_TPMS_ATTEST_Unmarshal(msg.data(), msg.size(), &off, &t) == TSS2_RC_SUCCESS);
    f(t);
    std::uint8_t buf[sizeof(TPMS_ATTEST)];
    off = 0;
    REQUIRE(Tss2_MU_TPMS_ATTEST_Marshal(&t, buf, sizeof(buf), &off) == TSS2_RC_SUCCESS);
    return parse_attest(ByteView(buf, off)).code();
  };
  CHECK(edit([](TPMS_ATTEST&) {}) == Errc{});
  CHECK(edit([](TPMS_ATTEST& t) { t.attested.quote.pcrSelect.pcrSelections[0].hash = 0x0099; }) == Errc::unsupported);
  CHECK(edit([](TPMS_ATTEST& t) {
          t.attested.quote.pcrSelect.pcrSelections[0].sizeofSelect = 4;
          t.attested.quote.pcrSelect.pcrSelections[0].pcrSelect[3] = 1;
        }) == Errc::malformed);
  CHECK(edit([](TPMS_ATTEST& t) { t.attested.quote.pcrSelect.pcrSelections[1].hash = TPM2_ALG_SHA1; }) ==
        Errc::malformed);
  CHECK(edit([](TPMS_ATTEST& t) { t.clockInfo.safe = 2; }) == Errc::malformed);
  Bytes raw = msg;
  raw[5] = 0x99;  // type 0x8099: no such TPMI_ST_ATTEST
  CHECK(parse_attest(raw).code() == Errc::malformed);
}

TEST_CASE("TPMT_SIGNATURE decoding: RSASSA / ECDSA / RSAPSS and refusals") {
  auto s = parse_signature(fixture("quote_rsa_sha256.sig"));
  REQUIRE(s.ok());
  CHECK(s->scheme == SigScheme::rsassa);
  CHECK(s->rsa.size() == 256);
  s = parse_signature(fixture("quote_ecc_sha256.sig"));
  REQUIRE(s.ok());
  CHECK(s->scheme == SigScheme::ecdsa);
  CHECK(s->ecc_r.size() == 32);
  s = parse_signature(fixture("quote_pss_sha256.sig"));
  REQUIRE(s.ok());
  CHECK(s->scheme == SigScheme::rsapss);
  Bytes b = fixture("quote_rsa_sha256.sig");
  b[3] = 0x12;  // sm3_256: not supported by OpenSSL here
  CHECK(parse_signature(b).code() == Errc::unsupported);
  b = fixture("quote_rsa_sha256.sig");
  b[3] = 0x77;  // unknown hash: tss2-mu accepts it, paw does not
  CHECK(parse_signature(b).code() != Errc{});
  b = fixture("quote_ecc_sha256.sig");
  b.pop_back();
  CHECK(parse_signature(b).code() == Errc::malformed);
  b = fixture("quote_ecc_sha256.sig");
  b.push_back(1);
  CHECK(parse_signature(b).code() == Errc::trailing_data);
  const Bytes null_sig = {0x00, 0x10};  // TPM_ALG_NULL
  CHECK(parse_signature(null_sig).code() == Errc::unsupported);
}
