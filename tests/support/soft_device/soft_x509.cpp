// soft_x509.cpp — certificates of the software device: CAs, EK certificates
// (TCG EK Credential Profile 2.x shape) and FIDO2 attestation certificates
// (WebAuthn L2, 8.2.1 packed attestation certificate requirements).
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "soft_internal.h"
#include "paw/attest/ossl.h"

namespace paw::soft {
namespace {

Error ossl_fail(const char* what) { return make_error(Errc::internal, std::string("soft x509: ") + what); }

Status add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return ossl_fail("extension");
  const int rc = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (rc != 1) return ossl_fail("add extension");
  return ok_status();
}

Status add_raw_ext(X509* cert, const char* oid, bool critical, ByteView der_value) {
  UniquePtr<ASN1_OBJECT, ASN1_OBJECT_free> obj(OBJ_txt2obj(oid, 1));
  UniquePtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> os(ASN1_OCTET_STRING_new());
  if (!obj || !os || ASN1_OCTET_STRING_set(os.get(), der_value.data(), static_cast<int>(der_value.size())) != 1) {
    return ossl_fail("raw extension");
  }
  X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), critical ? 1 : 0, os.get());
  if (ext == nullptr) return ossl_fail("raw extension");
  const int rc = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (rc != 1) return ossl_fail("add raw extension");
  return ok_status();
}

Status add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    return ossl_fail("name entry");
  }
  return ok_status();
}

// new_cert creates a v3 certificate for |subject_key| valid from yesterday for ten years.
Result<X509Ptr> new_cert(EVP_PKEY* subject_key) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return ossl_fail("X509_new");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return ossl_fail("serial");
  serial[0] &= 0x7f;
  UniquePtr<BIGNUM, BN_free> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr) return ossl_fail("serial");
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -86400) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 86400) == nullptr) {
    return ossl_fail("validity");
  }
  if (X509_set_pubkey(cert.get(), subject_key) != 1) return ossl_fail("pubkey");
  return cert;
}

Result<Bytes> sign_and_encode(X509* cert, EVP_PKEY* issuer_key) {
  if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0) return ossl_fail("sign");
  const int len = i2d_X509(cert, nullptr);
  if (len <= 0) return ossl_fail("encode");
  Bytes der(static_cast<std::size_t>(len));
  unsigned char* p = der.data();
  if (i2d_X509(cert, &p) != len) return ossl_fail("encode");
  return der;
}

Result<X509Ptr> decode(ByteView der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) return ossl_fail("decode CA");
  return cert;
}

}  // namespace

Result<EvpPkeyPtr> generate_p256() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return ossl_fail("EC key generation");
  return key;
}

Result<SoftCa> SoftCa::generate(const std::string& common_name) {
  SoftCa ca;
  PAW_TRY(ca.key, generate_p256());
  PAW_TRY(X509Ptr cert, new_cert(ca.key.get()));
  X509_NAME* name = X509_get_subject_name(cert.get());
  PAW_CHECK(add_name_entry(name, "O", "paw test"));
  PAW_CHECK(add_name_entry(name, "CN", common_name));
  if (X509_set_issuer_name(cert.get(), name) != 1) return ossl_fail("issuer");
  PAW_CHECK(add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE"));
  PAW_CHECK(add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  PAW_CHECK(add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  PAW_TRY(ca.cert_der, sign_and_encode(cert.get(), ca.key.get()));
  return ca;
}

std::string SoftCa::cert_pem() const {
  auto cert = decode(cert_der);
  if (!cert.ok()) return {};
  UniquePtr<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert->get()) != 1) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string SoftCa::key_pem() const {
  UniquePtr<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Result<SoftCa> SoftCa::load(ByteView cert_pem, ByteView key_pem) {
  UniquePtr<BIO, BIO_free_all> cb(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  UniquePtr<BIO, BIO_free_all> kb(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  if (!cb || !kb) return ossl_fail("BIO");
  X509Ptr cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  if (!cert || !key) return make_error(Errc::malformed, "soft CA: certificate or key PEM does not parse");
  SoftCa ca;
  ca.key = std::move(key);
  const int len = i2d_X509(cert.get(), nullptr);
  if (len <= 0) return ossl_fail("encode");
  ca.cert_der.resize(static_cast<std::size_t>(len));
  unsigned char* p = ca.cert_der.data();
  i2d_X509(cert.get(), &p);
  return ca;
}

Result<Bytes> issue_ek_cert(const SoftCa& ca, EVP_PKEY* ek) {
  PAW_TRY(X509Ptr issuer, decode(ca.cert_der));
  PAW_TRY(X509Ptr cert, new_cert(ek));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer.get())) != 1) return ossl_fail("issuer");
  // TCG EK Credential Profile 2.x, 3.2: empty subject, the TPM's identity in a
  // critical subjectAltName directoryName (tcg-at-tpmManufacturer/Model/Version).
  PAW_CHECK(add_ext(cert.get(), issuer.get(), NID_basic_constraints, "critical,CA:FALSE"));
  PAW_CHECK(add_ext(cert.get(), issuer.get(), NID_key_usage, "critical,keyAgreement"));
  PAW_CHECK(add_ext(cert.get(), issuer.get(), NID_authority_key_identifier, "keyid:always"));
  PAW_CHECK(add_ext(cert.get(), issuer.get(), NID_ext_key_usage, "2.23.133.8.1"));
  X509NamePtr dir(X509_NAME_new());
  if (!dir) return ossl_fail("SAN name");
  PAW_CHECK(add_name_entry(dir.get(), "2.23.133.2.1", "id:50415720"));  // tcg-at-tpmManufacturer "PAW "
  PAW_CHECK(add_name_entry(dir.get(), "2.23.133.2.2", "soft-tpm"));     // tcg-at-tpmModel
  PAW_CHECK(add_name_entry(dir.get(), "2.23.133.2.3", "id:00010002"));  // tcg-at-tpmVersion
  UniquePtr<GENERAL_NAMES, GENERAL_NAMES_free> names(sk_GENERAL_NAME_new_null());
  GENERAL_NAME* gn = GENERAL_NAME_new();
  if (!names || gn == nullptr) return ossl_fail("SAN");
  GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dir.release());
  if (sk_GENERAL_NAME_push(names.get(), gn) == 0) {
    GENERAL_NAME_free(gn);
    return ossl_fail("SAN");
  }
  if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names.get(), 1, X509V3_ADD_DEFAULT) != 1) {
    return ossl_fail("SAN extension");
  }
  return sign_and_encode(cert.get(), ca.key.get());
}

Result<Bytes> issue_fido_attestation_cert(const SoftCa& ca, EVP_PKEY* attestation_key, ByteView aaguid) {
  PAW_TRY(X509Ptr issuer, decode(ca.cert_der));
  PAW_TRY(X509Ptr cert, new_cert(attestation_key));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer.get())) != 1) return ossl_fail("issuer");
  X509_NAME* name = X509_get_subject_name(cert.get());
  PAW_CHECK(add_name_entry(name, "C", "DE"));
  PAW_CHECK(add_name_entry(name, "O", "paw test"));
  PAW_CHECK(add_name_entry(name, "OU", "Authenticator Attestation"));
  PAW_CHECK(add_name_entry(name, "CN", "paw soft FIDO2 key"));
  PAW_CHECK(add_ext(cert.get(), issuer.get(), NID_basic_constraints, "critical,CA:FALSE"));
  // id-fido-gen-ce-aaguid (1.3.6.1.4.1.45724.1.1.4): OCTET STRING holding the 16-byte AAGUID.
  Bytes value = {0x04, 0x10};
  value.insert(value.end(), aaguid.begin(), aaguid.end());
  PAW_CHECK(add_raw_ext(cert.get(), "1.3.6.1.4.1.45724.1.1.4", false, value));
  return sign_and_encode(cert.get(), ca.key.get());
}

}  // namespace paw::soft
