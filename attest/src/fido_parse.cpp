// fido_parse.cpp — authenticator data, COSE keys and attestation statements.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "fido_cbor.h"
#include "paw/attest/fido.h"
#include "paw/attest/secure.h"

namespace paw::attest {
namespace {

using cbor::CborReader;

Bytes copy(ByteView v) { return Bytes(v.begin(), v.end()); }

Error bad(std::string what) { return make_error(Errc::malformed, std::move(what)); }

// DER SubjectPublicKeyInfo prefixes (RFC 5480 id-ecPublicKey/prime256v1 + uncompressed point; RFC 8410 id-Ed25519).
constexpr std::uint8_t kP256SpkiPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
                                            0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
                                            0x42, 0x00, 0x04};
constexpr std::uint8_t kEd25519SpkiPrefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

}  // namespace

Result<FidoAuthData> parse_fido_auth_data(ByteView raw) {
  if (raw.size() > kFidoMaxAuthData) return make_error(Errc::too_large, "authData over limit");
  CborReader c(raw);
  Reader& r = c.reader();
  FidoAuthData out;
  ByteView v;
  // WebAuthn L2, 6.1: rpIdHash(32) | flags(1) | signCount(4, big endian) | [attestedCredentialData] | [extensions]
  if (!r.bytes(32, v) || !r.u8(out.flags) || !r.u32be(out.sign_count)) return bad("authData shorter than 37 bytes");
  out.rp_id_hash = copy(v);
  if (out.flags & kFidoFlagAt) {
    // 6.5.1: aaguid(16) | credentialIdLength(2) | credentialId | credentialPublicKey (COSE_Key)
    ByteView id, key;
    if (!r.bytes(16, v) || !r.u16be_prefixed(id)) return bad("attested credential data truncated");
    if (id.empty() || id.size() > kFidoMaxCredentialId) return bad("credential id length out of range");
    if (!c.item(key)) return bad("credential public key is not one CBOR item");
    PAW_TRY(FidoPublicKey pk, parse_fido_cose_key(key));
    (void)pk;
    out.attested = true;
    out.aaguid = copy(v);
    out.credential_id = copy(id);
    out.public_key_cose = copy(key);
  }
  if (out.flags & kFidoFlagEd) {
    ByteView ext;
    CborReader probe(r.rest());
    std::uint64_t n = 0;
    if (!probe.container(cbor::kMap, n) || !c.item(ext)) return bad("extensions are not one CBOR map");
    out.extensions = copy(ext);
  }
  if (!r.done()) return make_error(Errc::trailing_data, "bytes after authData");
  return out;
}

Result<FidoPublicKey> parse_fido_cose_key(ByteView cose) {
  CborReader c(cose);
  std::uint64_t n = 0;
  if (!c.container(cbor::kMap, n) || n > 5) return bad("COSE_Key is not a small map");
  std::int64_t kty = 0, alg = 0, crv = 0;
  ByteView x, y;
  unsigned seen = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::int64_t label = 0;
    if (!c.integer(label)) return bad("COSE_Key label is not an integer");
    unsigned bit = 0;
    bool ok = false;
    switch (label) {  // RFC 9052 7.1 / RFC 9053 7.1.1, 7.2
      case 1: bit = 1, ok = c.integer(kty); break;
      case 3: bit = 2, ok = c.integer(alg); break;
      case -1: bit = 4, ok = c.integer(crv); break;
      case -2: bit = 8, ok = c.byte_string(x); break;
      case -3: bit = 16, ok = c.byte_string(y); break;
      default: return bad("COSE_Key has unknown label " + std::to_string(label));
    }
    if (!ok) return bad("COSE_Key value has the wrong type");
    if (seen & bit) return bad("COSE_Key repeats a label");
    seen |= bit;
  }
  if (!c.done()) return make_error(Errc::trailing_data, "bytes after COSE_Key");
  FidoPublicKey out;
  out.algorithm = static_cast<int>(alg);
  if (alg == kCoseEs256) {
    if (seen != 31 || kty != 2 || crv != 1 || x.size() != 32 || y.size() != 32) return bad("bad ES256 COSE_Key");
    out.x = copy(x);
    out.y = copy(y);
  } else if (alg == kCoseEdDsa) {
    if (seen != 15 || kty != 1 || crv != 6 || x.size() != 32) return bad("bad EdDSA COSE_Key");
    out.x = copy(x);
  } else {
    return make_error(Errc::unsupported, "COSE algorithm " + std::to_string(alg));
  }
  return out;
}

Result<Bytes> fido_cose_key_to_spki(ByteView cose) {
  PAW_TRY(FidoPublicKey pk, parse_fido_cose_key(cose));
  Bytes der;
  if (pk.algorithm == kCoseEs256) {
    der.assign(std::begin(kP256SpkiPrefix), std::end(kP256SpkiPrefix));
    der.insert(der.end(), pk.x.begin(), pk.x.end());
    der.insert(der.end(), pk.y.begin(), pk.y.end());
  } else {
    der.assign(std::begin(kEd25519SpkiPrefix), std::end(kEd25519SpkiPrefix));
    der.insert(der.end(), pk.x.begin(), pk.x.end());
  }
  // Let OpenSSL check the point is on the curve.
  const unsigned char* p = der.data();
  UniquePtr<EVP_PKEY, EVP_PKEY_free> key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key || p != der.data() + der.size()) return bad("public key is not a valid point");
  return der;
}

Result<FidoAttestation> parse_fido_attestation_statement(ByteView cbor_map) {
  CborReader c(cbor_map);
  std::uint64_t n = 0;
  if (!c.container(cbor::kMap, n) || n > 3) return bad("attStmt is not a small map");
  FidoAttestation out;
  unsigned seen = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string_view key;
    if (!c.text_string(key)) return bad("attStmt key is not text");
    unsigned bit = 0;
    if (key == "alg") {
      std::int64_t alg = 0;
      if (!c.integer(alg) || alg < -65536 || alg > 65535) return bad("attStmt alg");
      out.alg = static_cast<int>(alg);
      bit = 1;
    } else if (key == "sig") {
      ByteView sig;
      if (!c.byte_string(sig) || sig.empty() || sig.size() > kFidoMaxSignature) return bad("attStmt sig");
      out.sig = copy(sig);
      bit = 2;
    } else if (key == "x5c") {
      std::uint64_t count = 0;
      if (!c.container(cbor::kArray, count) || count == 0 || count > kFidoMaxCertificates) return bad("attStmt x5c");
      for (std::uint64_t j = 0; j < count; ++j) {
        ByteView cert;
        if (!c.byte_string(cert) || cert.empty() || cert.size() > kFidoMaxCertificate) return bad("attStmt x5c entry");
        out.x5c.push_back(copy(cert));
      }
      bit = 4;
    } else {
      return make_error(Errc::unsupported, "attStmt key " + std::string(key));
    }
    if (seen & bit) return bad("attStmt repeats a key");
    seen |= bit;
  }
  if (!c.done()) return make_error(Errc::trailing_data, "bytes after attStmt");
  if (seen != 0 && (seen & 3) != 3) return bad("attStmt needs alg and sig");
  return out;
}

Result<FidoAttestationObject> parse_fido_attestation_object(ByteView cbor_map) {
  if (cbor_map.size() > kFidoMaxAuthData + 4 * kFidoMaxCertificate)
    return make_error(Errc::too_large, "attestationObject over limit");
  CborReader c(cbor_map);
  std::uint64_t n = 0;
  if (!c.container(cbor::kMap, n) || n != 3) return bad("attestationObject is not a map of fmt, attStmt, authData");
  FidoAttestationObject out;
  unsigned seen = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string_view key;
    if (!c.text_string(key)) return bad("attestationObject key is not text");
    unsigned bit = 0;
    if (key == "fmt") {
      std::string_view fmt;
      if (!c.text_string(fmt) || fmt.empty() || fmt.size() > 32) return bad("attestationObject fmt");
      out.fmt = std::string(fmt);
      bit = 1;
    } else if (key == "attStmt") {
      ByteView item;
      if (!c.item(item) || item.empty() || (item[0] >> 5) != cbor::kMap) return bad("attestationObject attStmt");
      out.att_stmt = copy(item);
      bit = 2;
    } else if (key == "authData") {
      ByteView ad;
      if (!c.byte_string(ad) || ad.size() > kFidoMaxAuthData) return bad("attestationObject authData");
      out.auth_data = copy(ad);
      bit = 4;
    } else {
      return bad("attestationObject key " + std::string(key.substr(0, 32)));
    }
    if (seen & bit) return bad("attestationObject repeats a key");
    seen |= bit;
  }
  if (!c.done()) return make_error(Errc::trailing_data, "bytes after attestationObject");
  return out;
}

namespace {
void put_head(Bytes& out, std::uint8_t major, std::uint64_t v) {
  const auto m = static_cast<std::uint8_t>(major << 5);
  if (v < 24) {
    out.push_back(static_cast<std::uint8_t>(m | v));
    return;
  }
  int n = v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffULL ? 4 : 8;
  out.push_back(static_cast<std::uint8_t>(m | (n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27)));
  for (int i = n - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_text(Bytes& out, std::string_view s) {
  put_head(out, cbor::kText, s.size());
  out.insert(out.end(), s.begin(), s.end());
}
void put_bytes(Bytes& out, ByteView b) {
  put_head(out, cbor::kBytes, b.size());
  out.insert(out.end(), b.begin(), b.end());
}
}  // namespace

Bytes encode_fido_attestation_statement(const FidoAttestation& st) {
  Bytes out;
  if (st.sig.empty() && st.x5c.empty()) {
    put_head(out, cbor::kMap, 0);
    return out;
  }
  // CTAP2 canonical order: "alg" < "sig" < "x5c" (same length, bytewise).
  put_head(out, cbor::kMap, st.x5c.empty() ? 2 : 3);
  put_text(out, "alg");
  if (st.alg >= 0) put_head(out, cbor::kUint, static_cast<std::uint64_t>(st.alg));
  else put_head(out, cbor::kNegint, static_cast<std::uint64_t>(-1 - static_cast<std::int64_t>(st.alg)));
  put_text(out, "sig");
  put_bytes(out, st.sig);
  if (!st.x5c.empty()) {
    put_text(out, "x5c");
    put_head(out, cbor::kArray, st.x5c.size());
    for (const Bytes& cert : st.x5c) put_bytes(out, cert);
  }
  return out;
}

Result<Bytes> unwrap_fido_cbor_bytes(ByteView data) {
  CborReader c(data);
  ByteView inner;
  if (!c.byte_string(inner)) return bad("not a CBOR byte string");
  if (!c.done()) return make_error(Errc::trailing_data, "bytes after CBOR byte string");
  return copy(inner);
}

}  // namespace paw::attest
