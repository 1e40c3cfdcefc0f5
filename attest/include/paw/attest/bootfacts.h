// paw/attest/bootfacts.h — what a UEFI event log proves about a boot, for policy.
//
// Only what a digest proves is a fact: every item here comes from an event
// whose data matches its digests (SecureBoot and the key databases,
// separators, EFI actions, PCR8 boot-loader strings), or is a digest itself
// (boot applications). Device paths and PCR9 file names are NOT covered by
// any digest; they are labels for people, never for policy. An event whose
// data does not match is listed in |unverified| and gives no fact. Given a
// FactScope from bind_event_log, only events in PCRs the quote binds count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "paw/attest/eventlog.h"

namespace paw {

// UefiVariableFact is one measured UEFI variable (EV_EFI_VARIABLE_DRIVER_CONFIG,
// EV_EFI_VARIABLE_AUTHORITY, EV_EFI_VARIABLE_BOOT).
struct UefiVariableFact {
  std::size_t event = 0;
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  std::string guid;  // "8be4df61-93ca-11d2-aa0d-00e098032b8c"
  std::string name;  // "SecureBoot", "PK", "KEK", "db", "dbx", …
  Bytes value;       // VariableData (copied)
  Bytes sha256;      // SHA-256 of |value| (an identity for policy to pin)
};

// BootApplicationFact is one EV_EFI_BOOT_SERVICES_APPLICATION (or _DRIVER) load.
struct BootApplicationFact {
  std::size_t event = 0;
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  std::map<HashAlg, Bytes> digests;  // Authenticode digests, per bank of the log
  std::string device_path;           // text form; NOT covered by the digest
};

// SeparatorFact is one EV_SEPARATOR; error is true for anything but 0x00000000
// (0xFFFFFFFF / 0x00000001 mean the firmware hit an error, PFP 1.05, 3.3.2.2).
struct SeparatorFact {
  std::size_t event = 0;
  std::uint32_t pcr = 0;
  bool error = false;
};

// BootStringFact is a verified string: an EV_EFI_ACTION / EV_ACTION, or a
// boot-loader EV_IPL on PCR8 (grub commands, kernel command lines, systemd-boot
// load options).
struct BootStringFact {
  std::size_t event = 0;
  std::uint32_t pcr = 0;
  std::string text;
};

// LoadedFileFact is a PCR9 EV_IPL (grub measuring a file it loads): the digest
// is of the file; the name in the event data is not proven.
struct LoadedFileFact {
  std::size_t event = 0;
  std::string name;
  std::map<HashAlg, Bytes> digests;
};

// UnverifiedEvent is an event whose data does not match its digest: what its
// data says is unknown (the digest still counts in the replay).
struct UnverifiedEvent {
  std::size_t event = 0;
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  std::string detail;
};

// DbxFact is the revocation list the firmware measured: PCR 7's
// EV_EFI_VARIABLE_DRIVER_CONFIG "dbx" (EFI_IMAGE_SECURITY_DATABASE) before
// PCR 7's first separator, its EFI_SIGNATURE_LISTs decoded.
struct DbxFact {
  std::size_t event = 0;
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  ByteSet sha256;          // revoked SHA-256 image digests (EFI_CERT_SHA256_GUID entries)
  std::size_t other = 0;   // entries of other types (certificates, other hashes)
};

struct BootFacts {
  // secure_boot: the SecureBoot variable measured in PCR7 before PCR7's first
  // separator (data 0x01 = on); nullopt when not known, and then
  // |secure_boot_unknown| says why ("" = the log does not measure it: legacy
  // BIOS, some VMs).
  std::optional<bool> secure_boot;
  std::string secure_boot_unknown;
  // secure_boot_variables: every PCR7 EV_EFI_VARIABLE_DRIVER_CONFIG (SecureBoot,
  // PK, KEK, db, dbx, and any others the firmware measures there), in log order.
  std::vector<UefiVariableFact> secure_boot_variables;
  // authorities: PCR7 EV_EFI_VARIABLE_AUTHORITY — the db entries used to verify images.
  std::vector<UefiVariableFact> authorities;
  // boot_variables: EV_EFI_VARIABLE_BOOT(2) (BootOrder, Boot0000, …).
  std::vector<UefiVariableFact> boot_variables;
  std::vector<BootApplicationFact> boot_applications;
  std::vector<SeparatorFact> separators;
  std::vector<BootStringFact> actions;        // EV_EFI_ACTION / EV_ACTION strings
  std::vector<BootStringFact> boot_loader;    // PCR8 EV_IPL strings
  std::vector<std::string> kernel_cmdlines;   // from boot_loader: grub "kernel_cmdline: …", systemd-boot options
  std::vector<BootStringFact> kernel_cmdline_events;  // the same, with the event each came from
  // dbx: nullopt when not known, and then |dbx_unknown| says why (PCR 7 not
  // in scope, the log does not measure dbx before PCR 7's separator, its data
  // does not match its digest or does not decode). A dbx measured after the
  // separator was extended from the OS (root can extend PCR 7) and is ignored.
  std::optional<DbxFact> dbx;
  std::string dbx_unknown;
  std::vector<LoadedFileFact> loaded_files;   // PCR9 EV_IPL
  std::vector<UnverifiedEvent> unverified;    // data does not match a digest: no facts from these
  std::vector<std::size_t> unbound;           // events skipped because the quote does not bind their PCR
  // variable returns the last measured PCR7 driver-config variable |name| (e.g. "dbx"), or nullptr.
  [[nodiscard]] const UefiVariableFact* variable(std::string_view name) const;
  // separator_error is true if any separator reports a firmware error.
  [[nodiscard]] bool separator_error() const;
};

// FactScope says which events may give facts: those whose PCR is in |pcrs|
// (nullopt: every PCR, for a log read without a quote), checked and read in
// the digests of |banks| (empty: every bank of the log). The verifier passes
// the judged banks and the bound PCRs of bind_event_log.
struct FactScope {
  std::vector<HashAlg> banks;
  std::optional<std::set<std::uint32_t>> pcrs;
};

// EfiSignatureEntries are the entries of a sequence of EFI_SIGNATURE_LISTs
// (UEFI 2.9, 32.4.1: the value of db, dbx, KEK, PK).
struct EfiSignatureEntries {
  std::vector<Bytes> sha256;   // EFI_CERT_SHA256_GUID entries: SHA-256 image digests
  std::vector<Bytes> x509;     // EFI_CERT_X509_GUID entries: SHA-256 of each DER certificate (its fingerprint)
  std::size_t other = 0;       // entries of other types (other hashes, RSA-2048 keys)
};
// parse_efi_signature_lists decodes |data| to its last byte, every length
// checked against what is left (a list shorter than its header, a
// SignatureSize of 16 bytes or less or not dividing the list, a SHA-256 entry
// that is not 16 + 32 bytes). Errc::eventlog_malformed naming the list and byte.
Result<EfiSignatureEntries> parse_efi_signature_lists(ByteView data);

// extract_boot_facts decodes the facts of the events in |scope|. An event
// whose data does not match its digest (event_data_mismatches over
// scope.banks) is listed in |unverified| and gives no fact. Errc::eventlog_malformed
// for a verified event whose data does not decode (a SecureBoot variable that
// is not one byte, a UEFI_VARIABLE_DATA whose lengths run past the event).
// The facts own their bytes: they may outlive the log's buffer.
Result<BootFacts> extract_boot_facts(const EventLog& log, const FactScope& scope = {});

}  // namespace paw
