// login_key_file.cpp — the "TSS2 PRIVATE KEY" PEM (TPM 2.0 Key Files,
// draft-bottomley-tpm2-keys; what tpm2-openssl, openssl_tpm2_engine and
// tpm2-tss-engine read and write) and its place in the state folder.
#include <algorithm>
#include <string>

#include "paw/platform/login_key.h"
#include "tpm_internal.h"

namespace paw::platform {
namespace {
namespace fs = std::filesystem;

constexpr std::string_view kPemBegin = "-----BEGIN TSS2 PRIVATE KEY-----";
constexpr std::string_view kPemEnd = "-----END TSS2 PRIVATE KEY-----";
constexpr std::size_t kMaxPemSize = 16u << 10;
// OID 2.23.133.10.1.3 (id-loadablekey), DER content octets.
constexpr std::uint8_t kLoadableKeyOid[] = {0x67, 0x81, 0x05, 0x0a, 0x01, 0x03};
// DER tags (X.690, 8.1.2).
constexpr std::uint8_t kTagBoolean = 0x01, kTagInteger = 0x02, kTagOctetString = 0x04, kTagOid = 0x06,
                       kTagSequence = 0x30, kTagExplicit0 = 0xa0;

void der_put(Bytes& out, std::uint8_t tag, ByteView content) {
  out.push_back(tag);
  const std::size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
  } else if (n <= 0xff) {
    out.push_back(0x81);
    out.push_back(static_cast<std::uint8_t>(n));
  } else {
    out.push_back(0x82);  // key files are far below 64 KiB
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n & 0xff));
  }
  out.insert(out.end(), content.begin(), content.end());
}

// der_get reads one element with tag |tag|, minimal definite length (DER).
Result<ByteView> der_get(Reader& r, std::uint8_t tag, const char* what) {
  const auto bad = [&](const char* why) { return make_error(Errc::malformed, std::string(what) + ": " + why); };
  std::uint8_t t = 0, l0 = 0;
  if (!r.u8(t) || !r.u8(l0)) return bad("truncated");
  if (t != tag) return bad("unexpected tag");
  std::size_t len = l0;
  if (l0 == 0x81) {
    std::uint8_t b = 0;
    if (!r.u8(b) || b < 0x80) return bad("length not minimal");
    len = b;
  } else if (l0 == 0x82) {
    std::uint16_t b = 0;
    if (!r.u16be(b) || b < 0x100) return bad("length not minimal");
    len = b;
  } else if (l0 >= 0x80) {
    return bad("unsupported length form");
  }
  ByteView out;
  if (!r.bytes(len, out)) return bad("truncated");
  return out;
}

std::string pem_wrap(ByteView der) {
  const std::string b64 = base64(der);
  std::string out = std::string(kPemBegin) + "\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + std::string(kPemEnd) + "\n";
}

Result<Bytes> pem_unwrap(ByteView pem) {
  if (pem.size() > kMaxPemSize) return make_error(Errc::too_large, "key file too large");
  const std::string text(pem.begin(), pem.end());
  const auto begin = text.find(kPemBegin);
  const auto end = text.find(kPemEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    return make_error(Errc::malformed, "not a TSS2 PRIVATE KEY PEM");
  }
  std::string b64;
  for (std::size_t i = begin + kPemBegin.size(); i < end; ++i) {
    const char c = text[i];
    if (c != '\n' && c != '\r') b64 += c;
  }
  return unbase64(b64);
}

}  // namespace

std::string encode_tss2_private_key(const LoginKeyBlob& blob) {
  Bytes body;
  der_put(body, kTagOid, kLoadableKeyOid);
  const std::uint8_t true_der[] = {kTagBoolean, 0x01, 0xff};
  der_put(body, kTagExplicit0, true_der);  // emptyAuth: the key has no password
  const std::uint8_t parent[] = {0x40, 0x00, 0x00, 0x01};  // TPM_RH_OWNER
  der_put(body, kTagInteger, parent);
  der_put(body, kTagOctetString, blob.public_tpm2b);
  der_put(body, kTagOctetString, blob.private_tpm2b);
  Bytes der;
  der_put(der, kTagSequence, body);
  return pem_wrap(der);
}

Result<LoginKeyBlob> decode_tss2_private_key(ByteView pem) {
  PAW_TRY(const Bytes der, pem_unwrap(pem));
  Reader outer(der);
  PAW_TRY(const ByteView seq, der_get(outer, kTagSequence, "TPMKey"));
  if (!outer.done()) return make_error(Errc::trailing_data, "bytes after TPMKey");
  Reader r(seq);
  PAW_TRY(const ByteView oid, der_get(r, kTagOid, "TPMKey.type"));
  if (!std::equal(oid.begin(), oid.end(), std::begin(kLoadableKeyOid), std::end(kLoadableKeyOid))) {
    return make_error(Errc::unsupported, "TPMKey.type is not a loadable key (2.23.133.10.1.3)");
  }
  // emptyAuth [0] EXPLICIT BOOLEAN OPTIONAL: paw loads only password-less keys.
  PAW_TRY(const ByteView auth, der_get(r, kTagExplicit0, "TPMKey.emptyAuth"));
  // Any non-zero octet is TRUE: tpm2-openssl writes 0x01 where DER wants 0xff.
  if (auth.size() != 3 || auth[0] != kTagBoolean || auth[1] != 0x01 || auth[2] == 0x00) {
    return make_error(Errc::unsupported, "TPMKey.emptyAuth is not TRUE (the key needs a password)");
  }
  PAW_TRY(const ByteView parent, der_get(r, kTagInteger, "TPMKey.parent"));
  const std::uint8_t owner[] = {0x40, 0x00, 0x00, 0x01};
  if (!std::equal(parent.begin(), parent.end(), std::begin(owner), std::end(owner))) {
    return make_error(Errc::unsupported, "TPMKey.parent is not the owner hierarchy (0x40000001)");
  }
  LoginKeyBlob blob;
  PAW_TRY(const ByteView pub, der_get(r, kTagOctetString, "TPMKey.pubkey"));
  PAW_TRY(const ByteView priv, der_get(r, kTagOctetString, "TPMKey.privkey"));
  if (!r.done()) return make_error(Errc::trailing_data, "TPMKey has fields paw does not know (policy, secret)");
  // The structures inside must be what they claim, with nothing left over.
  PAW_TRY(const TPM2B_PUBLIC p, detail::unmarshal<TPM2B_PUBLIC>(pub, Tss2_MU_TPM2B_PUBLIC_Unmarshal, "TPMKey.pubkey"));
  PAW_TRY(const TPM2B_PRIVATE s,
          detail::unmarshal<TPM2B_PRIVATE>(priv, Tss2_MU_TPM2B_PRIVATE_Unmarshal, "TPMKey.privkey"));
  (void)p;
  (void)s;
  blob.public_tpm2b.assign(pub.begin(), pub.end());
  blob.private_tpm2b.assign(priv.begin(), priv.end());
  return blob;
}

Status save_login_key(const fs::path& dir, const LoginKeyBlob& blob) {
  return detail::write_private_file(dir / kLoginKeyFile, as_bytes(encode_tss2_private_key(blob)));
}

Result<std::optional<LoginKeyBlob>> load_login_key_file(const fs::path& dir) {
  const fs::path path = dir / kLoginKeyFile;
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<LoginKeyBlob>{};
  PAW_TRY(const Bytes pem, detail::read_private_file(path));
  PAW_TRY(LoginKeyBlob blob, decode_tss2_private_key(pem));
  return std::optional<LoginKeyBlob>(std::move(blob));
}

}  // namespace paw::platform
