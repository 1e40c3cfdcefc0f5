// pawctl refs import-deb [--policy NAME [--min-kernel VERSION]]
// [--packages FILE] [--json] FILE.deb…: the kernels and EFI boot loaders of
// Debian packages, by Authenticode digest (what PCR 4 events carry), for
// policy boot.images and boot.min_kernel (docs/policy.md, "Kernel version").
// With --packages every .deb must be the one a Packages index names (by
// Package, Version, Architecture, Size and SHA256), or nothing is imported.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>
#include <optional>

#include "admin_client.h"
#include "command.h"
#include "deb_images.h"
#include "deb_index.h"
#include "deb_release.h"
#include "paw/attest/debian_version.h"
#include "paw/attest/json.h"
#include "paw/attest/policy.h"

namespace pawctl {
namespace {

void print_images(const std::vector<DebPackage>& debs, bool json) {
  if (json) {
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array();
    for (const auto& d : debs) {
      for (const auto& k : d.images) arr->add(paw::known_image_to_json(k));
    }
    paw::json::ObjectPtr o = new Poco::JSON::Object();
    o->set("images", arr);
    std::cout << paw::json::stringify(o) << "\n";
    return;
  }
  Table t({"PACKAGE", "VERSION", "KIND", "AUTHENTICODE SHA-256", "FILE"});
  for (const auto& d : debs) {
    for (const auto& k : d.images) t.add({k.package, k.version, k.kind, paw::hex(k.sha256), k.file});
  }
  t.print();
}

// merge puts |images| into |p|'s boot.images: a digest already there is
// replaced (the same image re-imported), a new one appended.
std::size_t merge(paw::Policy& p, const std::vector<DebPackage>& debs) {
  std::size_t added = 0;
  for (const auto& d : debs) {
    for (const auto& k : d.images) {
      auto it = std::find_if(p.boot.images.begin(), p.boot.images.end(),
                             [&](const paw::KnownImage& e) { return e.sha256 == k.sha256; });
      if (it != p.boot.images.end()) {
        *it = k;
      } else {
        p.boot.images.push_back(k);
        ++added;
      }
    }
  }
  return added;
}

int import_into(const Connection& c, const std::string& name, const std::vector<DebPackage>& debs,
                const std::optional<std::string>& min_kernel) {
  if (auto st = check_segment(name, "policy name"); !st.ok()) return report(st.error());
  const std::string path = "/v1/admin/policies/" + name;
  auto got = call_ok(c, "GET", path);
  if (!got.ok()) return report(got.error());
  auto policy = paw::parse_policy(got->body);
  if (!policy.ok()) return report(policy.error());
  const std::string read_version = std::to_string(policy->version);
  const std::size_t added = merge(*policy, debs);
  if (min_kernel) policy->boot.min_kernel = *min_kernel;
  // If-Match: an admin's edit between our GET and PUT is refused (409), not overwritten.
  auto put = call_ok(c, "PUT", path, paw::json::stringify(paw::policy_to_json(*policy)), 15, read_version);
  return show_answer(c, put, [&](const paw::json::ObjectPtr& stored) {
    std::cout << "policy " << name << " is now version " << stored->optValue<std::int64_t>("version", 0)
              << ": " << added << " image(s) added, " << policy->boot.images.size() << " known";
    if (!policy->boot.min_kernel.empty()) std::cout << ", boot.min_kernel " << policy->boot.min_kernel;
    std::cout << " (judged from each device's next attestation)\n";
    return 0;
  });
}

// read_checked reads |path| as the .deb |index| names (deb_index.h): its
// bytes are read once, hashed and matched; the package and version recorded
// for its images are the index's.
paw::Result<DebPackage> read_checked(const std::string& path, const std::vector<PackagesEntry>& index) {
  PAW_TRY(paw::Bytes bytes, read_file_bytes(path));
  auto d = read_deb_memory(bytes);
  if (!d.ok()) return paw::make_error(d.error().code, path + ": " + d.error().detail);
  DebFile f{path, d->package, d->version, d->architecture, bytes.size(), paw::sha256(bytes)};
  PAW_TRY(PackagesEntry e, find_in_index(index, f));
  d->package = e.package;
  d->version = e.version;
  for (auto& k : d->images) {
    k.package = e.package;
    k.version = e.version;
  }
  return d;
}

// read_index reads the Packages index at |packages|; with |release| its
// bytes (read once) must be listed by SHA-256 and size in the text gpgv
// verified in the InRelease |release| with a key of |keyring|.
paw::Result<std::vector<PackagesEntry>> read_index(const std::string& packages,
                                                   const std::optional<std::string>& release,
                                                   const std::optional<std::string>& keyring) {
  PAW_TRY(paw::Bytes bytes, read_file_bytes(packages, kMaxPackagesSize));
  if (release && keyring) {
    PAW_TRY(std::string signed_text, verified_release(*release, *keyring));
    auto files = release_sha256(signed_text);
    if (!files.ok()) return paw::make_error(files.error().code, *release + ": " + files.error().detail);
    auto listed = listed_in_release(*files, paw::sha256(bytes), bytes.size());
    if (!listed.ok()) {
      return paw::make_error(listed.error().code, packages + " is " + listed.error().detail + " in " + *release +
                                                      ": not the index the archive signed; nothing imported");
    }
  }
  return read_packages_memory(bytes, packages);
}

}  // namespace

int refs_import_deb(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {"policy", "min-kernel", "packages", "release", "keyring"});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  if (pos.size() < 2) {
    return fail("usage: pawctl refs import-deb [--policy NAME [--min-kernel VERSION]] [--packages FILE [--release "
                "InRelease --keyring FILE]] [--json] FILE.deb...", 2);
  }
  const auto policy = args->get("policy");
  const auto min_kernel = args->get("min-kernel");
  if (min_kernel && !policy) return fail("refs import-deb: --min-kernel goes with --policy", 2);
  if (min_kernel) {
    if (auto st = paw::check_debian_version(*min_kernel); !st.ok()) return fail(st.error().detail, 2);
  }
  // Every check comes before anything is printed or stored: one .deb the
  // index does not vouch for refuses the whole import.
  std::optional<std::vector<PackagesEntry>> index;
  const auto packages = args->get("packages"), release = args->get("release"), keyring = args->get("keyring");
  if ((release || keyring) && !(release && keyring && packages)) {
    return fail("refs import-deb: --release and --keyring go together, with --packages", 2);
  }
  if (packages) {
    auto r = read_index(*packages, release, keyring);
    if (!r.ok()) return report(r.error());
    index = std::move(r).value();
  }
  std::vector<DebPackage> debs;
  for (std::size_t i = 1; i < pos.size(); ++i) {
    auto d = index ? read_checked(pos[i], *index) : read_deb(pos[i]);
    if (!d.ok()) return report(d.error());
    for (const auto& s : d->skipped) std::cerr << "pawctl: " << pos[i] << ": skipped " << s << "\n";
    if (d->images.empty()) {
      std::cerr << "pawctl: " << pos[i] << " (" << d->package << " " << d->version
                << ") holds no kernel or EFI boot loader\n";
    }
    debs.push_back(std::move(d).value());
  }
  if (!policy) {
    print_images(debs, args->has("json"));
    return 0;
  }
  auto conn = connection_from(*args);
  if (!conn.ok()) return report(conn.error());
  return import_into(*conn, *policy, debs, min_kernel);
}

}  // namespace pawctl
