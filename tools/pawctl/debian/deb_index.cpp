// deb_index.cpp — Debian Packages indexes (deb_index.h).
#include "deb_index.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <memory>

#include "paw/attest/debian_version.h"
#include "paw/attest/text.h"

namespace pawctl {
namespace {

using paw::Errc;
using paw::make_error;

paw::Error bad(std::size_t line, const std::string& what) {
  return make_error(Errc::malformed, "Packages index line " + std::to_string(line) + ": " + what);
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
  return v;
}

bool field_name(std::string_view n) {
  // deb822: any US-ASCII but controls, space and ':', not starting with '#' or '-'.
  return !n.empty() && n.size() <= 128 && n.front() != '#' && n.front() != '-' &&
         std::all_of(n.begin(), n.end(), [](char c) { return c > 0x20 && c < 0x7f && c != ':'; });
}

// Stanza collects the fields paw reads, and which were seen.
struct Stanza {
  std::size_t line = 0;
  std::size_t fields = 0;
  std::vector<std::string> seen;
  PackagesEntry entry;
  bool has_size = false;
};

paw::Status take(Stanza& s, std::size_t line, std::string_view name, std::string_view value) {
  if (++s.fields > kMaxPackagesFields) return make_error(Errc::too_large, "Packages index line " + std::to_string(line) + ": too many fields in one stanza");
  // Field names are case-insensitive (deb822(5)); paw compares them as the archive writes them.
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  const bool wanted = lower == "package" || lower == "version" || lower == "architecture" || lower == "size" ||
                      lower == "sha256" || lower == "filename";
  if (!wanted) return paw::ok_status();
  if (std::find(s.seen.begin(), s.seen.end(), lower) != s.seen.end()) return bad(line, "\"" + std::string(name) + "\" twice in one stanza");
  s.seen.push_back(lower);
  PackagesEntry& e = s.entry;
  if (lower == "package") {
    if (!paw::valid_package_name(value)) return bad(line, "Package is not a Debian package name");
    e.package = value;
  } else if (lower == "version") {
    if (auto st = paw::check_debian_version(value); !st.ok()) return bad(line, "Version: " + st.error().detail);
    e.version = value;
  } else if (lower == "architecture") {
    if (value.empty() || value.size() > 64 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; })) {
      return bad(line, "Architecture is not a Debian architecture name");
    }
    e.architecture = value;
  } else if (lower == "size") {
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), e.size);
    if (value.empty() || value.size() > 19 || ec != std::errc{} || ptr != value.data() + value.size()) {
      return bad(line, "Size is not a number of bytes");
    }
    s.has_size = true;
  } else if (lower == "sha256") {
    auto b = paw::unhex(value);
    if (value.size() != 64 || !b.ok()) return bad(line, "SHA256 is not 64 hex digits");
    e.sha256 = std::move(b).value();
  } else {  // filename: only shown
    if (value.size() > 4096 || !std::all_of(value.begin(), value.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
      return bad(line, "Filename is not a printable path");
    }
    e.filename = value;
  }
  return paw::ok_status();
}

paw::Status finish(Stanza& s, std::vector<PackagesEntry>& out) {
  if (s.fields == 0) return paw::ok_status();
  const PackagesEntry& e = s.entry;
  std::string missing;
  for (const auto& [have, name] : {std::pair{!e.package.empty(), "Package"}, std::pair{!e.version.empty(), "Version"},
                                   std::pair{!e.architecture.empty(), "Architecture"}, std::pair{s.has_size, "Size"},
                                   std::pair{!e.sha256.empty(), "SHA256"}}) {
    if (!have) missing += std::string(missing.empty() ? "" : ", ") + name;
  }
  if (!missing.empty()) return bad(s.line, "the stanza has no " + missing);
  if (out.size() >= kMaxPackagesStanzas) return make_error(Errc::too_large, "Packages index: too many stanzas");
  s.entry.line = s.line;
  out.push_back(std::move(s.entry));
  s = Stanza{};
  return paw::ok_status();
}

struct ArchiveFree {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};

}  // namespace

paw::Result<std::vector<PackagesEntry>> parse_packages_index(std::string_view text) {
  if (text.size() > kMaxPackagesSize) return make_error(Errc::too_large, "Packages index larger than " + std::to_string(kMaxPackagesSize) + " bytes");
  std::vector<PackagesEntry> out;
  Stanza s;
  std::size_t number = 0;
  bool in_field = false;  // a continuation line belongs to the field before it
  while (!text.empty()) {
    std::string_view line = paw::next_line(text);
    ++number;
    if (line.size() > kMaxPackagesLine) return make_error(Errc::too_large, "Packages index line " + std::to_string(number) + " is too long");
    if (line.find('\0') != std::string_view::npos) return bad(number, "a NUL byte (not a Packages index)");
    if (trim(line).empty()) {
      PAW_CHECK(finish(s, out));
      in_field = false;
      continue;
    }
    if (line.front() == '#') continue;
    if (line.front() == ' ' || line.front() == '\t') {
      if (!in_field) return bad(number, "a continuation line outside a field");
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || !field_name(line.substr(0, colon))) {
      return bad(number, "not \"Field: value\" (is this a Packages index?)");
    }
    if (s.fields == 0) s.line = number;
    PAW_CHECK(take(s, number, line.substr(0, colon), trim(line.substr(colon + 1))));
    in_field = true;
  }
  PAW_CHECK(finish(s, out));
  if (out.empty()) return make_error(Errc::malformed, "Packages index: no package stanza");
  return out;
}

paw::Result<std::vector<PackagesEntry>> read_packages_file(const std::string& path) {
  PAW_TRY(paw::Bytes bytes, read_file_bytes(path, kMaxPackagesSize));
  return read_packages_memory(bytes, path);
}

paw::Result<std::vector<PackagesEntry>> read_packages_memory(paw::ByteView data, const std::string& name) {
  std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
  if (!a) return make_error(Errc::internal, "archive_read_new failed");
  archive_read_support_filter_all(a.get());  // xz, gzip, bzip2, zstd, or none
  archive_read_support_format_raw(a.get());
  archive_entry* e = nullptr;
  if (data.empty() || archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK ||
      archive_read_next_header(a.get(), &e) != ARCHIVE_OK) {
    return make_error(Errc::malformed, name + ": not a Packages index (empty, or not plain, xz, gzip, bzip2 or zstd)");
  }
  std::string text;
  char buf[1 << 16];
  for (;;) {
    const la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
    if (n < 0) {
      const char* why = archive_error_string(a.get());
      return make_error(Errc::malformed, name + ": " + (why != nullptr ? why : "decompression failed"));
    }
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > kMaxPackagesSize) {
      return make_error(Errc::too_large, name + ": larger than " + std::to_string(kMaxPackagesSize) + " bytes decompressed");
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  auto index = parse_packages_index(text);
  if (!index.ok()) return make_error(index.code(), name + ": " + index.error().detail);
  return index;
}

paw::Result<paw::Bytes> read_file_bytes(const std::string& path, std::size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io_error, path + ": cannot be read");
  paw::Bytes out;
  std::vector<char> buf(1 << 16);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    if (out.size() + n > max) {
      return make_error(Errc::too_large, path + ": larger than " + std::to_string(max) + " bytes");
    }
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  if (in.bad()) return make_error(Errc::io_error, path + ": read error");
  return out;
}

paw::Result<PackagesEntry> find_in_index(const std::vector<PackagesEntry>& index, const DebFile& deb) {
  const std::string what = deb.package + " " + deb.version + " (" + deb.architecture + ")";
  const PackagesEntry* named = nullptr;
  for (const auto& e : index) {
    if (e.package != deb.package || e.version != deb.version || e.architecture != deb.architecture) continue;
    if (e.size == deb.size && e.sha256 == deb.sha256) return e;
    named = &e;
  }
  if (named == nullptr) {
    return make_error(Errc::not_found, deb.path + ": " + what + " is not in the Packages index");
  }
  return make_error(Errc::malformed, deb.path + ": " + what + " differs from the Packages index (line " +
                                         std::to_string(named->line) + "): SHA-256 " + paw::hex(deb.sha256) + ", " +
                                         std::to_string(deb.size) + " bytes; the index has " + paw::hex(named->sha256) +
                                         ", " + std::to_string(named->size) + " bytes. It is not the archive's "
                                         "package (tampered with, or another build): nothing imported");
}

}  // namespace pawctl
