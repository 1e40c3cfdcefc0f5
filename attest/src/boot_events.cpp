// boot_events.cpp — the bound events of a verified boot (boot_events.h): what
// each measured, from its data, and the digest the quote binds; JSON both ways.
#include "paw/attest/boot_events.h"

#include <algorithm>
#include <limits>
#include <set>

#include "eventlog_internal.h"
#include "uefi.h"

namespace paw {
namespace {

// printable: |text| with control characters as '?', at most
// kMaxBootEventSubject bytes, cut at a UTF-8 character boundary (PostgreSQL
// refuses text that is not UTF-8).
std::string printable(std::string_view text) {
  std::size_t n = std::min(text.size(), kMaxBootEventSubject);
  while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  std::string out(text.substr(0, n));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

// text_of: the data as text when it looks like text (UTF-16LE or printable
// ASCII with an optional NUL), else "".
std::string text_of(ByteView data) {
  if (uefi::looks_utf16(data)) return uefi::utf16_text(data);
  std::size_t n = data.size();
  while (n > 0 && data[n - 1] == 0) --n;
  if (n == 0) return "";
  const bool ascii = std::all_of(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n),
                                 [](std::uint8_t b) { return b >= 0x20 && b < 0x7f; });
  return ascii ? uefi::ascii_text(data) : "";
}

// image_path: the device path of a UEFI_IMAGE_LOAD_EVENT (PFP 1.05, 10.2.4):
// location, length, link address, device-path length (UINTN, u64), path.
std::string image_path(ByteView data) {
  Reader r(data);
  std::uint64_t loc = 0, len = 0, link = 0, dp_len = 0;
  ByteView dp;
  if (!r.u64le(loc) || !r.u64le(len) || !r.u64le(link) || !r.u64le(dp_len) || dp_len > r.remaining() ||
      !r.bytes(static_cast<std::size_t>(dp_len), dp)) {
    return "";
  }
  auto text = uefi::device_path_text(dp);
  return text.ok() ? *text : "";
}

// blob2_description: UEFI_PLATFORM_FIRMWARE_BLOB2 (PFP 1.05, 10.2.5) starts
// with a one-byte description size and the description.
std::string blob2_description(ByteView data) {
  Reader r(data);
  std::uint8_t n = 0;
  ByteView d;
  if (!r.u8(n) || !r.bytes(n, d)) return "";
  return uefi::ascii_text(d);
}

std::string subject_of(const Event& e) {
  switch (e.type) {
    case ev::kEfiVariableDriverConfig:
    case ev::kEfiVariableAuthority:
    case ev::kEfiVariableBoot:
    case ev::kEfiVariableBoot2: {
      auto v = uefi::parse_variable_data(e.data, false);
      return v.ok() ? v->name : "";
    }
    case ev::kEfiBootServicesApplication:
    case ev::kEfiBootServicesDriver:
    case ev::kEfiRuntimeServicesDriver: return image_path(e.data);
    case ev::kEfiPlatformFirmwareBlob2: return blob2_description(e.data);
    case ev::kSeparator: {
      const bool zero = e.data.size() == 4 && std::all_of(e.data.begin(), e.data.end(), [](auto b) { return b == 0; });
      return zero ? "separator" : "separator (error)";
    }
    case ev::kEfiGptEvent: return "GPT partition table";
    case ev::kIpl: return uefi::looks_utf16(e.data) ? uefi::utf16_text(e.data) : uefi::ascii_text(e.data);
    default: return text_of(e.data);
  }
}

// bank_for: SHA-256 when it binds |pcr| (what most fleets quote, so two
// machines compare), else the first other bank that does.
std::optional<HashAlg> bank_for(const EventLogBinding& b, std::uint32_t pcr) {
  if (b.pcr_bound(HashAlg::sha256, pcr)) return HashAlg::sha256;
  for (const auto& [bank, pcrs] : b.bound) {
    if (pcrs.count(pcr) != 0) return bank;
  }
  return std::nullopt;
}

Error bad(const std::string& what) { return make_error(Errc::malformed, "boot events: " + what); }

Result<std::uint32_t> get_u32(const json::ObjectPtr& o, const std::string& key) {
  PAW_TRY(std::int64_t v, json::get_int(o, key));
  if (v < 0 || v > std::numeric_limits<std::uint32_t>::max()) return bad("\"" + key + "\" out of range");
  return static_cast<std::uint32_t>(v);
}

}  // namespace

json::ObjectPtr boot_event_to_json(const BootEvent& e) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("pcr", static_cast<std::int64_t>(e.pcr));
  o->set("index", static_cast<std::int64_t>(e.index));
  o->set("type", event_type_name(e.type));
  o->set("type_id", static_cast<std::int64_t>(e.type));
  o->set("subject", e.subject);
  o->set("alg", std::string(hash_name(e.alg)));
  o->set("digest", hex(e.digest));
  o->set("data_verified", e.data_verified);
  return o;
}

namespace {

Result<BootEvent> event_from_json(const json::ObjectPtr& o) {
  if (o.isNull()) return bad("events must be objects");
  PAW_CHECK(json::only_keys(o, {"pcr", "index", "type", "type_id", "subject", "alg", "digest", "data_verified"},
                            "boot event"));
  BootEvent e;
  PAW_TRY(e.pcr, get_u32(o, "pcr"));
  if (e.pcr >= 24) return bad("PCR out of range");
  PAW_TRY(e.index, get_u32(o, "index"));
  PAW_TRY(e.type, get_u32(o, "type_id"));
  PAW_TRY(e.subject, json::get_string(o, "subject"));
  if (e.subject.size() > kMaxBootEventSubject) return bad("subject too long");
  e.subject = printable(e.subject);
  PAW_TRY(std::string alg, json::get_string(o, "alg"));
  const auto a = hash_from_name(alg);
  if (!a) return bad("unknown bank \"" + printable(alg) + "\"");
  e.alg = *a;
  PAW_TRY(e.digest, json::get_hex(o, "digest", 64));
  if (e.digest.size() != hash_size(e.alg)) return bad("digest size does not match its bank");
  PAW_TRY(e.data_verified, json::get_bool(o, "data_verified"));
  return e;
}

}  // namespace

BootEvents boot_events(const EventLog& log, const EventLogBinding& binding) {
  std::set<std::size_t> mismatched;
  for (const auto& m : event_data_mismatches(log, binding.judged)) mismatched.insert(m.event);
  BootEvents out;
  for (const Event& e : log.events()) {
    if (e.type == ev::kNoAction || e.pcr == kNoPcr) continue;  // never extended
    const auto bank = bank_for(binding, e.pcr);
    if (!bank) continue;  // the quote does not bind its PCR: not a fact
    const ByteView d = log.digest(e, *bank);
    if (d.empty()) continue;
    if (out.events.size() == kMaxBootEvents) {
      out.truncated = true;
      break;
    }
    BootEvent b;
    b.pcr = e.pcr;
    b.index = static_cast<std::uint32_t>(e.index);
    b.type = e.type;
    b.subject = printable(subject_of(e));
    b.alg = *bank;
    b.digest.assign(d.begin(), d.end());
    b.data_verified = mismatched.count(e.index) == 0;
    out.events.push_back(std::move(b));
  }
  return out;
}

json::ObjectPtr boot_events_to_json(const BootEvents& e) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("truncated", e.truncated);
  json::ArrayPtr a = new Poco::JSON::Array();
  for (const auto& x : e.events) a->add(boot_event_to_json(x));
  o->set("events", a);
  return o;
}

Result<BootEvents> boot_events_from_json(const json::ObjectPtr& o) {
  if (o.isNull()) return bad("not an object");
  PAW_CHECK(json::only_keys(o, {"truncated", "events"}, "boot events"));
  BootEvents out;
  PAW_TRY(out.truncated, json::get_bool(o, "truncated"));
  PAW_TRY(json::ArrayPtr a, json::get_array(o, "events"));
  if (a->size() > kMaxBootEvents) return bad("more than " + std::to_string(kMaxBootEvents) + " events");
  for (std::size_t i = 0; i < a->size(); ++i) {
    PAW_TRY(BootEvent e, event_from_json(a->getObject(static_cast<unsigned>(i))));
    out.events.push_back(std::move(e));
  }
  return out;
}

}  // namespace paw
