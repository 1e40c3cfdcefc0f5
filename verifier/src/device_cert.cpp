// device_cert.cpp — the X.509 structures of the device CA (device_ca.h): its
// self-signed certificate and the login certificates it issues, built with
// OpenSSL 3's X509 API (every value that comes from a device is set as a
// typed field, never through OpenSSL's "TYPE:value" configuration strings).
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <Poco/JSON/Object.h>

#include "device_ca.h"
#include "paw/attest/evidence.h"
#include "paw/attest/json.h"

namespace paw::verifier {
namespace {

using X509Ptr = UniquePtr<X509, X509_free>;
void free_names(GENERAL_NAMES* n) { GENERAL_NAMES_free(n); }
void free_bytes(unsigned char* p) { OPENSSL_free(p); }

Error ossl(const char* what) { return make_error(Errc::internal, std::string("OpenSSL: ") + what); }

// set_random_serial: 128 random bits (RFC 5280 allows up to 20 octets).
Status set_random_serial(X509* cert) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return ossl("RAND_bytes");
  UniquePtr<BIGNUM, BN_free> bn(BN_bin2bn(b, sizeof b, nullptr));
  if (!bn || BN_is_zero(bn.get())) return ossl("serial");
  if (BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) return ossl("serial");
  return ok_status();
}

Result<UniquePtr<X509_NAME, X509_NAME_free>> cn_name(const std::string& cn, const char* org) {
  UniquePtr<X509_NAME, X509_NAME_free> n(X509_NAME_new());
  if (!n) return ossl("X509_NAME_new");
  const auto add = [&](const char* field, const std::string& v) {
    return X509_NAME_add_entry_by_txt(n.get(), field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(v.data()),
                                      static_cast<int>(v.size()), -1, 0) == 1;
  };
  if ((org != nullptr && !add("O", org)) || !add("CN", cn)) return ossl("X509_NAME_add_entry");
  return n;
}

// start fills what every certificate here has: v3, serial, names, validity, key.
Result<X509Ptr> start(const X509_NAME* subject, const X509_NAME* issuer, std::int64_t not_before,
                      std::int64_t not_after, const EVP_PKEY* key) {
  X509Ptr c(X509_new());
  if (!c || X509_set_version(c.get(), X509_VERSION_3) != 1) return ossl("X509_new");
  PAW_CHECK(set_random_serial(c.get()));
  if (X509_set_subject_name(c.get(), subject) != 1 || X509_set_issuer_name(c.get(), issuer) != 1) return ossl("names");
  if (ASN1_TIME_set(X509_getm_notBefore(c.get()), static_cast<time_t>(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(c.get()), static_cast<time_t>(not_after)) == nullptr) {
    return ossl("validity");
  }
  if (X509_set_pubkey(c.get(), const_cast<EVP_PKEY*>(key)) != 1) return ossl("X509_set_pubkey");
  return c;
}

// add_conf adds a constant-valued extension (no device data in |value|).
Status add_conf(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  UniquePtr<X509_EXTENSION, X509_EXTENSION_free> ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return ossl(OBJ_nid2sn(nid));
  return ok_status();
}

// ia5_ok: what a SAN URI or e-mail may hold (printable ASCII, bounded).
bool ia5_ok(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

Status add_name(GENERAL_NAMES* names, int type, std::string_view value) {
  UniquePtr<GENERAL_NAME, GENERAL_NAME_free> g(GENERAL_NAME_new());
  UniquePtr<ASN1_IA5STRING, ASN1_IA5STRING_free> s(ASN1_IA5STRING_new());
  if (!g || !s || ASN1_STRING_set(s.get(), value.data(), static_cast<int>(value.size())) != 1) return ossl("SAN");
  GENERAL_NAME_set0_value(g.get(), type, s.release());
  if (sk_GENERAL_NAME_push(names, g.get()) <= 0) return ossl("SAN");
  g.release();
  return ok_status();
}

Status add_san(X509* cert, const DeviceCertProfile& p) {
  UniquePtr<GENERAL_NAMES, free_names> names(sk_GENERAL_NAME_new_null());
  if (!names) return ossl("SAN");
  PAW_CHECK(add_name(names.get(), GEN_URI, std::string(kDeviceUriPrefix) + p.device_id));
  for (const auto& u : p.extra_san_uris) {
    if (!ia5_ok(u)) return make_error(Errc::malformed, "certificate SAN URI is not printable ASCII");
    PAW_CHECK(add_name(names.get(), GEN_URI, u));
  }
  for (const auto& e : p.extra_san_emails) {
    if (!ia5_ok(e) || e.find('@') == std::string::npos) return make_error(Errc::malformed, "certificate SAN e-mail is bad");
    PAW_CHECK(add_name(names.get(), GEN_EMAIL, e));
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) return ossl("SAN");
  return ok_status();
}

// add_status adds the private extension: DER UTF8String of a JSON object.
Status add_status(X509* cert, const DeviceCertProfile& p) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("verdict", p.verdict);
  o->set("policy", p.policy);
  o->set("policy_version", p.policy_version);
  const std::string text = json::stringify(o);
  UniquePtr<ASN1_OBJECT, ASN1_OBJECT_free> oid(OBJ_txt2obj(kDeviceCertExtensionOid, 1));
  UniquePtr<ASN1_UTF8STRING, ASN1_UTF8STRING_free> u(ASN1_UTF8STRING_new());
  UniquePtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> os(ASN1_OCTET_STRING_new());
  if (!oid || !u || !os || ASN1_STRING_set(u.get(), text.data(), static_cast<int>(text.size())) != 1) {
    return ossl("status extension");
  }
  unsigned char* der_raw = nullptr;
  const int n = i2d_ASN1_UTF8STRING(u.get(), &der_raw);
  UniquePtr<unsigned char, free_bytes> der(der_raw);
  if (n <= 0 || ASN1_OCTET_STRING_set(os.get(), der.get(), n) != 1) return ossl("status extension");
  UniquePtr<X509_EXTENSION, X509_EXTENSION_free> ext(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, os.get()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return ossl("status extension");
  return ok_status();
}

Result<std::string> to_pem(X509* cert) {
  UniquePtr<BIO, BIO_free> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return ossl("PEM_write_bio_X509");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

bool device_id_ok(std::string_view id) {
  if (id.empty() || id.size() > kMaxDeviceIdSize) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<std::string> make_device_ca_cert(const SigningKey& key, std::int64_t now) {
  // The kid in the name gives each CA generation its own subject, so chain
  // building never confuses the current CA with one in its overlap.
  PAW_TRY(auto name, cn_name("paw device CA " + key.kid.substr(0, 16), "paw"));
  PAW_TRY(X509Ptr c, start(name.get(), name.get(), now - kCertClockSkew, now + kDeviceCaValidity, key.key.get()));
  PAW_CHECK(add_conf(c.get(), c.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  PAW_CHECK(add_conf(c.get(), c.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  PAW_CHECK(add_conf(c.get(), c.get(), NID_subject_key_identifier, "hash"));
  PAW_CHECK(add_conf(c.get(), c.get(), NID_authority_key_identifier, "keyid:always"));
  if (X509_sign(c.get(), key.key.get(), EVP_sha256()) <= 0) return ossl("X509_sign");
  return to_pem(c.get());
}

Result<std::string> issue_device_cert(const DeviceCertProfile& p, X509* ca_cert, EVP_PKEY* ca_key) {
  if (!device_id_ok(p.device_id)) return make_error(Errc::malformed, "bad device id for a certificate");
  if (p.login_key == nullptr || p.not_after <= p.now) return make_error(Errc::internal, "certificate profile incomplete");
  PAW_TRY(auto subject, cn_name(p.device_id, nullptr));
  PAW_TRY(X509Ptr c, start(subject.get(), X509_get_subject_name(ca_cert), p.now - kCertClockSkew, p.not_after,
                           p.login_key));
  PAW_CHECK(add_conf(c.get(), ca_cert, NID_basic_constraints, "critical,CA:FALSE"));
  PAW_CHECK(add_conf(c.get(), ca_cert, NID_key_usage, "critical,digitalSignature"));
  PAW_CHECK(add_conf(c.get(), ca_cert, NID_ext_key_usage, "clientAuth"));
  PAW_CHECK(add_conf(c.get(), ca_cert, NID_subject_key_identifier, "hash"));
  PAW_CHECK(add_conf(c.get(), ca_cert, NID_authority_key_identifier, "keyid:always"));
  PAW_CHECK(add_san(c.get(), p));
  PAW_CHECK(add_status(c.get(), p));
  if (X509_sign(c.get(), ca_key, EVP_sha256()) <= 0) return ossl("X509_sign");
  return to_pem(c.get());
}

}  // namespace paw::verifier
