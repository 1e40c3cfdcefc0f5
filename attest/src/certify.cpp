// certify.cpp — TPM2_Certify verification (order of certify.h) and the login
// key's requirements (TPM 2.0 Part 3, 18.2 TPM2_Certify; Part 2, 8.3 TPMA_OBJECT).
#include "paw/attest/certify.h"

#include <string>

#include "paw/attest/digest.h"
#include "paw/attest/evidence.h"  // kMaxTpmStructSize
#include "paw/attest/quote.h"     // kMaxSignatureSize
#include "paw/attest/result_token.h"
#include "tpm_internal.h"

namespace paw {
namespace {

struct Bit {
  TPMA_OBJECT bit;
  const char* name;
  const char* why;
};

// Set on every login key, each with the reason a verifier needs it.
constexpr Bit kMustSet[] = {
    {TPMA_OBJECT_FIXEDTPM, "fixedTPM", "cannot be duplicated out of this TPM"},
    {TPMA_OBJECT_FIXEDPARENT, "fixedParent", "cannot be moved to another parent (and so not out of the TPM)"},
    {TPMA_OBJECT_SENSITIVEDATAORIGIN, "sensitiveDataOrigin", "private part was generated inside the TPM, never imported"},
    {TPMA_OBJECT_SIGN_ENCRYPT, "sign", "is a signing key"},
};
// Clear on every login key.
constexpr Bit kMustClear[] = {
    {TPMA_OBJECT_RESTRICTED, "restricted", "must sign caller digests (TLS, DPoP, SSH), which a restricted key refuses"},
    {TPMA_OBJECT_DECRYPT, "decrypt", "is used for nothing but signatures (one key, one purpose)"},
};

Error attr_error(const std::string& what) { return make_error(Errc::login_key_attributes, "login key " + what); }
Error alg_error(const std::string& what) { return make_error(Errc::login_key_algorithm, "login key " + what); }

Bytes domain_prefix(std::string_view label) {
  Bytes m(label.begin(), label.end());
  m.push_back(0x00);
  return m;
}

void append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

}  // namespace

Result<VerifiedCertify> verify_certify(const TpmPublic& ak, ByteView attest, ByteView signature,
                                       ByteView expected_qualifying_data, ByteView certified_public) {
  // 1. sizes (the TPMS_ATTEST and signature limits are checked with them below)
  if (certified_public.size() > kMaxTpmStructSize) {
    return make_error(Errc::too_large, "sizes: certified TPM2B_PUBLIC too large");
  }
  // 2-5. signature by the AK over the raw bytes, parse, magic, type
  PAW_TRY(detail::SignedAttest signed_attest,
          detail::verify_signed_attest(nullptr, &ak, attest, signature, kStAttestCertify));
  const Attest& a = signed_attest.attest;
  // 6. qualifying data: binds the certify to this enrollment (or challenge)
  if (!ct_equal(a.extra_data, expected_qualifying_data)) {
    return make_error(Errc::nonce_mismatch, "qualifying data: extraData is not the expected binding");
  }
  // 7. the certified name is the name of the public area presented: nameAlg ‖
  //    H_nameAlg(TPMT_PUBLIC) (Part 1, 16). Only then is that public area the TPM's object.
  PAW_TRY(TpmPublic certified, parse_public(certified_public));
  PAW_TRY(const Bytes name, object_name(certified));
  if (!ct_equal(name, a.certified_name)) {
    return make_error(Errc::certified_name_mismatch, "certified name: not the name of the presented public area");
  }
  return VerifiedCertify{std::move(certified), a.clock_info, a.firmware_version};
}

Status check_login_key_properties(const TpmPublic& key) {
  const TPMA_OBJECT attrs = key.pub.objectAttributes;
  for (const auto& b : kMustSet) {
    if ((attrs & b.bit) == 0) return attr_error(std::string("lacks ") + b.name + " (a login key " + b.why + ")");
  }
  for (const auto& b : kMustClear) {
    if ((attrs & b.bit) != 0) return attr_error(std::string("has ") + b.name + " set (a login key " + b.why + ")");
  }
  if (!key.is_ecc()) return alg_error("is not an ECC key");
  const auto& d = key.pub.parameters.eccDetail;
  if (d.curveID != TPM2_ECC_NIST_P256) return alg_error("curve is not NIST P-256");
  if (key.pub.nameAlg != TPM2_ALG_SHA256) return alg_error("nameAlg is not SHA-256");
  const bool scheme_ok = d.scheme.scheme == TPM2_ALG_NULL ||
                         (d.scheme.scheme == TPM2_ALG_ECDSA && d.scheme.details.ecdsa.hashAlg == TPM2_ALG_SHA256);
  if (!scheme_ok) return alg_error("scheme is neither NULL nor ECDSA/SHA-256");
  if (d.kdf.scheme != TPM2_ALG_NULL) return alg_error("has a KDF");
  return ok_status();
}

Result<LoginKey> verify_login_key(const TpmPublic& ak, const LoginKeyCertify& c, ByteView expected_qualifying_data,
                                  std::int64_t now) {
  PAW_TRY(VerifiedCertify v, verify_certify(ak, c.certify_info, c.signature, expected_qualifying_data, c.public_tpm2b));
  // 8-9. attributes, then algorithm
  PAW_CHECK(check_login_key_properties(v.certified));
  PAW_TRY(const EvpPkeyPtr key, to_evp_pkey(v.certified));
  PAW_TRY(std::string jkt, jwk_thumbprint(key.get()));
  return LoginKey{c.public_tpm2b, std::move(jkt), now};
}

Bytes login_key_enrollment_qualifying_data(ByteView token, ByteView ak_public) {
  Bytes m = domain_prefix("paw/v1/login-key");
  append(m, sha256(token));
  append(m, sha256(ak_public));
  return sha256(m);
}

Bytes login_key_add_qualifying_data(ByteView nonce, ByteView ak_public, std::string_view device_id) {
  Bytes m = domain_prefix("paw/v1/login-key-add");
  append(m, nonce);
  append(m, sha256(ak_public));
  append(m, as_bytes(device_id));
  return sha256(m);
}

Bytes login_key_proof_message(ByteView nonce, std::string_view device_id) {
  Bytes m = domain_prefix("paw/v1/login-key-proof");
  append(m, nonce);
  append(m, as_bytes(device_id));
  return m;
}

Status verify_login_key_proof(const LoginKey& key, ByteView signature, ByteView nonce, std::string_view device_id) {
  if (signature.size() > kMaxSignatureSize) return make_error(Errc::too_large, "login key signature too large");
  PAW_TRY(const TpmPublic pub, parse_public(key.public_tpm2b));
  PAW_TRY(const Signature sig, parse_signature(signature));
  if (sig.scheme != SigScheme::ecdsa || sig.hash != HashAlg::sha256) {
    return make_error(Errc::bad_signature, "login key signature is not ECDSA/SHA-256");
  }
  return verify_signature(pub, login_key_proof_message(nonce, device_id), sig);
}

}  // namespace paw
