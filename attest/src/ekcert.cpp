// ekcert.cpp — EK certificate validation (TCG EK Credential Profile for TPM
// Family 2.0, 2.x) with OpenSSL's chain builder plus the TPM quirks.
#include "paw/attest/ekcert.h"
#include "paw/attest/ossl.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <filesystem>
#include <string_view>

#include "tpm_internal.h"

namespace paw {
namespace {

constexpr std::size_t kMaxCertFile = 1u << 20;
// TCG OIDs: tcg-kp-EKCertificate and the TPM identity attributes of the SAN.
constexpr const char* kOidEkCertificate = "2.23.133.8.1";
constexpr const char* kOidTpmManufacturer = "2.23.133.2.1";
constexpr const char* kOidTpmModel = "2.23.133.2.2";
constexpr const char* kOidTpmVersion = "2.23.133.2.3";

bool is_pem(ByteView data) {
  constexpr std::string_view kBegin = "-----BEGIN";
  const std::string_view s(reinterpret_cast<const char*>(data.data()), data.size());
  return s.find(kBegin) != std::string_view::npos;
}

std::string oid_text(const ASN1_OBJECT* o) {
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof(buf), o, 1);
  return n > 0 && static_cast<std::size_t>(n) < sizeof(buf) ? std::string(buf, static_cast<std::size_t>(n)) : "";
}

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "?";
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : "";
}

// all_pem_certs reads every CERTIFICATE block of a PEM file, skipping other blocks.
std::vector<X509Ptr> all_pem_certs(ByteView data) {
  std::vector<X509Ptr> out;
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  while (bio) {
    X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (c == nullptr) break;
    out.emplace_back(c);
  }
  ERR_clear_error();  // the loop ends on "no start line": expected
  return out;
}

Result<std::vector<X509Ptr>> certs_of(ByteView data) {
  if (is_pem(data)) {
    auto certs = all_pem_certs(data);
    if (certs.empty()) return make_error(Errc::malformed, "no CERTIFICATE block");
    return certs;
  }
  PAW_TRY(X509Ptr c, parse_certificate(data));
  std::vector<X509Ptr> out;
  out.push_back(std::move(c));
  return out;
}

// tcg_critical_ok accepts, for the leaf only, the critical extensions EK
// certificates carry that generic X.509 code may not "handle": the
// subjectAltName with the TPM directoryName (parsed below by paw itself) and
// subjectDirectoryAttributes (TPM specification / security assertions).
// Every other unhandled critical extension still fails.
bool tcg_critical_ok(X509* leaf) {
  for (int i = 0; i < X509_get_ext_count(leaf); ++i) {
    X509_EXTENSION* ext = X509_get_ext(leaf, i);
    if (X509_EXTENSION_get_critical(ext) == 0 || X509_supported_extension(ext) == 1) continue;
    const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
    if (nid != NID_subject_alt_name && nid != NID_subject_directory_attributes) return false;
  }
  return true;
}

// verify_cb narrows OpenSSL's one objection paw overrides on purpose:
// X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION at depth 0 when tcg_critical_ok.
// (We do not use X509_V_FLAG_IGNORE_CRITICAL: it would also ignore unknown
// critical extensions on the CA certificates and on unrelated leaf extensions.)
// Debian 12's OpenSSL 3.0 counts subjectAltName as handled, so this only fires
// for subjectDirectoryAttributes marked critical or other builds.
int verify_cb(int ok, X509_STORE_CTX* ctx) {
  if (ok == 1) return 1;
  if (X509_STORE_CTX_get_error(ctx) == X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION &&
      X509_STORE_CTX_get_error_depth(ctx) == 0 && tcg_critical_ok(X509_STORE_CTX_get_current_cert(ctx))) {
    return 1;
  }
  return 0;
}

Error chain_error(X509_STORE_CTX* ctx) {
  const int err = X509_STORE_CTX_get_error(ctx);
  const std::string what = std::string(X509_verify_cert_error_string(err)) + " at depth " +
                           std::to_string(X509_STORE_CTX_get_error_depth(ctx));
  ERR_clear_error();
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
      return make_error(Errc::cert_invalid, "validity dates: " + what);
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_INVALID_EXTENSION:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
      return make_error(Errc::cert_invalid, "extensions: " + what);
    default:
      return make_error(Errc::untrusted_chain, "chain: " + what);
  }
}

Status check_eku(X509* leaf) {
  int crit = 0;
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(X509_get_ext_d2i(leaf, NID_ext_key_usage, &crit, nullptr));
  if (eku == nullptr) {
    if (crit == -1) return ok_status();  // no EKU: allowed (many EK certificates carry none)
    return make_error(Errc::cert_invalid, "EKU: extended key usage does not parse");
  }
  bool found = false;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
    if (oid_text(sk_ASN1_OBJECT_value(eku, i)) == kOidEkCertificate) found = true;
  }
  EXTENDED_KEY_USAGE_free(eku);
  if (!found) return make_error(Errc::cert_invalid, "EKU: present but lacks tcg-kp-EKCertificate (2.23.133.8.1)");
  return ok_status();
}

TpmDeviceInfo device_info(X509* leaf) {
  TpmDeviceInfo info;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return info;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type != GEN_DIRNAME) continue;
    const X509_NAME* dn = gn->d.directoryName;
    for (int j = 0; j < X509_NAME_entry_count(dn); ++j) {
      const X509_NAME_ENTRY* e = X509_NAME_get_entry(dn, j);
      const std::string oid = oid_text(X509_NAME_ENTRY_get_object(e));
      unsigned char* utf8 = nullptr;
      const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
      if (len < 0) continue;
      std::string value(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
      OPENSSL_free(utf8);
      if (oid == kOidTpmManufacturer) info.manufacturer = value;
      if (oid == kOidTpmModel) info.model = value;
      if (oid == kOidTpmVersion) info.version = value;
    }
  }
  GENERAL_NAMES_free(names);
  ERR_clear_error();
  return info;
}

Result<Bytes> to_der(X509* c) {
  unsigned char* der = nullptr;
  const int len = i2d_X509(c, &der);
  if (len <= 0) return ossl_error(Errc::internal, "i2d_X509");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace

struct EkCaStore::Impl {
  X509StorePtr store{X509_STORE_new()};
  std::size_t count = 0;
};

EkCaStore::EkCaStore() : impl_(std::make_unique<Impl>()) {}
EkCaStore::EkCaStore(EkCaStore&&) noexcept = default;
EkCaStore& EkCaStore::operator=(EkCaStore&&) noexcept = default;
EkCaStore::~EkCaStore() = default;
std::size_t EkCaStore::size() const noexcept { return impl_->count; }
X509_STORE* EkCaStore::store() const noexcept { return impl_->store.get(); }

Result<EkCaStore> EkCaStore::from_certificates(const std::vector<Bytes>& certs) {
  EkCaStore s;
  if (!s.impl_->store) return ossl_error(Errc::internal, "X509_STORE_new");
  for (const auto& data : certs) {
    auto parsed = certs_of(data);
    if (!parsed.ok()) return make_error(Errc::config_error, "CA certificate: " + parsed.error().detail);
    for (auto& c : *parsed) {
      // A duplicate is not an error (the same root in two files).
      if (X509_STORE_add_cert(s.impl_->store.get(), c.get()) == 1) ++s.impl_->count;
      ERR_clear_error();
    }
  }
  if (s.impl_->count == 0) return make_error(Errc::config_error, "no CA certificate");
  return s;
}

Result<EkCaStore> EkCaStore::load_dir(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  if (ec) return make_error(Errc::io_error, "cannot read CA folder " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<Bytes> certs;
  for (const auto& f : files) {
    auto data = read_file(f.string(), kMaxCertFile);
    if (!data.ok()) continue;
    if (certs_of(*data).ok()) certs.push_back(std::move(data).value());  // skip keys, serials, notes
  }
  if (certs.empty()) return make_error(Errc::config_error, "no CA certificate in " + dir);
  return from_certificates(certs);
}

Result<std::size_t> der_sequence_length(ByteView data) {
  // X.690 8.1: a certificate is a SEQUENCE (0x30) with a definite length.
  Reader r(data);
  std::uint8_t tag = 0;
  std::uint8_t first = 0;
  if (!r.u8(tag) || tag != 0x30 || !r.u8(first)) return make_error(Errc::malformed, "not a DER SEQUENCE");
  std::size_t len = first;
  if (first & 0x80) {  // X.690 8.1.3.5: long form
    const std::size_t n = first & 0x7f;
    if (n == 0 || n > 3) return make_error(Errc::malformed, "DER length form");
    len = 0;
    for (std::size_t i = 0; i < n; ++i) {
      std::uint8_t b = 0;
      if (!r.u8(b)) return make_error(Errc::malformed, "short DER length");
      len = (len << 8) | b;
    }
  }
  if (len > r.remaining()) return make_error(Errc::malformed, "DER shorter than its length");
  return r.offset() + len;
}

Result<Bytes> trim_der_padding(ByteView nv) {
  PAW_TRY(const std::size_t size, der_sequence_length(nv));
  for (std::uint8_t b : nv.subspan(size)) {
    if (b != 0xFF && b != 0x00) return make_error(Errc::trailing_data, "bytes after the DER are not NV padding");
  }
  return Bytes(nv.begin(), nv.begin() + static_cast<std::ptrdiff_t>(size));
}

Result<X509Ptr> parse_certificate(ByteView data) {
  if (data.size() > kMaxCertFile) return make_error(Errc::too_large, "certificate larger than 1 MiB");
  if (is_pem(data)) {
    auto certs = all_pem_certs(data);
    if (certs.size() != 1) return make_error(Errc::malformed, "expected exactly one PEM certificate");
    return std::move(certs.front());
  }
  PAW_TRY(const Bytes der, trim_der_padding(data));
  const unsigned char* p = der.data();
  X509Ptr c(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!c || p != der.data() + der.size()) {
    ERR_clear_error();
    return make_error(Errc::malformed, "DER does not parse as a certificate");
  }
  return c;
}

namespace {

// build_chain runs OpenSSL's path building. Without |partial| the chain must end
// at a self-signed root in the folder; with it, at any folder certificate.
Result<X509StoreCtxPtr> build_chain(X509* leaf, const EkCaStore& cas, std::optional<std::int64_t> at, bool partial,
                                int& x509_error) {
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), cas.store(), leaf, nullptr) != 1) {
    return ossl_error(Errc::internal, "X509_STORE_CTX_init");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  if (partial) X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  if (at) X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(*at));
  X509_STORE_CTX_set_verify_cb(ctx.get(), verify_cb);
  if (X509_verify_cert(ctx.get()) != 1) {
    x509_error = X509_STORE_CTX_get_error(ctx.get());
    return chain_error(ctx.get());
  }
  return ctx;
}

bool root_missing(int x509_error) {
  return x509_error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
         x509_error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
}

// issued_by_folder_ca: the chain OpenSSL built must hold at least one
// certificate above the leaf, and that issuer must be a CA. A leaf that sits
// in the trusted folder itself (copied there by mistake, or self-signed)
// would otherwise be its own trust anchor (X509_V_FLAG_PARTIAL_CHAIN, or a
// self-signed "root"): an EK is vouched for by the CA that issued it, never
// by its own presence in the folder.
Status issued_by_folder_ca(X509_STORE_CTX* ctx) {
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
  if (chain == nullptr || sk_X509_num(chain) < 2) {
    return make_error(Errc::untrusted_chain,
                      "chain: the EK certificate is itself in the trusted folder; only the CA that issued it can "
                      "vouch for it");
  }
  X509* issuer = sk_X509_value(chain, 1);
  if (X509_check_ca(issuer) < 1) {
    ERR_clear_error();
    return make_error(Errc::untrusted_chain, "chain: the EK certificate's issuer is not a CA certificate");
  }
  return ok_status();
}

}  // namespace

Result<EkCertificate> verify_ek_certificate(ByteView cert, const EkCaStore& cas, std::optional<std::int64_t> at) {
  PAW_TRY(X509Ptr leaf, parse_certificate(cert));
  // Prefer the full chain to a self-signed root; fall back to the nearest folder
  // certificate when the vendor's root is not in the folder (STMicro ECC).
  int x509_error = X509_V_OK;
  auto built = build_chain(leaf.get(), cas, at, false, x509_error);
  const bool to_root = built.ok();
  if (!built.ok() && root_missing(x509_error)) built = build_chain(leaf.get(), cas, at, true, x509_error);
  if (!built.ok()) return std::move(built).error();
  X509StoreCtxPtr ctx = std::move(built).value();
  PAW_CHECK(issued_by_folder_ca(ctx.get()));
  PAW_CHECK(check_eku(leaf.get()));
  EVP_PKEY* key = X509_get0_pubkey(leaf.get());
  if (key == nullptr || (EVP_PKEY_is_a(key, "RSA") != 1 && EVP_PKEY_is_a(key, "EC") != 1)) {
    return make_error(Errc::cert_invalid, "EK key is neither RSA nor EC");
  }
  EkCertificate out;
  PAW_TRY(out.der, to_der(leaf.get()));
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(chain); ++i) out.chain.push_back(name_text(X509_get_subject_name(sk_X509_value(chain, i))));
  out.tpm = device_info(leaf.get());
  out.reaches_self_signed_root = to_root;
  unsigned char* spki = nullptr;
  const int len = i2d_PUBKEY(key, &spki);
  if (len <= 0) return ossl_error(Errc::internal, "i2d_PUBKEY");
  out.public_key_der.assign(spki, spki + len);
  OPENSSL_free(spki);
  return out;
}

Status ek_matches_public(const EkCertificate& cert, const TpmPublic& ek) {
  const unsigned char* p = cert.public_key_der.data();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(cert.public_key_der.size())));
  if (!key) return ossl_error(Errc::malformed, "certificate key");
  PAW_TRY(const bool same, public_matches(ek, key.get()));
  if (!same) return make_error(Errc::cert_invalid, "EK certificate key is not the TPM's EK");
  return ok_status();
}

Status ek_matches_public(ByteView cert, const TpmPublic& ek) {
  PAW_TRY(X509Ptr c, parse_certificate(cert));
  PAW_TRY(const bool same, public_matches(ek, X509_get0_pubkey(c.get())));
  if (!same) return make_error(Errc::cert_invalid, "EK certificate key is not the TPM's EK");
  return ok_status();
}

}  // namespace paw
