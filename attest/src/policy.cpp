#include "paw/attest/policy.h"

#include "paw/attest/grace.h"
#include "policy_fields.h"

#include <algorithm>
#include <charconv>

namespace paw {
namespace {

Error bad(std::string detail) { return make_error(Errc::malformed, "policy: " + std::move(detail)); }

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

Result<std::uint32_t> parse_index(const std::string& key) {
  std::uint32_t index = 0;
  const char* end = key.data() + key.size();
  auto [ptr, ec] = std::from_chars(key.data(), end, index);
  if (ec != std::errc{} || ptr != end || key.empty() || (key.size() > 1 && key[0] == '0')) {
    return bad("PCR index \"" + key + "\" is not a decimal number");
  }
  return index;
}

Result<bool> opt_bool_or(const json::ObjectPtr& o, const std::string& key, bool def) {
  PAW_TRY(std::optional<bool> v, json::opt_bool(o, key));
  return v.value_or(def);
}

Result<std::int64_t> opt_int_or(const json::ObjectPtr& o, const std::string& key, std::int64_t def) {
  if (!o->has(key) || o->isNull(key)) return def;
  return json::get_int(o, key);
}

// string_list reads an optional array of strings, at most |max| entries.
Result<std::vector<std::string>> string_list(const json::ObjectPtr& o, const std::string& key, std::size_t max) {
  std::vector<std::string> out;
  if (!o->has(key) || o->isNull(key)) return out;
  PAW_TRY(json::ArrayPtr arr, json::get_array(o, key));
  if (arr->size() > max) return make_error(Errc::too_large, "policy: \"" + key + "\" has too many entries");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto v = arr->get(static_cast<unsigned>(i));
    if (!v.isString()) return bad("\"" + key + "\" entries must be strings");
    out.push_back(v.extract<std::string>());
  }
  return out;
}

Result<ByteSet> hex_set(const json::ObjectPtr& o, const std::string& key, std::size_t max) {
  PAW_TRY(std::vector<std::string> items, string_list(o, key, max));
  ByteSet out;
  for (const auto& s : items) {
    if (s.size() > 128) return bad("\"" + key + "\" entry too long");
    auto b = unhex(s);
    if (!b.ok()) return bad("\"" + key + "\" entry \"" + s + "\" is not hex");
    out.insert(std::move(b).value());
  }
  return out;
}

json::ArrayPtr hex_array(const ByteSet& items) {
  json::ArrayPtr a = new Poco::JSON::Array();
  for (const auto& b : items) a->add(hex(b));
  return a;
}

// pcr_values_from reads {"sha256": {"7": "<hex>"}, ...}.
Result<PcrValues> pcr_values_from(const json::ObjectPtr& ref) {
  PcrValues out;
  for (const auto& [bank, ignored] : *ref) {
    const auto alg = hash_from_name(bank);
    if (!alg) return bad("unknown PCR bank \"" + bank + "\"");
    PAW_TRY(json::ObjectPtr values, json::get_object(ref, bank));
    if (values->size() > kPcrCount) return bad("too many PCRs in bank " + bank);
    for (const auto& [key, ignored2] : *values) {
      PAW_TRY(std::uint32_t idx, parse_index(key));
      PAW_TRY(Bytes v, json::get_hex(values, key, 64));
      out[*alg][idx] = std::move(v);
    }
  }
  return out;
}

json::ObjectPtr pcr_values_to_json(const PcrValues& values) {
  json::ObjectPtr ref = new Poco::JSON::Object();
  for (const auto& [bank, vals] : values) {
    json::ObjectPtr b = new Poco::JSON::Object();
    for (const auto& [i, v] : vals) b->set(std::to_string(i), hex(v));
    ref->set(std::string(hash_name(bank)), b);
  }
  return ref;
}

Result<std::vector<ReferenceSet>> reference_sets_from(const json::ObjectPtr& o) {
  std::vector<ReferenceSet> out;
  PAW_TRY(json::ArrayPtr arr, json::get_array(o, "reference_sets"));
  if (arr->size() > kMaxReferenceSets) return make_error(Errc::too_large, "policy: too many reference sets");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    json::ObjectPtr s = arr->getObject(static_cast<unsigned>(i));
    if (s.isNull()) return bad("\"reference_sets\" entries must be objects");
    PAW_CHECK(detail::policy_fields::only(s, detail::policy_fields::kReferenceSet, "policy reference set"));
    ReferenceSet set;
    PAW_TRY(set.name, json::get_string(s, "name"));
    PAW_TRY(set.not_after, opt_int_or(s, "not_after", 0));
    PAW_TRY(json::ObjectPtr values, json::get_object(s, "values"));
    PAW_TRY(set.values, pcr_values_from(values));
    out.push_back(std::move(set));
  }
  return out;
}

Result<PcrPolicy> pcrs_from(const json::ObjectPtr& o) {
  PAW_CHECK(detail::policy_fields::only(o, detail::policy_fields::kPcrs, "policy \"pcrs\""));
  PcrPolicy p = default_policy().pcrs;
  if (o->has("required") && !o->isNull("required")) {
    p.required.clear();
    PAW_TRY(json::ObjectPtr req, json::get_object(o, "required"));
    for (const auto& [bank, ignored] : *req) {
      const auto alg = hash_from_name(bank);
      if (!alg) return bad("unknown PCR bank \"" + bank + "\"");
      PAW_TRY(json::ArrayPtr arr, json::get_array(req, bank));
      if (arr->size() > kPcrCount) return bad("too many PCRs in bank " + bank);
      auto& dst = p.required[*alg];
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const auto v = arr->get(static_cast<unsigned>(i));
        if (!v.isInteger()) return bad("PCR indices must be integers");
        std::int64_t idx = -1;  // above 2^63 the conversion throws: out of range like any other
        try {
          idx = v.convert<std::int64_t>();
        } catch (const Poco::Exception&) {
        }
        if (idx < 0 || idx >= static_cast<std::int64_t>(kPcrCount)) return bad("PCR index out of range");
        dst.insert(static_cast<std::uint32_t>(idx));
      }
    }
  }
  if (o->has("reference") && !o->isNull("reference")) {
    PAW_TRY(json::ObjectPtr ref, json::get_object(o, "reference"));
    PAW_TRY(p.reference, pcr_values_from(ref));
  }
  if (o->has("reference_sets") && !o->isNull("reference_sets")) {
    PAW_TRY(p.sets, reference_sets_from(o));
  }
  PAW_TRY(p.pin_on_enroll, opt_bool_or(o, "pin_on_enroll", true));
  return p;
}

Result<FidoPolicy> fido_from(const json::ObjectPtr& o) {
  PAW_CHECK(detail::policy_fields::only(o, detail::policy_fields::kFido, "policy \"fido\""));
  FidoPolicy f;
  PAW_TRY(f.required, opt_bool_or(o, "required", f.required));
  PAW_TRY(f.user_presence, opt_bool_or(o, "user_presence", f.user_presence));
  PAW_TRY(f.user_verification, opt_bool_or(o, "user_verification", f.user_verification));
  PAW_TRY(f.allow_zero_counter, opt_bool_or(o, "allow_zero_counter", f.allow_zero_counter));
  PAW_TRY(f.allow_self_attestation, opt_bool_or(o, "allow_self_attestation", f.allow_self_attestation));
  PAW_TRY(f.allow_none_attestation, opt_bool_or(o, "allow_none_attestation", f.allow_none_attestation));
  if (o->has("login_presence_max_age_seconds")) {
    PAW_TRY(f.login_presence_max_age_seconds, json::get_int(o, "login_presence_max_age_seconds"));
  }
  PAW_TRY(std::vector<std::string> aaguids, string_list(o, "aaguid_allowlist", kMaxAaguids));
  for (const auto& a : aaguids) {
    PAW_TRY(Bytes g, parse_aaguid(a));
    f.aaguid_allowlist.insert(std::move(g));
  }
  return f;
}

Status object_or_default(const json::ObjectPtr& o, const std::string& key, json::ObjectPtr& out) {
  out = nullptr;
  if (!o->has(key) || o->isNull(key)) return ok_status();
  PAW_TRY(out, json::get_object(o, key));
  return ok_status();
}

}  // namespace

Policy default_policy() {
  Policy p;
  p.pcrs.required[HashAlg::sha256] = {0, 2, 4, 7};
  return p;
}

Status validate_policy(const Policy& p) {
  if (p.name.empty() || p.name.size() > kMaxPolicyNameSize || !std::all_of(p.name.begin(), p.name.end(), name_char)) {
    return bad("name must be 1 to 64 characters of [a-z0-9._-]");
  }
  if (p.version < 1 || p.version > 0x7fffffff) return bad("version must be 1 to 2^31-1");
  for (const auto& [bank, indices] : p.pcrs.required) {
    if (hash_size(bank) == 0) return bad("unknown PCR bank");
    for (auto i : indices) {
      if (i >= kPcrCount) return bad("PCR index " + std::to_string(i) + " out of range");
    }
  }
  auto check_values = [&](const PcrValues& refs, const std::string& where) -> Status {
    for (const auto& [bank, values] : refs) {
      const auto req = p.pcrs.required.find(bank);
      for (const auto& [i, v] : values) {
        const std::string what = std::string(hash_name(bank)) + " PCR " + std::to_string(i);
        if (v.size() != hash_size(bank)) return bad(where + what + " has the wrong size");
        if (req == p.pcrs.required.end() || !req->second.contains(i)) {
          return bad(where + what + " is not listed in \"required\"");
        }
      }
    }
    return ok_status();
  };
  PAW_CHECK(check_values(p.pcrs.reference, "reference "));
  if (p.pcrs.sets.size() > kMaxReferenceSets) return make_error(Errc::too_large, "policy: too many reference sets");
  std::set<std::string> set_names;
  for (const auto& s : p.pcrs.sets) {
    if (s.name.empty() || s.name.size() > kMaxPolicyNameSize || !std::all_of(s.name.begin(), s.name.end(), name_char)) {
      return bad("reference set names must be 1 to 64 characters of [a-z0-9._-]");
    }
    if (!set_names.insert(s.name).second) return bad("reference set \"" + s.name + "\" appears twice");
    if (s.not_after < 0) return bad("reference set \"" + s.name + "\": not_after must be unix seconds or 0");
    if (s.values.empty()) return bad("reference set \"" + s.name + "\" has no values");
    PAW_CHECK(check_values(s.values, "reference set \"" + s.name + "\" "));
  }
  if (p.boot_applications.size() > kMaxBootApplications) return make_error(Errc::too_large, "policy: too many boot applications");
  for (const auto& d : p.boot_applications) {
    if (d.size() != 32) return bad("boot application digests must be SHA-256 (32 bytes)");
  }
  PAW_CHECK(validate_boot_rules(p.boot));
  PAW_CHECK(validate_ima_policy(p.ima));
  if (p.fido.aaguid_allowlist.size() > kMaxAaguids) return make_error(Errc::too_large, "policy: too many AAGUIDs");
  for (const auto& g : p.fido.aaguid_allowlist) {
    if (g.size() != 16) return bad("AAGUIDs must be 16 bytes");
  }
  if (p.max_attestation_age_seconds < 10 || p.max_attestation_age_seconds > kMaxAttestationAge) {
    return bad("max_attestation_age_seconds must be 10 to 2592000");
  }
  if (p.token_ttl_seconds < kMinTokenTtl || p.token_ttl_seconds > kMaxTokenTtl) {
    return bad("token_ttl_seconds must be 60 to 86400");
  }
  if (p.fido.login_presence_max_age_seconds < 0 || p.fido.login_presence_max_age_seconds > kMaxAttestationAge) {
    return bad("fido.login_presence_max_age_seconds must be 0 (off) to 2592000");
  }
  if (p.host.os_release_allowlist.size() > kMaxOsReleases) return make_error(Errc::too_large, "policy: too many OS releases");
  for (const auto& s : p.host.os_release_allowlist) {
    if (s.empty() || s.size() > 256) return bad("os_release_allowlist entries must be 1 to 256 characters");
  }
  if (p.learn.min_devices < 0 || p.learn.min_devices > kMaxLearnMinDevices) {
    return bad("learn.min_devices must be 1 to 1000000 (leave \"learn\" out to turn learn mode off)");
  }
  return validate_enforcement(p.enforcement);
}

Status check_policy_bindings(const Policy& p) {
  auto required = [&](std::uint32_t pcr) {
    for (const auto& [bank, indices] : p.pcrs.required) {
      if (hash_size(bank) >= 32 && indices.contains(pcr)) return true;
    }
    return false;
  };
  if (p.secure_boot_required && !required(7)) {
    return bad("\"secure_boot_required\" needs PCR 7 in \"pcrs\": {\"required\": {\"sha256\": [..., 7]}}: the Secure "
               "Boot state is read from PCR 7's events, which only a quoted PCR 7 binds");
  }
  if (!p.boot_applications.empty() && !required(4)) {
    return bad("a \"boot_applications\" allowlist needs PCR 4 in \"pcrs\": {\"required\": {\"sha256\": [..., 4]}}: "
               "boot applications are read from PCR 4's events, which only a quoted PCR 4 binds");
  }
  if (!p.boot.authorities.empty() && !required(7)) {
    return bad("\"boot.authorities\" needs PCR 7 in \"pcrs\": {\"required\": {\"sha256\": [..., 7]}}: the "
               "signing authorities are read from PCR 7's events, which only a quoted PCR 7 binds");
  }
  if ((!p.boot.dbx_required.empty() || !p.boot.min_sbat.empty()) && !required(7)) {  // revocation levels
    return bad(std::string(p.boot.dbx_required.empty() ? "\"boot.min_sbat\"" : "\"boot.dbx\"") + " needs PCR 7 in "
               "\"pcrs\": {\"required\": {\"sha256\": [..., 7]}}: the dbx and shim's SbatLevel are read "
               "from PCR 7's events, which only a quoted PCR 7 binds");
  }
  if ((!p.boot.owner_pk.empty() || !p.boot.owner_kek.empty()) && !required(7)) {
    return bad("\"boot.secure_boot_owners\" needs PCR 7 in \"pcrs\": {\"required\": {\"sha256\": [..., 7]}}: PK and "
               "KEK are read from PCR 7's events, which only a quoted PCR 7 binds");
  }
  if ((!p.boot.cmdline_required.empty() || !p.boot.cmdline_forbidden.empty()) && !required(8)) {
    return bad("\"boot.kernel_cmdline\" needs PCR 8 in \"pcrs\": {\"required\": {\"sha256\": [..., 8]}}: the "
               "kernel command line is read from PCR 8's events, which only a quoted PCR 8 binds");
  }
  if (!p.boot.min_kernel.empty() && (!required(4) || !required(7))) {
    return bad("\"boot.min_kernel\" needs PCRs 4 and 7 in \"pcrs\": {\"required\": {\"sha256\": [..., 4, 7]}}: "
               "the booted kernel is read from PCR 4's events and judged only with Secure Boot proven on by PCR "
               "7's, which only quoted PCRs bind");
  }
  return ok_status();
}

Result<Policy> policy_from_json(const json::ObjectPtr& o) {
  PAW_CHECK(detail::policy_fields::only(o, detail::policy_fields::kTop, "policy"));
  // The schema is checked first: a document of a newer schema is refused as
  // such, not as "unknown field" of whatever that schema added.
  if (o->has("schema")) {
    PAW_TRY(std::int64_t schema, json::get_int(o, "schema"));
    if (schema != kPolicySchema) {
      return bad("schema " + std::to_string(schema) + " is unknown: this verifier reads policy schema " +
                 std::to_string(kPolicySchema) + " (docs/policy.md); upgrade paw or write a schema " +
                 std::to_string(kPolicySchema) + " document");
    }
  }
  Policy p = default_policy();
  PAW_TRY(p.name, json::get_string(o, "name"));
  if (p.name.size() > kMaxPolicyNameSize) return bad("name too long");
  PAW_TRY(p.version, opt_int_or(o, "version", 1));
  json::ObjectPtr sub;
  PAW_CHECK(object_or_default(o, "pcrs", sub));
  if (sub) {
    PAW_TRY(p.pcrs, pcrs_from(sub));
  }
  PAW_TRY(p.secure_boot_required, opt_bool_or(o, "secure_boot_required", p.secure_boot_required));
  PAW_TRY(p.boot_applications, hex_set(o, "boot_applications", kMaxBootApplications));
  PAW_CHECK(object_or_default(o, "boot", sub));
  if (sub) {
    PAW_TRY(p.boot, boot_rules_from_json(sub));
  }
  PAW_TRY(p.event_log_required, opt_bool_or(o, "event_log_required", p.event_log_required));
  PAW_CHECK(object_or_default(o, "ima", sub));
  if (sub) {
    PAW_CHECK(detail::policy_fields::only(sub, detail::policy_fields::kIma, "policy \"ima\""));
    // "required": true/false (the log), or the list of files it must show (ImaRequirement).
    if (json::ArrayPtr files = sub->has("required") ? sub->getArray("required") : nullptr) {
      PAW_TRY(p.ima.required_files, ima_required_from_json(files));
      p.ima.required = true;
    } else {
      PAW_TRY(p.ima.required, opt_bool_or(sub, "required", false));
    }
    PAW_TRY(p.ima.allowlist, hex_set(sub, "allowlist", kMaxImaAllowlist));
  }
  PAW_CHECK(object_or_default(o, "fido", sub));
  if (sub) {
    PAW_TRY(p.fido, fido_from(sub));
  }
  PAW_TRY(p.max_attestation_age_seconds, opt_int_or(o, "max_attestation_age_seconds", p.max_attestation_age_seconds));
  PAW_TRY(p.token_ttl_seconds, opt_int_or(o, "token_ttl_seconds", p.token_ttl_seconds));
  PAW_CHECK(object_or_default(o, "host", sub));
  if (sub) {
    PAW_CHECK(detail::policy_fields::only(sub, detail::policy_fields::kHost, "policy \"host\""));
    PAW_TRY(p.host.disk_encryption_required, opt_bool_or(sub, "disk_encryption_required", true));
    PAW_TRY(p.host.os_release_allowlist, string_list(sub, "os_release_allowlist", kMaxOsReleases));
  }
  PAW_CHECK(object_or_default(o, "reboot", sub));
  if (sub) {
    PAW_CHECK(detail::policy_fields::only(sub, detail::policy_fields::kReboot, "policy \"reboot\""));
    PAW_TRY(p.reboot_allowed, opt_bool_or(sub, "allow", true));
  }
  PAW_CHECK(object_or_default(o, "ek", sub));
  if (sub) {
    PAW_CHECK(detail::policy_fields::only(sub, detail::policy_fields::kEk, "policy \"ek\""));
    PAW_TRY(p.ek_allow_tofu, opt_bool_or(sub, "allow_tofu", false));
  }
  PAW_TRY(p.require_admin_approval, opt_bool_or(o, "require_admin_approval", false));
  PAW_CHECK(object_or_default(o, "enforcement", sub));
  if (sub) {
    PAW_TRY(p.enforcement, enforcement_from_json(sub));
  }
  PAW_CHECK(object_or_default(o, "login", sub));
  if (sub) {
    PAW_CHECK(detail::policy_fields::only(sub, detail::policy_fields::kLogin, "policy \"login\""));
    PAW_TRY(auto binding, json::opt_string(sub, "token_binding"));
    if (binding && *binding == "bearer") {
      p.login.token_binding = TokenBinding::bearer;
    } else if (binding && *binding != "pop") {
      return bad("policy \"login\": token_binding must be \"pop\" or \"bearer\"");
    }
  }
  PAW_CHECK(object_or_default(o, "learn", sub));
  if (sub) {
    PAW_CHECK(detail::policy_fields::only(sub, detail::policy_fields::kLearn, "policy \"learn\""));
    PAW_TRY(p.learn.min_devices, json::get_int(sub, "min_devices"));
    if (p.learn.min_devices < 1) return bad("learn.min_devices must be 1 to 1000000");
  }
  PAW_CHECK(validate_policy(p));
  return p;
}

Result<Policy> parse_stored_policy(std::string_view json_text) {
  PAW_TRY(json::ObjectPtr o, json::parse_object(json_text, kMaxPolicySize, 6));
  PAW_TRY(Policy p, policy_from_json(o));
  if (!o->has("login")) p.login.token_binding = TokenBinding::bearer;  // stored before PoP existed
  return p;
}

std::string_view token_binding_name(TokenBinding b) noexcept {
  return b == TokenBinding::bearer ? "bearer" : "pop";
}

Result<Policy> parse_policy(std::string_view json_text) {
  PAW_TRY(json::ObjectPtr o, json::parse_object(json_text, kMaxPolicySize, 6));
  return policy_from_json(o);
}

json::ObjectPtr policy_to_json(const Policy& p) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("name", p.name);
  o->set("schema", kPolicySchema);
  o->set("version", p.version);
  json::ObjectPtr pcrs = new Poco::JSON::Object();
  json::ObjectPtr req = new Poco::JSON::Object();
  for (const auto& [bank, indices] : p.pcrs.required) {
    json::ArrayPtr a = new Poco::JSON::Array();
    for (auto i : indices) a->add(static_cast<std::int64_t>(i));
    req->set(std::string(hash_name(bank)), a);
  }
  pcrs->set("required", req);
  pcrs->set("reference", pcr_values_to_json(p.pcrs.reference));
  if (!p.pcrs.sets.empty()) {
    json::ArrayPtr sets = new Poco::JSON::Array();
    for (const auto& s : p.pcrs.sets) {
      json::ObjectPtr so = new Poco::JSON::Object();
      so->set("name", s.name);
      so->set("not_after", s.not_after);
      so->set("values", pcr_values_to_json(s.values));
      sets->add(so);
    }
    pcrs->set("reference_sets", sets);
  }
  pcrs->set("pin_on_enroll", p.pcrs.pin_on_enroll);
  o->set("pcrs", pcrs);
  o->set("secure_boot_required", p.secure_boot_required);
  o->set("boot_applications", hex_array(p.boot_applications));
  if (!p.boot.empty()) o->set("boot", boot_rules_to_json(p.boot));  // absent = no rule, as before it existed
  o->set("event_log_required", p.event_log_required);
  json::ObjectPtr ima = new Poco::JSON::Object();
  if (p.ima.required_files.empty()) {
    ima->set("required", p.ima.required);
  } else {
    ima->set("required", ima_required_to_json(p.ima.required_files));
  }
  ima->set("allowlist", hex_array(p.ima.allowlist));
  o->set("ima", ima);
  json::ObjectPtr fido = new Poco::JSON::Object();
  fido->set("required", p.fido.required);
  fido->set("user_presence", p.fido.user_presence);
  fido->set("user_verification", p.fido.user_verification);
  json::ArrayPtr aaguids = new Poco::JSON::Array();
  for (const auto& g : p.fido.aaguid_allowlist) aaguids->add(format_aaguid(g));
  fido->set("aaguid_allowlist", aaguids);
  fido->set("allow_zero_counter", p.fido.allow_zero_counter);
  fido->set("allow_self_attestation", p.fido.allow_self_attestation);
  fido->set("allow_none_attestation", p.fido.allow_none_attestation);
  fido->set("login_presence_max_age_seconds", p.fido.login_presence_max_age_seconds);
  o->set("fido", fido);
  o->set("max_attestation_age_seconds", p.max_attestation_age_seconds);
  o->set("token_ttl_seconds", p.token_ttl_seconds);
  json::ObjectPtr host = new Poco::JSON::Object();
  host->set("disk_encryption_required", p.host.disk_encryption_required);
  json::ArrayPtr os = new Poco::JSON::Array();
  for (const auto& s : p.host.os_release_allowlist) os->add(s);
  host->set("os_release_allowlist", os);
  o->set("host", host);
  json::ObjectPtr reboot = new Poco::JSON::Object();
  reboot->set("allow", p.reboot_allowed);
  o->set("reboot", reboot);
  json::ObjectPtr ek = new Poco::JSON::Object();
  ek->set("allow_tofu", p.ek_allow_tofu);
  o->set("ek", ek);
  o->set("require_admin_approval", p.require_admin_approval);
  o->set("enforcement", enforcement_to_json(p.enforcement));
  json::ObjectPtr login = new Poco::JSON::Object();
  login->set("token_binding", std::string(token_binding_name(p.login.token_binding)));
  o->set("login", login);
  if (p.learn.on()) {  // absent = off, as before it existed
    json::ObjectPtr learn = new Poco::JSON::Object();
    learn->set("min_devices", p.learn.min_devices);
    o->set("learn", learn);
  }
  return o;
}

std::string serialize_policy(const Policy& policy) { return json::stringify(policy_to_json(policy)); }

Result<Bytes> parse_aaguid(std::string_view text) {
  std::string digits;
  if (text.size() == 36) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      const bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash_pos != (text[i] == '-')) return bad("AAGUID \"" + std::string(text) + "\" is not a UUID");
      if (!dash_pos) digits.push_back(text[i]);
    }
  } else if (text.size() == 32) {
    digits = std::string(text);
  } else {
    return bad("AAGUID \"" + std::string(text.substr(0, 40)) + "\" is not a UUID");
  }
  auto b = unhex(digits);
  if (!b.ok()) return bad("AAGUID \"" + std::string(text) + "\" is not hex");
  return b;
}

std::string format_aaguid(ByteView g) {
  std::string h = hex(g);
  if (h.size() != 32) return h;
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

}  // namespace paw
