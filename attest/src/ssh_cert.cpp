// OpenSSH certificate and key wire formats (PROTOCOL.certkeys, RFC 4251,
// RFC 5656) for ECDSA NIST P-256 only. See ssh_cert.h.
#include "paw/attest/ssh_cert.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <algorithm>

#include "paw/attest/tpm.h"
#include "paw/attest/ossl.h"

namespace paw::ssh {
namespace {

constexpr std::size_t kCoord = 32;
constexpr std::size_t kPointSize = 1 + 2 * kCoord;
// Bounds on a certificate's lists: far above what paw issues, low enough
// that a hostile blob cannot make the decoder allocate much.
constexpr std::size_t kMaxPrincipals = 256;
constexpr std::size_t kMaxOptions = 64;

bool is_p256(const EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
  char name[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1)
    return false;
  return std::string_view(name, len) == "prime256v1" || std::string_view(name, len) == "P-256";
}

std::string_view text(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

Result<EvpPkeyPtr> key_from_point(ByteView q) {
  if (q.size() != kPointSize || q[0] != 0x04)
    return make_error(Errc::unsupported, "ssh: Q is not an uncompressed P-256 point");
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, q.data(), q.size()) != 1) {
    return ossl_error(Errc::internal, "ssh: building EC parameters");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1)
    return ossl_error(Errc::internal, "ssh: EC fromdata");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return ossl_error(Errc::unsupported, "ssh: Q is not on P-256");
  }
  EvpPkeyPtr key(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1)
    return ossl_error(Errc::unsupported, "ssh: Q is invalid");
  return key;
}

// read_mpint reads a non-negative SSH mpint of at most 32 significant bytes
// in minimal form (RFC 4251 §5) and returns its magnitude.
bool read_mpint(Reader& r, ByteView& out) {
  if (!read_string(r, out)) return false;
  if (out.empty()) return true;
  if ((out[0] & 0x80) != 0) return false;  // negative
  if (out[0] == 0) {
    if (out.size() < 2 || (out[1] & 0x80) == 0) return false;  // not minimal
    out = out.subspan(1);
  }
  return out.size() <= kCoord;
}

Status read_options(Reader& r, OptionList& out, const char* what) {
  ByteView list;
  if (!read_string(r, list)) return make_error(Errc::malformed, std::string("ssh cert: truncated ") + what);
  Reader lr(list);
  while (!lr.done()) {
    ByteView name, data;
    if (!read_string(lr, name) || !read_string(lr, data)) {
      return make_error(Errc::malformed, std::string("ssh cert: truncated entry in ") + what);
    }
    if (name.empty()) return make_error(Errc::malformed, std::string("ssh cert: empty name in ") + what);
    // PROTOCOL.certkeys: each name at most once, in lexical order.
    if (!out.empty() && !(out.back().first < text(name))) {
      return make_error(Errc::malformed, std::string("ssh cert: ") + what + " not sorted or repeated");
    }
    if (out.size() >= kMaxOptions)
      return make_error(Errc::too_large, std::string("ssh cert: too many ") + what);
    out.emplace_back(std::string(text(name)), Bytes(data.begin(), data.end()));
  }
  return ok_status();
}

void write_options(Writer& w, const OptionList& options) {
  Writer list;
  for (const auto& [name, data] : options) {
    list.string(std::string_view(name));
    list.string(ByteView(data));
  }
  w.string(ByteView(list.bytes()));
}

}  // namespace

void Writer::u32(std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void Writer::u64(std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void Writer::string(ByteView s) {
  u32(static_cast<std::uint32_t>(s.size()));
  out_.insert(out_.end(), s.begin(), s.end());
}
void Writer::mpint(ByteView v) {
  while (!v.empty() && v[0] == 0) v = v.subspan(1);
  Bytes m;
  if (!v.empty() && (v[0] & 0x80) != 0) m.push_back(0);
  m.insert(m.end(), v.begin(), v.end());
  string(ByteView(m));
}

bool read_string(Reader& r, ByteView& out) noexcept {
  std::uint32_t n = 0;
  Reader probe = r;
  if (!probe.u32be(n) || probe.remaining() < n) return false;
  return r.skip(4) && r.bytes(n, out);
}

Bytes string_option(std::string_view value) {
  Writer w;
  w.string(value);
  return w.take();
}

Result<Bytes> point_of(const EVP_PKEY* key) {
  if (!is_p256(key)) return make_error(Errc::unsupported, "ssh: only ECDSA P-256 keys");
  Bytes q(kPointSize);
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, q.data(), q.size(), &len) != 1 ||
      len != kPointSize || q[0] != 0x04) {
    // Keys whose point is stored compressed: ask for the uncompressed form.
    BIGNUM* bx = nullptr;
    BIGNUM* by = nullptr;
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &bx) != 1)
      return ossl_error(Errc::internal, "ssh: EC x");
    BnPtr x(bx);
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &by) != 1)
      return ossl_error(Errc::internal, "ssh: EC y");
    BnPtr y(by);
    q[0] = 0x04;
    if (BN_bn2binpad(x.get(), q.data() + 1, kCoord) != static_cast<int>(kCoord) ||
        BN_bn2binpad(y.get(), q.data() + 1 + kCoord, kCoord) != static_cast<int>(kCoord)) {
      return make_error(Errc::internal, "ssh: EC coordinate does not fit");
    }
  }
  ERR_clear_error();
  return q;
}

Result<Bytes> public_key_blob(const EVP_PKEY* key) {
  PAW_TRY(Bytes q, point_of(key));
  Writer w;
  w.string(kKeyType);
  w.string(kCurve);
  w.string(ByteView(q));
  return w.take();
}

Result<EvpPkeyPtr> parse_public_key_blob(ByteView blob) {
  Reader r(blob);
  ByteView type, curve, q;
  if (!read_string(r, type) || !read_string(r, curve) || !read_string(r, q)) {
    return make_error(Errc::malformed, "ssh: truncated public key");
  }
  if (text(type) != kKeyType || text(curve) != kCurve)
    return make_error(Errc::unsupported, "ssh: not an ecdsa-sha2-nistp256 key");
  if (!r.done()) return make_error(Errc::trailing_data, "ssh: bytes after the public key");
  return key_from_point(q);
}

Bytes signature_blob(ByteView r, ByteView s) {
  Writer inner;
  inner.mpint(r);
  inner.mpint(s);
  Writer w;
  w.string(kKeyType);
  w.string(ByteView(inner.bytes()));
  return w.take();
}

Result<Bytes> sign_blob(const EVP_PKEY* key, ByteView data) {
  if (!is_p256(key)) return make_error(Errc::unsupported, "ssh: the CA key must be ECDSA P-256");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, const_cast<EVP_PKEY*>(key)) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, data.data(), data.size()) != 1) {
    return ossl_error(Errc::internal, "ssh: sign init");
  }
  Bytes der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, data.data(), data.size()) != 1)
    return ossl_error(Errc::internal, "ssh: sign");
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return ossl_error(Errc::internal, "ssh: signature decode");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  Bytes rb(kCoord), sb(kCoord);
  if (BN_bn2binpad(r, rb.data(), kCoord) != static_cast<int>(kCoord) ||
      BN_bn2binpad(s, sb.data(), kCoord) != static_cast<int>(kCoord)) {
    return make_error(Errc::internal, "ssh: r/s too large");
  }
  return signature_blob(rb, sb);
}

Status verify_blob(const EVP_PKEY* key, ByteView data, ByteView signature) {
  Reader outer(signature);
  ByteView type, inner;
  if (!read_string(outer, type) || !read_string(outer, inner) || !outer.done()) {
    return make_error(Errc::malformed, "ssh: signature blob does not parse");
  }
  if (text(type) != kKeyType)
    return make_error(Errc::unsupported, "ssh: signature is not ecdsa-sha2-nistp256");
  Reader ir(inner);
  ByteView r, s;
  if (!read_mpint(ir, r) || !read_mpint(ir, s) || !ir.done())
    return make_error(Errc::malformed, "ssh: bad ECDSA r/s");
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BnPtr br(BN_bin2bn(r.data(), static_cast<int>(r.size()), nullptr));
  BnPtr bs(BN_bin2bn(s.data(), static_cast<int>(s.size()), nullptr));
  if (!sig || !br || !bs || ECDSA_SIG_set0(sig.get(), br.get(), bs.get()) != 1) {
    return ossl_error(Errc::internal, "ssh: signature object");
  }
  (void)br.release();
  (void)bs.release();
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return ossl_error(Errc::internal, "ssh: signature encode");
  Bytes der_copy(der, der + der_len);
  OPENSSL_free(der);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, const_cast<EVP_PKEY*>(key)) != 1) {
    return ossl_error(Errc::internal, "ssh: verify init");
  }
  const int rc = EVP_DigestVerify(ctx.get(), der_copy.data(), der_copy.size(), data.data(), data.size());
  ERR_clear_error();
  if (rc != 1) return make_error(Errc::bad_signature, "ssh: signature does not verify");
  return ok_status();
}

Bytes to_be_signed(const Cert& c) {
  Writer w;
  w.string(kCertType);
  w.string(ByteView(c.nonce));
  w.string(kCurve);
  w.string(ByteView(c.q));
  w.u64(c.serial);
  w.u32(c.type);
  w.string(std::string_view(c.key_id));
  Writer principals;
  for (const auto& p : c.principals) principals.string(std::string_view(p));
  w.string(ByteView(principals.bytes()));
  w.u64(c.valid_after);
  w.u64(c.valid_before);
  write_options(w, c.critical_options);
  write_options(w, c.extensions);
  w.string(ByteView{});  // reserved
  w.string(ByteView(c.signature_key));
  return w.take();
}

Bytes encode(const Cert& c) {
  Writer w;
  Bytes tbs = to_be_signed(c);
  w.string(ByteView(c.signature));
  Bytes out = std::move(tbs);
  out.insert(out.end(), w.bytes().begin(), w.bytes().end());
  return out;
}

Result<Bytes> sign(Cert& c, const EVP_PKEY* ca) {
  PAW_TRY(c.signature_key, public_key_blob(ca));
  std::sort(c.critical_options.begin(), c.critical_options.end());
  std::sort(c.extensions.begin(), c.extensions.end());
  PAW_TRY(c.signature, sign_blob(ca, to_be_signed(c)));
  return encode(c);
}

Result<Cert> decode(ByteView blob) {
  if (blob.size() > kMaxCertSize) return make_error(Errc::too_large, "ssh cert: larger than 16 KiB");
  Reader r(blob);
  Cert c;
  ByteView type, nonce, curve, q, key_id, principals, reserved, sig_key, sig;
  if (!read_string(r, type)) return make_error(Errc::malformed, "ssh cert: truncated type");
  if (text(type) != kCertType)
    return make_error(Errc::unsupported, "ssh cert: not " + std::string(kCertType));
  if (!read_string(r, nonce) || !read_string(r, curve) || !read_string(r, q) || !r.u64be(c.serial) ||
      !r.u32be(c.type) || !read_string(r, key_id) || !read_string(r, principals) || !r.u64be(c.valid_after) ||
      !r.u64be(c.valid_before)) {
    return make_error(Errc::malformed, "ssh cert: truncated");
  }
  if (text(curve) != kCurve) return make_error(Errc::unsupported, "ssh cert: curve is not nistp256");
  if (q.size() != kPointSize || q[0] != 0x04)
    return make_error(Errc::unsupported, "ssh cert: Q is not an uncompressed point");
  if (c.type != kUserCert && c.type != kHostCert)
    return make_error(Errc::malformed, "ssh cert: unknown certificate type");
  c.nonce.assign(nonce.begin(), nonce.end());
  c.q.assign(q.begin(), q.end());
  c.key_id.assign(text(key_id));
  Reader pr(principals);
  while (!pr.done()) {
    ByteView p;
    if (!read_string(pr, p)) return make_error(Errc::malformed, "ssh cert: truncated principal");
    if (c.principals.size() >= kMaxPrincipals)
      return make_error(Errc::too_large, "ssh cert: too many principals");
    c.principals.emplace_back(text(p));
  }
  PAW_CHECK(read_options(r, c.critical_options, "critical options"));
  PAW_CHECK(read_options(r, c.extensions, "extensions"));
  if (!read_string(r, reserved) || !read_string(r, sig_key) || !read_string(r, sig)) {
    return make_error(Errc::malformed, "ssh cert: truncated signature");
  }
  if (!reserved.empty()) return make_error(Errc::malformed, "ssh cert: reserved field is not empty");
  if (!r.done()) return make_error(Errc::trailing_data, "ssh cert: bytes after the signature");
  c.signature_key.assign(sig_key.begin(), sig_key.end());
  c.signature.assign(sig.begin(), sig.end());
  return c;
}

Status verify(const Cert& c, ByteView ca_blob) {
  if (!ca_blob.empty() && !ct_equal(ca_blob, c.signature_key)) {
    return make_error(Errc::bad_signature, "ssh cert: signed by another CA");
  }
  auto ca = parse_public_key_blob(c.signature_key);
  if (!ca.ok()) return make_error(Errc::bad_signature, "ssh cert: CA key: " + ca.error().detail);
  auto st = verify_blob(ca->get(), to_be_signed(c), c.signature);
  if (!st.ok()) return make_error(Errc::bad_signature, "ssh cert: " + st.error().detail);
  return ok_status();
}

std::string key_line(ByteView key_blob, std::string_view comment) {
  std::string out = std::string(kKeyType) + " " + base64(key_blob);
  if (!comment.empty()) out += " " + std::string(comment);
  return out;
}

std::string cert_line(ByteView cert_blob, std::string_view comment) {
  std::string out = std::string(kCertType) + " " + base64(cert_blob);
  if (!comment.empty()) out += " " + std::string(comment);
  return out;
}

Result<Bytes> parse_line(std::string_view line, std::string_view type) {
  if (line.size() > kMaxCertLineSize) return make_error(Errc::too_large, "ssh: key line too long");
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (line.find('\n') != std::string_view::npos)
    return make_error(Errc::malformed, "ssh: more than one line");
  const auto sp = line.find(' ');
  if (sp == std::string_view::npos) return make_error(Errc::malformed, "ssh: key line has no blob");
  if (line.substr(0, sp) != type)
    return make_error(Errc::unsupported, "ssh: key line is not " + std::string(type));
  std::string_view b64 = line.substr(sp + 1);
  b64 = b64.substr(0, b64.find(' '));
  auto blob = unbase64(b64);
  if (!blob.ok()) return make_error(Errc::malformed, "ssh: key line blob is not base64");
  Reader r(*blob);
  ByteView inner_type;
  if (!read_string(r, inner_type) || text(inner_type) != type) {
    return make_error(Errc::unsupported, "ssh: the blob's type is not the line's");
  }
  return std::move(*blob);
}

}  // namespace paw::ssh

namespace paw::ssh {

Result<Bytes> signature_blob_from_tpm(ByteView tpmt_signature) {
  PAW_TRY(Signature sig, parse_signature(tpmt_signature));
  if (sig.scheme != SigScheme::ecdsa || sig.hash != HashAlg::sha256) {
    return make_error(Errc::unsupported, "ssh: the TPM signature is not ECDSA with SHA-256");
  }
  if (sig.ecc_r.size() > kCoord || sig.ecc_s.size() > kCoord)
    return make_error(Errc::unsupported, "ssh: r/s too large");
  return signature_blob(sig.ecc_r, sig.ecc_s);
}

}  // namespace paw::ssh
