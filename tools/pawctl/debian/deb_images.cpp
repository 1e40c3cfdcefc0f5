// deb_images.cpp — Debian packages through libarchive (deb_images.h).
#include "deb_images.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>

#include "paw/attest/debian_version.h"
#include "paw/attest/pe.h"

namespace pawctl {
namespace {

using paw::Errc;
using paw::make_error;

struct ArchiveFree {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

paw::Error bad(const std::string& what) { return make_error(Errc::malformed, "Debian package: " + what); }

std::string archive_detail(archive* a) {
  const char* s = archive_error_string(a);
  return s != nullptr ? s : "unknown libarchive error";
}

std::string strip_dot(std::string_view path) {
  while (path.starts_with("./")) path.remove_prefix(2);
  while (path.starts_with("/")) path.remove_prefix(1);
  return std::string(path);
}

// read_member reads the current entry's data, at most |max| bytes.
paw::Result<paw::Bytes> read_member(archive* a, archive_entry* e, std::size_t max, const std::string& name) {
  const la_int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
  if (declared < 0 || static_cast<std::uint64_t>(declared) > max) {
    return make_error(Errc::too_large, "Debian package: " + name + " is larger than " + std::to_string(max) + " bytes");
  }
  paw::Bytes out;
  out.reserve(static_cast<std::size_t>(declared));
  std::uint8_t buf[1 << 16];
  for (;;) {
    const la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0) return bad(name + ": " + archive_detail(a));
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max) {
      return make_error(Errc::too_large, "Debian package: " + name + " is larger than " + std::to_string(max) + " bytes");
    }
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

// Inner reads a tar member of the outer ar archive as a stream.
struct Inner {
  archive* outer;
  std::uint8_t buf[1 << 16];
};

la_ssize_t inner_read(archive*, void* client, const void** data) {
  auto* in = static_cast<Inner*>(client);
  *data = in->buf;
  return archive_read_data(in->outer, in->buf, sizeof in->buf);
}

paw::Result<ArchivePtr> open_inner(Inner& inner, const std::string& name) {
  ArchivePtr a(archive_read_new());
  if (!a) return make_error(Errc::internal, "archive_read_new failed");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open(a.get(), &inner, nullptr, inner_read, nullptr) != ARCHIVE_OK) {
    return bad(name + ": " + archive_detail(a.get()));
  }
  return a;
}

// control_field returns the value of |field| in a deb-control(5) paragraph ("" if absent).
std::string control_field(std::string_view text, std::string_view field) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    if (line.size() > field.size() && line.substr(0, field.size()) == field && line[field.size()] == ':') {
      std::string_view v = line.substr(field.size() + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
      return std::string(v);
    }
    pos = end + 1;
  }
  return "";
}

paw::Status read_control(archive* outer, const std::string& member, DebPackage& out) {
  Inner inner{outer, {}};
  PAW_TRY(ArchivePtr a, open_inner(inner, member));
  archive_entry* e = nullptr;
  std::size_t entries = 0;
  int rc = ARCHIVE_OK;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    if (++entries > 1000) return make_error(Errc::too_large, "Debian package: too many files in " + member);
    if (strip_dot(archive_entry_pathname(e) ? archive_entry_pathname(e) : "") != "control") continue;
    PAW_TRY(paw::Bytes text, read_member(a.get(), e, kMaxDebControlSize, member + "/control"));
    const std::string_view s(reinterpret_cast<const char*>(text.data()), text.size());
    out.package = control_field(s, "Package");
    out.version = control_field(s, "Version");
    out.architecture = control_field(s, "Architecture");
    return paw::ok_status();
  }
  if (rc != ARCHIVE_EOF) return bad(member + ": " + archive_detail(a.get()));
  return bad(member + " holds no control file");
}

// OnFile sees each regular file of data.tar by path (no "./"); it may read
// the entry's data from |a|.
using OnFile = std::function<paw::Status(const std::string& path, archive* a, archive_entry* e)>;

paw::Status read_data(archive* outer, const std::string& member, const OnFile& on_file) {
  Inner inner{outer, {}};
  PAW_TRY(ArchivePtr a, open_inner(inner, member));
  archive_entry* e = nullptr;
  std::size_t entries = 0;
  int rc = ARCHIVE_OK;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    if (++entries > kMaxDebMembers) return make_error(Errc::too_large, "Debian package: too many files in " + member);
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    PAW_CHECK(on_file(strip_dot(archive_entry_pathname(e) ? archive_entry_pathname(e) : ""), a.get(), e));
  }
  if (rc != ARCHIVE_EOF) return bad(member + ": " + archive_detail(a.get()));
  return paw::ok_status();
}

// images_of collects the boot images of data.tar into |out|.
OnFile images_of(DebPackage& out) {
  return [&out](const std::string& path, archive* a, archive_entry* e) -> paw::Status {
    const std::string kind = image_kind(path);
    if (kind.empty()) return paw::ok_status();
    // The path is printed and stored as a label: printable ASCII without spaces, like the policy's "file".
    const bool printable = path.size() <= paw::kMaxImageLabelSize &&
                           std::all_of(path.begin(), path.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (!printable) {
      out.skipped.push_back("an image whose path is not printable ASCII without spaces (or over 256 bytes)");
      return paw::ok_status();
    }
    PAW_TRY(paw::Bytes image, read_member(a, e, paw::kMaxPeImageSize, path));
    auto digest = paw::authenticode_digest(image);
    if (!digest.ok()) {
      out.skipped.push_back(path + ": " + digest.error().detail);
      return paw::ok_status();
    }
    out.images.push_back({std::move(digest).value(), kind, "", "", path});
    return paw::ok_status();
  };
}

paw::Result<DebPackage> read_outer(archive* outer, const OnFile* on_file = nullptr) {
  DebPackage out;
  const OnFile collect = images_of(out);
  archive_entry* e = nullptr;
  int rc = ARCHIVE_OK;
  bool magic = false, control = false, data = false;
  std::size_t members = 0;
  while ((rc = archive_read_next_header(outer, &e)) == ARCHIVE_OK) {
    if (++members > 16) return bad("more members than a .deb has");
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    if (!name.empty() && name.back() == '/') name.pop_back();  // GNU ar's name terminator
    if (members == 1) {
      PAW_TRY(paw::Bytes v, read_member(outer, e, 64, name));
      magic = name == "debian-binary" && v.size() >= 4 && std::string(v.begin(), v.begin() + 4) == "2.0\n";
      if (!magic) return bad("not a .deb (its first member is not debian-binary \"2.0\")");
    } else if (name.starts_with("control.tar")) {
      if (control) return bad("two control.tar members");
      PAW_CHECK(read_control(outer, name, out));
      control = true;
    } else if (name.starts_with("data.tar")) {
      if (!control) return bad("data.tar comes before control.tar");
      if (data) return bad("two data.tar members");
      PAW_CHECK(read_data(outer, name, on_file != nullptr ? *on_file : collect));
      data = true;
    }
  }
  if (rc != ARCHIVE_EOF) return bad(archive_detail(outer));
  if (!magic) return bad("not a .deb (empty archive)");
  if (!control || !data) return bad(std::string("no ") + (control ? "data.tar" : "control.tar") + " member");
  if (out.package.empty() || out.version.empty()) return bad("the control file lacks Package or Version");
  if (!paw::valid_package_name(out.package)) {
    return bad("the control file's Package is not a Debian package name ([a-z0-9][a-z0-9+.-]+)");
  }
  PAW_CHECK(paw::check_debian_version(out.version));
  for (auto& k : out.images) {
    k.package = out.package;
    k.version = out.version;
  }
  return out;
}

ArchivePtr new_outer() {
  ArchivePtr a(archive_read_new());
  if (a) archive_read_support_format_ar(a.get());
  return a;
}

}  // namespace

std::string image_kind(std::string_view path) {
  while (path.starts_with("./")) path.remove_prefix(2);
  while (path.starts_with("/")) path.remove_prefix(1);
  if (path.starts_with("boot/vmlinuz-") || path.starts_with("boot/vmlinux-")) return "kernel";
  if (path.ends_with(".efi") || path.ends_with(".efi.signed")) return "boot_loader";
  return "";
}

// open_file opens |path| as an ar archive: Errc::io_error when the file
// cannot be read, Errc::malformed when it is not an ar archive (libarchive
// reads the first block on open).
static paw::Status open_file(archive* a, const std::string& path) {
  if (archive_read_open_filename(a, path.c_str(), 1 << 16) == ARCHIVE_OK) return paw::ok_status();
  if (!std::ifstream(path, std::ios::binary)) {
    return make_error(Errc::io_error, path + ": cannot be read: " + archive_detail(a));
  }
  return make_error(Errc::malformed, path + ": not a Debian package (" + archive_detail(a) + ")");
}

paw::Result<DebPackage> read_deb(const std::string& path) {
  ArchivePtr a = new_outer();
  if (!a) return make_error(Errc::internal, "archive_read_new failed");
  PAW_CHECK(open_file(a.get(), path));
  auto r = read_outer(a.get());
  if (!r.ok()) return make_error(r.error().code, path + ": " + r.error().detail);
  return r;
}

paw::Result<paw::Bytes> read_deb_file(const std::string& path, std::string_view file) {
  ArchivePtr a = new_outer();
  if (!a) return make_error(Errc::internal, "archive_read_new failed");
  PAW_CHECK(open_file(a.get(), path));
  std::optional<paw::Bytes> found;
  const OnFile keep = [&](const std::string& p, archive* in, archive_entry* e) -> paw::Status {
    if (p != file || found) return paw::ok_status();
    PAW_TRY(found, read_member(in, e, paw::kMaxPeImageSize, p));
    return paw::ok_status();
  };
  auto r = read_outer(a.get(), &keep);
  if (!r.ok()) return make_error(r.error().code, path + ": " + r.error().detail);
  if (!found) return make_error(Errc::not_found, path + " has no file " + std::string(file));
  return std::move(*found);
}

paw::Result<DebPackage> read_deb_memory(paw::ByteView data) {
  ArchivePtr a = new_outer();
  if (!a) return make_error(Errc::internal, "archive_read_new failed");
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK) {
    return bad(archive_detail(a.get()));
  }
  return read_outer(a.get());
}

}  // namespace pawctl
