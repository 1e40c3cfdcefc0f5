// ek.cpp — EK certificates from NV and EK creation from the profile templates.
#include "paw/platform/ek.h"

#include <algorithm>
#include <cstring>

#include "tpm_internal.h"

namespace paw::platform {
namespace {

// Policy digests of the TCG EK Credential Profile 2.5, 2.6.1 (B.6 in older
// versions). PolicyA = TPM2_PolicySecret(TPM_RH_ENDORSEMENT); PolicyC =
// TPM2_PolicyAuthorizeNV(EK policy NV index); PolicyB = TPM2_PolicyOR(A, C).
constexpr std::uint8_t kPolicyASha256[32] = {
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC, 0x8D, 0x46, 0xA5, 0xD7, 0x24,
    0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52, 0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA};
constexpr std::uint8_t kPolicyASha384[48] = {
    0x8B, 0xBF, 0x22, 0x66, 0x53, 0x7C, 0x17, 0x1C, 0xB5, 0x6E, 0x40, 0x3C, 0x4D, 0xC1, 0xD4, 0xB6,
    0x4F, 0x43, 0x26, 0x11, 0xDC, 0x38, 0x6E, 0x6F, 0x53, 0x20, 0x50, 0xC3, 0x27, 0x8C, 0x93, 0x0E,
    0x14, 0x3E, 0x8B, 0xB1, 0x13, 0x38, 0x24, 0xCC, 0xB4, 0x31, 0x05, 0x38, 0x71, 0xC6, 0xDB, 0x53};
constexpr std::uint8_t kPolicyCSha384[48] = {
    0xD6, 0x03, 0x2C, 0xE6, 0x1F, 0x2F, 0xB3, 0xC2, 0x40, 0xEB, 0x3C, 0xF6, 0xA3, 0x32, 0x37, 0xEF,
    0x2B, 0x6A, 0x16, 0xF4, 0x29, 0x3C, 0x22, 0xB4, 0x55, 0xE2, 0x61, 0xCF, 0xFD, 0x21, 0x7A, 0xD5,
    0xB4, 0x94, 0x7C, 0x2D, 0x73, 0xE6, 0x30, 0x05, 0xEE, 0xD2, 0xDC, 0x2B, 0x35, 0x93, 0xD1, 0x65};
constexpr std::uint8_t kPolicyBSha384[48] = {
    0xB2, 0x6E, 0x7D, 0x28, 0xD1, 0x1A, 0x50, 0xBC, 0x53, 0xD8, 0x82, 0xBC, 0xF5, 0xFD, 0x3A, 0x1A,
    0x07, 0x41, 0x48, 0xBB, 0x35, 0xD3, 0xB4, 0xE4, 0xCB, 0x1C, 0x0A, 0xD9, 0xBD, 0xE4, 0x19, 0xCA,
    0xCB, 0x47, 0xBA, 0x09, 0x69, 0x96, 0x46, 0x15, 0x0F, 0x9F, 0xC0, 0x00, 0xF3, 0xF8, 0x0E, 0x12};

template <std::size_t N>
void set_digest(TPM2B_DIGEST& d, const std::uint8_t (&v)[N]) {
  static_assert(N <= sizeof(d.buffer));
  d.size = N;
  std::memcpy(d.buffer, v, N);
}

// Low-range attributes (L-1, L-2): no userWithAuth — only the policy authorizes use.
constexpr TPMA_OBJECT kAttrsLow = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                  TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
// High-range attributes (H-1..H-7) add userWithAuth.
constexpr TPMA_OBJECT kAttrsHigh = kAttrsLow | TPMA_OBJECT_USERWITHAUTH;

// NvHandle is an ESYS_TR for an NV index: closed (not flushed) when done.
struct NvHandle {
  ESYS_CONTEXT* esys = nullptr;
  ESYS_TR tr = ESYS_TR_NONE;
  NvHandle(ESYS_CONTEXT* e, ESYS_TR t) : esys(e), tr(t) {}
  NvHandle(const NvHandle&) = delete;
  NvHandle& operator=(const NvHandle&) = delete;
  ~NvHandle() {
    if (tr != ESYS_TR_NONE) (void)Esys_TR_Close(esys, &tr);
  }
};

Result<bool> nv_index_defined(Tpm& tpm, std::uint32_t index) {
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TPMI_YES_NO more = TPM2_NO;
  const TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_GetCapability(tpm.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES, index, 1,
                              &more, &raw);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_GetCapability(HANDLES)", rc);
  detail::EsysPtr<TPMS_CAPABILITY_DATA> cap(raw);
  return cap->data.handles.count >= 1 && cap->data.handles.handle[0] == index;
}

Result<UINT32> nv_buffer_max(Tpm& tpm) {
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TPMI_YES_NO more = TPM2_NO;
  const TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_GetCapability(tpm.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
                              TPM2_PT_NV_BUFFER_MAX, 1, &more, &raw);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_GetCapability(NV_BUFFER_MAX)", rc);
  detail::EsysPtr<TPMS_CAPABILITY_DATA> cap(raw);
  const auto& p = cap->data.tpmProperties;
  if (p.count >= 1 && p.tpmProperty[0].property == TPM2_PT_NV_BUFFER_MAX && p.tpmProperty[0].value > 0)
    return std::min<UINT32>(p.tpmProperty[0].value, sizeof(TPM2B_MAX_NV_BUFFER::buffer));
  return UINT32{512};  // conservative default (PC Client PTP minimum)
}

std::optional<EkType> type_for_index(std::uint32_t index) {
  switch (index) {
    case kEkCertRsa2048: return EkType::rsa2048;
    case kEkCertEccP256: return EkType::ecc_p256;
    case kEkCertHighEccP384: return EkType::ecc_p384;
    default: return std::nullopt;
  }
}

}  // namespace

std::string_view ek_type_name(EkType t) noexcept {
  switch (t) {
    case EkType::rsa2048: return "rsa2048";
    case EkType::ecc_p256: return "ecc-p256";
    case EkType::ecc_p384: return "ecc-p384";
  }
  return "?";
}

std::optional<EkType> ek_type_from_name(std::string_view name) noexcept {
  for (const EkType t : {EkType::rsa2048, EkType::ecc_p256, EkType::ecc_p384})
    if (ek_type_name(t) == name) return t;
  return std::nullopt;
}

std::uint32_t ek_cert_index(EkType t) noexcept {
  switch (t) {
    case EkType::rsa2048: return kEkCertRsa2048;
    case EkType::ecc_p256: return kEkCertEccP256;
    case EkType::ecc_p384: return kEkCertHighEccP384;
  }
  return 0;
}

Result<std::optional<EkCert>> read_ek_cert(Tpm& tpm, std::uint32_t nv_index) {
  PAW_TRY(const bool defined, nv_index_defined(tpm, nv_index));
  if (!defined) return std::optional<EkCert>{};
  ESYS_TR tr = ESYS_TR_NONE;
  TSS2_RC rc = Esys_TR_FromTPMPublic(tpm.esys(), nv_index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
  if (rc != TSS2_RC_SUCCESS) return tpm_error("Esys_TR_FromTPMPublic(NV)", rc);
  NvHandle nv(tpm.esys(), tr);
  TPM2B_NV_PUBLIC* pub_raw = nullptr;
  rc = detail::call_with_retry(
      [&] { return Esys_NV_ReadPublic(tpm.esys(), tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub_raw, nullptr); });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_NV_ReadPublic", rc);
  detail::EsysPtr<TPM2B_NV_PUBLIC> pub(pub_raw);
  const UINT16 size = pub->nvPublic.dataSize;
  PAW_TRY(const UINT32 chunk, nv_buffer_max(tpm));
  EkCert cert;
  cert.nv_index = nv_index;
  cert.type = type_for_index(nv_index);
  while (cert.stored.size() < size) {
    const auto off = static_cast<UINT16>(cert.stored.size());
    const auto n = static_cast<UINT16>(std::min<UINT32>(chunk, size - off));
    TPM2B_MAX_NV_BUFFER* data_raw = nullptr;
    // EK certificate indices are readable with the index's own (empty) auth (EK profile 2.2.1.3).
    rc = detail::call_with_retry([&] {
      return Esys_NV_Read(tpm.esys(), tr, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, n, off, &data_raw);
    });
    if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_NV_Read", rc);
    detail::EsysPtr<TPM2B_MAX_NV_BUFFER> data(data_raw);
    if (data->size == 0 || data->size > n) return make_error(Errc::tpm_error, "TPM2_NV_Read answered a bad size");
    cert.stored.insert(cert.stored.end(), data->buffer, data->buffer + data->size);
  }
  PAW_TRY(const std::size_t der_size, der_length(cert.stored));
  cert.der.assign(cert.stored.begin(), cert.stored.begin() + static_cast<std::ptrdiff_t>(der_size));
  return std::optional<EkCert>(std::move(cert));
}

Result<std::vector<EkCert>> read_ek_certs(Tpm& tpm) {
  std::vector<EkCert> out;
  for (const std::uint32_t index : kEkCertIndices) {
    PAW_TRY(auto cert, read_ek_cert(tpm, index));
    if (cert) out.push_back(std::move(*cert));
  }
  return out;
}

TPM2B_PUBLIC ek_template(EkType t) {
  TPM2B_PUBLIC tpl{};
  TPMT_PUBLIC& p = tpl.publicArea;
  switch (t) {
    case EkType::rsa2048:  // Template L-1
      p.type = TPM2_ALG_RSA;
      p.nameAlg = TPM2_ALG_SHA256;
      p.objectAttributes = kAttrsLow;
      set_digest(p.authPolicy, kPolicyASha256);
      p.parameters.rsaDetail.symmetric = {TPM2_ALG_AES, {.aes = 128}, {.aes = TPM2_ALG_CFB}};
      p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
      p.parameters.rsaDetail.keyBits = 2048;
      p.parameters.rsaDetail.exponent = 0;
      p.unique.rsa.size = 256;  // zeros
      break;
    case EkType::ecc_p256:  // Template L-2
      p.type = TPM2_ALG_ECC;
      p.nameAlg = TPM2_ALG_SHA256;
      p.objectAttributes = kAttrsLow;
      set_digest(p.authPolicy, kPolicyASha256);
      p.parameters.eccDetail.symmetric = {TPM2_ALG_AES, {.aes = 128}, {.aes = TPM2_ALG_CFB}};
      p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
      p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
      p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
      p.unique.ecc.x.size = 32;  // zeros
      p.unique.ecc.y.size = 32;
      break;
    case EkType::ecc_p384:  // Template H-3
      p.type = TPM2_ALG_ECC;
      p.nameAlg = TPM2_ALG_SHA384;
      p.objectAttributes = kAttrsHigh;
      set_digest(p.authPolicy, kPolicyBSha384);
      p.parameters.eccDetail.symmetric = {TPM2_ALG_AES, {.aes = 256}, {.aes = TPM2_ALG_CFB}};
      p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
      p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
      p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
      // unique stays empty in the high range (EK profile 2.2.1.5.2)
      break;
  }
  return tpl;
}

Result<Ek> create_ek(Tpm& tpm, EkType t) {
  const TPM2B_PUBLIC in_public = ek_template(t);
  const TPM2B_SENSITIVE_CREATE in_sensitive{};
  const TPM2B_DATA outside{};
  const TPML_PCR_SELECTION creation_pcr{};
  ESYS_TR handle = ESYS_TR_NONE;
  TPM2B_PUBLIC* out_raw = nullptr;
  const TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_CreatePrimary(tpm.esys(), ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                              &in_sensitive, &in_public, &outside, &creation_pcr, &handle, &out_raw, nullptr,
                              nullptr, nullptr);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_CreatePrimary(EK " + std::string(ek_type_name(t)) + ")", rc);
  Ek ek;
  ek.type = t;
  ek.handle = TpmObject(tpm.esys(), handle);
  detail::EsysPtr<TPM2B_PUBLIC> out(out_raw);
  PAW_TRY(ek.public_tpm2b, detail::marshal(*out, Tss2_MU_TPM2B_PUBLIC_Marshal, "marshal EK public"));
  PAW_TRY(ek.name, detail::tr_name(tpm.esys(), handle));
  return ek;
}

Result<TpmObject> start_ek_session(Tpm& tpm, EkType t) {
  const TPMT_SYM_DEF sym{TPM2_ALG_NULL, {}, {}};
  const TPMI_ALG_HASH hash = t == EkType::ecc_p384 ? TPM2_ALG_SHA384 : TPM2_ALG_SHA256;  // the EK's nameAlg
  ESYS_TR session = ESYS_TR_NONE;
  TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_StartAuthSession(tpm.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                 nullptr, TPM2_SE_POLICY, &sym, hash, &session);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_StartAuthSession(policy)", rc);
  TpmObject guard(tpm.esys(), session);
  rc = Esys_TRSess_SetAttributes(tpm.esys(), session, TPMA_SESSION_CONTINUESESSION, 0xff);
  if (rc != TSS2_RC_SUCCESS) return tpm_error("Esys_TRSess_SetAttributes", rc);
  const TPM2B_NONCE nonce_tpm{};
  const TPM2B_DIGEST cp_hash{};
  const TPM2B_NONCE policy_ref{};
  rc = detail::call_with_retry([&] {
    return Esys_PolicySecret(tpm.esys(), ESYS_TR_RH_ENDORSEMENT, session, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                             ESYS_TR_NONE, &nonce_tpm, &cp_hash, &policy_ref, 0, nullptr, nullptr);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_PolicySecret(endorsement)", rc);
  if (t == EkType::ecc_p384) {
    TPML_DIGEST branches{};
    branches.count = 2;
    set_digest(branches.digests[0], kPolicyASha384);
    set_digest(branches.digests[1], kPolicyCSha384);
    rc = detail::call_with_retry([&] {
      return Esys_PolicyOR(tpm.esys(), session, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &branches);
    });
    if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_PolicyOR(EK policy B)", rc);
  }
  return guard;
}

}  // namespace paw::platform
