// paw/attest/ak.h — the properties a verifier requires of an attestation key
// before trusting anything it signs.
#pragma once

#include <set>

#include "paw/attest/digest.h"
#include "paw/attest/error.h"
#include "paw/attest/tpm.h"

namespace paw {

// AkPolicy lists what an acceptable AK may be. The defaults are what
// `tpm2_createak` and cloud vTPMs produce: RSA >= 2048 or ECC P-256/P-384,
// nameAlg and signing hash SHA-256 or stronger.
struct AkPolicy {
  bool allow_rsa = true;
  bool allow_ecc = true;
  std::uint16_t min_rsa_bits = 2048;
  std::set<TPMI_ECC_CURVE> ecc_curves = {TPM2_ECC_NIST_P256, TPM2_ECC_NIST_P384};
  std::set<HashAlg> name_algs = {HashAlg::sha256, HashAlg::sha384, HashAlg::sha512};
  // sign_hashes bounds the hash of the key's fixed signing scheme (if it has one).
  std::set<HashAlg> sign_hashes = {HashAlg::sha256, HashAlg::sha384, HashAlg::sha512};
  // allow_user_with_auth: a password-authorised AK is fine for attestation (the
  // TPM still only signs TPM-generated data with a restricted key).
  bool allow_user_with_auth = true;
};

// check_ak_properties requires restricted, sign, fixedTPM, fixedParent,
// sensitiveDataOrigin, NOT decrypt, and the policy's algorithms and sizes.
// Errc::ak_attributes naming the first attribute or parameter that fails.
Status check_ak_properties(const TpmPublic& ak, const AkPolicy& policy = {});

}  // namespace paw
