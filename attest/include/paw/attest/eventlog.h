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

// check_event_data verifies, for every event whose type says that its data is
// what was hashed (table in docs/eventlog.md and eventlog_check.cpp), that its
// digest in each bank of |banks| (empty: every bank paw can hash) equals the
// hash of the data. Fails with Errc::eventlog_tampered naming the first such
// event ("event 24 at offset 15142 (EV_IPL, PCR 8): sha1 digest does not match
// the event data"). Only a quoted bank's digests are pinned by the TPM, so the
// verifier passes the quoted banks; checking the others proves nothing more.
// The verification pipeline is: parse_event_log → replay_event_log →
// compare_pcrs → check_event_data(quoted banks) → extract_boot_facts.
Status check_event_data(const EventLog& log, const std::vector<HashAlg>& banks = {});

// replay_event_log extends every event's digest into its PCR, per bank of the
// log paw can hash (SHA-1/256/384/512). It does NOT check event data (call
// check_event_data): a log can replay correctly and still be tampered.
//  - EV_NO_ACTION is never extended; PCR index 0xFFFFFFFF is skipped;
//  - an EV_NO_ACTION "StartupLocality\0" event on PCR0 sets PCR0's initial value
//    to 0x00…0L (L = locality) (PFP 1.05, 10.4.5.3); one after PCR0 was
//    extended is Errc::eventlog_malformed;
//  - PCR indices ≥ 24 (other than 0xFFFFFFFF) are Errc::eventlog_malformed;
//  - a bank that some extended event has no digest for is left out.
// The result holds exactly the PCRs the log covers (extended at least once, or
// PCR0 with a StartupLocality event).
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

}  // namespace paw
