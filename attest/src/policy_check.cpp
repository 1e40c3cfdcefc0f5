// policy_check.cpp — the policy lint (policy_check.h). Two passes:
//  1. over the raw JSON: what the strict parser would refuse at its first
//     problem is found everywhere, with its path, and the offending member is
//     taken out of the (private) working copy so the next pass sees the rest;
//  2. the strict parser itself on what is left (anything it still refuses is
//     one "invalid_value" finding), then rules over the parsed Policy that
//     look at several fields together (policy_check_rules.cpp).
#include "paw/attest/policy_check.h"

#include <algorithm>
#include <set>

#include "paw/attest/appraisal.h"
#include "paw/attest/cli.h"
#include "paw/attest/grace.h"
#include "paw/attest/policy.h"
#include "policy_check_internal.h"
#include "policy_fields.h"

namespace paw {
namespace {

using detail::CheckContext;

namespace fields = detail::policy_fields;

// Reasons a policy can make the appraisal fail with (appraisal.h, namespace
// reason; the notes pcr_pinned, pcr_reference_set, fido_model_unproven and
// eventlog_event_unverified never fail, so never need grace).
const std::vector<std::string_view> kFailureReasons = {
    reason::kPcrNotQuoted,  reason::kPcrMismatch,       reason::kEventLogMissing,
    reason::kSecureBootOff, reason::kBootAppNotAllowed, reason::kImaLogMissing,
    reason::kImaNotAllowed, reason::kFidoMissing,       reason::kFidoUpMissing,
    reason::kFidoUvMissing, reason::kFidoCounterFrozen, reason::kDiskNotEncrypted,
    reason::kOsNotAllowed,  reason::kHostSecureBootOff, reason::kReboot,
    reason::kClockAnomaly,  reason::kLoginKeyMissing,   reason::kLoginKeyBadSignature,
    reason::kBootAuthorityNotAllowed, reason::kCmdlineMissing, reason::kCmdlineForbidden,
    reason::kDbxOutdated, reason::kImaRequiredMissing, reason::kImaRequiredDigestMismatch,
    reason::kSecureBootKeysUnexpected, reason::kKernelOutdated, reason::kKernelUnknown,
    reason::kSbatOutdated, reason::kSbatUnknown};

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}
bool valid_name(const std::string& s) {
  return !s.empty() && s.size() <= kMaxPolicyNameSize && std::all_of(s.begin(), s.end(), name_char);
}

bool is_int(const Poco::Dynamic::Var& v) { return v.isInteger() && !v.isBoolean(); }
// as_int: the value as int64, nullopt when not an integer or out of range
// (a JSON number above 2^63 converts with an exception, not a wrap).
std::optional<std::int64_t> as_int(const Poco::Dynamic::Var& v) {
  if (!is_int(v)) return std::nullopt;
  try {
    return v.convert<std::int64_t>();
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

// edit_distance (Levenshtein, small strings only) finds the field meant by a misspelt one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  if (a.size() > 64 || b.size() > 64) return 99;
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string list_of(std::span<const std::string_view> items) {
  std::string s;
  for (auto i : items) s += (s.empty() ? "" : ", ") + std::string(i);
  return s;
}

// only_known reports and removes every member of |o| outside |allowed|.
void only_known(CheckContext& c, json::ObjectPtr o, fields::List allowed,
                const std::string& path) {
  std::vector<std::string> unknown;
  for (const auto& [key, ignored] : *o) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) unknown.push_back(key);
  }
  for (const auto& key : unknown) {
    std::string hint;
    for (auto a : allowed) {
      if (edit_distance(key, a) <= 2) hint = "did you mean \"" + std::string(a) + "\"? If not, ";
    }
    c.error("unknown_field", detail::member(path, key),
            "unknown field \"" + detail::shown(key) + "\" in " +
                (path == "$" ? std::string("the policy") : path) + ": " + hint +
                "remove it (fields here: " + list_of(allowed) +
                "); an unknown field is refused, "
                "never ignored, so a misspelt rule cannot silently not apply");
    o->remove(key);
  }
}

json::ObjectPtr object_at(json::ObjectPtr o, const std::string& key) {
  if (!o->has(key) || o->isNull(key)) return nullptr;
  return o->getObject(key);  // null when not an object: the parser reports it
}

// required_pcrs reads "pcrs.required" after unknown banks were removed; the
// default when absent; nullopt when malformed (the parser then says why).
std::optional<detail::RequiredPcrs> required_pcrs(json::ObjectPtr pcrs) {
  if (!pcrs || !pcrs->has("required") || pcrs->isNull("required")) return default_policy().pcrs.required;
  json::ObjectPtr req = pcrs->getObject("required");
  if (!req) return std::nullopt;
  detail::RequiredPcrs out;
  for (const auto& [bank, v] : *req) {
    auto arr = req->getArray(bank);
    if (!arr) return std::nullopt;
    auto& dst = out[*hash_from_name(bank)];
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const auto x = arr->get(static_cast<unsigned>(i));
      const auto idx = as_int(x).value_or(-1);
      if (idx < 0 || idx >= static_cast<std::int64_t>(kPcrCount)) return std::nullopt;
      dst.insert(static_cast<std::uint32_t>(idx));
    }
  }
  return out;
}

// remove_unknown_banks reports and removes members of a {bank: ...} map that name no bank.
void remove_unknown_banks(CheckContext& c, json::ObjectPtr o, const std::string& path) {
  std::vector<std::string> bad;
  for (const auto& [bank, ignored] : *o) {
    if (!hash_from_name(bank)) bad.push_back(bank);
  }
  for (const auto& bank : bad) {
    c.error("unknown_pcr_bank", detail::member(path, bank),
            "\"" + detail::shown(bank) + "\" is not a PCR bank: use sha1, sha256, sha384, sha512 or sm3_256");
    o->remove(bank);
  }
}

// check_values walks {"bank": {"index": "hex"}} at |path| (a "reference" or a
// set's "values"), reporting and removing what validate_policy would refuse.
void check_values(CheckContext& c, json::ObjectPtr values, const std::string& path,
                  const std::optional<detail::RequiredPcrs>& required) {
  remove_unknown_banks(c, values, path);
  for (const auto& [bank_name, ignored] : *values) {
    json::ObjectPtr bank_values = values->getObject(bank_name);
    if (!bank_values) continue;  // the parser says it must be an object
    const HashAlg bank = *hash_from_name(bank_name);
    const std::string bank_path = detail::member(path, bank_name);
    std::vector<std::string> drop;
    for (const auto& [key, v] : *bank_values) {
      const std::string at = detail::member(bank_path, key);
      const auto index = detail::pcr_index(key);
      if (!index) {
        c.error("pcr_index_invalid", at,
                "\"" + detail::shown(key) + "\" is not a PCR index: write 0 to 23 in decimal");
        drop.push_back(key);
        continue;
      }
      const std::size_t want = hash_size(bank) * 2;
      const bool hex_ok =
          v.isString() && v.extract<std::string>().size() == want && unhex(v.extract<std::string>()).ok();
      if (!hex_ok) {
        c.error(
            "reference_value_invalid", at,
            "a " + bank_name + " PCR value is " + std::to_string(want) + " hex digits (the bank's digest)");
        drop.push_back(key);
        continue;
      }
      const auto r = required ? required->find(bank) : detail::RequiredPcrs::const_iterator{};
      if (required && (r == required->end() || !r->second.contains(*index))) {
        c.error("reference_not_required", at,
                bank_name + " PCR " + key +
                    " has a reference value but is not in \"pcrs.required\", so the quote "
                    "need not carry it and the value would never be compared: add " +
                    key +
                    " to \"pcrs\": "
                    "{\"required\": {\"" +
                    bank_name + "\": [...]}} or remove the value");
        drop.push_back(key);
      }
    }
    for (const auto& k : drop) bank_values->remove(k);
  }
}

std::size_t value_count(json::ObjectPtr values) {
  std::size_t n = 0;
  for (const auto& [bank, ignored] : *values) {
    if (auto b = values->getObject(bank)) n += b->size();
  }
  return n;
}

void check_reference_sets(CheckContext& c, json::ObjectPtr pcrs,
                          const std::optional<detail::RequiredPcrs>& required) {
  if (!pcrs->has("reference_sets") || pcrs->isNull("reference_sets")) return;
  json::ArrayPtr sets = pcrs->getArray("reference_sets");
  if (!sets || sets->size() > kMaxReferenceSets) return;  // the parser says why
  std::set<std::string> names;
  std::vector<unsigned> drop;
  for (unsigned i = 0; i < sets->size(); ++i) {
    json::ObjectPtr s = sets->getObject(i);
    if (!s) continue;
    const std::string path = "$.pcrs.reference_sets[" + std::to_string(i) + "]";
    only_known(c, s, fields::kReferenceSet, path);
    const auto name = s->get("name");
    const std::string text = name.isString() ? name.extract<std::string>() : std::string();
    if (!valid_name(text)) {
      c.error("reference_set_name", path + ".name",
              text.empty()
                  ? "a reference set needs a \"name\": 1 to 64 characters of [a-z0-9._-], e.g. \"bios-1.22\""
                  : "reference set name \"" + detail::shown(text) +
                        "\" is not 1 to 64 characters of [a-z0-9._-]");
      drop.push_back(i);
      continue;
    }
    if (!names.insert(text).second) {
      c.error("reference_set_duplicate", path + ".name",
              "reference set \"" + text +
                  "\" appears twice: give each set its own name (the device's match is "
                  "reported by name) or merge them");
      drop.push_back(i);
      continue;
    }
    const auto end = as_int(s->get("not_after")).value_or(0);
    if (end > 0 && end <= c.now) {
      c.warning("reference_set_expired", path + ".not_after",
                "reference set \"" + text + "\" ended at " + std::to_string(end) +
                    " (unix seconds), before now: it no longer matches any device; remove it, or set a later "
                    "not_after (0 = never) if its firmware is still allowed");
    }
    json::ObjectPtr values = object_at(s, "values");
    if (!values) continue;
    const std::size_t before = value_count(values);
    check_values(c, values, path + ".values", required);
    if (before == 0) {
      c.error("reference_set_empty", path + ".values",
              "reference set \"" + text +
                  "\" has no values: a set names at least one PCR value "
                  "(pawctl policy capture ID --add --name " +
                  text + " fills one in from a device)");
    }
    if (value_count(values) == 0) drop.push_back(i);
  }
  for (auto it = drop.rbegin(); it != drop.rend(); ++it) sets->remove(*it);
}

void check_pcrs(CheckContext& c, json::ObjectPtr pcrs) {
  only_known(c, pcrs, fields::kPcrs, "$.pcrs");
  if (json::ObjectPtr req = object_at(pcrs, "required")) remove_unknown_banks(c, req, "$.pcrs.required");
  const auto required = required_pcrs(pcrs);
  if (json::ObjectPtr ref = object_at(pcrs, "reference")) check_values(c, ref, "$.pcrs.reference", required);
  check_reference_sets(c, pcrs, required);
}

void check_grace(CheckContext& c, json::ObjectPtr enforcement) {
  only_known(c, enforcement, fields::kEnforcement, "$.enforcement");
  json::ObjectPtr grace = object_at(enforcement, "grace");
  if (!grace || grace->size() > kMaxGracedReasons) return;  // the parser says why
  std::vector<std::string> drop;
  for (const auto& [code, v] : *grace) {
    const std::string at = detail::member("$.enforcement.grace", code);
    if (std::find(kFailureReasons.begin(), kFailureReasons.end(), code) == kFailureReasons.end()) {
      c.error("grace_unknown_reason", at,
              "\"" + detail::shown(code) +
                  "\" is not a reason code the appraisal produces; reasons that may be "
                  "graced: " +
                  list_of(graceable_reasons()) + " (docs/policy.md, Reasons)");
      drop.push_back(code);
      continue;
    }
    if (!reason_graceable(code)) {
      const auto st = validate_enforcement(Enforcement{{{code, 1}}});
      const std::string why = st.ok() ? std::string() : st.error().detail;
      const auto cut = why.find("can never be graced: ");
      c.error("grace_never_graceable", at,
              "\"" + code + "\" can never be graced" +
                  (cut == std::string::npos ? "" : ": " + why.substr(cut + 21)) +
                  "; remove it from \"enforcement.grace\"");
      drop.push_back(code);
      continue;
    }
    std::int64_t seconds = 0;
    if (v.isString()) {
      auto d = parse_duration(v.extract<std::string>().substr(0, 32));
      if (!d.ok()) {
        c.error("grace_duration_invalid", at,
                "\"" + detail::shown(v.extract<std::string>()) +
                    "\" is not a duration: write \"90s\", \"30m\", "
                    "\"72h\", \"7d\" or whole seconds");
        drop.push_back(code);
        continue;
      }
      seconds = *d;
    } else if (is_int(v)) {
      seconds = as_int(v).value_or(0);  // out of int64 range: refused below as out of range
    } else {
      c.error("grace_duration_invalid", at, "a grace is a duration (\"72h\") or whole seconds");
      drop.push_back(code);
      continue;
    }
    if (seconds < 1 || seconds > kMaxGraceSeconds) {
      c.error("grace_duration_range", at,
              "a grace is 1 second to 30 days (\"30d\"); longer is no grace but a "
              "policy change: remove the rule the fleet no longer meets instead");
      drop.push_back(code);
    }
  }
  for (const auto& k : drop) grace->remove(k);
}

// check_ima_required walks the list form of "ima.required", reporting and
// removing what ima_required_from_json would refuse: members other than path
// and digests, a path that is not 1 to 4096 bytes of text, a path listed
// twice, digests that are not "<alg>:<hex>" of the algorithm's size, an entry
// left without digests.
void check_ima_required(CheckContext& c, json::ObjectPtr ima) {
  json::ArrayPtr list = ima->has("required") ? ima->getArray("required") : nullptr;
  if (!list || list->size() > kMaxImaRequired) return;  // a bool, or the parser says why
  std::set<std::string> paths;
  std::vector<unsigned> drop;
  for (unsigned i = 0; i < list->size(); ++i) {
    const std::string at = "$.ima.required[" + std::to_string(i) + "]";
    json::ObjectPtr e = list->getObject(i);
    if (!e) {
      c.error("ima_required_entry", at,
              "an \"ima.required\" entry is an object {\"path\": \"/usr/bin/falcon-sensor\", \"digests\": "
              "[\"sha256:<hex>\"]}");
      drop.push_back(i);
      continue;
    }
    only_known(c, e, fields::kImaRequired, at);
    const auto p = e->get("path");
    const std::string path = p.isString() ? p.extract<std::string>() : std::string();
    const bool text = std::all_of(path.begin(), path.end(),
                                  [](char ch) { return static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f; });
    if (path.empty() || path.size() > kMaxImaPathSize || !text) {
      c.error("ima_required_path", at + ".path",
              "\"path\" is the file name exactly as IMA logs it (the n-ng field: \"/usr/bin/falcon-sensor\", "
              "a kernel module's path): 1 to 4096 bytes without control characters");
      drop.push_back(i);
      continue;
    }
    if (!paths.insert(path).second) {
      c.error("ima_required_duplicate", at + ".path",
              "\"" + detail::shown(path, 200) + "\" is listed twice: merge the digests into one entry");
      drop.push_back(i);
      continue;
    }
    json::ArrayPtr digests = e->has("digests") ? e->getArray("digests") : nullptr;
    if (!digests || digests->size() > kMaxImaRequiredDigests) continue;  // the parser says why
    std::vector<unsigned> bad;
    for (unsigned k = 0; k < digests->size(); ++k) {
      const auto v = digests->get(k);
      auto d = v.isString() ? ima_digest_canonical(v.extract<std::string>())
                            : Result<std::string>(make_error(Errc::malformed, "a digest is a string \"<alg>:<hex>\""));
      if (d.ok()) continue;
      c.error("ima_required_digest", at + ".digests[" + std::to_string(k) + "]",
              detail::shown(d.error().detail, 200, false) +
                  " (as `sha256sum FILE` prints it, after \"sha256:\"; IMA logs the file's digest with the "
                  "algorithm of its ima_hash= setting)");
      bad.push_back(k);
    }
    for (auto it = bad.rbegin(); it != bad.rend(); ++it) digests->remove(*it);
    if (digests->size() == 0) {
      c.error("ima_required_no_digest", at + ".digests",
              "\"" + detail::shown(path, 200) + "\" lists no valid digest, so no measurement could pass: name "
              "the builds allowed (\"sha256:<hex>\")");
      drop.push_back(i);
    }
  }
  for (auto it = drop.rbegin(); it != drop.rend(); ++it) list->remove(*it);
}

void check_raw(CheckContext& c, json::ObjectPtr doc) {
  only_known(c, doc, fields::kTop, "$");
  if (json::ObjectPtr o = object_at(doc, "pcrs")) check_pcrs(c, o);
  const std::pair<const char*, fields::List> sections[] = {
      {"ima", fields::kIma},       {"fido", fields::kFido}, {"host", fields::kHost},
      {"reboot", fields::kReboot}, {"ek", fields::kEk},     {"login", fields::kLogin},
      {"learn", fields::kLearn}};
  for (const auto& [key, allowed] : sections) {
    if (json::ObjectPtr o = object_at(doc, key)) only_known(c, o, allowed, std::string("$.") + key);
  }
  if (json::ObjectPtr o = object_at(doc, "ima")) check_ima_required(c, o);
  if (json::ObjectPtr o = object_at(doc, "enforcement")) check_grace(c, o);
  if (json::ObjectPtr o = object_at(doc, "boot")) {
    only_known(c, o, fields::kBoot, "$.boot");
    if (json::ObjectPtr k = object_at(o, "kernel_cmdline")) only_known(c, k, fields::kKernelCmdline, "$.boot.kernel_cmdline");
    if (json::ObjectPtr d = object_at(o, "dbx")) only_known(c, d, fields::kDbx, "$.boot.dbx");
    if (json::ObjectPtr s = object_at(o, "secure_boot_owners")) {
      only_known(c, s, fields::kSecureBootOwners, "$.boot.secure_boot_owners");
    }
    if (json::ObjectPtr m = object_at(o, "min_sbat")) only_known(c, m, fields::kMinSbat, "$.boot.min_sbat");
    detail::check_min_sbat(c, o);
  }
}

// check_in_place lints |doc|, which it may change (the working copy).
std::vector<Finding> check_in_place(json::ObjectPtr doc, std::int64_t now, std::string_view default_name) {
  CheckContext c;
  c.now = now;
  // The schema first: a newer document's fields are not "unknown", they are
  // of a schema this code does not read.
  if (doc->has("schema")) {
    const auto v = doc->get("schema");
    if (as_int(v) != kPolicySchema) {
      c.error(
          "schema_unknown", "$.schema",
          "policy schema " + (is_int(v) ? v.toString() : std::string("(not an integer)")) +
              " is unknown: this paw reads schema " + std::to_string(kPolicySchema) +
              "; write \"schema\": 1 (or leave it out) with the fields of docs/policy.md, or upgrade paw");
      return c.finish();
    }
  }
  check_raw(c, doc);
  if (doc->has("name") && !default_name.empty()) {
    const auto n = doc->get("name");
    if (!n.isString() || n.extract<std::string>() != default_name) {
      c.error("name_mismatch", "$.name",
              "the document's \"name\" differs from the policy being set (" + detail::shown(default_name) +
                  "): fix it or leave \"name\" out");
      doc->remove("name");
    }
  }
  if (!doc->has("name"))
    doc->set("name", default_name.empty() ? std::string("unnamed") : std::string(default_name));
  auto policy = policy_from_json(doc);
  if (!policy.ok()) {
    std::string msg = policy.error().detail;
    if (msg.starts_with("policy: ")) msg = msg.substr(8);
    // The parser quotes input (an AAGUID, a digest) in its message: made printable.
    c.error("invalid_value", "$", detail::shown(msg, 512, false) + " (docs/policy.md lists every field and its values)");
    return c.finish();
  }
  detail::check_rules(c, *policy);
  return c.finish();
}

}  // namespace

std::string_view severity_name(Severity s) noexcept {
  return s == Severity::error ? "error" : "warning";
}

std::vector<Finding> check_policy_document(std::string_view json_text, std::int64_t now,
                                           std::string_view default_name) {
  auto doc = json::parse_object(json_text, kMaxPolicySize, 6);
  if (!doc.ok()) {
    CheckContext c;
    c.error("json_invalid", "$",
            "not a policy document: " + detail::shown(doc.error().detail, 200) +
                " (a policy is one JSON object of at most 8 MiB, nested at most 6 deep)");
    return c.finish();
  }
  return check_in_place(*doc, now, default_name);
}

std::vector<Finding> check_policy_object(const json::ObjectPtr& doc, std::int64_t now,
                                         std::string_view default_name) {
  // A deep copy: the checker takes refused members out of what it parses.
  auto copy = json::parse_object(json::stringify(doc), 2 * kMaxPolicySize);
  if (!copy.ok()) {
    CheckContext c;
    c.error("json_invalid", "$", "not a policy document: " + detail::shown(copy.error().detail, 200));
    return c.finish();
  }
  return check_in_place(*copy, now, default_name);
}

bool has_errors(const std::vector<Finding>& findings) noexcept {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::error; });
}

}  // namespace paw
