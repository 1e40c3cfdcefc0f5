// paw/platform/tpm.h — an ESAPI session with one TPM, and the RAII guards for
// everything it hands out.
//
//   PAW_TRY(auto tpm, Tpm::open("swtpm:host=127.0.0.1,port=2321"));
//   PAW_TRY(auto info, tpm_info(tpm));
//   PAW_TRY(auto sel, active_pcr_selection(tpm));
//   PAW_TRY(auto pcrs, read_pcrs(tpm, sel));
//
// Every failure of a TPM command is Errc::tpm_error whose detail names the
// command and carries Tss2_RC_Decode's text. Commands answered with
// TPM_RC_RETRY, TPM_RC_YIELDED or TPM_RC_TESTING are retried (kTpmRetries times).
#pragma once

#include <tss2/tss2_esys.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"
#include "paw/attest/error.h"
#include "paw/attest/pcr.h"
#include "paw/attest/secure.h"
#include "paw/attest/tpm.h"

namespace paw::platform {

// kTpmRetries bounds how often a command answered RETRY/YIELDED/TESTING is resent.
inline constexpr int kTpmRetries = 8;

// tpm_error builds Errc::tpm_error: "<what>: 0x<rc> <Tss2_RC_Decode text>".
Error tpm_error(std::string_view what, TSS2_RC rc);
// is_retryable tells whether |rc| is TPM_RC_RETRY, TPM_RC_YIELDED or TPM_RC_TESTING
// (from the TPM, or forwarded by a resource manager).
bool is_retryable(TSS2_RC rc) noexcept;

namespace detail {
struct TctiFinalize {
  void operator()(TSS2_TCTI_CONTEXT* p) const noexcept;
};
struct EsysFinalize {
  void operator()(ESYS_CONTEXT* p) const noexcept;
};
}  // namespace detail

// Tpm is one open ESAPI context over one TCTI. Move-only; closes the TCTI and
// finalizes ESAPI when destroyed. Not thread-safe: one thread at a time.
class Tpm {
 public:
  // open loads the TCTI named by |tcti| (Tss2_TctiLdr_Initialize) and starts
  // ESAPI. Errc::tpm_error if the TCTI cannot be loaded or the TPM does not answer.
  static Result<Tpm> open(std::string_view tcti);

  [[nodiscard]] ESYS_CONTEXT* esys() const noexcept { return esys_.get(); }
  [[nodiscard]] const std::string& tcti() const noexcept { return tcti_; }

 private:
  Tpm() = default;
  std::string tcti_;
  std::unique_ptr<TSS2_TCTI_CONTEXT, detail::TctiFinalize> tcti_ctx_;
  std::unique_ptr<ESYS_CONTEXT, detail::EsysFinalize> esys_;  // destroyed first (declared last)
};
static_assert(!std::is_copy_constructible_v<Tpm>);

// TpmObject owns one transient ESYS_TR (a loaded key or an auth session) and
// flushes it from the TPM when destroyed. Move-only. The Tpm must outlive it.
class TpmObject {
 public:
  TpmObject() = default;
  TpmObject(ESYS_CONTEXT* esys, ESYS_TR handle) noexcept : esys_(esys), handle_(handle) {}
  TpmObject(TpmObject&& o) noexcept : esys_(o.esys_), handle_(o.release()) {}
  TpmObject& operator=(TpmObject&& o) noexcept;
  TpmObject(const TpmObject&) = delete;
  TpmObject& operator=(const TpmObject&) = delete;
  ~TpmObject() { reset(); }

  [[nodiscard]] ESYS_TR get() const noexcept { return handle_; }
  [[nodiscard]] bool valid() const noexcept { return handle_ != ESYS_TR_NONE; }
  // release gives up ownership (the handle stays loaded) and returns it.
  ESYS_TR release() noexcept;
  // reset flushes the handle now (errors ignored: the TPM may have been reset).
  void reset() noexcept;

 private:
  ESYS_CONTEXT* esys_ = nullptr;
  ESYS_TR handle_ = ESYS_TR_NONE;
};
static_assert(!std::is_copy_constructible_v<TpmObject>);

// TpmInfo is what TPM2_GetCapability says about the TPM (TPM 2.0 Part 2, 6.13 TPM_PT).
struct TpmInfo {
  std::string manufacturer;          // TPM_PT_MANUFACTURER as 4 ASCII chars, e.g. "IBM ", "INTC"
  std::uint32_t manufacturer_id = 0;
  std::string vendor;                // TPM_PT_VENDOR_STRING_1..4 concatenated, trimmed
  std::uint64_t firmware_version = 0;// TPM_PT_FIRMWARE_VERSION_1 << 32 | _2
  std::string family;                // TPM_PT_FAMILY_INDICATOR, "2.0"
  std::uint32_t revision = 0;        // TPM_PT_REVISION (e.g. 164 for 1.64)
  std::uint32_t spec_year = 0;
  std::uint32_t spec_day = 0;
  std::vector<std::string> algorithms;   // supported TPM_ALG_IDs by name ("rsa", "sha256", "0x0029")
  std::vector<HashAlg> active_banks;     // PCR banks with at least one PCR allocated
  std::uint32_t pcr_count = 0;           // TPM_PT_PCR_COUNT
};

// tpm_info queries manufacturer, firmware, vendor strings, algorithms and banks.
Result<TpmInfo> tpm_info(Tpm& tpm);
// tpm_info_json renders |info| as a JSON object (for `paw-agent tpm info`).
std::string tpm_info_json(const TpmInfo& info);

// active_pcr_selection returns PCRs 0..23 of every bank the TPM has allocated
// and paw knows (sha1, sha256, sha384, sha512), in the TPM's order.
Result<PcrSelection> active_pcr_selection(Tpm& tpm);
// read_pcrs reads every PCR of |selection|. TPM2_PCR_Read answers at most 8
// digests at a time; this repeats until all are read and fails (Errc::tpm_error)
// if the TPM changed a PCR in between (pcrUpdateCounter moved) more than
// kTpmRetries times, or returns no progress.
Result<PcrValues> read_pcrs(Tpm& tpm, const PcrSelection& selection);

// extend_pcr extends |digest| into PCR |index| of bank |alg| (TPM2_PCR_Extend,
// platform hierarchy PCR auth, empty password). For tests and the demo.
Status extend_pcr(Tpm& tpm, std::uint32_t index, HashAlg alg, ByteView digest);

// to_tpml_selection / from_tpml_selection convert to the TPM's structure.
Result<TPML_PCR_SELECTION> to_tpml_selection(const PcrSelection& selection);
PcrSelection from_tpml_selection(const TPML_PCR_SELECTION& selection);

}  // namespace paw::platform
