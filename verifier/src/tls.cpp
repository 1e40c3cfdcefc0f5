#include "tls.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "paw/attest/secure.h"
#include "paw/attest/ossl.h"

namespace paw::verifier {
namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

bool add_ext(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}
}  // namespace

Status write_private_file(const std::string& path, std::string_view data, unsigned mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0) return make_error(Errc::io_error, "cannot create " + tmp);
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) {
      ::close(fd);
      return make_error(Errc::io_error, "cannot write " + tmp);
    }
    off += static_cast<std::size_t>(n);
  }
  const bool ok = ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) return make_error(Errc::io_error, "cannot write " + path);
  return ok_status();
}

Status write_self_signed_cert(const std::string& cert_path, const std::string& key_path,
                              const std::string& extra_dns) {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  X509Ptr cert(X509_new());
  if (!key || !cert) return make_error(Errc::internal, "TLS key generation failed");
  auto serial = random_bytes(16);
  if (!serial.ok()) return serial.error();
  (*serial)[0] &= 0x7f;  // positive INTEGER
  UniquePtr<BIGNUM, BN_free> bn(BN_bin2bn(serial->data(), static_cast<int>(serial->size()), nullptr));
  X509_NAME* name = X509_get_subject_name(cert.get());
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  if (!extra_dns.empty()) san += ",DNS:" + extra_dns;
  if (X509_set_version(cert.get(), 2) != 1 || !bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 825L * 86400) == nullptr ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("paw-verifier"), -1,
                                 -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), key.get()) != 1 ||
      !add_ext(cert.get(), NID_subject_alt_name, san) || !add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !add_ext(cert.get(), NID_ext_key_usage, "serverAuth") ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return make_error(Errc::internal, "building the self-signed TLS certificate failed");
  }
  BioPtr kb(BIO_new(BIO_s_mem()));
  BioPtr cb(BIO_new(BIO_s_mem()));
  if (!kb || !cb || PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_X509(cb.get(), cert.get()) != 1) {
    return make_error(Errc::internal, "writing TLS PEM failed");
  }
  std::string key_pem = bio_text(kb.get());
  Status st = write_private_file(key_path, key_pem, 0600);
  OPENSSL_cleanse(key_pem.data(), key_pem.size());
  PAW_CHECK(st);
  return write_private_file(cert_path, bio_text(cb.get()), 0644);
}

}  // namespace paw::verifier
