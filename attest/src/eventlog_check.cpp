// eventlog_check.cpp — which event types carry the very bytes that were hashed,
// and the check that their digests match. The event type is not covered by
// any digest, so a check only proves "these bytes were measured"; what the
// bytes mean is for boot facts.
#include <algorithm>
#include <cstring>
#include <memory>

#include "eventlog_internal.h"
#include "paw/attest/eventlog.h"

namespace paw {
namespace {

enum class Rule {
  whole,          // digest = H(data)
  string,         // digest = H(data) or H(text): data less its NUL and a grub prefix
  authority,      // digest = H(data), or H(data less its last byte) (GCE shim's off-by-one)
  variable_boot,  // digest = H(VariableData) (PFP 1.05) or H(UEFI_VARIABLE_DATA) (older firmware)
};

struct Check {
  std::uint32_t type;
  Rule rule;
  std::uint32_t pcr;  // kNoPcr: any PCR
  // why (PFP 1.05 section) — kept next to the rule so a reviewer sees the source.
};

// The table (docs/eventlog.md repeats it with one line of why per row):
constexpr Check kChecks[] = {
    // 10.4.1: "the digest of the event data" — 0x00000000, 0xFFFFFFFF or an error code.
    {ev::kSeparator, Rule::whole, kNoPcr},
    // 10.4.1: the digest of the action string, which is the event data.
    {ev::kAction, Rule::whole, kNoPcr},
    // 10.4.1 / 10.4.4: EV_EFI_ACTION digest is of the ASCII action string (no NUL), the data.
    {ev::kEfiAction, Rule::whole, kNoPcr},
    // 10.4.1: EV_OMIT_BOOT_DEVICE_EVENTS measures its fixed string, the data.
    {ev::kOmitBootDeviceEvents, Rule::whole, kNoPcr},
    // 10.4.4.2: EV_EFI_VARIABLE_DRIVER_CONFIG digest is of the whole UEFI_VARIABLE_DATA.
    {ev::kEfiVariableDriverConfig, Rule::whole, kNoPcr},
    // 10.4.4.2: EV_EFI_VARIABLE_AUTHORITY digest is of the UEFI_VARIABLE_DATA (db entry used).
    // Real GCE logs (cos-85/93, debian-10) hash all but the last byte of the event data.
    {ev::kEfiVariableAuthority, Rule::authority, kNoPcr},
    // 10.4.4.2: EV_EFI_VARIABLE_BOOT(2): digest of VariableData; pre-1.05 firmware hashed the whole structure.
    {ev::kEfiVariableBoot, Rule::variable_boot, kNoPcr},
    {ev::kEfiVariableBoot2, Rule::whole, kNoPcr},
    // 10.4.4.3: EV_EFI_GPT_EVENT digest is of UEFI_GPT_DATA, the data.
    {ev::kEfiGptEvent, Rule::whole, kNoPcr},
    // Boot loaders (grub, systemd-boot) measure their PCR8 strings (commands,
    // kernel command line) with the string as event data; PCR9 EV_IPL events
    // name files whose contents were hashed, so only PCR8 is checked.
    {ev::kIpl, Rule::string, 8},
};

const Check* find_check(const Event& e) {
  for (const Check& c : kChecks) {
    if (c.type == e.type && (c.pcr == kNoPcr || c.pcr == e.pcr)) return &c;
  }
  return nullptr;
}

bool equal(const std::uint8_t* a, ByteView b) { return std::memcmp(a, b.data(), b.size()) == 0; }

bool matches(Hasher& h, ByteView data, ByteView digest) {
  HashBuf buf;
  return h.hash(data, {}, buf.data()) && equal(buf.data(), digest);
}

// variable_data returns the VariableData of a UEFI_VARIABLE_DATA (PFP 1.05, 10.2.3).
bool variable_data(ByteView data, ByteView& out) {
  Reader r(data);
  std::uint64_t name_len = 0, data_len = 0;
  ByteView name;
  if (!r.skip(16) || !r.u64le(name_len) || !r.u64le(data_len)) return false;
  if (name_len > r.remaining() / 2 || !r.bytes(static_cast<std::size_t>(name_len) * 2, name)) return false;
  if (data_len != r.remaining()) return false;
  out = r.rest();
  return true;
}

// grub (2.02–2.12) logs "<prefix><text>\0" but hashes only <text> (grub-core/
// commands/tpm.c, kern/dl.c): these are its prefixes, old and new spellings.
constexpr std::string_view kGrubPrefixes[] = {"grub_cmd: ", "grub_cmd ",        "kernel_cmdline: ",
                                              "module_cmdline: ", "grub_kernel_cmdline ", "grub_linuxefi "};

// Candidates are the byte ranges a rule accepts as "what was hashed", most
// likely first; the first bank finds the one that matches and every other bank
// must match that same range (one hash per digest on a well-formed log).
struct Candidates {
  std::array<ByteView, 6> views;
  std::size_t count = 0;
  void add(ByteView v) {
    if (count < views.size()) views[count++] = v;
  }
};

void string_candidates(ByteView data, Candidates& c) {
  if (data.size() >= 2 && data[data.size() - 1] == 0 && data[data.size() - 2] == 0) {
    c.add(data.first(data.size() - 2));  // UTF-16 string less its NUL (systemd-boot)
  }
  if (!data.empty() && data.back() == 0) {
    const ByteView text = data.first(data.size() - 1);
    const std::string_view s(reinterpret_cast<const char*>(text.data()), text.size());
    for (const std::string_view p : kGrubPrefixes) {
      if (s.substr(0, p.size()) != p) continue;
      c.add(text.subspan(p.size()));
      c.add(data.subspan(p.size()));  // RHEL's grub 2.02 hashes the text with its NUL
      break;
    }
    c.add(text);
  }
  c.add(data);
}

Candidates candidates(Rule rule, ByteView data) {
  Candidates c;
  switch (rule) {
    case Rule::whole: c.add(data); break;
    case Rule::string: string_candidates(data, c); break;
    case Rule::authority:
      c.add(data);
      if (!data.empty()) c.add(data.first(data.size() - 1));
      break;
    case Rule::variable_boot: {
      ByteView value;
      if (variable_data(data, value)) c.add(value);
      c.add(data);
      break;
    }
  }
  return c;
}

}  // namespace

std::vector<DataMismatch> event_data_mismatches(const EventLog& log, const std::vector<HashAlg>& banks) {
  std::vector<DataMismatch> out;
  std::array<std::unique_ptr<Hasher>, 4> hashers;
  auto hasher_for = [&](HashAlg alg) -> Hasher* {
    std::size_t slot = 0;
    switch (alg) {
      case HashAlg::sha1: slot = 0; break;
      case HashAlg::sha256: slot = 1; break;
      case HashAlg::sha384: slot = 2; break;
      case HashAlg::sha512: slot = 3; break;
      default: return nullptr;
    }
    if (!hashers[slot]) hashers[slot] = std::make_unique<Hasher>(alg);
    return hashers[slot]->ok() ? hashers[slot].get() : nullptr;
  };
  for (const Event& e : log.events()) {
    if (e.type == ev::kNoAction) continue;  // never extended: its digests prove nothing
    const Check* c = find_check(e);
    if (c == nullptr) continue;
    const Candidates cands = candidates(c->rule, e.data);
    std::size_t chosen = cands.count;  // not yet known
    for (const auto& d : log.digests(e)) {
      const auto alg = d.alg();
      if (alg && !banks.empty() && std::find(banks.begin(), banks.end(), *alg) == banks.end()) continue;
      Hasher* h = alg ? hasher_for(*alg) : nullptr;
      if (h == nullptr) continue;  // an algorithm paw cannot compute proves nothing either way
      bool ok = false;
      if (chosen < cands.count) {
        ok = matches(*h, cands.views[chosen], d.value);
      } else {
        for (std::size_t i = 0; i < cands.count && !ok; ++i) {
          if (matches(*h, cands.views[i], d.value)) {
            ok = true;
            chosen = i;
          }
        }
      }
      if (!ok) {
        out.push_back({e.index, e.pcr, e.type,
                       eventlog_where(e.index, e.offset) + " (" + event_type_name(e.type) + ", PCR " +
                           std::to_string(e.pcr) + "): " + alg_id_text(d.alg_id) +
                           " digest does not match the event data"});
        break;  // one line per event
      }
    }
  }
  return out;
}

Status check_event_data(const EventLog& log, const std::vector<HashAlg>& banks) {
  const auto bad = event_data_mismatches(log, banks);
  if (bad.empty()) return ok_status();
  return make_error(Errc::eventlog_tampered, bad.front().detail);
}

}  // namespace paw
