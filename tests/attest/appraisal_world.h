// appraisal_world.h — the fixture the appraisal tests share: the verifier's
// trust (EK CA, FIDO2 CA, policy) and one software workstation it enrolls,
// whose TPM booted an event log; plus the helpers that read a verdict's
// reasons. One place, so every appraisal test file enrolls and attests the
// same way the verifier does (request → verify → ActivateCredential → check;
// challenge → evidence → appraise → next state).
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/appraisal.h"
#include "soft_device.h"
#include "soft_trust.h"

namespace paw::test {

inline constexpr const char* kRp = "paw.example";                       // the FIDO2 relying party
inline constexpr const char* kEnrollToken = "enroll-token-0123456789";  // the admin's enrollment token

// AppraisalWorld: SoftTrust plus the verifier's side of enrolling and
// attesting its one device ("dev-0001").
struct AppraisalWorld : soft::SoftTrust {
  // The TPM boots the synthetic log of soft::BootConfig{} (Secure Boot on, shim + grub).
  AppraisalWorld();
  // The TPM boots |event_log| (replayed into its PCRs; every PCR it extends is quoted).
  explicit AppraisalWorld(Bytes event_log);

  EnrollmentContext ctx() const { return EnrollmentContext{trust.get(), kRp, now, fido_roots.get()}; }
  AppraisalContext actx() const { return AppraisalContext{nonce, kRp, now}; }

  // boot makes |cfg|'s synthetic log the device's: the TPM's PCRs are its
  // replay (the TPM clock does not restart; see SoftTpm::reboot for that).
  void boot(const soft::BootConfig& cfg);
  // boot_with_new_db boots the BootConfig{} boot with a changed Secure Boot
  // db, as a firmware update does: PCR 7 changes, nothing else.
  void boot_with_new_db();

  // quote_firmware_pcrs quotes every sha256 PCR below kFirmwareLogPcrs, as
  // paw-agent does, also those the log never extends.
  void quote_firmware_pcrs();

  // verified_enrollment: the device's enrollment request for kEnrollToken,
  // verified under |policy| (REQUIREd to pass).
  VerifiedEnrollment verified_enrollment(soft::AttestationMode mode = soft::AttestationMode::basic);
  // adopt makes |rec| the device's record, as the service stores it (id "dev-0001"),
  // and tells the device its id.
  void adopt(const DeviceRecord& rec);
  // enroll runs the whole enrollment: request → verify → ActivateCredential →
  // check → adopt, with a fresh device state.
  void enroll();

  Result<Appraisal> appraise_env(const Envelope& env) { return appraise(record, state, env, actx(), policy); }
  // appraise_body seals |b| (the TPM quotes it) and appraises the envelope.
  Result<Appraisal> appraise_body(const EvidenceBody& b);
  // attest answers a fresh challenge and appraises the evidence; on success
  // the state moves on. The clock moves a minute either way.
  Result<Appraisal> attest(std::uint8_t fido_flags = 0x01);
};

// codes lists a verdict's reason codes in order.
std::vector<std::string> codes(const Appraisal& a);
bool has_code(const Appraisal& a, std::string_view code);
// message_of is the message of the first reason with |code| ("" if none).
std::string message_of(const Appraisal& a, std::string_view code);
// messages joins the messages of every reason with |code|, one a line.
std::string messages(const Appraisal& a, std::string_view code);
std::size_t count_of(const Appraisal& a, std::string_view code);
bool contains(const std::string& s, const std::string& part);

}  // namespace paw::test
