// crypto.cpp — keys, signatures, COSE keys and the batch certificate (OpenSSL 3 EVP).
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <map>
#include <mutex>

#include "internal.h"
#include "paw/attest/secure.h"
#include "paw/attest/ossl.h"

namespace paw::vfido {
namespace {

Result<EvpPkeyPtr> load_key(ByteView pkcs8) {
  const unsigned char* p = pkcs8.data();
  EvpPkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(pkcs8.size())));
  if (!key) return make_error(Errc::malformed, "bad credential key");
  return key;
}

Result<Bytes> to_pkcs8(EVP_PKEY* key) {
  int n = i2d_PrivateKey(key, nullptr);
  if (n <= 0) return make_error(Errc::internal, "i2d_PrivateKey");
  Bytes out(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  if (i2d_PrivateKey(key, &p) != n) return make_error(Errc::internal, "i2d_PrivateKey");
  return out;
}

Result<EvpPkeyPtr> keygen(int alg) {
  EvpPkeyPtr key(alg == -8 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                     : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return make_error(Errc::internal, "key generation failed");
  return key;
}

Status add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  UniquePtr<X509_EXTENSION, X509_EXTENSION_free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return make_error(Errc::internal, "x509 extension");
  return ok_status();
}

// add_aaguid_ext adds id-fido-gen-ce-aaguid: extnValue = OCTET STRING { OCTET STRING aaguid }.
Status add_aaguid_ext(X509* cert, ByteView aaguid) {
  UniquePtr<ASN1_OBJECT, ASN1_OBJECT_free> oid(OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1));
  Bytes inner = {0x04, 0x10};
  inner.insert(inner.end(), aaguid.begin(), aaguid.end());
  UniquePtr<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> os(ASN1_OCTET_STRING_new());
  if (!oid || !os || ASN1_OCTET_STRING_set(os.get(), inner.data(), static_cast<int>(inner.size())) != 1)
    return make_error(Errc::internal, "aaguid extension");
  UniquePtr<X509_EXTENSION, X509_EXTENSION_free> ext(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, os.get()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return make_error(Errc::internal, "aaguid extension");
  return ok_status();
}

Result<BatchAttestation> make_batch(ByteView aaguid) {
  PAW_TRY(EvpPkeyPtr key, keygen(-7));
  UniquePtr<X509, X509_free> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return make_error(Errc::internal, "X509_new");
  PAW_TRY(Bytes serial, random_bytes(8));
  serial[0] &= 0x7f;
  UniquePtr<BIGNUM, BN_free> bn(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  X509_NAME* name = X509_get_subject_name(cert.get());
  // FIDO packed attestation certificate subject: C, O, OU "Authenticator Attestation", CN.
  const auto* C = reinterpret_cast<const unsigned char*>("US");
  const auto* O = reinterpret_cast<const unsigned char*>("paw test authenticators");
  const auto* OU = reinterpret_cast<const unsigned char*>("Authenticator Attestation");
  const auto* CN = reinterpret_cast<const unsigned char*>("paw virtual FIDO2 batch");
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, C, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, O, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC, OU, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, CN, -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 || X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600L * 24 * 365) == nullptr ||
      X509_set_pubkey(cert.get(), key.get()) != 1)
    return make_error(Errc::internal, "batch certificate fields");
  PAW_CHECK(add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  PAW_CHECK(add_aaguid_ext(cert.get(), aaguid));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return make_error(Errc::internal, "X509_sign");
  int n = i2d_X509(cert.get(), nullptr);
  if (n <= 0) return make_error(Errc::internal, "i2d_X509");
  BatchAttestation b;
  b.cert_der.resize(static_cast<std::size_t>(n));
  unsigned char* p = b.cert_der.data();
  if (i2d_X509(cert.get(), &p) != n) return make_error(Errc::internal, "i2d_X509");
  PAW_TRY(b.key_pkcs8, to_pkcs8(key.get()));
  return b;
}

Result<Bytes> get_octets(EVP_PKEY* key, const char* param) {
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, param, nullptr, 0, &len) != 1) return make_error(Errc::internal, param);
  Bytes out(len);
  if (EVP_PKEY_get_octet_string_param(key, param, out.data(), out.size(), &len) != 1)
    return make_error(Errc::internal, param);
  out.resize(len);
  return out;
}

}  // namespace

void CborOut::head(std::uint8_t major, std::uint64_t value) {
  const auto m = static_cast<std::uint8_t>(major << 5);
  auto put = [&](int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  };
  if (value < 24) {
    out_.push_back(static_cast<std::uint8_t>(m | value));
  } else if (value <= 0xff) {
    out_.push_back(m | 24);
    put(1);
  } else if (value <= 0xffff) {
    out_.push_back(m | 25);
    put(2);
  } else if (value <= 0xffffffffULL) {
    out_.push_back(m | 26);
    put(4);
  } else {
    out_.push_back(m | 27);
    put(8);
  }
}

void CborOut::bytes(ByteView b) {
  head(2, b.size());
  raw(b);
}

void CborOut::text(std::string_view s) {
  head(3, s.size());
  raw(as_bytes(s));
}

Result<Bytes> generate_key(int alg) {
  PAW_TRY(EvpPkeyPtr key, keygen(alg));
  return to_pkcs8(key.get());
}

Result<Bytes> cose_public_key(ByteView pkcs8, int alg) {
  PAW_TRY(EvpPkeyPtr key, load_key(pkcs8));
  CborOut c;
  if (alg == -8) {
    std::size_t len = 32;
    Bytes x(32);
    if (EVP_PKEY_get_raw_public_key(key.get(), x.data(), &len) != 1 || len != 32)
      return make_error(Errc::internal, "ed25519 public key");
    c.map(4);  // {1: 1 (OKP), 3: -8, -1: 6 (Ed25519), -2: x}
    c.uint(1), c.uint(1), c.uint(3), c.integer(-8), c.integer(-1), c.uint(6), c.integer(-2), c.bytes(x);
    return c.data();
  }
  PAW_TRY(Bytes point, get_octets(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY));
  if (point.size() != 65 || point[0] != 0x04) return make_error(Errc::internal, "p256 point");
  c.map(5);  // {1: 2 (EC2), 3: -7, -1: 1 (P-256), -2: x, -3: y}
  c.uint(1), c.uint(2), c.uint(3), c.integer(-7), c.integer(-1), c.uint(1);
  c.integer(-2), c.bytes(ByteView(point).subspan(1, 32));
  c.integer(-3), c.bytes(ByteView(point).subspan(33, 32));
  return c.data();
}

Result<Bytes> sign(ByteView pkcs8, int alg, ByteView msg) {
  PAW_TRY(EvpPkeyPtr key, load_key(pkcs8));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, alg == -8 ? nullptr : EVP_sha256(), nullptr, key.get()) != 1)
    return make_error(Errc::internal, "EVP_DigestSignInit");
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, msg.data(), msg.size()) != 1)
    return make_error(Errc::internal, "EVP_DigestSign");
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, msg.data(), msg.size()) != 1)
    return make_error(Errc::internal, "EVP_DigestSign");
  sig.resize(len);
  return sig;
}

Result<BatchAttestation> batch_attestation(ByteView aaguid) {
  // One batch per model for the life of the process, so a test can trust a
  // model's certificate (batch_certificate) and keys of that model keep
  // chaining to it whatever other models the process made meanwhile.
  static std::mutex mu;
  static std::map<Bytes, BatchAttestation> cached;
  std::lock_guard<std::mutex> lock(mu);
  const Bytes key(aaguid.begin(), aaguid.end());
  auto it = cached.find(key);
  if (it == cached.end()) {
    PAW_TRY(BatchAttestation made, make_batch(aaguid));
    it = cached.emplace(key, std::move(made)).first;
  }
  return it->second;
}

Result<Bytes> batch_certificate(ByteView aaguid) {
  PAW_TRY(BatchAttestation b, batch_attestation(aaguid));
  return b.cert_der;
}

}  // namespace paw::vfido
