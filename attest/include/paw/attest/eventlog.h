// paw/attest/eventlog.h — the TCG PC Client (UEFI) event log: parse, check,
// replay, compare with quoted PCRs.
//
// Format: TCG PC Client Platform Firmware Profile (PFP) 1.05, 10.2 (TCG_PCR_EVENT,
// legacy SHA-1) and 10.2.2 (TCG_PCR_EVENT2, crypto agile). Linux exposes it as
// /sys/kernel/security/tpm0/binary_bios_measurements. All integers little-endian.
//
// Zero-copy: an EventLog holds ByteViews into the caller's buffer. The buffer
// passed to parse_event_log MUST outlive the EventLog and every Event/ByteView
// taken from it. Parsing allocates two vectors per log (events, digests), never
// per event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"
#include "paw/attest/limits.h"  // kMaxEventLogSize
#include "paw/attest/pcr.h"

namespace paw {

// Event types (PFP 1.05, 10.4.1 Table 9, and 10.4.2 for EFI types).
namespace ev {
inline constexpr std::uint32_t kPrebootCert = 0x00000000;
inline constexpr std::uint32_t kPostCode = 0x00000001;
inline constexpr std::uint32_t kNoAction = 0x00000003;
inline constexpr std::uint32_t kSeparator = 0x00000004;
inline constexpr std::uint32_t kAction = 0x00000005;
inline constexpr std::uint32_t kEventTag = 0x00000006;
inline constexpr std::uint32_t kSCrtmContents = 0x00000007;
inline constexpr std::uint32_t kSCrtmVersion = 0x00000008;
inline constexpr std::uint32_t kCpuMicrocode = 0x00000009;
inline constexpr std::uint32_t kPlatformConfigFlags = 0x0000000A;
inline constexpr std::uint32_t kTableOfDevices = 0x0000000B;
inline constexpr std::uint32_t kCompactHash = 0x0000000C;
inline constexpr std::uint32_t kIpl = 0x0000000D;
inline constexpr std::uint32_t kIplPartitionData = 0x0000000E;
inline constexpr std::uint32_t kNonhostCode = 0x0000000F;
inline constexpr std::uint32_t kNonhostConfig = 0x00000010;
inline constexpr std::uint32_t kNonhostInfo = 0x00000011;
inline constexpr std::uint32_t kOmitBootDeviceEvents = 0x00000012;
inline constexpr std::uint32_t kEfiEventBase = 0x80000000;
inline constexpr std::uint32_t kEfiVariableDriverConfig = 0x80000001;
inline constexpr std::uint32_t kEfiVariableBoot = 0x80000002;
inline constexpr std::uint32_t kEfiBootServicesApplication = 0x80000003;
inline constexpr std::uint32_t kEfiBootServicesDriver = 0x80000004;
inline constexpr std::uint32_t kEfiRuntimeServicesDriver = 0x80000005;
inline constexpr std::uint32_t kEfiGptEvent = 0x80000006;
inline constexpr std::uint32_t kEfiAction = 0x80000007;
inline constexpr std::uint32_t kEfiPlatformFirmwareBlob = 0x80000008;
inline constexpr std::uint32_t kEfiHandoffTables = 0x80000009;
inline constexpr std::uint32_t kEfiPlatformFirmwareBlob2 = 0x8000000A;
inline constexpr std::uint32_t kEfiHandoffTables2 = 0x8000000B;
inline constexpr std::uint32_t kEfiVariableBoot2 = 0x8000000C;
inline constexpr std::uint32_t kEfiHcrtmEvent = 0x80000010;
inline constexpr std::uint32_t kEfiVariableAuthority = 0x800000E0;
inline constexpr std::uint32_t kEfiSpdmFirmwareBlob = 0x800000E1;
inline constexpr std::uint32_t kEfiSpdmFirmwareConfig = 0x800000E2;
}  // namespace ev

// event_type_name returns "EV_SEPARATOR", "EV_EFI_ACTION", … or "EV_UNKNOWN_0x…".
std::string event_type_name(std::uint32_t type);

// kNoPcr is the PCR index real laptops put on trailing EV_NO_ACTION events; it
// names no PCR and is never replayed.
inline constexpr std::uint32_t kNoPcr = 0xFFFFFFFF;

// EventDigest is one digest of an event: the raw TPM_ALG_ID (the log may name
// algorithms paw cannot hash) and a view of the digest bytes.
struct EventDigest {
  std::uint16_t alg_id = 0;
  ByteView value;
  // alg returns the HashAlg for alg_id, nullopt for algorithms paw does not know.
  [[nodiscard]] std::optional<HashAlg> alg() const noexcept { return hash_from_id(alg_id); }
};

// Event is one log entry. |data| views the caller's buffer.
struct Event {
  std::size_t index = 0;    // 0-based position in the log (the Spec ID header is event 0)
  std::size_t offset = 0;   // byte offset of the event's first byte in the log
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  std::uint32_t first_digest = 0;  // into EventLog::digests()
  std::uint32_t digest_count = 0;
  ByteView data;
};

// SpecIdAlgorithm is one row of the Spec ID event's algorithm table.
struct SpecIdAlgorithm {
  std::uint16_t alg_id = 0;
  std::uint16_t digest_size = 0;
};

// EventLog is a parsed log (see the lifetime rule at the top of this file).
class EventLog {
 public:
  // crypto_agile is true for logs that start with a "Spec ID Event03" header.
  [[nodiscard]] bool crypto_agile() const noexcept { return crypto_agile_; }
  // algorithms lists the Spec ID table (legacy logs: just SHA-1/20).
  [[nodiscard]] const std::vector<SpecIdAlgorithm>& algorithms() const noexcept { return algorithms_; }
  // banks lists the algorithms of the table that paw can hash, in table order.
  [[nodiscard]] std::vector<HashAlg> banks() const;
  [[nodiscard]] const std::vector<Event>& events() const noexcept { return events_; }
  [[nodiscard]] ByteView vendor_info() const noexcept { return vendor_info_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // digests returns the digests of |e| in log order.
  [[nodiscard]] std::span<const EventDigest> digests(const Event& e) const noexcept {
    return std::span<const EventDigest>(digests_).subspan(e.first_digest, e.digest_count);
  }
  // digest returns the digest of |e| for |alg|, or an empty view when absent.
  [[nodiscard]] ByteView digest(const Event& e, HashAlg alg) const noexcept;

 private:
  friend Result<EventLog> parse_event_log(ByteView);
  bool crypto_agile_ = false;
  std::vector<SpecIdAlgorithm> algorithms_;
  std::vector<Event> events_;
  std::vector<EventDigest> digests_;
  ByteView vendor_info_;
  std::size_t size_ = 0;
};

// kMaxEventDataSize bounds one event's data (kMaxEventLogSize, the whole log, is in
// limits.h); a dbx or firmware blob is well under 1 MiB.
inline constexpr std::size_t kMaxEventDataSize = 1u << 20;

// parse_event_log parses a whole binary log, crypto-agile or legacy SHA-1,
// to its last byte. Fails with Errc::too_large (input over kMaxEventLogSize,
// an event over kMaxEventDataSize), Errc::eventlog_malformed (empty log, short
// event, bad Spec ID header, digest list that disagrees with the header) or
// Errc::trailing_data; every detail names the event index and byte offset.
Result<EventLog> parse_event_log(ByteView log);
// A temporary buffer would die before the EventLog that views it.
Result<EventLog> parse_event_log(Bytes&& log) = delete;

// DataMismatch is one event whose data does not match its digest in a bank:
// the bytes in the log are not the bytes that were measured, so nothing read
// from them is a fact. The digest itself (and so the replay) is unaffected.
struct DataMismatch {
  std::size_t event = 0;
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  std::string detail;  // "event 24 at offset 15142 (EV_IPL, PCR 8): sha1 digest does not match the event data"
};

// event_data_mismatches lists, for every event whose type says that its data is
// what was hashed (table in docs/eventlog.md and eventlog_check.cpp), the ones
// whose digest in a bank of |banks| (empty: every bank paw can hash) is not
// the hash of the data. Only a quoted, judged bank's digests are pinned by the
// TPM, so the verifier passes those; checking the others proves nothing more.
std::vector<DataMismatch> event_data_mismatches(const EventLog& log, const std::vector<HashAlg>& banks = {});

// check_event_data is the strict form: Errc::eventlog_tampered naming the
// first mismatch ("event 24 at offset 15142 (EV_IPL, PCR 8): sha1 digest does
// not match the event data"). For tools and tests that want a yes or no; the
// verifier uses event_data_mismatches, because a mismatch makes only that
// event's facts unknown (real boot loaders write such events).
Status check_event_data(const EventLog& log, const std::vector<HashAlg>& banks = {});

// BankReplay is one bank of the log's Spec ID table, replayed.
struct BankReplay {
  HashAlg bank = HashAlg::sha256;
  // complete: every measured event (not EV_NO_ACTION, not PCR 0xFFFFFFFF)
  // carries this bank's digest. Real firmware writes incomplete banks (some
  // Dell and Lenovo logs leave SHA-1 out of a dozen events); such a bank
  // cannot be replayed and is reported, never judged.
  bool complete = true;
  std::size_t first_missing = 0;  // index of the first event without this bank's digest
  PcrBank values;                 // complete banks: the PCRs the log covers
};

// replay_event_log_banks extends every event's digest into its PCR, per bank
// of the log paw can hash (SHA-1/256/384/512), in Spec ID order. It does NOT
// check event data:
//  - EV_NO_ACTION is never extended; PCR index 0xFFFFFFFF is skipped;
//  - an EV_NO_ACTION "StartupLocality\0" event on PCR0 sets PCR0's initial value
//    to 0x00…0L (L = locality) (PFP 1.05, 10.4.5.3); one after PCR0 was
//    extended is Errc::eventlog_malformed;
//  - PCR indices ≥ 24 (other than 0xFFFFFFFF) are Errc::eventlog_malformed;
//  - a bank that some extended event has no digest for is marked incomplete.
// |values| holds exactly the PCRs the log covers (extended at least once, or
// PCR0 with a StartupLocality event).
Result<std::vector<BankReplay>> replay_event_log_banks(const EventLog& log);

// replay_event_log is replay_event_log_banks keeping the complete banks only.
Result<PcrValues> replay_event_log(const EventLog& log);

// PcrRef names one PCR of one bank.
struct PcrRef {
  HashAlg bank = HashAlg::sha256;
  std::uint32_t index = 0;
  friend bool operator==(const PcrRef&, const PcrRef&) = default;
};

// PcrJudgement is the verdict for one judged PCR.
struct PcrJudgement {
  PcrRef pcr;
  Bytes expected;  // from the replay (or the reset value for a named PCR the log does not cover)
  Bytes quoted;
  bool agree = false;
  bool replayed = true;  // false: |expected| is the reset value of a PCR the log never extends
};

// PcrComparison is the result of compare_pcrs.
struct PcrComparison {
  std::vector<PcrJudgement> judged;   // bank order, then index
  std::vector<PcrRef> not_quoted;     // covered by the log but not in the quote (not a failure)
  std::vector<PcrRef> named_missing;  // named but absent from a quoted bank (a failure)
  // all_agree is true when every judged PCR agrees and no named PCR is missing.
  [[nodiscard]] bool all_agree() const noexcept;
  // status is ok or Errc::eventlog_replay_mismatch naming every differing PCR.
  [[nodiscard]] Status status() const;
};

// compare_pcrs judges |quoted| against |replayed| (from replay_event_log, plus
// e.g. an IMA PCR10). Judged: every PCR the replay covers in a bank the quote
// has, and every index in |named| (policy's PCRs) in every quoted bank; a named
// PCR the replay does not cover is judged against its reset value (zeros;
// 0xFF… for the DRTM PCRs 17–22) — a firmware log that omits a PCR must leave
// it untouched. PCRs neither covered nor named are not judged.
PcrComparison compare_pcrs(const PcrValues& replayed, const PcrValues& quoted,
                           const std::set<std::uint32_t>& named = {});

// kFirmwareLogPcrs: PCRs 0–9 are extended before the OS runs (PFP 1.05, 3.3.4:
// firmware 0–7, boot loader 8–9), and every such extension goes through the
// TCG2 protocol, which logs it. So a quoted PCR 0–9 the log never extends must
// hold its reset value. PCRs 10–23 are extended after boot too (IMA 10,
// systemd 11/15, applications 16/23) outside this log: they are judged only
// where the log extends them.
inline constexpr std::uint32_t kFirmwareLogPcrs = 10;

// UnjudgedBank is a bank of the log that is not compared with the quote, and why.
struct UnjudgedBank {
  HashAlg bank = HashAlg::sha256;
  std::string why;  // "incomplete: event 12 has no sha1 digest", "not quoted"
};

// EventLogBinding is what bind_event_log proved: which banks were judged, and
// which PCRs the quote binds, so that facts come only from those.
struct EventLogBinding {
  std::vector<HashAlg> judged;         // complete in the log and quoted: every quoted PCR compared
  std::vector<UnjudgedBank> unjudged;  // incomplete, not quoted: reported, never judged
  PcrComparison comparison;            // over the judged banks
  // bound: per judged bank of SHA-256 or stronger, the PCRs compared equal.
  // An event's facts count only if its PCR is bound in some bank.
  std::map<HashAlg, std::set<std::uint32_t>> bound;
  [[nodiscard]] bool pcr_bound(std::uint32_t pcr) const;
  [[nodiscard]] bool pcr_bound(HashAlg bank, std::uint32_t pcr) const;
  // bound_pcrs is the union of |bound| over the banks.
  [[nodiscard]] std::set<std::uint32_t> bound_pcrs() const;
};

// bind_event_log judges a parsed log against quoted PCR values:
//  1. replay every bank (replay_event_log_banks);
//  2. judged banks = complete in the log and present in the quote; at least
//     one of them must be SHA-256 or stronger, else
//     Errc::eventlog_no_complete_bank (a log declaring only a bank the TPM
//     does not quote, or whose banks each lack some event, binds nothing);
//  3. in each judged bank every quoted PCR below kFirmwareLogPcrs, and every
//     quoted PCR the log extends, equals the replay (or the reset value, or
//     PCR0's StartupLocality value, when the log never extends it); else
//     Errc::eventlog_replay_mismatch naming each PCR.
// Errc::eventlog_malformed from the replay.
Result<EventLogBinding> bind_event_log(const EventLog& log, const PcrValues& quoted);

}  // namespace paw
