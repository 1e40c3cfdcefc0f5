// eventlog.cpp — parsing the TCG PC Client event log (PFP 1.05, 10.2).
#include "paw/attest/eventlog.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "eventlog_internal.h"

namespace paw {
namespace {

// PFP 1.05, 10.4.5.1 TCG_EfiSpecIdEvent: signature "Spec ID Event03\0".
constexpr std::string_view kSpecIdSignature{"Spec ID Event03\0", 16};
// A Spec ID table is short (SHA-1, SHA-256, SHA-384, SHA-512, SM3, …).
constexpr std::uint32_t kMaxAlgorithms = 16;
// TCG_PCR_EVENT's digest is always SHA-1 (PFP 1.05, 10.2.1).
constexpr std::size_t kSha1Size = 20;

Error fail(Errc code, std::size_t index, std::size_t offset, const std::string& what) {
  return make_error(code, eventlog_where(index, offset) + ": " + what);
}

struct Header {
  std::uint32_t pcr = 0;
  std::uint32_t type = 0;
};

// read_data reads the u32 event size and the data, bounded by kMaxEventDataSize.
Status read_data(Reader& r, std::size_t index, std::size_t offset, ByteView& data) {
  std::uint32_t size = 0;
  if (!r.u32le(size)) return fail(Errc::eventlog_malformed, index, offset, "truncated before event size");
  if (size > kMaxEventDataSize && size <= r.remaining()) {
    return fail(Errc::too_large, index, offset, "event data of " + std::to_string(size) + " bytes");
  }
  if (!r.bytes(size, data)) {
    return fail(Errc::eventlog_malformed, index, offset,
                "event size " + std::to_string(size) + " exceeds the " + std::to_string(r.remaining()) +
                    " bytes left");
  }
  return ok_status();
}

// parse_spec_id reads TCG_EfiSpecIdEvent (PFP 1.05, 10.4.5.1) from the first event's data.
Status parse_spec_id(ByteView data, std::vector<SpecIdAlgorithm>& algs, ByteView& vendor) {
  Reader r(data);
  ByteView sig;
  std::uint32_t platform_class = 0, count = 0;
  std::uint8_t minor = 0, major = 0, errata = 0, uintn = 0, vendor_size = 0;
  if (!r.bytes(kSpecIdSignature.size(), sig) || !r.u32le(platform_class) || !r.u8(minor) || !r.u8(major) ||
      !r.u8(errata) || !r.u8(uintn) || !r.u32le(count)) {
    return fail(Errc::eventlog_malformed, 0, 0, "truncated Spec ID header");
  }
  if (major != 2) return fail(Errc::eventlog_malformed, 0, 0, "Spec ID version " + std::to_string(major));
  if (count == 0 || count > kMaxAlgorithms) {
    return fail(Errc::eventlog_malformed, 0, 0, "Spec ID lists " + std::to_string(count) + " algorithms");
  }
  algs.clear();
  for (std::uint32_t i = 0; i < count; ++i) {
    SpecIdAlgorithm a;
    if (!r.u16le(a.alg_id) || !r.u16le(a.digest_size)) {
      return fail(Errc::eventlog_malformed, 0, 0, "truncated Spec ID algorithm table");
    }
    const auto known = hash_from_id(a.alg_id);
    if (a.digest_size == 0 || (known && hash_size(*known) != a.digest_size)) {
      return fail(Errc::eventlog_malformed, 0, 0,
                  "Spec ID gives algorithm " + alg_id_text(a.alg_id) +
                      " digest size " + std::to_string(a.digest_size));
    }
    for (const auto& b : algs) {
      if (b.alg_id == a.alg_id) return fail(Errc::eventlog_malformed, 0, 0, "Spec ID lists an algorithm twice");
    }
    algs.push_back(a);
  }
  if (!r.u8(vendor_size)) return fail(Errc::eventlog_malformed, 0, 0, "truncated Spec ID header");
  if (!r.bytes(vendor_size, vendor)) {
    return fail(Errc::eventlog_malformed, 0, 0,
                "Spec ID vendor info of " + std::to_string(vendor_size) + " bytes runs past the event's " +
                    std::to_string(data.size()) + " bytes of data");
  }
  if (!r.done()) {
    return fail(Errc::trailing_data, 0, 0, std::to_string(r.remaining()) + " bytes after the Spec ID vendor info");
  }
  return ok_status();
}

// SpecIdAlgorithm table lookup: position of |alg_id| or npos.
std::size_t find_alg(const std::vector<SpecIdAlgorithm>& algs, std::uint16_t alg_id) {
  for (std::size_t i = 0; i < algs.size(); ++i) {
    if (algs[i].alg_id == alg_id) return i;
  }
  return static_cast<std::size_t>(-1);
}

// parse_event2 reads one TCG_PCR_EVENT2 (PFP 1.05, 10.2.2). Every event carries
// exactly one digest per algorithm of the Spec ID table.
Status parse_event2(Reader& r, const std::vector<SpecIdAlgorithm>& algs, std::vector<EventDigest>& digests,
                    Event& e) {
  std::uint32_t count = 0;
  if (!r.u32le(e.pcr) || !r.u32le(e.type) || !r.u32le(count)) {
    return fail(Errc::eventlog_malformed, e.index, e.offset, "truncated event header");
  }
  // PFP 1.05 asks for one digest per Spec ID algorithm; a subset is tolerated
  // here (tpm2-tools' synthetic logs) and the replay drops a bank any event lacks.
  if (count == 0 || count > algs.size()) {
    return fail(Errc::eventlog_malformed, e.index, e.offset,
                std::to_string(count) + " digests, the Spec ID header lists " + std::to_string(algs.size()));
  }
  e.first_digest = static_cast<std::uint32_t>(digests.size());
  e.digest_count = count;
  std::uint32_t seen = 0;  // bit per table row: no algorithm twice
  for (std::uint32_t i = 0; i < count; ++i) {
    EventDigest d;
    if (!r.u16le(d.alg_id)) return fail(Errc::eventlog_malformed, e.index, e.offset, "truncated digest list");
    const std::size_t row = find_alg(algs, d.alg_id);
    if (row >= algs.size()) {
      return fail(Errc::eventlog_malformed, e.index, e.offset,
                  "digest algorithm " + alg_id_text(d.alg_id) + " not in the Spec ID header");
    }
    if ((seen >> row) & 1u) {
      return fail(Errc::eventlog_malformed, e.index, e.offset, "digest algorithm " + alg_id_text(d.alg_id) + " twice");
    }
    seen |= 1u << row;
    if (!r.bytes(algs[row].digest_size, d.value)) {
      return fail(Errc::eventlog_malformed, e.index, e.offset, "truncated digest");
    }
    digests.push_back(d);
  }
  return read_data(r, e.index, e.offset, e.data);
}

// parse_event1 reads one TCG_PCR_EVENT (PFP 1.05, 10.2.1): SHA-1 digest only.
Status parse_event1(Reader& r, std::vector<EventDigest>& digests, Event& e) {
  EventDigest d;
  d.alg_id = static_cast<std::uint16_t>(HashAlg::sha1);
  if (!r.u32le(e.pcr) || !r.u32le(e.type) || !r.bytes(kSha1Size, d.value)) {
    return fail(Errc::eventlog_malformed, e.index, e.offset, "truncated event header");
  }
  e.first_digest = static_cast<std::uint32_t>(digests.size());
  e.digest_count = 1;
  digests.push_back(d);
  return read_data(r, e.index, e.offset, e.data);
}

bool is_spec_id(const Event& e) {
  return e.type == ev::kNoAction && e.data.size() >= kSpecIdSignature.size() &&
         std::memcmp(e.data.data(), kSpecIdSignature.data(), kSpecIdSignature.size()) == 0;
}

}  // namespace

std::string eventlog_where(std::size_t index, std::size_t offset) {
  return "event " + std::to_string(index) + " at offset " + std::to_string(offset);
}

std::vector<HashAlg> EventLog::banks() const {
  std::vector<HashAlg> out;
  for (const auto& a : algorithms_) {
    if (auto alg = hash_from_id(a.alg_id); alg && *alg != HashAlg::sm3_256) out.push_back(*alg);
  }
  return out;
}

ByteView EventLog::digest(const Event& e, HashAlg alg) const noexcept {
  for (const auto& d : digests(e)) {
    if (d.alg_id == static_cast<std::uint16_t>(alg)) return d.value;
  }
  return {};
}

Result<EventLog> parse_event_log(ByteView log) {
  if (log.size() > kMaxEventLogSize) {
    return make_error(Errc::too_large, "event log of " + std::to_string(log.size()) + " bytes");
  }
  if (log.empty()) return make_error(Errc::eventlog_malformed, "empty event log");
  EventLog out;
  out.size_ = log.size();
  Reader r(log);
  // The first event is always TCG_PCR_EVENT; a Spec ID header in it makes the rest TCG_PCR_EVENT2.
  Event first;
  PAW_CHECK(parse_event1(r, out.digests_, first));
  if (is_spec_id(first)) {
    if (first.pcr != 0) return fail(Errc::eventlog_malformed, 0, 0, "Spec ID event on PCR " + std::to_string(first.pcr));
    PAW_CHECK(parse_spec_id(first.data, out.algorithms_, out.vendor_info_));
    out.crypto_agile_ = true;
  } else {
    out.algorithms_.push_back({static_cast<std::uint16_t>(HashAlg::sha1), static_cast<std::uint16_t>(kSha1Size)});
  }
  // One reservation per log: the smallest event2 is ~40 bytes with a SHA-1+SHA-256 list.
  const std::size_t estimate = log.size() / 48 + 4;
  out.events_.reserve(estimate);
  out.digests_.reserve(estimate * out.algorithms_.size() + 1);
  out.events_.push_back(first);
  while (!r.done()) {
    Event e;
    e.index = out.events_.size();
    e.offset = r.offset();
    if (out.crypto_agile_) {
      PAW_CHECK(parse_event2(r, out.algorithms_, out.digests_, e));
    } else {
      PAW_CHECK(parse_event1(r, out.digests_, e));
    }
    if (out.crypto_agile_ && is_spec_id(e)) {
      return fail(Errc::eventlog_malformed, e.index, e.offset, "second Spec ID header");
    }
    out.events_.push_back(e);
  }
  return out;
}

std::string alg_id_text(std::uint16_t id) {
  if (auto a = hash_from_id(id)) return std::string(hash_name(*a));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 12; shift >= 0; shift -= 4) s.push_back(kHex[(id >> shift) & 0xF]);
  return s;
}

std::string event_type_name(std::uint32_t type) {
  switch (type) {
    case ev::kPrebootCert: return "EV_PREBOOT_CERT";
    case ev::kPostCode: return "EV_POST_CODE";
    case 0x00000002: return "EV_UNUSED";
    case ev::kNoAction: return "EV_NO_ACTION";
    case ev::kSeparator: return "EV_SEPARATOR";
    case ev::kAction: return "EV_ACTION";
    case ev::kEventTag: return "EV_EVENT_TAG";
    case ev::kSCrtmContents: return "EV_S_CRTM_CONTENTS";
    case ev::kSCrtmVersion: return "EV_S_CRTM_VERSION";
    case ev::kCpuMicrocode: return "EV_CPU_MICROCODE";
    case ev::kPlatformConfigFlags: return "EV_PLATFORM_CONFIG_FLAGS";
    case ev::kTableOfDevices: return "EV_TABLE_OF_DEVICES";
    case ev::kCompactHash: return "EV_COMPACT_HASH";
    case ev::kIpl: return "EV_IPL";
    case ev::kIplPartitionData: return "EV_IPL_PARTITION_DATA";
    case ev::kNonhostCode: return "EV_NONHOST_CODE";
    case ev::kNonhostConfig: return "EV_NONHOST_CONFIG";
    case ev::kNonhostInfo: return "EV_NONHOST_INFO";
    case ev::kOmitBootDeviceEvents: return "EV_OMIT_BOOT_DEVICE_EVENTS";
    case ev::kEfiVariableDriverConfig: return "EV_EFI_VARIABLE_DRIVER_CONFIG";
    case ev::kEfiVariableBoot: return "EV_EFI_VARIABLE_BOOT";
    case ev::kEfiBootServicesApplication: return "EV_EFI_BOOT_SERVICES_APPLICATION";
    case ev::kEfiBootServicesDriver: return "EV_EFI_BOOT_SERVICES_DRIVER";
    case ev::kEfiRuntimeServicesDriver: return "EV_EFI_RUNTIME_SERVICES_DRIVER";
    case ev::kEfiGptEvent: return "EV_EFI_GPT_EVENT";
    case ev::kEfiAction: return "EV_EFI_ACTION";
    case ev::kEfiPlatformFirmwareBlob: return "EV_EFI_PLATFORM_FIRMWARE_BLOB";
    case ev::kEfiHandoffTables: return "EV_EFI_HANDOFF_TABLES";
    case ev::kEfiPlatformFirmwareBlob2: return "EV_EFI_PLATFORM_FIRMWARE_BLOB2";
    case ev::kEfiHandoffTables2: return "EV_EFI_HANDOFF_TABLES2";
    case ev::kEfiVariableBoot2: return "EV_EFI_VARIABLE_BOOT2";
    case ev::kEfiHcrtmEvent: return "EV_EFI_HCRTM_EVENT";
    case ev::kEfiVariableAuthority: return "EV_EFI_VARIABLE_AUTHORITY";
    case ev::kEfiSpdmFirmwareBlob: return "EV_EFI_SPDM_FIRMWARE_BLOB";
    case ev::kEfiSpdmFirmwareConfig: return "EV_EFI_SPDM_FIRMWARE_CONFIG";
    default: break;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "EV_UNKNOWN_0x";
  for (int shift = 28; shift >= 0; shift -= 4) s.push_back(kHex[(type >> shift) & 0xF]);
  return s;
}

}  // namespace paw
