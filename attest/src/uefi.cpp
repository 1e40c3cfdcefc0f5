// uefi.cpp — GUIDs, UCS-2/UTF-16 strings, UEFI_VARIABLE_DATA and device paths.
#include "uefi.h"

#include "paw/attest/bootfacts.h"

#include <algorithm>
#include <cstdio>

namespace paw::uefi {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string hexnum(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llX", static_cast<unsigned long long>(v));
  return buf;
}

// node_text renders one device-path node (UEFI 2.9, 10.3); |body| excludes the 4-byte header.
std::string node_text(std::uint8_t type, std::uint8_t sub, ByteView body) {
  Reader r(body);
  std::uint8_t a8 = 0, b8 = 0;
  std::uint16_t a16 = 0, b16 = 0, c16 = 0;
  std::uint32_t a32 = 0, b32 = 0;
  std::uint64_t a64 = 0, b64 = 0;
  ByteView guid;
  if (type == 1 && sub == 1 && r.u8(a8) && r.u8(b8)) return "Pci(" + hexnum(b8) + "," + hexnum(a8) + ")";
  if (type == 2 && sub == 1 && r.u32le(a32) && r.u32le(b32)) {
    // EISA PNP0A03/PNP0A08: the PCI root bridge.
    if (a32 == 0x0A0341D0 || a32 == 0x0A0841D0) return "PciRoot(" + hexnum(b32) + ")";
    return "Acpi(" + hexnum(a32) + "," + hexnum(b32) + ")";
  }
  if (type == 3 && sub == 0x12 && r.u16le(a16) && r.u16le(b16) && r.u16le(c16)) {
    return "Sata(" + hexnum(a16) + "," + hexnum(b16) + "," + hexnum(c16) + ")";
  }
  if (type == 3 && sub == 0x17 && r.u32le(a32)) return "NVMe(" + hexnum(a32) + ")";
  if (type == 3 && sub == 5 && r.u8(a8) && r.u8(b8)) return "USB(" + hexnum(a8) + "," + hexnum(b8) + ")";
  if (type == 3 && sub == 2 && r.u16le(a16) && r.u16le(b16)) return "Scsi(" + hexnum(a16) + "," + hexnum(b16) + ")";
  if (type == 3 && sub == 0x18) return "Uri(" + ascii_text(body) + ")";
  if (type == 4 && sub == 1 && r.u32le(a32) && r.u64le(a64) && r.u64le(b64) && r.bytes(16, guid) && r.u8(a8) &&
      r.u8(b8)) {
    if (b8 == 2) return "HD(" + std::to_string(a32) + ",GPT," + guid_text(guid) + ")";
    return "HD(" + std::to_string(a32) + ",MBR)";
  }
  if (type == 4 && sub == 4) return utf16_text(body);
  if (type == 4 && sub == 6 && r.bytes(16, guid)) return "FvFile(" + guid_text(guid) + ")";
  if (type == 4 && sub == 7 && r.bytes(16, guid)) return "Fv(" + guid_text(guid) + ")";
  if (type == 4 && sub == 3 && r.bytes(16, guid)) return "VenMedia(" + guid_text(guid) + ")";
  if (type == 1 && sub == 4 && r.bytes(16, guid)) return "VenHw(" + guid_text(guid) + ")";
  if (type == 4 && sub == 8 && r.skip(4) && r.u64le(a64) && r.u64le(b64)) {  // reserved u32 first
    return "Offset(" + hexnum(a64) + "," + hexnum(b64) + ")";
  }
  return "Path(" + std::to_string(type) + "," + std::to_string(sub) + ")";
}

}  // namespace

std::string guid_text(ByteView g) {
  if (g.size() != 16) return "invalid-guid";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2],
                g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
  return buf;
}

std::string utf16_text(ByteView s) {
  std::string out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) {
    std::uint32_t cp = static_cast<std::uint32_t>(s[i] | (s[i + 1] << 8));
    if (cp == 0) break;
    if (cp >= 0xD800 && cp < 0xDC00 && i + 3 < s.size()) {
      const std::uint32_t lo = static_cast<std::uint32_t>(s[i + 2] | (s[i + 3] << 8));
      if (lo >= 0xDC00 && lo < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += 2;
      } else {
        cp = 0xFFFD;
      }
    } else if (cp >= 0xD800 && cp < 0xE000) {
      cp = 0xFFFD;
    }
    append_utf8(out, cp);
  }
  return out;
}

std::string ascii_text(ByteView bytes) {
  std::string out;
  for (std::uint8_t b : bytes) {
    if (b == 0) break;
    out.push_back((b >= 0x20 && b < 0x7F) || b == '\n' || b == '\t' ? static_cast<char>(b) : '?');
  }
  return out;
}

bool looks_utf16(ByteView data) {
  if (data.size() < 2 || data.size() % 2 != 0) return false;
  std::size_t zeros = 0;
  for (std::size_t i = 1; i < data.size(); i += 2) zeros += data[i] == 0 ? 1 : 0;
  return zeros * 10 >= (data.size() / 2) * 9 && data[0] != 0;
}

Result<VariableData> parse_variable_data(ByteView data, bool strict) {
  Reader r(data);
  VariableData out;
  std::uint64_t name_len = 0, value_len = 0;
  ByteView name;
  if (!r.bytes(16, out.guid) || !r.u64le(name_len) || !r.u64le(value_len)) {
    return make_error(Errc::eventlog_malformed, "UEFI_VARIABLE_DATA header truncated");
  }
  if (name_len > r.remaining() / 2 || !r.bytes(static_cast<std::size_t>(name_len) * 2, name)) {
    return make_error(Errc::eventlog_malformed, "UEFI_VARIABLE_DATA name runs past the event");
  }
  if (value_len > r.remaining() || !r.bytes(static_cast<std::size_t>(value_len), out.value)) {
    return make_error(Errc::eventlog_malformed, "UEFI_VARIABLE_DATA value runs past the event");
  }
  if (strict && !r.done()) {
    return make_error(Errc::trailing_data, std::to_string(r.remaining()) + " bytes after UEFI_VARIABLE_DATA");
  }
  out.name = utf16_text(name);
  return out;
}

Result<std::string> device_path_text(ByteView path) {
  Reader r(path);
  std::string out;
  while (!r.done()) {
    std::uint8_t type = 0, sub = 0;
    std::uint16_t len = 0;
    ByteView body;
    if (!r.u8(type) || !r.u8(sub) || !r.u16le(len) || len < 4 || !r.bytes(len - 4u, body)) {
      return make_error(Errc::eventlog_malformed, "device path node at byte " + std::to_string(r.offset()) +
                                                      " runs past the path");
    }
    if (type == 0x7F) {
      if (sub == 0xFF) break;  // end of the whole path
      out += ",";              // end of this instance
      continue;
    }
    if (!out.empty() && out.back() != ',') out += "/";
    out += node_text(type, sub, body);
  }
  return out;
}

}  // namespace paw::uefi

namespace paw {

Result<EfiSignatureEntries> parse_efi_signature_lists(ByteView data) {
  // EFI_CERT_SHA256_GUID c1c41626-504c-4092-aca9-41f936934328 as stored (mixed endian).
  static constexpr std::uint8_t kCertSha256[16] = {0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40,
                                                   0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28};
  // EFI_CERT_X509_GUID a5c059a1-94e4-4aa7-87b5-ab155c2bf072 as stored (UEFI 2.9, 32.4.1).
  static constexpr std::uint8_t kCertX509[16] = {0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
                                                 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72};
  constexpr std::size_t kListHeader = 16 + 4 + 4 + 4;  // SignatureType, ListSize, HeaderSize, SignatureSize
  constexpr std::size_t kOwner = 16;                   // EFI_SIGNATURE_DATA.SignatureOwner
  EfiSignatureEntries out;
  Reader r(data);
  for (std::size_t list = 0; !r.done(); ++list) {
    const std::size_t at = r.offset();
    auto bad = [&](const std::string& what) {
      return make_error(Errc::eventlog_malformed,
                        "EFI_SIGNATURE_LIST " + std::to_string(list) + " at byte " + std::to_string(at) + ": " + what);
    };
    ByteView type;
    std::uint32_t list_size = 0, header_size = 0, sig_size = 0;
    if (!r.bytes(16, type) || !r.u32le(list_size) || !r.u32le(header_size) || !r.u32le(sig_size)) {
      return bad("header runs past the data");
    }
    // Every size is checked before it is used, in 64 bits (no wrap-around).
    const std::uint64_t fixed = std::uint64_t{kListHeader} + header_size;
    if (list_size < fixed || list_size - kListHeader > r.remaining()) return bad("SignatureListSize out of range");
    if (sig_size <= kOwner) return bad("SignatureSize " + std::to_string(sig_size) + " is too small");
    const std::uint64_t body = list_size - fixed;
    if (body % sig_size != 0) return bad("SignatureSize does not divide the list");
    if (!r.skip(header_size)) return bad("SignatureHeader runs past the data");
    const bool sha256 = std::equal(type.begin(), type.end(), std::begin(kCertSha256));
    const bool x509 = std::equal(type.begin(), type.end(), std::begin(kCertX509));
    if (sha256 && sig_size != kOwner + 32) return bad("a SHA-256 entry of " + std::to_string(sig_size) + " bytes");
    for (std::uint64_t k = 0; k < body / sig_size; ++k) {
      ByteView entry;
      if (!r.bytes(sig_size, entry)) return bad("entry runs past the data");
      if (sha256) {
        out.sha256.emplace_back(entry.begin() + kOwner, entry.end());
      } else if (x509) {
        out.x509.push_back(paw::sha256(entry.subspan(kOwner)));
      } else {
        ++out.other;
      }
    }
  }
  return out;
}

}  // namespace paw
