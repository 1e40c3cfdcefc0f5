// policy_ima.cpp — the list form of "ima.required" (ImaRequirement): files
// IMA must have measured since boot, each with the digests allowed for it,
// read and written strictly like the rest of the document (policy.cpp).
#include <algorithm>
#include <array>
#include <utility>

#include "paw/attest/policy.h"
#include "policy_fields.h"

namespace paw {
namespace {

Error bad(std::string detail) { return make_error(Errc::malformed, "policy: \"ima.required\": " + std::move(detail)); }

// The file hash algorithms IMA logs (crypto/hash_info.c hash_algo_name) that
// paw accepts, with their digest sizes.
constexpr std::array<std::pair<std::string_view, std::size_t>, 6> kAlgs = {
    {{"sha1", 20}, {"sha224", 28}, {"sha256", 32}, {"sha384", 48}, {"sha512", 64}, {"sm3", 32}}};

bool printable_path(std::string_view p) {
  return std::all_of(p.begin(), p.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

}  // namespace

Result<std::string> ima_digest_canonical(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return make_error(Errc::malformed, "a digest is \"<alg>:<hex>\", e.g. \"sha256:<64 hex digits>\"");
  }
  std::string alg(text.substr(0, colon));
  std::transform(alg.begin(), alg.end(), alg.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? char(c + 32) : c; });
  const auto it = std::find_if(kAlgs.begin(), kAlgs.end(), [&](const auto& a) { return a.first == alg; });
  if (it == kAlgs.end()) {
    return make_error(Errc::malformed, "digest algorithm \"" + alg.substr(0, 16) +
                                           "\" is not one IMA logs: use sha1, sha224, sha256, sha384, sha512 or sm3");
  }
  auto bytes = unhex(text.substr(colon + 1));
  if (!bytes.ok() || bytes->size() != it->second) {
    return make_error(Errc::malformed, "a " + alg + " digest is " + std::to_string(it->second * 2) + " hex digits");
  }
  return alg + ":" + hex(*bytes);
}

Result<std::vector<ImaRequirement>> ima_required_from_json(const json::ArrayPtr& arr) {
  if (arr->size() > kMaxImaRequired) return make_error(Errc::too_large, "policy: \"ima.required\" has too many entries");
  std::vector<ImaRequirement> out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    json::ObjectPtr e = arr->getObject(static_cast<unsigned>(i));
    const std::string at = "entry " + std::to_string(i);
    if (!e) return bad(at + " is not an object {\"path\": ..., \"digests\": [...]}");
    PAW_CHECK(detail::policy_fields::only(e, detail::policy_fields::kImaRequired, "policy \"ima.required\" " + at));
    ImaRequirement r;
    PAW_TRY(r.path, json::get_string(e, "path"));
    PAW_TRY(json::ArrayPtr digests, json::get_array(e, "digests"));
    if (digests->size() > kMaxImaRequiredDigests) return make_error(Errc::too_large, "policy: \"ima.required\" " + at + " has too many digests");
    for (std::size_t k = 0; k < digests->size(); ++k) {
      const auto v = digests->get(static_cast<unsigned>(k));
      if (!v.isString()) return bad(at + ": digests are strings \"<alg>:<hex>\"");
      auto d = ima_digest_canonical(v.extract<std::string>());
      if (!d.ok()) return bad(at + ": " + d.error().detail);
      r.digests.insert(std::move(d).value());
    }
    out.push_back(std::move(r));
  }
  ImaPolicy check;
  check.required = true;
  check.required_files = out;
  PAW_CHECK(validate_ima_policy(check));
  return out;
}

json::ArrayPtr ima_required_to_json(const std::vector<ImaRequirement>& required) {
  json::ArrayPtr a = new Poco::JSON::Array();
  for (const auto& r : required) {
    json::ObjectPtr o = new Poco::JSON::Object();
    o->set("path", r.path);
    json::ArrayPtr d = new Poco::JSON::Array();
    for (const auto& x : r.digests) d->add(x);
    o->set("digests", d);
    a->add(o);
  }
  return a;
}

Status validate_ima_policy(const ImaPolicy& ima) {
  if (ima.allowlist.size() > kMaxImaAllowlist) return make_error(Errc::too_large, "policy: IMA allowlist too long");
  for (const auto& d : ima.allowlist) {
    if (d.size() < 20 || d.size() > 64) return make_error(Errc::malformed, "policy: IMA allowlist digests must be 20 to 64 bytes");
  }
  if (ima.required_files.empty()) return ok_status();
  // The list form of "required" implies the log: without it nothing could be found.
  if (!ima.required) return bad("a list of required files needs the IMA log required (\"required\": true)");
  if (ima.required_files.size() > kMaxImaRequired) return make_error(Errc::too_large, "policy: \"ima.required\" has too many entries");
  std::set<std::string_view> paths;
  for (std::size_t i = 0; i < ima.required_files.size(); ++i) {
    const ImaRequirement& r = ima.required_files[i];
    const std::string at = "entry " + std::to_string(i);
    if (r.path.empty() || r.path.size() > kMaxImaPathSize || !printable_path(r.path)) {
      return bad(at + ": \"path\" is the file name as IMA logs it: 1 to 4096 bytes without control characters");
    }
    if (!paths.insert(r.path).second) return bad(at + ": \"" + r.path.substr(0, 256) + "\" is listed twice: merge its digests");
    if (r.digests.empty()) return bad(at + ": \"" + r.path.substr(0, 256) + "\" lists no digest: name the builds allowed");
    if (r.digests.size() > kMaxImaRequiredDigests) return make_error(Errc::too_large, "policy: \"ima.required\" " + at + " has too many digests");
    for (const auto& d : r.digests) {
      auto c = ima_digest_canonical(d);
      if (!c.ok()) return bad(at + ": " + c.error().detail);
      if (*c != d) return bad(at + ": digest \"" + d.substr(0, 160) + "\" is not in canonical form (" + *c + ")");
    }
  }
  return ok_status();
}

}  // namespace paw
