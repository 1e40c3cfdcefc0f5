// bootfacts.cpp — decoding the facts policy needs from a checked event log.
#include "paw/attest/bootfacts.h"

#include <algorithm>
#include <functional>
#include <set>

#include "eventlog_internal.h"
#include "uefi.h"

namespace paw {
namespace {

Error at(const Event& e, const std::string& what) {
  return make_error(Errc::eventlog_malformed,
                    eventlog_where(e.index, e.offset) + " (" + event_type_name(e.type) + "): " + what);
}

// digest_map holds the event's digests in the banks of |banks| (empty: all):
// only a judged bank's digest is what the TPM extended.
std::map<HashAlg, Bytes> digest_map(const EventLog& log, const Event& e, const std::vector<HashAlg>& banks) {
  std::map<HashAlg, Bytes> out;
  for (const auto& d : log.digests(e)) {
    auto alg = d.alg();
    if (!alg || (!banks.empty() && std::find(banks.begin(), banks.end(), *alg) == banks.end())) continue;
    out.emplace(*alg, Bytes(d.value.begin(), d.value.end()));
  }
  return out;
}

Result<UefiVariableFact> variable_fact(const Event& e, bool strict) {
  auto v = uefi::parse_variable_data(e.data, strict);
  if (!v.ok()) return at(e, v.error().detail);
  UefiVariableFact f;
  f.event = e.index;
  f.pcr = e.pcr;
  f.type = e.type;
  f.guid = uefi::guid_text(v->guid);
  f.name = v->name;
  f.value.assign(v->value.begin(), v->value.end());
  f.sha256 = sha256(v->value);
  return f;
}

// UEFI_IMAGE_LOAD_EVENT (PFP 1.05, 10.2.4): location, length, link address,
// device-path length (UINTN = u64 on every log paw has seen), device path.
std::string image_device_path(ByteView data) {
  Reader r(data);
  std::uint64_t loc = 0, len = 0, link = 0, dp_len = 0;
  if (!r.u64le(loc) || !r.u64le(len) || !r.u64le(link) || !r.u64le(dp_len) || dp_len > r.remaining()) return "";
  ByteView dp;
  if (!r.bytes(static_cast<std::size_t>(dp_len), dp)) return "";
  auto text = uefi::device_path_text(dp);
  return text.ok() ? *text : "<undecodable device path>";
}

std::string event_text(ByteView data) {
  return uefi::looks_utf16(data) ? uefi::utf16_text(data) : uefi::ascii_text(data);
}

// kernel_cmdline recognises boot-loader strings that are kernel command lines:
// grub's "kernel_cmdline: <cmdline>" (also "grub_kernel_cmdline ") and
// systemd-boot's UTF-16 load options (measured as one EV_IPL string to PCR8).
std::optional<std::string> kernel_cmdline(const std::string& text, bool utf16) {
  for (const std::string_view p : {std::string_view("kernel_cmdline: "), std::string_view("grub_kernel_cmdline ")}) {
    if (text.rfind(p, 0) == 0) return text.substr(p.size());
  }
  if (utf16) return text;
  return std::nullopt;
}

// SecureBootReading collects the SecureBoot measurements of PCR 7. Firmware
// measures the variable once, before PCR 7's separator (PFP 1.05, 3.3.4.8);
// one after it was extended later (from the OS: root can extend PCR 7), so it
// says nothing about the boot, and two that disagree leave the state unknown.
struct SecureBootReading {
  std::vector<bool> before;    // values measured before the separator
  std::size_t after = 0;       // measurements after it (ignored)
  std::string unverified;      // detail of a SecureBoot event whose data does not match
  // dbx, read by the same rule: the firmware's measurements before the separator.
  std::vector<UefiVariableFact> dbx_before;
  std::string dbx_unverified;
};

bool is_dbx(const UefiVariableFact& f) { return f.guid == uefi::kImageSecurityDatabase && f.name == "dbx"; }

Status add_driver_config(BootFacts& facts, SecureBootReading& sb, const Event& e, bool after_separator) {
  PAW_TRY(UefiVariableFact f, variable_fact(e, true));
  if (f.guid == uefi::kGlobalVariable && f.name == "SecureBoot") {
    // UEFI 2.9, 3.3: SecureBoot is one byte, 1 = enabled. An absent variable is measured empty.
    if (f.value.size() > 1) return at(e, "SecureBoot variable of " + std::to_string(f.value.size()) + " bytes");
    if (after_separator) {
      ++sb.after;
    } else {
      sb.before.push_back(!f.value.empty() && f.value[0] == 1);
    }
  }
  if (is_dbx(f) && !after_separator) sb.dbx_before.push_back(f);
  facts.secure_boot_variables.push_back(std::move(f));
  return ok_status();
}

// is_secure_boot_variable: the event names the SecureBoot variable (read
// without trusting it, to say why the state is unknown).
bool is_secure_boot_variable(const Event& e) {
  auto v = uefi::parse_variable_data(e.data, false);
  return v.ok() && uefi::guid_text(v->guid) == uefi::kGlobalVariable && v->name == "SecureBoot";
}
bool is_dbx_variable(const Event& e) {
  auto v = uefi::parse_variable_data(e.data, false);
  return v.ok() && uefi::guid_text(v->guid) == uefi::kImageSecurityDatabase && v->name == "dbx";
}

// settle_dbx: the dbx a policy may judge is the one the firmware measured
// before PCR 7's separator, once (or always the same); its signature lists
// must decode. Without a PCR 7 separator in the log a later measurement could
// not be told from the firmware's, so dbx is unknown.
void settle_dbx(BootFacts& facts, const SecureBootReading& sb, bool pcr7_bound, bool pcr7_separator) {
  auto unknown = [&](std::string why) { facts.dbx_unknown = std::move(why); };
  if (!pcr7_bound) return unknown("PCR 7 is not bound by the quote (not quoted in a complete SHA-256 or stronger bank)");
  if (!sb.dbx_unverified.empty()) return unknown("the dbx measurement does not match its digest (" + sb.dbx_unverified + ")");
  if (!pcr7_separator) return unknown("PCR 7 has no separator, so the firmware's dbx cannot be told from a later one");
  if (sb.dbx_before.empty()) return unknown("the log does not measure dbx before PCR 7's separator");
  const UefiVariableFact& first = sb.dbx_before.front();
  for (const auto& d : sb.dbx_before) {
    if (d.value != first.value) return unknown("the log measures dbx more than once, with different values");
  }
  auto entries = parse_efi_signature_lists(first.value);
  if (!entries.ok()) {
    return unknown("dbx of event " + std::to_string(first.event) + " does not decode: " + entries.error().detail);
  }
  DbxFact f{first.event, first.pcr, first.type, {}, entries->other + entries->x509.size()};
  for (auto& d : entries->sha256) f.sha256.insert(std::move(d));
  facts.dbx = std::move(f);
}

void settle_secure_boot(BootFacts& facts, const SecureBootReading& sb, bool pcr7_bound) {
  if (!pcr7_bound) {
    facts.secure_boot_unknown = "PCR 7 is not bound by the quote (not quoted in a complete SHA-256 or stronger bank)";
  } else if (!sb.unverified.empty()) {
    facts.secure_boot_unknown = "the SecureBoot measurement does not match its digest (" + sb.unverified + ")";
  } else if (sb.before.empty()) {
    facts.secure_boot_unknown = sb.after == 0 ? "" : "SecureBoot is measured only after PCR 7's separator";
  } else if (std::adjacent_find(sb.before.begin(), sb.before.end(), std::not_equal_to<>()) != sb.before.end()) {
    facts.secure_boot_unknown = "the log measures SecureBoot more than once, with different values";
  } else {
    facts.secure_boot = sb.before.front();
  }
}

}  // namespace

const UefiVariableFact* BootFacts::variable(std::string_view name) const {
  const UefiVariableFact* found = nullptr;
  for (const auto& v : secure_boot_variables) {
    if (v.name == name) found = &v;
  }
  return found;
}

bool BootFacts::separator_error() const {
  return std::any_of(separators.begin(), separators.end(), [](const SeparatorFact& s) { return s.error; });
}

Result<BootFacts> extract_boot_facts(const EventLog& log, const FactScope& scope) {
  BootFacts facts;
  std::set<std::size_t> bad;
  for (auto& m : event_data_mismatches(log, scope.banks)) {
    bad.insert(m.event);
    facts.unverified.push_back({m.event, m.pcr, m.type, std::move(m.detail)});
  }
  const auto in_scope = [&](std::uint32_t pcr) { return !scope.pcrs || scope.pcrs->count(pcr) != 0; };
  SecureBootReading sb;
  bool pcr7_separator = false;
  for (const Event& e : log.events()) {
    if (e.type == ev::kNoAction || e.pcr == kNoPcr) continue;  // never extended: nothing the TPM saw
    if (!in_scope(e.pcr)) {
      facts.unbound.push_back(e.index);
      continue;
    }
    const bool after_separator7 = pcr7_separator;
    if (e.pcr == 7 && e.type == ev::kSeparator) pcr7_separator = true;  // by position: its digest is bound
    if (bad.count(e.index) != 0) {
      if (e.pcr == 7 && e.type == ev::kEfiVariableDriverConfig && is_secure_boot_variable(e)) {
        sb.unverified = eventlog_where(e.index, e.offset);
      }
      if (e.pcr == 7 && e.type == ev::kEfiVariableDriverConfig && !after_separator7 && is_dbx_variable(e)) {
        sb.dbx_unverified = eventlog_where(e.index, e.offset);
      }
      continue;  // its data is not what was measured: no fact from it
    }
    switch (e.type) {
      case ev::kEfiVariableDriverConfig:
        if (e.pcr == 7) PAW_CHECK(add_driver_config(facts, sb, e, after_separator7));
        break;
      case ev::kEfiVariableAuthority:
        if (e.pcr == 7) {
          PAW_TRY(UefiVariableFact f, variable_fact(e, false));
          facts.authorities.push_back(std::move(f));
        }
        break;
      case ev::kEfiVariableBoot:
      case ev::kEfiVariableBoot2: {
        PAW_TRY(UefiVariableFact f, variable_fact(e, true));
        facts.boot_variables.push_back(std::move(f));
        break;
      }
      case ev::kEfiBootServicesApplication:
      case ev::kEfiBootServicesDriver:
        facts.boot_applications.push_back(
            {e.index, e.pcr, e.type, digest_map(log, e, scope.banks), image_device_path(e.data)});
        break;
      case ev::kSeparator: {
        const bool zero = e.data.size() == 4 && e.data[0] == 0 && e.data[1] == 0 && e.data[2] == 0 && e.data[3] == 0;
        facts.separators.push_back({e.index, e.pcr, !zero});
        break;
      }
      case ev::kEfiAction:
      case ev::kAction:
        facts.actions.push_back({e.index, e.pcr, uefi::ascii_text(e.data)});
        break;
      case ev::kIpl:
        if (e.pcr == 8) {
          const bool utf16 = uefi::looks_utf16(e.data);
          std::string text = event_text(e.data);
          if (auto cmd = kernel_cmdline(text, utf16)) {
            facts.kernel_cmdlines.push_back(*cmd);
            facts.kernel_cmdline_events.push_back({e.index, e.pcr, *cmd});
          }
          facts.boot_loader.push_back({e.index, e.pcr, std::move(text)});
        } else if (e.pcr == 9) {
          facts.loaded_files.push_back({e.index, event_text(e.data), digest_map(log, e, scope.banks)});
        }
        break;
      default: break;
    }
  }
  settle_secure_boot(facts, sb, in_scope(7));
  settle_dbx(facts, sb, in_scope(7), pcr7_separator);
  return facts;
}

}  // namespace paw
