// ima_policy.cpp — the IMA allowlist: path → allowed digests, with excludes.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <exception>

#include "paw/attest/ima.h"

namespace paw {
namespace {

constexpr std::size_t kMaxPolicySize = 64u << 20;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Status add_exclude(ImaAllowlist& list, const std::string& pattern) {
  try {
    list.excludes.emplace_back(pattern, std::regex::ECMAScript | std::regex::optimize);
  } catch (const std::regex_error& e) {
    return make_error(Errc::malformed, "exclude pattern \"" + pattern + "\": " + e.what());
  }
  list.exclude_patterns.push_back(pattern);
  return ok_status();
}

Result<ImaAllowlist> parse_json_policy(std::string_view text) {
  ImaAllowlist out;
  Poco::JSON::Object::Ptr root;
  try {
    Poco::JSON::Parser parser;
    root = parser.parse(std::string(text)).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception& e) {
    return make_error(Errc::malformed, std::string("IMA policy is not a JSON object: ") + e.what());
  }
  try {
    if (auto digests = root->getObject("digests")) {
      for (const auto& path : digests->getNames()) {
        auto list = digests->getArray(path);
        if (!list) return make_error(Errc::malformed, "digests[\"" + path + "\"] is not a list");
        auto& set = out.digests[path];
        for (std::size_t i = 0; i < list->size(); ++i) {
          auto d = unhex(list->getElement<std::string>(static_cast<unsigned>(i)));
          if (!d.ok()) return make_error(Errc::malformed, "digests[\"" + path + "\"] holds a non-hex digest");
          set.insert(std::move(d).value());
        }
      }
    } else if (root->has("digests")) {
      return make_error(Errc::malformed, "\"digests\" is not an object");
    }
    if (auto excludes = root->getArray("excludes")) {
      for (std::size_t i = 0; i < excludes->size(); ++i) {
        PAW_CHECK(add_exclude(out, excludes->getElement<std::string>(static_cast<unsigned>(i))));
      }
    }
  } catch (const std::exception& e) {
    return make_error(Errc::malformed, std::string("IMA policy: ") + e.what());
  }
  return out;
}

}  // namespace

bool ImaAllowlist::excluded(const std::string& path) const {
  return std::any_of(excludes.begin(), excludes.end(), [&](const std::regex& re) {
    return std::regex_search(path, re, std::regex_constants::match_continuous);
  });
}

Result<ImaAllowlist> parse_ima_allowlist(std::string_view text) {
  if (text.size() > kMaxPolicySize) return make_error(Errc::too_large, "IMA allowlist over 64 MiB");
  const std::string_view body = trim(text.substr(0, 64));
  if (!body.empty() && body.front() == '{') return parse_json_policy(text);
  ImaAllowlist out;
  std::size_t start = 0, lineno = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    const std::string_view line = trim(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    if (line.empty() || line.front() == '#') continue;
    const std::size_t sp = line.find_first_of(" \t");
    if (sp == std::string_view::npos) return make_error(Errc::malformed, "allowlist line " + std::to_string(lineno) + " has no path");
    auto d = unhex(line.substr(0, sp));
    if (!d.ok() || d->empty()) {
      return make_error(Errc::malformed, "allowlist line " + std::to_string(lineno) + " does not start with a hex digest");
    }
    out.digests[std::string(trim(line.substr(sp)))].insert(std::move(d).value());
  }
  return out;
}

Status add_ima_excludes(ImaAllowlist& list, std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    const std::string_view line = trim(text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    if (line.empty() || line.front() == '#') continue;
    PAW_CHECK(add_exclude(list, std::string(line)));
  }
  return ok_status();
}

std::vector<ImaFinding> check_ima_allowlist(const ImaLog& log, const ImaAllowlist& list) {
  std::vector<ImaFinding> out;
  for (const ImaEntry& e : log.entries()) {
    if (e.path == "boot_aggregate" && !e.violation) continue;  // a digest of PCRs 0-9, judged by the quote
    if (list.excluded(e.path)) continue;
    ImaFinding f{e.index, e.path, e.file_hash_alg + ":" + hex(e.file_digest), ""};
    if (e.violation) {
      f.reason = "violation";
    } else if (auto it = list.digests.find(e.path); it == list.digests.end()) {
      f.reason = "not in allowlist";
    } else if (it->second.count(Bytes(e.file_digest.begin(), e.file_digest.end())) == 0) {
      f.reason = "digest not allowed";
    } else {
      continue;
    }
    out.push_back(std::move(f));
  }
  return out;
}

Status ima_allowlist_status(const std::vector<ImaFinding>& findings) {
  if (findings.empty()) return ok_status();
  std::string detail = std::to_string(findings.size()) + " measured file(s) not allowed: ";
  for (std::size_t i = 0; i < findings.size() && i < 20; ++i) {
    if (i != 0) detail += "; ";
    detail += "entry " + std::to_string(findings[i].entry) + " " + findings[i].path + " (" + findings[i].reason + ")";
  }
  return make_error(Errc::ima_not_allowed, detail);
}

}  // namespace paw
