// Integration: EK certificates from swtpm's NV, chained to swtpm's local CA, and
// EKs re-created from the profile templates whose keys are the certified ones.
#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "paw/attest/ekcert.h"
#include "paw/attest/tpm.h"
#include "paw/platform/ek.h"
#include "paw/attest/ossl.h"
#include "swtpm.h"

using namespace paw;
using namespace paw::platform;

namespace {

X509Ptr parse_der(const Bytes& der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  REQUIRE(cert);
  CHECK(p == der.data() + der.size());
  return cert;
}

X509Ptr load_pem(const std::filesystem::path& path) {
  const Bytes pem = test::load(path);
  UniquePtr<BIO, BIO_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(cert);
  return cert;
}

// chains checks |leaf| against swtpm's root and intermediate. EK certificates
// carry a critical subjectAltName (TPM manufacturer/model/version) that generic
// X.509 code refuses, so that one check is waived here.
bool chains(X509* leaf, const std::filesystem::path& ca_dir) {
  UniquePtr<X509_STORE, X509_STORE_free> store(X509_STORE_new());
  X509Ptr root = load_pem(ca_dir / "swtpm-localca-rootca-cert.pem");
  X509Ptr issuer = load_pem(ca_dir / "issuercert.pem");
  REQUIRE(X509_STORE_add_cert(store.get(), root.get()) == 1);
  struct StackFree {
    void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_free(s); }
  };
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  sk_X509_push(untrusted.get(), issuer.get());
  UniquePtr<X509_STORE_CTX, X509_STORE_CTX_free> ctx(X509_STORE_CTX_new());
  REQUIRE(X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) == 1);
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_IGNORE_CRITICAL);
  const bool ok = X509_verify_cert(ctx.get()) == 1;
  if (!ok) MESSAGE(std::string(X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()))));
  return ok;
}
}  // namespace

TEST_CASE("ek: swtpm's RSA and ECC P-384 EK certificates are read from NV and chain to its CA") {
  auto sw = test::Swtpm::start();
  auto tpm = Tpm::open(sw->tcti());
  REQUIRE(tpm.ok());
  auto certs = read_ek_certs(*tpm);
  REQUIRE_MESSAGE(certs.ok(), certs.error().what());
  REQUIRE(certs->size() == 2);
  CHECK((*certs)[0].nv_index == kEkCertRsa2048);
  CHECK((*certs)[0].type == EkType::rsa2048);
  CHECK((*certs)[1].nv_index == kEkCertHighEccP384);
  CHECK((*certs)[1].type == EkType::ecc_p384);
  for (const auto& c : *certs) {
    CHECK(c.der.size() <= c.stored.size());
    X509Ptr x = parse_der(c.der);
    CHECK(chains(x.get(), sw->ca_dir()));
  }
  // An index that is not defined is a clear "absent", not an error.
  auto none = read_ek_cert(*tpm, kEkCertEccP256);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  // A certificate signed by another CA does not chain.
  X509Ptr foreign = parse_der(test::load(test::test_data("keylime/derived/ek_leaf_from_test_cert_utils/st_sha256_with_rsa_der.trimmed.der")));
  CHECK_FALSE(chains(foreign.get(), sw->ca_dir()));
}

TEST_CASE("ek: the EK created from the profile template is the key its certificate certifies") {
  auto sw = test::Swtpm::start();
  auto tpm = Tpm::open(sw->tcti());
  REQUIRE(tpm.ok());
  for (const EkType t : {EkType::rsa2048, EkType::ecc_p384}) {
    CAPTURE(ek_type_name(t));
    auto cert = read_ek_cert(*tpm, ek_cert_index(t));
    REQUIRE(cert.ok());
    REQUIRE(cert->has_value());
    X509Ptr x = parse_der((*cert)->der);
    auto ek = create_ek(*tpm, t);
    REQUIRE_MESSAGE(ek.ok(), ek.error().what());
    auto pub = parse_public(ek->public_tpm2b);
    REQUIRE(pub.ok());
    auto same = public_matches(*pub, X509_get0_pubkey(x.get()));
    REQUIRE(same.ok());
    CHECK(*same);
    auto name = object_name(*pub);
    REQUIRE(name.ok());
    CHECK(*name == ek->name);
    // The EK policy session satisfies the EK's authPolicy (PolicySecret, and PolicyOR for H-3).
    auto session = start_ek_session(*tpm, t);
    CHECK_MESSAGE(session.ok(), session.error().what());
  }
  // Mismatch is detectable: the P-384 EK is not the RSA certificate's key.
  auto rsa_cert = read_ek_cert(*tpm, kEkCertRsa2048);
  REQUIRE(rsa_cert.ok());
  X509Ptr rx = parse_der((*rsa_cert)->der);
  auto ecc = create_ek(*tpm, EkType::ecc_p384);
  REQUIRE(ecc.ok());
  auto ecc_pub = parse_public(ecc->public_tpm2b);
  REQUIRE(ecc_pub.ok());
  auto same = public_matches(*ecc_pub, X509_get0_pubkey(rx.get()));
  CHECK((!same.ok() || !*same));
  // ECC P-256 (template L-2) is creatable although swtpm certified none.
  auto p256 = create_ek(*tpm, EkType::ecc_p256);
  REQUIRE_MESSAGE(p256.ok(), p256.error().what());
  auto p256_pub = parse_public(p256->public_tpm2b);
  REQUIRE(p256_pub.ok());
  CHECK(p256_pub->pub.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256);
}

TEST_CASE("ek: DER length cuts NV padding and refuses what is not a certificate") {
  const Bytes padded = test::load(test::test_data("keylime/derived/ek_leaf_from_test_cert_utils/st_sha256_with_rsa_der.der"));
  const Bytes trimmed = test::load(test::test_data("keylime/derived/ek_leaf_from_test_cert_utils/st_sha256_with_rsa_der.trimmed.der"));
  REQUIRE(padded.size() > trimmed.size());
  auto n = der_length(padded);
  REQUIRE(n.ok());
  CHECK(*n == trimmed.size());
  auto m = der_length(trimmed);
  REQUIRE(m.ok());
  CHECK(*m == trimmed.size());
  CHECK(der_length(Bytes{}).code() == Errc::malformed);
  CHECK(der_length(Bytes{0x30, 0x82, 0x05}).code() == Errc::malformed);
  CHECK(der_length(Bytes{0x30, 0x05, 1, 2}).code() == Errc::malformed);
  CHECK(der_length(Bytes{0x31, 0x00}).code() == Errc::malformed);
  CHECK(der_length(Bytes{0x30, 0x80, 0x00, 0x00}).code() == Errc::malformed);
  CHECK(*der_length(Bytes{0x30, 0x01, 0xAA, 0xFF, 0xFF}) == 3);
}

TEST_CASE("ek: paw's EK certificate checks accept swtpm's certificates and keys (attest/ekcert.h)") {
  auto sw = test::Swtpm::start();
  auto tpm = Tpm::open(sw->tcti());
  REQUIRE(tpm.ok());
  auto cas = EkCaStore::load_dir(sw->ca_dir().string());
  REQUIRE_MESSAGE(cas.ok(), cas.error().what());
  for (const EkType t : {EkType::rsa2048, EkType::ecc_p384}) {
    CAPTURE(ek_type_name(t));
    auto cert = read_ek_cert(*tpm, ek_cert_index(t));
    REQUIRE(cert.ok());
    REQUIRE(cert->has_value());
    auto verified = verify_ek_certificate((*cert)->stored, *cas);  // as stored in NV, padding and all
    REQUIRE_MESSAGE(verified.ok(), verified.error().what());
    CHECK(verified->der == (*cert)->der);
    CHECK(verified->tpm.model == "swtpm");
    auto ek = create_ek(*tpm, t);
    REQUIRE(ek.ok());
    auto pub = parse_public(ek->public_tpm2b);
    REQUIRE(pub.ok());
    CHECK_MESSAGE(ek_matches_public(*verified, *pub).ok(), ek_type_name(t));
    ek->handle.reset();
  }
  // Another manufacturer's CA does not vouch for swtpm's EK.
  auto other = EkCaStore::load_dir(test::test_data("keylime/tpm_cert_store").string());
  REQUIRE(other.ok());
  auto rsa = read_ek_cert(*tpm, kEkCertRsa2048);
  REQUIRE(rsa.ok());
  CHECK(verify_ek_certificate((*rsa)->der, *other).code() == Errc::untrusted_chain);
}
