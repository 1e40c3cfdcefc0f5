// pawctl eventlog show|replay|facts FILE and pawctl ima replay|check FILE:
// offline looks at a UEFI event log or an IMA list, with paw's own parsers.
//
// Exit codes: 0 fine; 1 the file does not parse (or cannot be read); 2 usage;
// 4 IMA entries the allowlist does not allow. An event whose data does not
// match its digest, or a bank some event lacks, is a note on stderr (exit 0):
// the verifier treats them the same way (facts from that event unknown; the
// bank reported, not judged), so a genuine log is not refused here either.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>
#include <sstream>

#include "command.h"
#include "paw/attest/bootfacts.h"
#include "paw/attest/cli.h"
#include "paw/attest/eventlog.h"
#include "paw/attest/ima.h"
#include "paw/attest/sbat.h"

namespace pawctl {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr const char* kEventlogUsage =
    "eventlog show FILE [--json] | eventlog replay FILE [--json] | eventlog facts FILE";
constexpr const char* kImaUsage =
    "ima replay FILE [--json] [--template-hash ALG] | ima check FILE --allowlist FILE [--excludes FILE]";

int report(const paw::Error& e) { return fail(e.what(), 1); }

Object::Ptr ordered() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

void print(const Object::Ptr& o) {
  o->stringify(std::cout, 2);
  std::cout << "\n";
}

// pcrs_json prints {"sha256": {"0": "<hex>", …}, "sha1": {…}}: banks in
// TPM_ALG_ID order, PCRs in index order.
Object::Ptr pcrs_json(const paw::PcrValues& pcrs) {
  auto out = ordered();
  for (const auto& [alg, bank] : pcrs) {
    auto b = ordered();
    for (const auto& [index, value] : bank) b->set(std::to_string(index), paw::hex(value));
    out->set(std::string(paw::hash_name(alg)), b);
  }
  return out;
}

void print_pcrs_text(const paw::PcrValues& pcrs) {
  for (const auto& [alg, bank] : pcrs) {
    std::cout << paw::hash_name(alg) << ":\n";
    for (const auto& [index, value] : bank) std::cout << "  " << index << ": " << paw::hex(value) << "\n";
  }
}

std::string alg_label(const paw::EventDigest& d) {
  if (auto a = d.alg()) return std::string(paw::hash_name(*a));
  return "alg_" + std::to_string(d.alg_id);
}

// printable_text returns the event data as text for string-like events, or "".
std::string printable_text(const paw::Event& e) {
  using namespace paw::ev;
  if (e.type != kEfiAction && e.type != kAction && e.type != kIpl && e.type != kSCrtmVersion &&
      e.type != kPostCode && e.type != kOmitBootDeviceEvents) {
    return "";
  }
  std::string s;
  const bool utf16 = e.data.size() >= 2 && e.data.size() % 2 == 0 && e.data[1] == 0;
  for (std::size_t i = 0; i < e.data.size(); i += utf16 ? 2 : 1) {
    const auto c = e.data[i];
    if (c == 0) break;
    s.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '.');
  }
  return s;
}

struct Loaded {
  paw::Bytes bytes;
  paw::EventLog log;
};

paw::Result<Loaded> load_log(const std::string& path) {
  auto bytes = paw::read_file(path, paw::kMaxEventLogSize);
  if (!bytes.ok()) return std::move(bytes).error();
  Loaded out{std::move(bytes).value(), {}};
  auto log = paw::parse_event_log(out.bytes);
  if (!log.ok()) return std::move(log).error();
  out.log = std::move(log).value();
  return out;
}

int show(const paw::EventLog& log, bool json) {
  if (!json) {
    std::cout << (log.crypto_agile() ? "crypto-agile" : "legacy SHA-1") << " log, " << log.events().size()
              << " events\n";
    for (const auto& e : log.events()) {
      std::cout << "#" << e.index << " PCR" << (e.pcr == paw::kNoPcr ? std::string("-") : std::to_string(e.pcr))
                << " " << paw::event_type_name(e.type) << " (" << e.data.size() << " bytes)";
      const std::string text = printable_text(e);
      if (!text.empty()) std::cout << " \"" << text.substr(0, 120) << "\"";
      std::cout << "\n";
      for (const auto& d : log.digests(e)) std::cout << "    " << alg_label(d) << ": " << paw::hex(d.value) << "\n";
    }
    return 0;
  }
  auto root = ordered();
  root->set("crypto_agile", log.crypto_agile());
  Poco::JSON::Array::Ptr algs = new Array;
  for (const auto& a : log.algorithms()) {
    auto o = ordered();
    o->set("alg_id", a.alg_id);
    o->set("digest_size", a.digest_size);
    algs->add(o);
  }
  root->set("algorithms", algs);
  Poco::JSON::Array::Ptr events = new Array;
  for (const auto& e : log.events()) {
    auto o = ordered();
    o->set("index", e.index);
    o->set("offset", e.offset);
    o->set("pcr", static_cast<std::uint64_t>(e.pcr));
    o->set("type", paw::event_type_name(e.type));
    auto digests = ordered();
    for (const auto& d : log.digests(e)) digests->set(alg_label(d), paw::hex(d.value));
    o->set("digests", digests);
    o->set("data", paw::hex(e.data));
    const std::string text = printable_text(e);
    if (!text.empty()) o->set("text", text);
    events->add(o);
  }
  root->set("events", events);
  print(root);
  return 0;
}

Object::Ptr facts_json(const paw::BootFacts& f) {
  auto o = ordered();
  if (f.secure_boot) {
    o->set("secure_boot", *f.secure_boot);
  } else {
    o->set("secure_boot", Poco::Dynamic::Var());
  }
  auto vars = [](const std::vector<paw::UefiVariableFact>& list) {
    Poco::JSON::Array::Ptr a = new Array;
    for (const auto& v : list) {
      auto x = ordered();
      x->set("event", v.event);
      x->set("name", v.name);
      x->set("guid", v.guid);
      x->set("size", v.value.size());
      x->set("sha256", paw::hex(v.sha256));
      if (v.guid == paw::kShimLockGuid && v.name == paw::kSbatLevelName) {
        // shim's SBAT level, in the form policy boot.min_sbat takes (docs/policy.md, "SBAT level").
        auto level = paw::parse_sbat_level(v.value);
        if (level.ok()) {
          auto m = ordered();
          m->set("date", level->date);
          auto c = ordered();
          for (const auto& [name, gen] : level->components) c->set(name, static_cast<std::uint64_t>(gen));
          m->set("components", c);
          x->set("sbat_level", m);
        } else {
          x->set("sbat_level_error", level.error().detail);
        }
      }
      a->add(x);
    }
    return a;
  };
  o->set("secure_boot_variables", vars(f.secure_boot_variables));
  o->set("authorities", vars(f.authorities));
  Poco::JSON::Array::Ptr apps = new Array;
  for (const auto& a : f.boot_applications) {
    auto x = ordered();
    x->set("event", a.event);
    x->set("pcr", static_cast<std::uint64_t>(a.pcr));
    auto d = ordered();
    for (const auto& [alg, v] : a.digests) d->set(std::string(paw::hash_name(alg)), paw::hex(v));
    x->set("digests", d);
    x->set("device_path", a.device_path);
    apps->add(x);
  }
  o->set("boot_applications", apps);
  o->set("separator_error", f.separator_error());
  Poco::JSON::Array::Ptr cmd = new Array;
  for (const auto& c : f.kernel_cmdlines) cmd->add(c);
  o->set("kernel_cmdlines", cmd);
  Poco::JSON::Array::Ptr bl = new Array;
  for (const auto& s : f.boot_loader) bl->add(s.text);
  o->set("boot_loader", bl);
  return o;
}

int eventlog_command(const std::vector<std::string>& words) {
  auto args = paw::Args::parse(words, {}, {"json"});
  if (!args.ok()) return fail(args.error().detail + "\nusage: pawctl " + kEventlogUsage, 2);
  const auto& pos = args->positional();
  if (pos.size() != 2) return fail(std::string("usage: pawctl ") + kEventlogUsage, 2);
  auto loaded = load_log(pos[1]);
  if (!loaded.ok()) return report(loaded.error());
  const paw::EventLog& log = loaded->log;
  const bool json = args->has("json");
  if (pos[0] == "show") return show(log, json);
  if (pos[0] == "replay") {
    auto banks = paw::replay_event_log_banks(log);
    if (!banks.ok()) return report(banks.error());
    paw::PcrValues pcrs;
    for (const auto& b : *banks) {
      if (b.complete) {
        pcrs[b.bank] = b.values;
      } else {
        std::cerr << "note: the " << paw::hash_name(b.bank) << " bank is incomplete (event " << b.first_missing
                  << " has no " << paw::hash_name(b.bank) << " digest): not replayed, never judged\n";
      }
    }
    if (json) {
      print(pcrs_json(pcrs));
    } else {
      print_pcrs_text(pcrs);
    }
    for (const auto& m : paw::event_data_mismatches(log)) {
      std::cerr << "note: " << m.detail << ": facts from this event are unknown\n";
    }
    return 0;
  }
  if (pos[0] == "facts") {
    auto facts = paw::extract_boot_facts(log);
    if (!facts.ok()) return report(facts.error());
    for (const auto& u : facts->unverified) std::cerr << "note: " << u.detail << ": facts from this event are unknown\n";
    print(facts_json(*facts));
    return 0;
  }
  return fail(std::string("usage: pawctl ") + kEventlogUsage, 2);
}

int ima_command(const std::vector<std::string>& words) {
  auto args = paw::Args::parse(words, {"template-hash", "allowlist", "excludes"}, {"json"});
  if (!args.ok()) return fail(args.error().detail + "\nusage: pawctl " + kImaUsage, 2);
  const auto& pos = args->positional();
  if (pos.size() != 2 || (pos[0] != "replay" && pos[0] != "check")) return fail(std::string("usage: pawctl ") + kImaUsage, 2);
  std::optional<paw::HashAlg> alg;
  if (auto name = args->get("template-hash")) {
    alg = paw::hash_from_name(*name);
    if (!alg) return fail("--template-hash takes sha1, sha256, sha384 or sha512", 2);
  }
  auto bytes = paw::read_file(pos[1], paw::kMaxImaLogSize);
  if (!bytes.ok()) return report(bytes.error());
  auto log = paw::parse_ima_list(*bytes, alg);
  if (!log.ok()) return report(log.error());
  auto pcrs = paw::replay_ima(*log);
  if (!pcrs.ok()) return report(pcrs.error());
  if (pos[0] == "replay") {
    if (args->has("json")) {
      print(pcrs_json(*pcrs));
    } else {
      print_pcrs_text(*pcrs);
    }
    return 0;
  }
  auto list_path = args->get("allowlist");
  if (!list_path) return fail("ima check needs --allowlist FILE", 2);
  auto list_bytes = paw::read_file(*list_path);
  if (!list_bytes.ok()) return report(list_bytes.error());
  auto list = paw::parse_ima_allowlist(std::string_view(reinterpret_cast<const char*>(list_bytes->data()), list_bytes->size()));
  if (!list.ok()) return report(list.error());
  if (auto ex = args->get("excludes")) {
    auto ex_bytes = paw::read_file(*ex);
    if (!ex_bytes.ok()) return report(ex_bytes.error());
    auto st = paw::add_ima_excludes(*list, std::string_view(reinterpret_cast<const char*>(ex_bytes->data()), ex_bytes->size()));
    if (!st.ok()) return report(st.error());
  }
  const auto findings = paw::check_ima_allowlist(*log, *list);
  for (const auto& f : findings) {
    std::cout << "entry " << f.entry << "\t" << f.reason << "\t" << f.digest << "\t" << f.path << "\n";
  }
  std::cout << log->entries().size() << " entries, " << findings.size() << " not allowed\n";
  return findings.empty() ? 0 : 4;
}

}  // namespace

PAWCTL_COMMAND("eventlog", kEventlogUsage, eventlog_command);
PAWCTL_COMMAND("ima", kImaUsage, ima_command);

}  // namespace pawctl
