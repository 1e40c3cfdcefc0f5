// paw/attest/boot_events.h — the events of a verified boot, kept so that two
// boots can be compared event by event (`pawctl policy diff`).
//
// A reference set says what PCR values a healthy device has; when a device
// differs, the PCR values alone say only "PCR 7 differs". The events behind
// them say which boot application, Secure Boot variable, signing authority,
// kernel command line or firmware blob changed. The verifier keeps the events
// of each device's last verified attestation and of the attestation each
// reference set was captured from, and diffs the two.
//
// Only events the quote binds are kept: events of PCRs the binding compared
// with the quote, with their digest in a judged bank (a bank the TPM quoted
// and the log replays completely). The subject (a variable name, a command
// line, a device path) is a label for people: for event types whose data is
// hashed it is proven when |data_verified|; a device path or a PCR 9 file name
// is never covered by the digest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"
#include "paw/attest/eventlog.h"
#include "paw/attest/json.h"

namespace paw {

// kMaxBootEvents bounds the events kept per boot (real logs have 40 … 300;
// a log with more keeps its first kMaxBootEvents bound events and says so).
inline constexpr std::size_t kMaxBootEvents = 1024;
// kMaxBootEventSubject bounds a subject's length (bytes of UTF-8).
inline constexpr std::size_t kMaxBootEventSubject = 256;

// BootEvent is one bound event.
struct BootEvent {
  std::uint32_t pcr = 0;
  std::uint32_t index = 0;      // the event's 0-based position in the log
  std::uint32_t type = 0;       // EV_* (eventlog.h, namespace ev)
  std::string subject;          // what it measured, printable, at most kMaxBootEventSubject
  HashAlg alg = HashAlg::sha256;  // the judged bank |digest| is from
  Bytes digest;                 // what the TPM extended
  bool data_verified = true;    // false: the data (and so |subject|) does not match the digest
  bool operator==(const BootEvent&) const = default;
};

// BootEvents is a boot's bound events in log order.
struct BootEvents {
  std::vector<BootEvent> events;
  bool truncated = false;  // more than kMaxBootEvents were bound; the rest are not kept
  bool operator==(const BootEvents&) const = default;
};

// boot_events lists the events of |log| whose PCR |binding| bound, each with
// its digest in the strongest judged bank that binds that PCR. Never fails:
// an event whose data does not decode gets its type name as subject.
BootEvents boot_events(const EventLog& log, const EventLogBinding& binding);

// JSON: {"truncated": bool, "events": [{"pcr", "index", "type": "EV_…",
// "type_id", "subject", "alg", "digest": hex, "data_verified"}]}. The reader
// is strict (unknown keys, sizes, counts, a digest of the wrong size refused:
// Errc::malformed).
json::ObjectPtr boot_events_to_json(const BootEvents& e);
json::ObjectPtr boot_event_to_json(const BootEvent& e);  // one element of "events"
Result<BootEvents> boot_events_from_json(const json::ObjectPtr& o);

// BootEventChange is one difference between a reference boot and a device's.
struct BootEventChange {
  enum class Kind { changed, added, removed };
  Kind kind = Kind::changed;
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
  std::string key;                  // what was compared ("db", "boot application 2", "EV_IPL")
  std::optional<BootEvent> reference;  // absent for added
  std::optional<BootEvent> device;     // absent for removed
};

// diff_boot_events compares two boots PCR by PCR. Within a PCR, events are
// grouped by type and, for UEFI variables, by variable name ("db", "PK",
// "Boot0001"); in a group, events with equal digests are matched first (an
// inserted grub command shifts nothing), the rest are paired in log order
// as changed, and what is left over is added (device only) or removed
// (reference only). Events are compared only in a bank both boots have;
// with none in common every event differs. The result is ordered by PCR,
// then by the event's position in the device's (else the reference's) log.
std::vector<BootEventChange> diff_boot_events(const BootEvents& reference, const BootEvents& device);

// boot_event_change_kind_name: "changed", "added", "removed".
std::string_view boot_event_change_kind_name(BootEventChange::Kind k);

// boot_event_changes_to_json: [{"change", "pcr", "type", "key",
// "reference": event JSON or absent, "device": event JSON or absent}].
json::ArrayPtr boot_event_changes_to_json(const std::vector<BootEventChange>& changes);

}  // namespace paw
