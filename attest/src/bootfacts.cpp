// bootfacts.cpp — decoding the facts policy needs from a checked event log.
#include "paw/attest/bootfacts.h"

#include <algorithm>

#include "eventlog_internal.h"
#include "uefi.h"

namespace paw {
namespace {

Error at(const Event& e, const std::string& what) {
  return make_error(Errc::eventlog_malformed,
                    eventlog_where(e.index, e.offset) + " (" + event_type_name(e.type) + "): " + what);
}

std::map<HashAlg, Bytes> digest_map(const EventLog& log, const Event& e) {
  std::map<HashAlg, Bytes> out;
  for (const auto& d : log.digests(e)) {
    if (auto alg = d.alg()) out.emplace(*alg, Bytes(d.value.begin(), d.value.end()));
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

Status add_driver_config(BootFacts& facts, const Event& e) {
  PAW_TRY(UefiVariableFact f, variable_fact(e, true));
  if (f.guid == uefi::kGlobalVariable && f.name == "SecureBoot") {
    // UEFI 2.9, 3.3: SecureBoot is one byte, 1 = enabled. An absent variable is measured empty.
    if (f.value.size() > 1) return at(e, "SecureBoot variable of " + std::to_string(f.value.size()) + " bytes");
    facts.secure_boot = !f.value.empty() && f.value[0] == 1;
  }
  facts.secure_boot_variables.push_back(std::move(f));
  return ok_status();
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

Result<BootFacts> extract_boot_facts(const EventLog& log, const std::vector<HashAlg>& banks) {
  PAW_CHECK(check_event_data(log, banks));
  BootFacts facts;
  for (const Event& e : log.events()) {
    switch (e.type) {
      case ev::kEfiVariableDriverConfig:
        if (e.pcr == 7) PAW_CHECK(add_driver_config(facts, e));
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
        facts.boot_applications.push_back({e.index, e.pcr, e.type, digest_map(log, e), image_device_path(e.data)});
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
          if (auto cmd = kernel_cmdline(text, utf16)) facts.kernel_cmdlines.push_back(*cmd);
          facts.boot_loader.push_back({e.index, e.pcr, std::move(text)});
        } else if (e.pcr == 9) {
          facts.loaded_files.push_back({e.index, event_text(e.data), digest_map(log, e)});
        }
        break;
      default: break;
    }
  }
  return facts;
}

}  // namespace paw
