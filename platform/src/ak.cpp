// ak.cpp — AK template, creation and loading under the EK.
#include "paw/platform/ak.h"

#include <openssl/pem.h>

#include "paw/attest/tpm.h"
#include "tpm_internal.h"

namespace paw::platform {

std::string_view ak_alg_name(AkAlg a) noexcept {
  switch (a) {
    case AkAlg::ecc_p256: return "ecc-p256";
    case AkAlg::rsa2048: return "rsa2048";
  }
  return "?";
}

std::optional<AkAlg> ak_alg_from_name(std::string_view name) noexcept {
  for (const AkAlg a : {AkAlg::ecc_p256, AkAlg::rsa2048})
    if (ak_alg_name(a) == name) return a;
  return std::nullopt;
}

TPM2B_PUBLIC ak_template(AkAlg alg) {
  TPM2B_PUBLIC tpl{};
  TPMT_PUBLIC& p = tpl.publicArea;
  p.nameAlg = TPM2_ALG_SHA256;
  // A restricted signing key only signs digests the TPM computed itself (quotes,
  // certify), never a caller-made digest that looks like a TPMS_ATTEST (Part 1, 25.2.3.4).
  p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
  if (alg == AkAlg::ecc_p256) {
    p.type = TPM2_ALG_ECC;
    p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  } else {
    p.type = TPM2_ALG_RSA;
    p.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
    p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
    p.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
    p.parameters.rsaDetail.keyBits = 2048;
    p.parameters.rsaDetail.exponent = 0;
  }
  return tpl;
}

Result<AkBlob> create_ak(Tpm& tpm, const Ek& ek, AkAlg alg) {
  const TPM2B_PUBLIC in_public = ak_template(alg);
  const TPM2B_SENSITIVE_CREATE in_sensitive{};
  const TPM2B_DATA outside{};
  const TPML_PCR_SELECTION creation_pcr{};
  TPM2B_PRIVATE* priv_raw = nullptr;
  TPM2B_PUBLIC* pub_raw = nullptr;
  // A policy session authorizes one command, so a retry needs a fresh one.
  TSS2_RC rc = TSS2_RC_SUCCESS;
  for (int attempt = 0; attempt <= kTpmRetries; ++attempt) {
    PAW_TRY(TpmObject session, start_ek_session(tpm, ek.type));
    rc = Esys_Create(tpm.esys(), ek.handle.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE, &in_sensitive,
                     &in_public, &outside, &creation_pcr, &priv_raw, &pub_raw, nullptr, nullptr, nullptr);
    if (!is_retryable(rc)) break;
  }
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_Create(AK)", rc);
  detail::EsysPtr<TPM2B_PRIVATE> priv(priv_raw);
  detail::EsysPtr<TPM2B_PUBLIC> pub(pub_raw);
  AkBlob blob;
  blob.alg = alg;
  blob.parent = ek.type;
  PAW_TRY(blob.public_tpm2b, detail::marshal(*pub, Tss2_MU_TPM2B_PUBLIC_Marshal, "marshal AK public"));
  PAW_TRY(blob.private_tpm2b, detail::marshal(*priv, Tss2_MU_TPM2B_PRIVATE_Marshal, "marshal AK private"));
  return blob;
}

namespace detail {
// load_ak_rc is load_ak that also reports the TPM's return code (ensure_ak
// tells a stale blob from a broken TPM with it).
Result<Ak> load_ak_rc(Tpm& tpm, const Ek& ek, const AkBlob& blob, TSS2_RC& rc) {
  rc = TSS2_RC_SUCCESS;
  PAW_TRY(const TPM2B_PUBLIC pub, unmarshal<TPM2B_PUBLIC>(blob.public_tpm2b, Tss2_MU_TPM2B_PUBLIC_Unmarshal,
                                                          "stored AK public"));
  PAW_TRY(const TPM2B_PRIVATE priv, unmarshal<TPM2B_PRIVATE>(blob.private_tpm2b, Tss2_MU_TPM2B_PRIVATE_Unmarshal,
                                                             "stored AK private"));
  ESYS_TR handle = ESYS_TR_NONE;
  for (int attempt = 0; attempt <= kTpmRetries; ++attempt) {
    PAW_TRY(TpmObject session, start_ek_session(tpm, ek.type));
    rc = Esys_Load(tpm.esys(), ek.handle.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &handle);
    if (!is_retryable(rc)) break;
  }
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_Load(AK)", rc);
  Ak ak;
  ak.alg = blob.alg;
  ak.handle = TpmObject(tpm.esys(), handle);
  ak.public_tpm2b = blob.public_tpm2b;
  PAW_TRY(ak.name, tr_name(tpm.esys(), handle));
  return ak;
}
}  // namespace detail

Result<Ak> load_ak(Tpm& tpm, const Ek& ek, const AkBlob& blob) {
  TSS2_RC rc = TSS2_RC_SUCCESS;
  return detail::load_ak_rc(tpm, ek, blob, rc);
}

Result<std::string> ak_public_pem(ByteView public_tpm2b) {
  PAW_TRY(const TpmPublic pub, parse_public(public_tpm2b));
  PAW_TRY(const EvpPkeyPtr key, to_evp_pkey(pub));
  UniquePtr<BIO, BIO_free_all> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1)
    return make_error(Errc::internal, "PEM_write_bio_PUBKEY failed");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return make_error(Errc::internal, "empty PEM");
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace paw::platform
