// tpm.cpp — the ESAPI context, transient-handle guard, error decoding.
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <cstdio>

#include "paw/platform/tpm.h"
#include "tpm_internal.h"

namespace paw::platform {

Error tpm_error(std::string_view what, TSS2_RC rc) {
  char code[16];
  std::snprintf(code, sizeof(code), "0x%08x", rc);
  const char* text = Tss2_RC_Decode(rc);
  return make_error(Errc::tpm_error,
                    std::string(what) + ": " + code + " " + (text != nullptr ? text : "unknown"));
}

bool is_retryable(TSS2_RC rc) noexcept {
  const TSS2_RC layer = rc & TSS2_RC_LAYER_MASK;
  if (layer != TSS2_TPM_RC_LAYER && layer != TSS2_RESMGR_TPM_RC_LAYER) return false;
  const TSS2_RC base = rc & ~TSS2_RC_LAYER_MASK;
  // TPM 2.0 Part 2, 6.6.3: warnings (format zero, TPM_RC_WARN 0x900).
  return base == TPM2_RC_RETRY || base == TPM2_RC_YIELDED || base == TPM2_RC_TESTING;
}

namespace detail {
void TctiFinalize::operator()(TSS2_TCTI_CONTEXT* p) const noexcept { Tss2_TctiLdr_Finalize(&p); }
void EsysFinalize::operator()(ESYS_CONTEXT* p) const noexcept { Esys_Finalize(&p); }

Result<Bytes> tr_name(ESYS_CONTEXT* esys, ESYS_TR handle) {
  TPM2B_NAME* raw = nullptr;
  const TSS2_RC rc = Esys_TR_GetName(esys, handle, &raw);
  if (rc != TSS2_RC_SUCCESS) return tpm_error("Esys_TR_GetName", rc);
  EsysPtr<TPM2B_NAME> name(raw);
  return Bytes(name->name, name->name + name->size);
}
}  // namespace detail

Result<Tpm> Tpm::open(std::string_view tcti) {
  Tpm tpm;
  tpm.tcti_ = std::string(tcti);
  TSS2_TCTI_CONTEXT* tctx = nullptr;
  TSS2_RC rc = Tss2_TctiLdr_Initialize(tpm.tcti_.c_str(), &tctx);
  if (rc != TSS2_RC_SUCCESS) return tpm_error("opening TCTI '" + tpm.tcti_ + "'", rc);
  tpm.tcti_ctx_.reset(tctx);
  ESYS_CONTEXT* esys = nullptr;
  rc = Esys_Initialize(&esys, tctx, nullptr);
  if (rc != TSS2_RC_SUCCESS) return tpm_error("Esys_Initialize on '" + tpm.tcti_ + "'", rc);
  tpm.esys_.reset(esys);
  return tpm;
}

TpmObject& TpmObject::operator=(TpmObject&& o) noexcept {
  if (this != &o) {
    reset();
    esys_ = o.esys_;
    handle_ = o.release();
  }
  return *this;
}

ESYS_TR TpmObject::release() noexcept {
  const ESYS_TR h = handle_;
  handle_ = ESYS_TR_NONE;
  return h;
}

void TpmObject::reset() noexcept {
  if (handle_ != ESYS_TR_NONE && esys_ != nullptr) {
    (void)Esys_FlushContext(esys_, handle_);  // failure: nothing to do (TPM reset, already gone)
  }
  handle_ = ESYS_TR_NONE;
}

Status extend_pcr(Tpm& tpm, std::uint32_t index, HashAlg alg, ByteView digest) {
  if (index >= kPcrCount) return make_error(Errc::malformed, "PCR index out of range");
  if (digest.size() != hash_size(alg) || digest.size() > sizeof(TPMU_HA))
    return make_error(Errc::malformed, "digest size does not match the bank");
  TPML_DIGEST_VALUES values{};
  values.count = 1;
  values.digests[0].hashAlg = static_cast<TPMI_ALG_HASH>(alg);
  std::copy(digest.begin(), digest.end(), reinterpret_cast<std::uint8_t*>(&values.digests[0].digest));
  const TSS2_RC rc = detail::call_with_retry([&] {
    return Esys_PCR_Extend(tpm.esys(), static_cast<ESYS_TR>(ESYS_TR_PCR0 + index), ESYS_TR_PASSWORD,
                           ESYS_TR_NONE, ESYS_TR_NONE, &values);
  });
  if (rc != TSS2_RC_SUCCESS) return tpm_error("TPM2_PCR_Extend", rc);
  return ok_status();
}

}  // namespace paw::platform
