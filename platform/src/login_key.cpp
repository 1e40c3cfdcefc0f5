// login_key.cpp — the login key in the TPM: SRK, creation, loading, TPM2_Certify
// by the AK, TPM2_Sign (TPM 2.0 Part 3, 12.1 Create, 12.2 Load, 18.2 Certify, 20.2 Sign).
#include "paw/platform/login_key.h"

#include <algorithm>

#include "paw/attest/digest.h"
#include "tpm_internal.h"

namespace paw::platform {
namespace {

const TPM2B_SENSITIVE_CREATE kEmptySensitive{};  // empty auth, no data
const TPM2B_DATA kNoOutsideInfo{};
const TPML_PCR_SELECTION kNoCreationPcrs{};

// create_srk makes the owner hierarchy's storage primary (empty owner auth).
Result<TpmObject> create_srk(Tpm& tpm) {
  const TPM2B_PUBLIC tpl = srk_template();
  ESYS_TR handle = ESYS_TR_NONE;
  const TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_CreatePrimary(tpm.esys(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                              &kEmptySensitive, &tpl, &kNoOutsideInfo, &kNoCreationPcrs, &handle, nullptr, nullptr,
                              nullptr, nullptr);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_CreatePrimary(SRK, owner hierarchy)", rc);
  return TpmObject(tpm.esys(), handle);
}

}  // namespace

TPM2B_PUBLIC srk_template() {
  TPM2B_PUBLIC tpl{};
  TPMT_PUBLIC& p = tpl.publicArea;
  p.type = TPM2_ALG_ECC;
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_NODA |
                       TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN;
  p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
  p.parameters.eccDetail.symmetric.keyBits.aes = 128;
  p.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
  p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  // unique.ecc.x/y stay empty: any other value makes a different primary key.
  return tpl;
}

TPM2B_PUBLIC login_key_template() {
  TPM2B_PUBLIC tpl{};
  TPMT_PUBLIC& p = tpl.publicArea;
  p.type = TPM2_ALG_ECC;
  p.nameAlg = TPM2_ALG_SHA256;
  // Not restricted: it must sign digests made outside the TPM (TLS handshakes,
  // DPoP proofs, SSH sessions). fixedTPM|fixedParent: it can never be exported.
  p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_SIGN_ENCRYPT;
  p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  return tpl;
}

Result<LoginKeyBlob> create_login_key(Tpm& tpm) {
  PAW_TRY(TpmObject srk, create_srk(tpm));
  const TPM2B_PUBLIC tpl = login_key_template();
  TPM2B_PRIVATE* priv_raw = nullptr;
  TPM2B_PUBLIC* pub_raw = nullptr;
  const TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_Create(tpm.esys(), srk.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &kEmptySensitive, &tpl,
                       &kNoOutsideInfo, &kNoCreationPcrs, &priv_raw, &pub_raw, nullptr, nullptr, nullptr);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_Create(login key)", rc);
  detail::EsysPtr<TPM2B_PRIVATE> priv(priv_raw);
  detail::EsysPtr<TPM2B_PUBLIC> pub(pub_raw);
  LoginKeyBlob blob;
  PAW_TRY(blob.public_tpm2b, detail::marshal(*pub, Tss2_MU_TPM2B_PUBLIC_Marshal, "marshal login key public"));
  PAW_TRY(blob.private_tpm2b, detail::marshal(*priv, Tss2_MU_TPM2B_PRIVATE_Marshal, "marshal login key private"));
  return blob;
}

Result<LoadedLoginKey> load_login_key(Tpm& tpm, const LoginKeyBlob& blob) {
  PAW_TRY(const TPM2B_PUBLIC pub, detail::unmarshal<TPM2B_PUBLIC>(blob.public_tpm2b, Tss2_MU_TPM2B_PUBLIC_Unmarshal,
                                                                  "login key public"));
  PAW_TRY(const TPM2B_PRIVATE priv, detail::unmarshal<TPM2B_PRIVATE>(
                                        blob.private_tpm2b, Tss2_MU_TPM2B_PRIVATE_Unmarshal, "login key private"));
  PAW_TRY(TpmObject srk, create_srk(tpm));
  ESYS_TR handle = ESYS_TR_NONE;
  const TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_Load(tpm.esys(), srk.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &handle);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_Load(login key)", rc);
  // srk is flushed on return: a loaded child does not need its parent loaded,
  // and a TPM has few transient slots (the EK and AK need two).
  return LoadedLoginKey{TpmObject(tpm.esys(), handle), blob.public_tpm2b};
}

Result<LoginKeyCertify> certify_login_key(Tpm& tpm, const Ak& ak, const LoadedLoginKey& key,
                                          ByteView qualifying_data) {
  TPM2B_DATA extra{};
  if (qualifying_data.size() > sizeof(extra.buffer)) return make_error(Errc::too_large, "qualifying data too long");
  extra.size = static_cast<UINT16>(qualifying_data.size());
  std::copy(qualifying_data.begin(), qualifying_data.end(), extra.buffer);
  const TPMT_SIG_SCHEME scheme{TPM2_ALG_NULL, {}};  // the AK's own scheme
  TPM2B_ATTEST* info_raw = nullptr;
  TPMT_SIGNATURE* sig_raw = nullptr;
  const TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_Certify(tpm.esys(), key.handle.get(), ak.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_PASSWORD,
                        ESYS_TR_NONE, &extra, &scheme, &info_raw, &sig_raw);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_Certify(login key, AK)", rc);
  detail::EsysPtr<TPM2B_ATTEST> info(info_raw);
  detail::EsysPtr<TPMT_SIGNATURE> sig(sig_raw);
  LoginKeyCertify out;
  out.public_tpm2b = key.public_tpm2b;
  out.certify_info.assign(info->attestationData, info->attestationData + info->size);
  PAW_TRY(out.signature, detail::marshal(*sig, Tss2_MU_TPMT_SIGNATURE_Marshal, "marshal TPMT_SIGNATURE"));
  return out;
}

Result<Bytes> sign_with_login_key(Tpm& tpm, const LoadedLoginKey& key, ByteView message) {
  const Bytes d = sha256(message);
  TPM2B_DIGEST digest{};
  digest.size = static_cast<UINT16>(d.size());
  std::copy(d.begin(), d.end(), digest.buffer);
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_ECDSA;
  scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  // A NULL hash-check ticket: only restricted keys need proof the TPM hashed the data.
  TPMT_TK_HASHCHECK ticket{};
  ticket.tag = TPM2_ST_HASHCHECK;
  ticket.hierarchy = TPM2_RH_NULL;
  TPMT_SIGNATURE* sig_raw = nullptr;
  const TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_Sign(tpm.esys(), key.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &digest, &scheme,
                     &ticket, &sig_raw);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_Sign(login key)", rc);
  detail::EsysPtr<TPMT_SIGNATURE> sig(sig_raw);
  return detail::marshal(*sig, Tss2_MU_TPMT_SIGNATURE_Marshal, "marshal TPMT_SIGNATURE");
}

}  // namespace paw::platform
