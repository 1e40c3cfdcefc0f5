// appraisal_internal.h — pieces of the appraisal kept in their own files
// (private to paw_attest). Deliberately free of evidence.h so the event-log
// side can include eventlog.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "paw/attest/boot_events.h"
#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/pcr.h"
#include "paw/attest/sbat.h"
#include "paw/attest/tpm.h"

namespace paw {
class EkTrust;
}  // namespace paw

namespace paw::detail {

// Measurement is one measured event: a name ("db", "SecureBoot", "boot
// application", "EV_POST_CODE") and its SHA-256 digest (empty if the log has none).
struct Measurement {
  std::string name;
  Bytes digest;
};

// EventFact is one fact a boot rule judges, with the event it came from (so
// the reason can name it): an authority (|digest|: SHA-256 of the variable
// value) or a kernel command line (|text|).
struct EventFact {
  std::size_t event = 0;
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  Bytes digest;
  std::string text;
};

// DbxEntries: the firmware's measured dbx (bootfacts.h DbxFact), decoded.
struct DbxEntries {
  std::size_t event = 0;
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  ByteSet sha256;
};

// KeyVariable: one measured PK or KEK (bootfacts.h UefiVariableFact), its
// EFI_SIGNATURE_LISTs decoded.
struct KeyVariable {
  std::size_t event = 0;
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  std::string name;             // "PK" or "KEK"
  std::vector<Bytes> x509;      // SHA-256 fingerprints of its certificates
  std::size_t other = 0;        // entries that are not certificates
};

// SbatLevelEvent: one SbatLevel shim measured into PCR 7 (sbat.h), decoded,
// or why its text does not decode.
struct SbatLevelEvent {
  std::size_t event = 0;
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  std::optional<SbatLevel> level;  // nullopt: |error| says why it does not decode
  std::string error;
};

// BootFacts are what the appraisal learns from a UEFI event log bound to the
// quote: only events in PCRs the quote binds, only data that matches its digest.
struct BootFacts {
  bool log_present = false;
  std::optional<bool> secure_boot;        // EV_EFI_VARIABLE_DRIVER_CONFIG SecureBoot (PCR 7)
  std::string secure_boot_unknown;        // why secure_boot is nullopt ("": the log does not measure it)
  // boot_applications: SHA-256 digests of EV_EFI_BOOT_SERVICES_APPLICATION/DRIVER
  // events; nullopt when PCR 4 is not bound in the SHA-256 bank (then
  // |boot_applications_unknown| says why): an allowlist cannot be judged.
  std::optional<std::vector<EventFact>> boot_applications;  // digest: SHA-256 Authenticode
  std::string boot_applications_unknown;
  // measurements: per PCR index, what the log measured there (name and
  // SHA-256 event digest), for pinning and for reason messages.
  std::map<std::uint32_t, std::vector<Measurement>> measurements;
  std::vector<std::string> unverified;    // events whose data does not match their digest
  // For the "boot" rules (policy.h BootRules), each nullopt when it cannot
  // be judged, and then the *_unknown string says why: PCR 7 (authorities,
  // dbx) or PCR 8 (command lines) not bound, or an event of that kind whose
  // data does not match its digest (what it said is unknown, so a rule over
  // "every authority" or "every command line" cannot pass).
  std::optional<std::vector<EventFact>> authorities;   // PCR 7 EV_EFI_VARIABLE_AUTHORITY, log order
  std::string authorities_unknown;
  std::optional<std::vector<EventFact>> kernel_cmdlines;  // PCR 8 kernel command lines, log order
  std::string kernel_cmdlines_unknown;
  std::optional<DbxEntries> dbx;
  std::string dbx_unknown;
  // secure_boot_keys: every PCR 7 measurement of PK and KEK (EFI global
  // variables), decoded; nullopt when PCR 7 is not bound, a PCR 7 variable's
  // data does not match its digest, or PK/KEK does not decode (then
  // |secure_boot_keys_unknown| says why).
  std::optional<std::vector<KeyVariable>> secure_boot_keys;
  std::string secure_boot_keys_unknown;
  // sbat_levels: every PCR 7 authority event naming shim's SbatLevel, in log
  // order; nullopt when PCR 7 is not bound or a PCR 7 authority event's data
  // does not match its digest (it could be the real SbatLevel), and then
  // |sbat_levels_unknown| says why.
  std::optional<std::vector<SbatLevelEvent>> sbat_levels;
  std::string sbat_levels_unknown;
  BootEvents events;  // every bound event, for the record (policy diff)
};

// check_event_log parses |log|, binds it to the quote (bind_event_log: a
// complete, quoted bank of SHA-256 or stronger; every quoted firmware PCR of
// the judged banks equal to the replay or its reset value) and reads facts
// from the events of bound PCRs only. Errc::eventlog_malformed / trailing_data
// / too_large, eventlog_no_complete_bank, eventlog_replay_mismatch.
Result<BootFacts> check_event_log(ByteView log, const PcrValues& quoted);

// ImaMeasurement is one IMA entry extended into PCR 10: its place in the
// list, the file name (or ima-buf label) and its digest "<alg>:<hex>".
struct ImaMeasurement {
  std::size_t index = 0;   // 0-based entry number in the IMA log
  std::string path;
  std::string digest;
};

// ImaFacts are what the appraisal learns from a verified IMA log.
struct ImaFacts {
  bool present = false;
  std::vector<Bytes> file_digests;   // every measured file's data digest
  std::vector<std::string> file_paths;
  std::size_t violations = 0;        // ToMToU / open-writers entries
  // pcr10: the entries (not violations, not boot_aggregate) whose extends
  // make up the quoted PCR 10. Only these can show that a file WAS measured:
  // an entry for another PCR replays into a value nobody compared.
  std::vector<ImaMeasurement> pcr10;
};

// check_ima_log parses and replays an IMA log and requires it to reach the
// quoted PCR 10 (every quoted bank that has it). Errc::ima_malformed, too_large,
// eventlog_replay_mismatch (also when PCR 10 is not quoted).
Result<ImaFacts> check_ima_log(ByteView log, const PcrValues& quoted);

// EkCheck is the outcome of the EK certificate check.
struct EkCheck {
  Bytes cert_der;   // the certificate without NV padding
};

// check_ek_certificate verifies |cert| (DER, possibly NV-padded) chains to the
// CAs of |trust| at |now| and certifies exactly |ek|.
// Errc::untrusted_chain, cert_invalid, malformed.
Result<EkCheck> check_ek_certificate(ByteView cert, const TpmPublic& ek, const EkTrust& trust, std::int64_t now);

}  // namespace paw::detail
