// policy_boot.cpp — the "boot" section of a policy document (BootRules):
// signing authorities, kernel command-line items, a minimum dbx and the
// Secure Boot owners (PK, KEK), known boot images, the minimum kernel and
// shim's minimum SBAT level, read and
// written strictly like the rest of the document (policy.cpp).
#include <algorithm>

#include "paw/attest/debian_version.h"
#include "paw/attest/policy.h"
#include "policy_fields.h"

namespace paw {
namespace {

Error bad(std::string detail) { return make_error(Errc::malformed, "policy: \"boot\": " + std::move(detail)); }

// strings reads the optional array |key| of |o|: strings only, at most |max|.
Result<std::vector<std::string>> strings(const json::ObjectPtr& o, const std::string& key, const std::string& where,
                                         std::size_t max) {
  std::vector<std::string> out;
  if (!o->has(key) || o->isNull(key)) return out;
  PAW_TRY(json::ArrayPtr arr, json::get_array(o, key));
  if (arr->size() > max) return make_error(Errc::too_large, "policy: \"" + where + "\" has too many entries");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto v = arr->get(static_cast<unsigned>(i));
    if (!v.isString()) return bad("\"" + where + "\" entries must be strings");
    out.push_back(v.extract<std::string>());
  }
  return out;
}

// sha256_set reads hex SHA-256 digests (64 hex digits each).
Result<ByteSet> sha256_set(const json::ObjectPtr& o, const std::string& key, const std::string& where,
                           std::size_t max) {
  PAW_TRY(std::vector<std::string> items, strings(o, key, where, max));
  ByteSet out;
  for (const auto& s : items) {
    auto b = unhex(s);
    if (s.size() != 64 || !b.ok()) return bad("\"" + where + "\" entries are SHA-256 digests (64 hex digits)");
    out.insert(std::move(b).value());
  }
  return out;
}

json::ArrayPtr hex_list(const ByteSet& items) {
  json::ArrayPtr a = new Poco::JSON::Array();
  for (const auto& b : items) a->add(hex(b));
  return a;
}

json::ArrayPtr string_list(const std::vector<std::string>& items) {
  json::ArrayPtr a = new Poco::JSON::Array();
  for (const auto& s : items) a->add(s);
  return a;
}

Status check_items(const std::vector<std::string>& items, const std::string& where) {
  if (items.size() > kMaxCmdlineItems) return make_error(Errc::too_large, "policy: \"" + where + "\" has too many entries");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string& s = items[i];
    const bool printable = std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    if (s.empty() || s.size() > kMaxCmdlineItemSize || !printable || s == "=") {
      return bad("\"" + where + "\" entries are one command-line word each: 1 to 256 printable ASCII characters "
                 "without spaces (\"lockdown=integrity\", \"init=\")");
    }
    if (std::find(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(i), s) != items.begin() + static_cast<std::ptrdiff_t>(i)) {
      return bad("\"" + where + "\" names \"" + s + "\" twice");
    }
  }
  return ok_status();
}

bool printable_label(std::string_view s) {
  return !s.empty() && s.size() <= kMaxImageLabelSize &&
         std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

Status check_images(const BootRules& r) {
  if (r.images.size() > kMaxKnownImages) return make_error(Errc::too_large, "policy: too many boot.images");
  ByteSet seen;
  for (std::size_t i = 0; i < r.images.size(); ++i) {
    const KnownImage& k = r.images[i];
    const std::string at = "boot.images[" + std::to_string(i) + "]";
    if (k.sha256.size() != 32) return bad(at + ".sha256 is an Authenticode SHA-256 digest (64 hex digits)");
    if (!seen.insert(k.sha256).second) return bad(at + " repeats digest " + hex(k.sha256));
    if (k.kind != "kernel" && k.kind != "boot_loader") return bad(at + ".kind is \"kernel\" or \"boot_loader\"");
    if (!valid_package_name(k.package)) return bad(at + ".package is a Debian package name ([a-z0-9][a-z0-9+.-]+)");
    if (auto v = check_debian_version(k.version); !v.ok()) return bad(at + ".version: " + v.error().detail);
    if (!k.file.empty() && !printable_label(k.file)) {
      return bad(at + ".file is a path of 1 to 256 printable ASCII characters without spaces");
    }
  }
  if (!r.min_kernel.empty()) {
    if (auto v = check_debian_version(r.min_kernel); !v.ok()) return bad("min_kernel: " + v.error().detail);
  }
  return ok_status();
}

Status check_min_sbat(const SbatMinimum& m) {
  if (!m.date.empty() && !valid_sbat_date(m.date)) {
    return bad("min_sbat.date is an SBAT datestamp, YYYYMMDDNN (\"2023012900\"), as in shim's SbatLevel "
               "\"sbat,1,2023012900\"");
  }
  if (m.components.size() > kMaxSbatComponents) return make_error(Errc::too_large, "policy: too many min_sbat.components");
  for (const auto& [name, gen] : m.components) {
    if (!valid_sbat_component(name) || name == "sbat") {
      return bad("min_sbat.components names SBAT components (\"shim\", \"grub\", \"grub.debian\": 1 to 64 of "
                 "[A-Za-z0-9._+-]; the \"sbat\" line's datestamp is min_sbat.date)");
    }
    if (gen < 1 || gen > kMaxSbatGeneration) return bad("min_sbat.components." + name + " is a generation, 1 to 999999999");
  }
  return ok_status();
}

Result<SbatMinimum> min_sbat_from_json(const json::ObjectPtr& o) {
  SbatMinimum m;
  PAW_CHECK(detail::policy_fields::only(o, detail::policy_fields::kMinSbat, "policy \"boot.min_sbat\""));
  if (o->has("date") && !o->isNull("date")) {
    PAW_TRY(m.date, json::get_string(o, "date"));
  }
  if (o->has("components") && !o->isNull("components")) {
    PAW_TRY(json::ObjectPtr c, json::get_object(o, "components"));
    if (c->size() > kMaxSbatComponents) return make_error(Errc::too_large, "policy: too many min_sbat.components");
    for (const auto& [name, v] : *c) {
      if (!v.isInteger() || v.isBoolean()) return bad("min_sbat.components values are generations (integers)");
      PAW_TRY(std::int64_t gen, json::get_int(c, name));
      if (gen < 1 || gen > kMaxSbatGeneration) return bad("min_sbat.components values are generations, 1 to 999999999");
      m.components[name] = static_cast<std::uint32_t>(gen);
    }
  }
  return m;
}

Result<std::vector<KnownImage>> images_from_json(const json::ObjectPtr& o) {
  std::vector<KnownImage> out;
  if (!o->has("images") || o->isNull("images")) return out;
  PAW_TRY(json::ArrayPtr arr, json::get_array(o, "images"));
  if (arr->size() > kMaxKnownImages) return make_error(Errc::too_large, "policy: too many boot.images");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto e = arr->getObject(static_cast<unsigned>(i));
    if (!e) return bad("\"boot.images\" entries are objects");
    PAW_CHECK(detail::policy_fields::only(e, detail::policy_fields::kKnownImage, "policy \"boot.images\""));
    KnownImage k;
    PAW_TRY(std::string digest, json::get_string(e, "sha256"));
    auto b = unhex(digest);
    if (digest.size() != 64 || !b.ok()) return bad("boot.images[" + std::to_string(i) + "].sha256 is 64 hex digits");
    k.sha256 = std::move(b).value();
    PAW_TRY(k.kind, json::get_string(e, "kind"));
    PAW_TRY(k.package, json::get_string(e, "package"));
    PAW_TRY(k.version, json::get_string(e, "version"));
    if (e->has("file") && !e->isNull("file")) {
      PAW_TRY(k.file, json::get_string(e, "file"));
    }
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace

const KnownImage* BootRules::known_image(ByteView sha256) const noexcept {
  for (const auto& k : images) {
    if (k.sha256.size() == sha256.size() && std::equal(k.sha256.begin(), k.sha256.end(), sha256.begin())) return &k;
  }
  return nullptr;
}

bool cmdline_item_matches(std::string_view item, std::string_view token) noexcept {
  if (!item.empty() && item.back() == '=') return token.starts_with(item);
  return token == item;
}

Status validate_boot_rules(const BootRules& r) {
  if (r.authorities.size() > kMaxBootAuthorities) return make_error(Errc::too_large, "policy: too many boot authorities");
  for (const auto& d : r.authorities) {
    if (d.size() != 32) return bad("authorities are SHA-256 digests (32 bytes)");
  }
  if (r.dbx_required.size() > kMaxDbxRequired) return make_error(Errc::too_large, "policy: too many dbx entries");
  for (const ByteSet* owners : {&r.owner_pk, &r.owner_kek}) {
    if (owners->size() > kMaxOwnerCerts) return make_error(Errc::too_large, "policy: too many secure_boot_owners");
    for (const auto& d : *owners) {
      if (d.size() != 32) return bad("secure_boot_owners entries are SHA-256 fingerprints (32 bytes)");
    }
  }
  for (const auto& d : r.dbx_required) {
    if (d.size() != 32) return bad("dbx entries are SHA-256 digests (32 bytes)");
  }
  PAW_CHECK(check_images(r));
  PAW_CHECK(check_min_sbat(r.min_sbat));
  PAW_CHECK(check_items(r.cmdline_required, "boot.kernel_cmdline.required"));
  PAW_CHECK(check_items(r.cmdline_forbidden, "boot.kernel_cmdline.forbidden"));
  // A required word that a forbidden item matches could never pass: every device would fail.
  for (const auto& req : r.cmdline_required) {
    for (const auto& f : r.cmdline_forbidden) {
      if (cmdline_item_matches(f, req) || cmdline_item_matches(req, f)) {
        return bad("kernel_cmdline: required \"" + req + "\" and forbidden \"" + f +
                   "\" contradict each other: no command line could pass");
      }
    }
  }
  return ok_status();
}

Result<BootRules> boot_rules_from_json(const json::ObjectPtr& o) {
  PAW_CHECK(detail::policy_fields::only(o, detail::policy_fields::kBoot, "policy \"boot\""));
  BootRules r;
  PAW_TRY(r.authorities, sha256_set(o, "authorities", "boot.authorities", kMaxBootAuthorities));
  if (o->has("kernel_cmdline") && !o->isNull("kernel_cmdline")) {
    PAW_TRY(json::ObjectPtr c, json::get_object(o, "kernel_cmdline"));
    PAW_CHECK(detail::policy_fields::only(c, detail::policy_fields::kKernelCmdline, "policy \"boot.kernel_cmdline\""));
    PAW_TRY(r.cmdline_required, strings(c, "required", "boot.kernel_cmdline.required", kMaxCmdlineItems));
    PAW_TRY(r.cmdline_forbidden, strings(c, "forbidden", "boot.kernel_cmdline.forbidden", kMaxCmdlineItems));
  }
  if (o->has("dbx") && !o->isNull("dbx")) {
    PAW_TRY(json::ObjectPtr d, json::get_object(o, "dbx"));
    PAW_CHECK(detail::policy_fields::only(d, detail::policy_fields::kDbx, "policy \"boot.dbx\""));
    PAW_TRY(r.dbx_required, sha256_set(d, "required", "boot.dbx.required", kMaxDbxRequired));
  }
  if (o->has("secure_boot_owners") && !o->isNull("secure_boot_owners")) {
    PAW_TRY(json::ObjectPtr s, json::get_object(o, "secure_boot_owners"));
    PAW_CHECK(detail::policy_fields::only(s, detail::policy_fields::kSecureBootOwners,
                                          "policy \"boot.secure_boot_owners\""));
    PAW_TRY(r.owner_pk, sha256_set(s, "pk", "boot.secure_boot_owners.pk", kMaxOwnerCerts));
    PAW_TRY(r.owner_kek, sha256_set(s, "kek", "boot.secure_boot_owners.kek", kMaxOwnerCerts));
  }
  PAW_TRY(r.images, images_from_json(o));
  if (o->has("min_kernel") && !o->isNull("min_kernel")) {
    PAW_TRY(r.min_kernel, json::get_string(o, "min_kernel"));
  }
  if (o->has("min_sbat") && !o->isNull("min_sbat")) {
    PAW_TRY(json::ObjectPtr m, json::get_object(o, "min_sbat"));
    PAW_TRY(r.min_sbat, min_sbat_from_json(m));
  }
  PAW_CHECK(validate_boot_rules(r));
  return r;
}

json::ObjectPtr known_image_to_json(const KnownImage& k) {
  json::ObjectPtr e = new Poco::JSON::Object();
  e->set("sha256", hex(k.sha256));
  e->set("kind", k.kind);
  e->set("package", k.package);
  e->set("version", k.version);
  e->set("file", k.file);
  return e;
}

json::ObjectPtr boot_rules_to_json(const BootRules& r) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("authorities", hex_list(r.authorities));
  json::ObjectPtr c = new Poco::JSON::Object();
  c->set("required", string_list(r.cmdline_required));
  c->set("forbidden", string_list(r.cmdline_forbidden));
  o->set("kernel_cmdline", c);
  json::ObjectPtr d = new Poco::JSON::Object();
  d->set("required", hex_list(r.dbx_required));
  o->set("dbx", d);
  json::ObjectPtr s = new Poco::JSON::Object();
  s->set("pk", hex_list(r.owner_pk));
  s->set("kek", hex_list(r.owner_kek));
  o->set("secure_boot_owners", s);
  json::ArrayPtr images = new Poco::JSON::Array();
  for (const auto& k : r.images) images->add(known_image_to_json(k));
  o->set("images", images);
  o->set("min_kernel", r.min_kernel);
  // Written only when set: an empty rule is a lint warning (min_sbat_empty),
  // and a policy read, edited and set again must not gain one.
  if (!r.min_sbat.empty()) {
    json::ObjectPtr m = new Poco::JSON::Object();
    m->set("date", r.min_sbat.date);
    json::ObjectPtr comps = new Poco::JSON::Object();
    for (const auto& [name, gen] : r.min_sbat.components) comps->set(name, static_cast<std::int64_t>(gen));
    m->set("components", comps);
    o->set("min_sbat", m);
  }
  return o;
}

}  // namespace paw
