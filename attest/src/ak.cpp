// ak.cpp — attestation key property checks (TPM 2.0 Part 1, 25 "Attestation";
// Part 2, 8.3 TPMA_OBJECT).
#include "paw/attest/ak.h"

#include <string>

namespace paw {
namespace {

Error ak_error(const std::string& what) { return make_error(Errc::ak_attributes, "AK " + what); }

struct Required {
  TPMA_OBJECT bit;
  const char* name;
  const char* why;
};

// Each required attribute with the one-line reason a verifier needs it.
constexpr Required kRequired[] = {
    {TPMA_OBJECT_RESTRICTED, "restricted", "signs only TPM-generated data, so a quote cannot be forged"},
    {TPMA_OBJECT_SIGN_ENCRYPT, "sign", "is a signing key"},
    {TPMA_OBJECT_FIXEDTPM, "fixedTPM", "cannot be duplicated out of this TPM"},
    {TPMA_OBJECT_FIXEDPARENT, "fixedParent", "stays under its (EK-bound) parent"},
    {TPMA_OBJECT_SENSITIVEDATAORIGIN, "sensitiveDataOrigin", "private part was generated inside the TPM"},
};

Status check_scheme_hash(TPMI_ALG_HASH hash, const AkPolicy& policy) {
  if (hash == TPM2_ALG_NULL) return ok_status();
  const auto h = hash_from_id(hash);
  if (!h || policy.sign_hashes.count(*h) == 0) return ak_error("signing scheme hash is not allowed");
  return ok_status();
}

}  // namespace

Status check_ak_properties(const TpmPublic& ak, const AkPolicy& policy) {
  const TPMA_OBJECT attrs = ak.pub.objectAttributes;
  for (const auto& r : kRequired) {
    if ((attrs & r.bit) == 0) return ak_error(std::string("lacks ") + r.name + " (an AK " + r.why + ")");
  }
  // A restricted key that also decrypts would be a storage key, not an AK.
  if ((attrs & TPMA_OBJECT_DECRYPT) != 0) return ak_error("has decrypt set");
  if (!policy.allow_user_with_auth && (attrs & TPMA_OBJECT_USERWITHAUTH) != 0) {
    return ak_error("has userWithAuth set, which this policy forbids");
  }
  const auto name_alg = ak.name_alg();
  if (!name_alg || policy.name_algs.count(*name_alg) == 0) return ak_error("nameAlg is not allowed");
  if (ak.is_rsa()) {
    if (!policy.allow_rsa) return ak_error("type RSA is not allowed");
    const auto& d = ak.pub.parameters.rsaDetail;
    if (d.keyBits < policy.min_rsa_bits) return ak_error("RSA keyBits " + std::to_string(d.keyBits) + " too small");
    if (d.scheme.scheme != TPM2_ALG_NULL && d.scheme.scheme != TPM2_ALG_RSASSA && d.scheme.scheme != TPM2_ALG_RSAPSS) {
      return ak_error("RSA scheme is not RSASSA or RSAPSS");
    }
    return check_scheme_hash(d.scheme.details.anySig.hashAlg, policy);
  }
  if (ak.is_ecc()) {
    if (!policy.allow_ecc) return ak_error("type ECC is not allowed");
    const auto& d = ak.pub.parameters.eccDetail;
    if (policy.ecc_curves.count(d.curveID) == 0) return ak_error("ECC curve is not allowed");
    if (d.scheme.scheme != TPM2_ALG_NULL && d.scheme.scheme != TPM2_ALG_ECDSA) return ak_error("ECC scheme is not ECDSA");
    return check_scheme_hash(d.scheme.details.anySig.hashAlg, policy);
  }
  return ak_error("type is neither RSA nor ECC");
}

}  // namespace paw
