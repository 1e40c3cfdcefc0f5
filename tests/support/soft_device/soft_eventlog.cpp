// soft_eventlog.cpp — synthetic UEFI event logs (TCG PC Client PFP 1.05, 10.2)
// with real structure: what firmware writes for a Secure Boot machine.
#include "paw/attest/digest.h"
#include "soft_device.h"

namespace paw::soft {
namespace {

// Event types (PFP 1.05, 10.4.1 Table 9).
constexpr std::uint32_t kEvNoAction = 0x3;
constexpr std::uint32_t kEvSeparator = 0x4;
constexpr std::uint32_t kEvSCrtmVersion = 0x8;
constexpr std::uint32_t kEvEfiVariableDriverConfig = 0x80000001;
constexpr std::uint32_t kEvEfiBootServicesApplication = 0x80000003;

// EFI_GLOBAL_VARIABLE and EFI_IMAGE_SECURITY_DATABASE_GUID, as stored (mixed endian).
constexpr std::uint8_t kGlobalVariable[16] = {0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
                                              0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c};
constexpr std::uint8_t kImageSecurityDb[16] = {0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45,
                                               0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f};

void u16le(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void u32le(Bytes& b, std::uint32_t v) {
  for (int s = 0; s < 32; s += 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}
void u64le(Bytes& b, std::uint64_t v) {
  for (int s = 0; s < 64; s += 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}
void append(Bytes& b, ByteView v) { b.insert(b.end(), v.begin(), v.end()); }

Bytes utf16(std::string_view s, bool nul) {
  Bytes out;
  for (char c : s) u16le(out, static_cast<std::uint16_t>(static_cast<unsigned char>(c)));
  if (nul) u16le(out, 0);
  return out;
}

// spec_id_header is the first event, TCG_PCR_EVENT with a TCG_EfiSpecIdEvent (10.4.5.1).
Bytes spec_id_header() {
  Bytes ev;
  append(ev, as_bytes(std::string_view("Spec ID Event03\0", 16)));
  u32le(ev, 0);    // platformClass: client
  ev.push_back(0); // specVersionMinor
  ev.push_back(2); // specVersionMajor
  ev.push_back(0); // specErrata
  ev.push_back(2); // uintnSize: UINT64
  u32le(ev, 1);    // numberOfAlgorithms
  u16le(ev, 0x000B);
  u16le(ev, 32);
  ev.push_back(0); // vendorInfoSize
  Bytes out;
  u32le(out, 0);
  u32le(out, kEvNoAction);
  append(out, Bytes(20, 0));
  u32le(out, static_cast<std::uint32_t>(ev.size()));
  append(out, ev);
  return out;
}

// event2 appends a TCG_PCR_EVENT2 (10.2.2) with one SHA-256 digest.
void event2(Bytes& log, std::uint32_t pcr, std::uint32_t type, ByteView digest, ByteView data) {
  u32le(log, pcr);
  u32le(log, type);
  u32le(log, 1);
  u16le(log, 0x000B);
  append(log, digest);
  u32le(log, static_cast<std::uint32_t>(data.size()));
  append(log, data);
}

// variable writes UEFI_VARIABLE_DATA (10.2.3) and measures it whole (10.4.4.2).
void variable(Bytes& log, const std::uint8_t* guid, std::string_view name, ByteView value) {
  Bytes d(guid, guid + 16);
  u64le(d, name.size());
  u64le(d, value.size());
  append(d, utf16(name, false));
  append(d, value);
  event2(log, 7, kEvEfiVariableDriverConfig, sha256(d), d);
}

}  // namespace

Bytes make_event_log(const BootConfig& cfg) {
  Bytes log = spec_id_header();
  const Bytes version = utf16(cfg.firmware_version, true);
  event2(log, 0, kEvSCrtmVersion, sha256(version), version);
  const Bytes sb = {static_cast<std::uint8_t>(cfg.secure_boot ? 1 : 0)};
  variable(log, kGlobalVariable, "SecureBoot", sb);
  variable(log, kGlobalVariable, "PK", cfg.pk);
  variable(log, kGlobalVariable, "KEK", cfg.kek);
  variable(log, kImageSecurityDb, "db", cfg.db);
  variable(log, kImageSecurityDb, "dbx", cfg.dbx);
  const Bytes sep(4, 0);
  for (std::uint32_t pcr = 0; pcr < 8; ++pcr) event2(log, pcr, kEvSeparator, sha256(sep), sep);
  for (const auto& app : cfg.boot_apps) {
    // UEFI_IMAGE_LOAD_EVENT (10.2.4): the digest is the image's Authenticode hash, not of this data.
    Bytes d;
    u64le(d, 0x7e000000);
    u64le(d, 0x100000);
    u64le(d, 0);
    const Bytes end_node = {0x7f, 0xff, 0x04, 0x00};
    u64le(d, end_node.size());
    append(d, end_node);
    event2(log, 4, kEvEfiBootServicesApplication, app, d);
  }
  return log;
}

}  // namespace paw::soft
