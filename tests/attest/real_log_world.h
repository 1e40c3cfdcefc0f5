// real_log_world.h — the fixture of the tests that judge policy rules on real
// measurements: one enrolled software workstation whose TPM booted a real
// firmware event log (and, for the IMA rules, holds a real IMA list in PCR 10),
// quoted and appraised under a policy whose PCRs are bound by the quote but
// judged by their events, not pinned. The files that use it differ only in
// what Setup says.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "appraisal_world.h"

namespace paw::test {

// rhel8_log is the log most of these tests boot: RHEL 8 on GCE, Secure Boot
// on, shim + grub (tests/data/go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin).
Bytes rhel8_log();
// from_hex is the bytes of a hex digest a test spells out (throws if it is not hex).
Bytes from_hex(std::string_view hex_text);

struct RealLogWorld : AppraisalWorld {
  // Setup: what differs between the files (designated initializers; every
  // member has a default so -Wmissing-field-initializers stays quiet).
  struct Setup {
    Bytes event_log{};          // the firmware log the TPM boots
    std::string policy_name{};  // empty: the default policy's name
    // judged_pcrs: the sha256 PCRs the policy requires, not pinned on enroll
    // (their events judge them). Empty: the default policy's PCRs, pinned.
    std::set<std::uint32_t> judged_pcrs{};
    std::set<std::uint32_t> unquoted{};  // sha256 PCRs the quote leaves out
    bool quote_firmware_pcrs = true;     // quote every PCR 0-9, as paw-agent does
    std::optional<Bytes> ima_log{};      // installed into PCR 10; the policy requires an IMA log
    // carry_state: each verdict's next state is the one the next attestation
    // is judged against (as the verifier stores it); false: every attestation
    // is judged against the fresh state of enrollment.
    bool carry_state = false;
  };

  // The device is enrolled (its request verified under |policy| as Setup made
  // it; no ActivateCredential) as "dev-0001".
  explicit RealLogWorld(Setup setup);

  // attest answers a fresh challenge and REQUIREs the evidence to be
  // appraised (healthy or not); the clock moves a minute.
  Appraisal attest();

 private:
  bool carry_state_;
};

}  // namespace paw::test
