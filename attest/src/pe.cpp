// pe.cpp — Authenticode digest of a PE/COFF image (pe.h). Field offsets are
// from the PE/COFF specification (Microsoft, rev. 11): the DOS header's
// e_lfanew at 0x3c, "PE\0\0", the 20-byte COFF header, then the optional
// header, whose CheckSum is at +64 and whose data directories start at +96
// (PE32) or +112 (PE32+), the certificate table being directory 4.
#include "paw/attest/pe.h"

#include <algorithm>
#include <string>

namespace paw {
namespace {

Error bad(std::string what) { return make_error(Errc::malformed, "PE image: " + std::move(what)); }

std::uint16_t le16(ByteView b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}
std::uint32_t le32(ByteView b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | (static_cast<std::uint32_t>(b[at + 1]) << 8) |
         (static_cast<std::uint32_t>(b[at + 2]) << 16) | (static_cast<std::uint32_t>(b[at + 3]) << 24);
}

constexpr std::size_t kCoffHeaderSize = 20;
constexpr std::size_t kSectionHeaderSize = 40;
constexpr std::uint32_t kSecurityDirectory = 4;

struct Section {
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
};

}  // namespace

Result<PeLayout> pe_layout(ByteView image) {
  if (image.size() > kMaxPeImageSize) {
    return make_error(Errc::too_large, "PE image: " + std::to_string(image.size()) + " bytes, over the limit of " +
                                           std::to_string(kMaxPeImageSize));
  }
  const std::size_t size = image.size();
  if (size < 0x40 || image[0] != 'M' || image[1] != 'Z') return bad("no MZ header");
  const std::size_t pe = le32(image, 0x3c);
  if (pe > size || size - pe < 4 + kCoffHeaderSize) return bad("e_lfanew points outside the file");
  if (image[pe] != 'P' || image[pe + 1] != 'E' || image[pe + 2] != 0 || image[pe + 3] != 0) {
    return bad("no PE signature at e_lfanew");
  }
  PeLayout out;
  const std::size_t coff = pe + 4;
  out.machine = le16(image, coff);
  const std::uint16_t sections = le16(image, coff + 2);
  const std::uint16_t optional_size = le16(image, coff + 16);
  const std::size_t opt = coff + kCoffHeaderSize;
  if (sections > kMaxPeSections) return bad(std::to_string(sections) + " sections (at most 96)");
  if (optional_size < 2 || size - opt < optional_size) return bad("optional header outside the file");
  const std::uint16_t magic = le16(image, opt);
  if (magic != 0x10b && magic != 0x20b) {
    return make_error(Errc::unsupported, "PE image: optional header magic 0x" + hex(image.subspan(opt, 2)) +
                                             " is neither PE32 nor PE32+");
  }
  out.pe32_plus = magic == 0x20b;
  const std::size_t directories = opt + (out.pe32_plus ? 112 : 96);
  const std::size_t checksum = opt + 64;
  const std::size_t count_at = directories - 4;  // NumberOfRvaAndSizes
  if (count_at + 4 > opt + optional_size) return bad("optional header too short for its fields");
  out.subsystem = le16(image, opt + 68);
  const std::uint32_t size_of_headers = le32(image, opt + 60);
  const std::uint32_t directory_count = le32(image, count_at);
  if (directory_count > 16 || directories + std::size_t{8} * directory_count > opt + optional_size) {
    return bad("data directories do not fit the optional header");
  }
  const std::size_t section_table = opt + optional_size;
  if (size - section_table < std::size_t{kSectionHeaderSize} * sections) return bad("section table outside the file");
  const std::size_t headers_end = section_table + std::size_t{kSectionHeaderSize} * sections;
  if (size_of_headers > size || size_of_headers < headers_end) {
    return bad("SizeOfHeaders " + std::to_string(size_of_headers) + " does not cover the headers inside the file");
  }

  // 1. The headers, without the checksum and the certificate table's entry.
  std::uint32_t cert_offset = 0;
  if (directory_count > kSecurityDirectory) {
    const std::size_t cert_entry = directories + 8 * kSecurityDirectory;
    cert_offset = le32(image, cert_entry);
    out.certificate_table_size = le32(image, cert_entry + 4);
    out.hashed.push_back(image.subspan(0, checksum));
    out.hashed.push_back(image.subspan(checksum + 4, cert_entry - (checksum + 4)));
    out.hashed.push_back(image.subspan(cert_entry + 8, size_of_headers - (cert_entry + 8)));
  } else {
    out.hashed.push_back(image.subspan(0, checksum));
    out.hashed.push_back(image.subspan(checksum + 4, size_of_headers - (checksum + 4)));
  }

  // 2. The sections' raw data, in file order.
  std::vector<Section> list;
  for (std::uint16_t i = 0; i < sections; ++i) {
    const std::size_t h = section_table + std::size_t{kSectionHeaderSize} * i;
    Section s{le32(image, h + 20), le32(image, h + 16)};  // PointerToRawData, SizeOfRawData
    if (s.size == 0) continue;
    if (s.offset > size || size - s.offset < s.size) {
      return bad("section " + std::to_string(i) + " lies outside the file");
    }
    list.push_back(s);
  }
  std::stable_sort(list.begin(), list.end(), [](const Section& a, const Section& b) { return a.offset < b.offset; });
  std::size_t hashed = size_of_headers;
  for (const auto& s : list) {
    out.hashed.push_back(image.subspan(s.offset, s.size));
    hashed += s.size;
  }

  // 3. What follows, except the certificate table (which must be last).
  if (out.certificate_table_size != 0) {
    if (cert_offset > size || size - cert_offset < out.certificate_table_size ||
        cert_offset + std::size_t{out.certificate_table_size} != size) {
      return bad("the certificate table is not at the end of the file");
    }
  }
  const std::size_t covered_end = size - out.certificate_table_size;
  if (covered_end > hashed) out.hashed.push_back(image.subspan(hashed, covered_end - hashed));
  return out;
}

Result<Bytes> authenticode_digest(ByteView image, HashAlg alg) {
  PAW_TRY(PeLayout layout, pe_layout(image));
  return digest_parts(alg, layout.hashed);
}

}  // namespace paw
