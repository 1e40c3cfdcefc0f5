#include "paw/attest/client_cert.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"
#include "paw/attest/evidence.h"
#include "paw/attest/result_token.h"
#include "paw/attest/secure.h"
#include "x509_chain.h"

namespace paw {
namespace {

using X509Ptr = UniquePtr<X509, X509_free>;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void free_pem_part(char* p) { OPENSSL_free(p); }
void free_pem_data(unsigned char* p) { OPENSSL_free(p); }
void free_general_names(GENERAL_NAMES* n) { GENERAL_NAMES_free(n); }

// parse_one_pem reads exactly one "CERTIFICATE" PEM block (whitespace around
// it only) whose DER decodes completely.
Result<X509Ptr> parse_one_pem(std::string_view pem) {
  UniquePtr<BIO, BIO_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return make_error(Errc::internal, "out of memory");
  char* name_raw = nullptr;
  char* header_raw = nullptr;
  unsigned char* data_raw = nullptr;
  long len = 0;
  const int ok = PEM_read_bio(bio.get(), &name_raw, &header_raw, &data_raw, &len);
  UniquePtr<char, free_pem_part> name(name_raw), header(header_raw);
  UniquePtr<unsigned char, free_pem_data> data(data_raw);
  if (ok != 1) return make_error(Errc::malformed, "client certificate: not PEM");
  if (std::string_view(name.get()) != "CERTIFICATE" || std::string_view(header.get()) != "") {
    return make_error(Errc::malformed, "client certificate: PEM block is not a plain CERTIFICATE");
  }
  // Whatever follows the block must be whitespace: one certificate, nothing smuggled after it.
  char rest[256];
  for (int n; (n = BIO_read(bio.get(), rest, sizeof rest)) > 0;) {
    for (int i = 0; i < n; ++i) {
      if (rest[i] != '\n' && rest[i] != '\r' && rest[i] != ' ' && rest[i] != '\t') {
        return make_error(Errc::malformed, "client certificate: data after the certificate");
      }
    }
  }
  const unsigned char* p = data.get();
  X509Ptr cert(d2i_X509(nullptr, &p, len));
  if (!cert || p != data.get() + len) return make_error(Errc::malformed, "client certificate: DER does not parse");
  return cert;
}

Result<std::int64_t> unix_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return make_error(Errc::malformed, "client certificate: bad time");
  return static_cast<std::int64_t>(timegm(&tm));
}

bool device_id_ok(std::string_view id) {
  if (id.empty() || id.size() > kMaxDeviceIdSize) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// device_from_san returns <id> of the one urn:paw:device:<id> SAN URI.
Result<std::string> device_from_san(X509* cert) {
  int crit = -1;
  UniquePtr<GENERAL_NAMES, free_general_names> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, nullptr)));
  if (!names) return make_error(Errc::cert_invalid, "client certificate: no subjectAltName");
  std::string id;
  int found = 0;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), i);
    if (g->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = g->d.uniformResourceIdentifier;
    const std::string_view text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                                static_cast<std::size_t>(ASN1_STRING_length(uri)));
    if (!text.starts_with(kDeviceUriPrefix)) continue;
    id = std::string(text.substr(kDeviceUriPrefix.size()));
    ++found;
  }
  if (found != 1) return make_error(Errc::cert_invalid, "client certificate: not exactly one urn:paw:device: URI");
  if (!device_id_ok(id)) return make_error(Errc::cert_invalid, "client certificate: bad device id in its URI");
  return id;
}

}  // namespace

Result<std::string> url_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return make_error(Errc::malformed, "truncated %-escape");
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return make_error(Errc::malformed, "bad %-escape");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

Result<ClientCertIdentity> verify_client_cert(std::string_view forwarded, X509_STORE* roots, std::int64_t now) {
  if (forwarded.size() > kMaxForwardedClientCertSize) return make_error(Errc::too_large, "client certificate too large");
  if (forwarded.empty()) return make_error(Errc::malformed, "no client certificate");
  PAW_TRY(const std::string pem, url_unescape(forwarded));
  PAW_TRY(X509Ptr cert, parse_one_pem(pem));
  if ((X509_get_extension_flags(cert.get()) & EXFLAG_INVALID) != 0) {
    return make_error(Errc::malformed, "client certificate: extensions do not parse");
  }
  std::vector<X509Ptr> chain;
  chain.push_back(std::move(cert));
  X509* leaf = chain.front().get();
  PAW_TRY(const std::int64_t not_before, unix_time(X509_get0_notBefore(leaf)));
  PAW_TRY(const std::int64_t not_after, unix_time(X509_get0_notAfter(leaf)));
  // The chain at |now| (dates included). When that fails and the chain
  // verifies at a time inside the certificate's validity, its dates were the
  // only fault: say so precisely (an expired certificate is the usual case).
  if (auto chained = detail::verify_x509_chain(chain, roots, now, 0, "client certificate"); !chained.ok()) {
    const std::int64_t inside = std::clamp(now, not_before, not_after - 1);
    if (inside == now || !detail::verify_x509_chain(chain, roots, inside, 0, "client certificate").ok()) {
      return chained.error();
    }
    if (now >= not_after) return make_error(Errc::token_expired, "client certificate expired");
    return make_error(Errc::cert_invalid, "client certificate not yet valid");
  }
  if ((X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) == 0 || (X509_get_extended_key_usage(leaf) & XKU_SSL_CLIENT) == 0) {
    return make_error(Errc::cert_invalid, "client certificate: no clientAuth extended key usage");
  }
  ClientCertIdentity out;
  PAW_TRY(out.device_id, device_from_san(leaf));
  const EVP_PKEY* key = X509_get0_pubkey(leaf);
  if (key == nullptr) return make_error(Errc::malformed, "client certificate: public key does not parse");
  PAW_TRY(out.jkt, jwk_thumbprint(key));
  unsigned char* der_raw = nullptr;
  const int der_len = i2d_X509(leaf, &der_raw);
  if (der_len <= 0) return make_error(Errc::internal, "i2d_X509");
  UniquePtr<unsigned char, free_pem_data> der(der_raw);
  out.x5t_s256 = base64url(sha256(ByteView(der.get(), static_cast<std::size_t>(der_len))));
  out.not_after = not_after;
  return out;
}

}  // namespace paw
