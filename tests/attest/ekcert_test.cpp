// ekcert_test.cpp — EK certificates: real STMicro (RSA with NV padding, ECC),
// Google cloud vTPM and swtpm certificates against their CA folders; the TCG
// quirks built into synthetic certificates; and one mutation per rejection.
#include <doctest/doctest.h>
#include <openssl/x509v3.h>

#include "paw/attest/ekcert.h"
#include "paw/attest/ossl.h"
#include "tpm_test_util.h"

using namespace paw;
using namespace paw::test;

namespace {

constexpr std::int64_t k2025 = 1735689600;  // 2025-01-01T00:00:00Z
const char* const kStLeaves = "keylime/derived/ek_leaf_from_test_cert_utils/";

EkCaStore store_dir(const std::filesystem::path& dir) {
  auto s = EkCaStore::load_dir(dir.string());
  REQUIRE_MESSAGE(s.ok(), s.error().what());
  return std::move(s).value();
}

// Synthetic certificates for the quirks real data does not cover (wrong EKU,
// unknown critical extension, critical subjectDirectoryAttributes).
struct MiniCa {
  EvpPkeyPtr key{EVP_EC_gen("P-256")};
  X509Ptr cert;
  MiniCa() {
    cert = make("CN=paw test CA", nullptr, {{NID_basic_constraints, "critical,CA:TRUE"}, {NID_key_usage, "critical,keyCertSign"}});
  }
  X509Ptr make(const char* subject, const EVP_PKEY* subject_key, const std::vector<std::pair<int, std::string>>& exts,
               const std::vector<std::pair<std::string, std::string>>& raw_exts = {}) const {
    X509Ptr c(X509_new());
    REQUIRE(X509_set_version(c.get(), 2) == 1);
    ASN1_INTEGER_set(X509_get_serialNumber(c.get()), 7);
    X509_NAME* name = X509_NAME_new();
    if (*subject != '\0') X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(subject + 3), -1, -1, 0);
    X509_set_subject_name(c.get(), name);
    X509_NAME_free(name);
    X509_set_issuer_name(c.get(), cert ? X509_get_subject_name(cert.get()) : X509_get_subject_name(c.get()));
    X509_time_adj_ex(X509_getm_notBefore(c.get()), -1, 0, nullptr);
    X509_time_adj_ex(X509_getm_notAfter(c.get()), 365, 0, nullptr);
    X509_set_pubkey(c.get(), const_cast<EVP_PKEY*>(subject_key ? subject_key : key.get()));
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, cert ? cert.get() : c.get(), c.get(), nullptr, nullptr, 0);
    for (const auto& [nid, value] : exts) {
      X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
      REQUIRE(e != nullptr);
      X509_add_ext(c.get(), e, -1);
      X509_EXTENSION_free(e);
    }
    for (const auto& [oid, der_hex] : raw_exts) {
      Asn1ObjectPtr obj(OBJ_txt2obj(oid.c_str(), 1));
      const Bytes der = hexb(der_hex);
      ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
      ASN1_OCTET_STRING_set(os, der.data(), static_cast<int>(der.size()));
      X509_EXTENSION* e = X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), 1, os);
      X509_add_ext(c.get(), e, -1);
      X509_EXTENSION_free(e);
      ASN1_OCTET_STRING_free(os);
    }
    REQUIRE(X509_sign(c.get(), key.get(), EVP_sha256()) > 0);
    return c;
  }
};

Bytes der_of(X509* c) {
  unsigned char* p = nullptr;
  const int n = i2d_X509(c, &p);
  REQUIRE(n > 0);
  Bytes out(p, p + n);
  OPENSSL_free(p);
  return out;
}

}  // namespace

TEST_CASE("STMicro RSA EK certificate as read from NV (0xFF padding) chains to the GlobalSign TPM root") {
  const EkCaStore cas = store_dir(test_data("keylime/tpm_cert_store"));
  CHECK(cas.size() >= 50);
  const Bytes nv = load(test_data(std::string(kStLeaves) + "st_sha256_with_rsa_der.der"));
  const Bytes trimmed = load(test_data(std::string(kStLeaves) + "st_sha256_with_rsa_der.trimmed.der"));
  CHECK(trim_der_padding(nv).value() == trimmed);
  auto ek = verify_ek_certificate(nv, cas, k2025);
  REQUIRE_MESSAGE(ek.ok(), ek.error().what());
  CHECK(ek->der == trimmed);
  REQUIRE(ek->chain.size() >= 3);
  CHECK(ek->chain[0].empty());  // empty subject
  CHECK(ek->chain[1].find("STM TPM EK Intermediate CA 05") != std::string::npos);
  CHECK(ek->chain.back().find("GlobalSign") != std::string::npos);
  CHECK(ek->reaches_self_signed_root);
  CHECK(ek->tpm.manufacturer == "id:53544D20");
  CHECK(ek->tpm.model == "ST33HTPHAHB4");
  CHECK(ek->tpm.version == "id:00490004");
  CHECK(verify_ek_certificate(trimmed, cas, k2025).ok());
}

TEST_CASE("STMicro ECC P-256 EK certificate chains to STMicro's ECC CA (root not public: partial chain)") {
  const EkCaStore cas = store_dir(test_data("keylime/tpm_cert_store"));
  auto ek = verify_ek_certificate(load(test_data(std::string(kStLeaves) + "st_ecdsa_sha256_der.der")), cas, k2025);
  REQUIRE_MESSAGE(ek.ok(), ek.error().what());
  CHECK(ek->tpm.manufacturer == "id:53544D20");
  CHECK(ek->chain.size() >= 2);
  CHECK_FALSE(ek->reaches_self_signed_root);
}

TEST_CASE("Google cloud vTPM EK certificates chain to the Google CA folder (PEM and DER / mixed)") {
  const EkCaStore cas = store_dir(test_data("go-tpm-tools/server/ca-certs"));
  CHECK(cas.size() == 5);
  for (const char* f : {"uca_tpm_rsa_enc_cert.pem", "uca_tpm_ecc_enc_cert.pem", "pca_tpm_rsa_enc_cert.pem",
                        "pca_tpm_ecc_enc_cert.pem"}) {
    CAPTURE(f);
    auto ek = verify_ek_certificate(load(test_data(std::string("go-tpm-tools/internal/test/certificates/") + f)),
                                    cas, k2025);
    REQUIRE_MESSAGE(ek.ok(), ek.error().what());
    CHECK(ek->chain.size() >= 2);
    if (f[0] == 'u') CHECK(ek->tpm.model == "vTPM");
  }
  // The STMicro EK is not issued by Google.
  auto st = verify_ek_certificate(load(test_data(std::string(kStLeaves) + "st_sha256_with_rsa_der.der")), cas, k2025);
  CHECK(st.code() == Errc::untrusted_chain);
}

TEST_CASE("swtpm's own EK certificates chain to its local CA and match the EKs tpm2_createek reports") {
  const EkCaStore cas = store_dir(source_path("tests/data/tpm/ca"));
  auto rsa = verify_ek_certificate(fixture("ek_rsa_cert.der"), cas);
  REQUIRE_MESSAGE(rsa.ok(), rsa.error().what());
  CHECK(rsa->chain.size() == 3);
  CHECK_FALSE(rsa->tpm.manufacturer.empty());
  auto ecc = verify_ek_certificate(fixture("ek_ecc384_cert.der"), cas);
  REQUIRE_MESSAGE(ecc.ok(), ecc.error().what());
  const TpmPublic ek_rsa = must_public(fixture("ek_rsa.pub"));
  const TpmPublic ek_ecc = must_public(fixture("ek_ecc384.pub"));
  CHECK(ek_matches_public(*rsa, ek_rsa).ok());
  CHECK(ek_matches_public(*ecc, ek_ecc).ok());
  CHECK(ek_matches_public(*rsa, ek_ecc).code() == Errc::cert_invalid);
  CHECK(ek_matches_public(fixture("ek_ecc384_cert.der"), ek_rsa).code() == Errc::cert_invalid);
  CHECK(ek_matches_public(fixture("ek_rsa_cert.der"), ek_rsa).ok());
}

TEST_CASE("EK certificate rejections: wrong CAs / dates / signature byte / padding / truncation") {
  const EkCaStore st_cas = store_dir(test_data("keylime/tpm_cert_store"));
  const EkCaStore swtpm_cas = store_dir(source_path("tests/data/tpm/ca"));
  const Bytes st = load(test_data(std::string(kStLeaves) + "st_sha256_with_rsa_der.trimmed.der"));
  CHECK(verify_ek_certificate(st, swtpm_cas, k2025).code() == Errc::untrusted_chain);
  CHECK(verify_ek_certificate(fixture("ek_rsa_cert.der"), st_cas).code() == Errc::untrusted_chain);
  auto expired = verify_ek_certificate(st, st_cas, 1893456000);  // 2030-01-01, after notAfter 2028
  CHECK(expired.code() == Errc::cert_invalid);
  CHECK(expired.error().detail.find("validity") != std::string::npos);
  CHECK(verify_ek_certificate(st, st_cas, 1262304000).code() == Errc::cert_invalid);  // 2010: not yet valid
  Bytes sig = st;
  sig[sig.size() - 10] ^= 0x01;  // inside the signature BIT STRING
  CHECK(verify_ek_certificate(sig, st_cas, k2025).code() == Errc::untrusted_chain);
  Bytes tbs = st;
  tbs[200] ^= 0x01;  // inside the signed TBSCertificate (modulus)
  CHECK(verify_ek_certificate(tbs, st_cas, k2025).code() != Errc{});
  Bytes junk = st;
  junk.push_back(0x42);
  CHECK(verify_ek_certificate(junk, st_cas, k2025).code() == Errc::trailing_data);
  CHECK(verify_ek_certificate(ByteView(st).first(st.size() - 1), st_cas, k2025).code() == Errc::malformed);
  CHECK(trim_der_padding(as_bytes("hello")).code() == Errc::malformed);
  CHECK(EkCaStore::load_dir("/nonexistent/paw").code() == Errc::io_error);
  TempDir empty;
  CHECK(EkCaStore::load_dir(empty.path().string()).code() == Errc::config_error);
}

TEST_CASE("TCG quirks on purpose: critical TPM SAN and subjectDirectoryAttributes pass, wrong EKU and unknown critical extensions fail") {
  MiniCa ca;
  auto store = EkCaStore::from_certificates({der_of(ca.cert.get())});
  REQUIRE(store.ok());
  EvpPkeyPtr ek_key(EVP_EC_gen("P-256"));
  // GeneralNames { [4] Name { SET { SEQ { OID 2.23.133.2.1, UTF8String "id:50415700" } } } }
  const std::string san_der = "301ca41a30183116301406056781050201""0c0b69643a3530343135373030";
  auto good = ca.make("", ek_key.get(), {{NID_ext_key_usage, "2.23.133.8.1"}}, {{"2.5.29.17", san_der}});
  auto ok = verify_ek_certificate(der_of(good.get()), *store);
  REQUIRE_MESSAGE(ok.ok(), ok.error().what());
  CHECK(ok->tpm.manufacturer == "id:50415700");
  CHECK(ok->chain.at(0).empty());

  // subjectDirectoryAttributes (2.5.29.9) marked critical: accepted for the leaf.
  auto sda = ca.make("", ek_key.get(), {}, {{"2.5.29.17", san_der}, {"2.5.29.9", "3000"}});
  auto sda_r = verify_ek_certificate(der_of(sda.get()), *store);
  CHECK_MESSAGE(sda_r.ok(), (sda_r.ok() ? "" : sda_r.error().what()));

  auto wrong_eku = ca.make("", ek_key.get(), {{NID_ext_key_usage, "serverAuth"}}, {{"2.5.29.17", san_der}});
  auto r = verify_ek_certificate(der_of(wrong_eku.get()), *store);
  CHECK(r.code() == Errc::cert_invalid);
  CHECK(r.error().detail.find("EKU") != std::string::npos);

  auto unknown = ca.make("", ek_key.get(), {}, {{"2.5.29.17", san_der}, {"1.3.6.1.4.1.99999.1", "0500"}});
  r = verify_ek_certificate(der_of(unknown.get()), *store);
  CHECK(r.code() == Errc::cert_invalid);
  CHECK(r.error().detail.find("extensions") != std::string::npos);
}

TEST_CASE("an EK certificate placed in the trusted folder does not vouch for itself") {
  MiniCa ca;
  EvpPkeyPtr ek_key(EVP_EC_gen("P-256"));
  const std::string san_der = "301ca41a30183116301406056781050201""0c0b69643a3530343135373030";
  auto leaf = ca.make("", ek_key.get(), {{NID_ext_key_usage, "2.23.133.8.1"}}, {{"2.5.29.17", san_der}});
  // The leaf alone in the folder (its CA is not): OpenSSL's partial chain would
  // make the leaf its own trust anchor.
  auto only_leaf = EkCaStore::from_certificates({der_of(leaf.get())});
  REQUIRE(only_leaf.ok());
  auto r = verify_ek_certificate(der_of(leaf.get()), *only_leaf);
  CHECK(r.code() == Errc::untrusted_chain);
  CHECK(r.error().detail.find("itself in the trusted folder") != std::string::npos);
  // Leaf and CA both in the folder: the CA vouches, as it should.
  auto both = EkCaStore::from_certificates({der_of(leaf.get()), der_of(ca.cert.get())});
  REQUIRE(both.ok());
  auto ok = verify_ek_certificate(der_of(leaf.get()), *both);
  CHECK_MESSAGE(ok.ok(), (ok.ok() ? "" : ok.error().what()));
}
