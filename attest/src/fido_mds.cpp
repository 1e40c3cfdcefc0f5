// fido_mds.cpp — parse and verify the FIDO Metadata Service BLOB (fido_mds.h).
#include "paw/attest/fido_mds.h"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509_vfy.h>

#include "paw/attest/json.h"
#include "paw/attest/policy.h"
#include "paw/attest/secure.h"
#include "x509_chain.h"

namespace paw::attest {
namespace {

Error bad(const std::string& what) { return make_error(Errc::malformed, "MDS BLOB: " + what); }

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// b64_certificate decodes one base64 DER certificate (the BLOB pads; tolerate
// a missing pad) and checks that it is exactly one certificate.
Result<Bytes> b64_certificate(const Poco::Dynamic::Var& v, const std::string& where) {
  if (!v.isString()) return bad(where + " is not a string");
  std::string text = v.extract<std::string>();
  if (text.size() > kMdsMaxCertificate * 4 / 3 + 4) return make_error(Errc::too_large, "MDS BLOB: " + where + " too large");
  while (text.size() % 4 != 0) text.push_back('=');
  auto der = unbase64(text);
  if (!der.ok()) return bad(where + " is not base64");
  const unsigned char* p = der->data();
  UniquePtr<X509, X509_free> cert(d2i_X509(nullptr, &p, static_cast<long>(der->size())));
  if (!cert || p != der->data() + der->size()) return bad(where + " is not one DER certificate");
  return std::move(der).value();
}

Result<std::vector<Bytes>> certificate_array(const json::ObjectPtr& o, const std::string& key, std::size_t max,
                                             const std::string& where) {
  PAW_TRY(json::ArrayPtr arr, json::get_array(o, key));
  if (arr->size() > max) return make_error(Errc::too_large, "MDS BLOB: " + where + " has too many certificates");
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    PAW_TRY(Bytes der, b64_certificate(arr->get(static_cast<unsigned>(i)), where + "[" + std::to_string(i) + "]"));
    out.push_back(std::move(der));
  }
  return out;
}

Result<std::optional<MdsEntry>> parse_entry(const json::ObjectPtr& e, std::size_t index) {
  const std::string where = "entries[" + std::to_string(index) + "]";
  PAW_TRY(auto aaguid_text, json::opt_string(e, "aaguid"));
  if (!aaguid_text) return std::optional<MdsEntry>{};  // U2F (key identifiers) or UAF (aaid): not FIDO2
  MdsEntry out;
  auto g = parse_aaguid(*aaguid_text);
  if (!g.ok()) return bad(where + ".aaguid: " + g.error().detail);
  out.aaguid = std::move(g).value();
  auto ms = json::get_object(e, "metadataStatement");
  if (!ms.ok()) return bad(where + ".metadataStatement missing");
  PAW_TRY(auto description, json::opt_string(*ms, "description"));
  out.description = description.value_or("");
  PAW_TRY(out.roots, certificate_array(*ms, "attestationRootCertificates", kMdsMaxRootsPerEntry,
                                       where + ".attestationRootCertificates"));
  if ((*e).has("statusReports")) {
    PAW_TRY(json::ArrayPtr reports, json::get_array(e, "statusReports"));
    for (std::size_t i = 0; i < reports->size(); ++i) {
      json::ObjectPtr r = reports->getObject(static_cast<unsigned>(i));
      if (r.isNull()) return bad(where + ".statusReports[" + std::to_string(i) + "] is not an object");
      PAW_TRY(std::string status, json::get_string(r, "status"));
      out.statuses.push_back(std::move(status));
    }
  }
  return std::optional<MdsEntry>{std::move(out)};
}

Result<Bytes> decode_part(std::string_view part, const char* what) {
  auto b = unbase64url(part);
  if (!b.ok()) return bad(std::string(what) + " is not base64url");
  return std::move(b).value();
}

}  // namespace

Result<MdsBlob> parse_mds_blob(std::string_view jws) {
  if (jws.size() > kMdsMaxBlob) return make_error(Errc::too_large, "MDS BLOB larger than 32 MiB");
  while (!jws.empty() && is_space(jws.front())) jws.remove_prefix(1);
  while (!jws.empty() && is_space(jws.back())) jws.remove_suffix(1);
  const auto dot1 = jws.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : jws.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || jws.find('.', dot2 + 1) != std::string_view::npos)
    return bad("not a JWS in compact serialization (three dot-separated parts)");
  MdsBlob out;
  out.signing_input = std::string(jws.substr(0, dot2));
  PAW_TRY(Bytes header_json, decode_part(jws.substr(0, dot1), "header"));
  PAW_TRY(Bytes payload_json, decode_part(jws.substr(dot1 + 1, dot2 - dot1 - 1), "payload"));
  PAW_TRY(out.signature, decode_part(jws.substr(dot2 + 1), "signature"));
  auto header = json::parse_object(std::string_view(reinterpret_cast<const char*>(header_json.data()), header_json.size()),
                                   1u << 20, 4);
  if (!header.ok()) return bad("header: " + header.error().detail);
  PAW_TRY(out.alg, json::get_string(*header, "alg"));
  PAW_TRY(out.x5c, certificate_array(*header, "x5c", kMdsMaxHeaderCerts, "header.x5c"));
  if (out.x5c.empty()) return bad("header.x5c is empty");
  auto payload = json::parse_object(
      std::string_view(reinterpret_cast<const char*>(payload_json.data()), payload_json.size()), kMdsMaxBlob, 16);
  if (!payload.ok()) return make_error(payload.code(), "MDS BLOB: payload: " + payload.error().detail);
  PAW_TRY(out.no, json::get_int(*payload, "no"));
  if (out.no < 0) return bad("no is negative");
  PAW_TRY(out.next_update, json::get_string(*payload, "nextUpdate"));
  PAW_TRY(json::ArrayPtr entries, json::get_array(*payload, "entries"));
  if (entries->size() > kMdsMaxEntries) return make_error(Errc::too_large, "MDS BLOB: too many entries");
  for (std::size_t i = 0; i < entries->size(); ++i) {
    json::ObjectPtr e = entries->getObject(static_cast<unsigned>(i));
    if (e.isNull()) return bad("entries[" + std::to_string(i) + "] is not an object");
    PAW_TRY(std::optional<MdsEntry> entry, parse_entry(e, i));
    if (entry) out.entries.push_back(std::move(*entry));
  }
  return out;
}

namespace {

Status verify_chain(const std::vector<UniquePtr<X509, X509_free>>& certs, X509_STORE* roots, std::int64_t now) {
  return detail::verify_x509_chain(certs, roots, now, 0, "MDS BLOB signer");
}

// es256_der turns JOSE's raw r||s (RFC 7518, 3.4) into the DER OpenSSL verifies.
Result<Bytes> es256_der(ByteView raw) {
  if (raw.size() != 64) return make_error(Errc::bad_signature, "MDS BLOB: ES256 signature must be 64 bytes");
  UniquePtr<ECDSA_SIG, ECDSA_SIG_free> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw.data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return make_error(Errc::internal, "ECDSA_SIG");
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return make_error(Errc::internal, "i2d_ECDSA_SIG");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace

Status verify_mds_blob(const MdsBlob& blob, X509_STORE* trusted_roots, std::int64_t now) {
  if (trusted_roots == nullptr) return make_error(Errc::untrusted_chain, "MDS BLOB: no trusted root given");
  if (blob.x5c.empty() || blob.x5c.size() > kMdsMaxHeaderCerts) return make_error(Errc::malformed, "MDS BLOB: header.x5c");
  std::vector<UniquePtr<X509, X509_free>> certs;
  for (const Bytes& der : blob.x5c) {
    const unsigned char* p = der.data();
    UniquePtr<X509, X509_free> c(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!c || p != der.data() + der.size()) return make_error(Errc::malformed, "MDS BLOB: header.x5c entry");
    certs.push_back(std::move(c));
  }
  PAW_CHECK(verify_chain(certs, trusted_roots, now));
  EVP_PKEY* key = X509_get0_pubkey(certs.front().get());
  if (key == nullptr) return make_error(Errc::malformed, "MDS BLOB: signer key");
  Bytes sig;
  if (blob.alg == "RS256") {
    if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA || EVP_PKEY_get_bits(key) < 2048)
      return make_error(Errc::bad_signature, "MDS BLOB: RS256 needs an RSA key of at least 2048 bits");
    sig = blob.signature;
  } else if (blob.alg == "ES256") {
    if (EVP_PKEY_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 256)
      return make_error(Errc::bad_signature, "MDS BLOB: ES256 needs a P-256 key");
    PAW_TRY(sig, es256_der(blob.signature));
  } else {
    return make_error(Errc::unsupported, "MDS BLOB: signature algorithm \"" + blob.alg.substr(0, 16) + "\"");
  }
  UniquePtr<EVP_MD_CTX, EVP_MD_CTX_free> md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key) != 1)
    return make_error(Errc::internal, "EVP_DigestVerifyInit");
  const int ok = EVP_DigestVerify(md.get(), sig.data(), sig.size(),
                                  reinterpret_cast<const unsigned char*>(blob.signing_input.data()),
                                  blob.signing_input.size());
  if (ok != 1) return make_error(Errc::bad_signature, "MDS BLOB: the signature does not verify with the signer's key");
  return ok_status();
}

bool is_compromised_status(std::string_view status) {
  return status == "REVOKED" || status == "USER_VERIFICATION_BYPASS" || status == "ATTESTATION_KEY_COMPROMISE" ||
         status == "USER_KEY_REMOTE_COMPROMISE" || status == "USER_KEY_PHYSICAL_COMPROMISE";
}

}  // namespace paw::attest
