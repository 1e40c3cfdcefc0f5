// tpm_test_util.h — fixtures for the TPM-structure tests: committed swtpm
// outputs (tests/data/tpm), the shared real-world data, and a software signer
// that re-signs a mutated TPMS_ATTEST so checks after the signature can be
// reached with one-field mutations.
#pragma once

#include <doctest/doctest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "paw/attest/bytes.h"
#include "paw/attest/quote.h"
#include "paw/attest/tpm.h"
#include "test_data.h"

namespace paw::test {

inline Bytes fixture(const std::string& name) { return load(source_path("tests/data/tpm/" + name)); }

inline Bytes hexb(std::string_view h) {
  auto r = unhex(h);
  REQUIRE(r.ok());
  return std::move(r).value();
}

inline Bytes b64(std::string_view s) {
  auto r = unbase64(s);
  REQUIRE(r.ok());
  return std::move(r).value();
}

inline Poco::JSON::Object::Ptr load_json(const std::filesystem::path& p) {
  const Bytes raw = load(p);
  Poco::JSON::Parser parser;
  return parser.parse(std::string(raw.begin(), raw.end())).extract<Poco::JSON::Object::Ptr>();
}

inline TpmPublic must_public(ByteView b) {
  auto r = parse_public(b);
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  return std::move(r).value();
}

inline PcrValues must_pcrs(ByteView b) {
  auto r = parse_tpm2_tools_pcrs(b);
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  return std::move(r).value();
}

// SoftSigner is a P-256 key whose TPMT_PUBLIC claims ECDSA/SHA-256, standing in
// for an AK when a test must sign a deliberately mutated TPMS_ATTEST.
class SoftSigner {
 public:
  SoftSigner() {
    key_.reset(EVP_EC_gen("P-256"));
    REQUIRE(key_ != nullptr);
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    REQUIRE(EVP_PKEY_get_bn_param(key_.get(), "qx", &x) == 1);
    REQUIRE(EVP_PKEY_get_bn_param(key_.get(), "qy", &y) == 1);
    TPMT_PUBLIC p{};
    p.type = TPM2_ALG_ECC;
    p.nameAlg = TPM2_ALG_SHA256;
    p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                         TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
    p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    p.unique.ecc.x.size = 32;
    p.unique.ecc.y.size = 32;
    REQUIRE(BN_bn2binpad(x, p.unique.ecc.x.buffer, 32) == 32);
    REQUIRE(BN_bn2binpad(y, p.unique.ecc.y.buffer, 32) == 32);
    BN_free(x);
    BN_free(y);
    std::uint8_t buf[sizeof(TPMT_PUBLIC)];
    std::size_t off = 0;
    REQUIRE(Tss2_MU_TPMT_PUBLIC_Marshal(&p, buf, sizeof(buf), &off) == TSS2_RC_SUCCESS);
    auto parsed = parse_tpmt_public(ByteView(buf, off));
    REQUIRE(parsed.ok());
    pub_ = std::move(parsed).value();
  }
  [[nodiscard]] const TpmPublic& pub() const { return pub_; }

  // sign returns a marshalled TPMT_SIGNATURE (ECDSA/SHA-256) over |msg|.
  [[nodiscard]] Bytes sign(ByteView msg) const {
    UniquePtr<EVP_MD_CTX, EVP_MD_CTX_free> ctx(EVP_MD_CTX_new());
    REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) == 1);
    std::size_t len = 0;
    REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &len, msg.data(), msg.size()) == 1);
    Bytes der(len);
    REQUIRE(EVP_DigestSign(ctx.get(), der.data(), &len, msg.data(), msg.size()) == 1);
    const unsigned char* p = der.data();
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
    REQUIRE(es != nullptr);
    TPMT_SIGNATURE t{};
    t.sigAlg = TPM2_ALG_ECDSA;
    t.signature.ecdsa.hash = TPM2_ALG_SHA256;
    t.signature.ecdsa.signatureR.size = 32;
    t.signature.ecdsa.signatureS.size = 32;
    REQUIRE(BN_bn2binpad(ECDSA_SIG_get0_r(es), t.signature.ecdsa.signatureR.buffer, 32) == 32);
    REQUIRE(BN_bn2binpad(ECDSA_SIG_get0_s(es), t.signature.ecdsa.signatureS.buffer, 32) == 32);
    ECDSA_SIG_free(es);
    std::uint8_t buf[sizeof(TPMT_SIGNATURE)];
    std::size_t off = 0;
    REQUIRE(Tss2_MU_TPMT_SIGNATURE_Marshal(&t, buf, sizeof(buf), &off) == TSS2_RC_SUCCESS);
    return Bytes(buf, buf + off);
  }

 private:
  EvpPkeyPtr key_;
  TpmPublic pub_;
};

}  // namespace paw::test
