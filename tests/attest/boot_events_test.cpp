// boot_events_test.cpp — the bound events of real boots and their
// event-level diff (boot_events.h), as `pawctl policy diff` shows them: two
// real logs of one machine model (Container-Optimized OS 85 and 93 on the
// same GCE AMD SEV machine type), and a real log with one event edited.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>

#include "eventlog_builder.h"
#include "paw/attest/boot_events.h"
#include "paw/attest/eventlog.h"
#include "test_data.h"

using namespace paw;

namespace {

const char* const kCos85 = "go-tpm-tools/internal/test/eventlogs/cos-85-amd-sev.bin";
const char* const kCos93 = "go-tpm-tools/internal/test/eventlogs/cos-93-amd-sev.bin";
const char* const kRhel8 = "go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin";

// bound_events: |log_bytes| bound to its own replay in every complete bank,
// as a quote of those PCRs (all but |unquoted|) binds it.
BootEvents bound_events(const Bytes& log_bytes, const std::set<std::uint32_t>& unquoted = {}) {
  auto log = parse_event_log(log_bytes);
  REQUIRE(log.ok());
  auto pcrs = replay_event_log(*log);
  REQUIRE(pcrs.ok());
  PcrValues quoted = *pcrs;
  for (auto& [bank, values] : quoted) {
    for (auto i : unquoted) values.erase(i);
  }
  auto binding = bind_event_log(*log, quoted);
  REQUIRE_MESSAGE(binding.ok(), binding.error().what());
  return boot_events(*log, *binding);
}

Bytes load(const char* rel) { return paw::test::load(paw::test::test_data(rel)); }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// edited: the RHEL 8 log (SHA-256 bank only) with event |index|'s data
// replaced and its digest recomputed, as another boot would have measured it.
Bytes edited(std::size_t index, const std::function<Bytes(const Bytes&)>& edit) {
  const Bytes bytes = load(kRhel8);
  auto parsed = parse_event_log(bytes);
  REQUIRE(parsed.ok());
  auto events = paw::test::owned_events(*parsed);
  for (auto& e : events) {
    std::erase_if(e.digests, [](const auto& d) { return d.first != HashAlg::sha256; });
  }
  if (index != 0) {
    auto& e = events.at(index - 1);  // owned_events skips the Spec ID header (event 0)
    e.data = edit(e.data);
    e.digests = {{HashAlg::sha256, sha256(e.data)}};
  }
  return paw::test::write_log({HashAlg::sha256}, events);
}

const BootEventChange* find(const std::vector<BootEventChange>& d, std::uint32_t pcr, std::uint32_t index) {
  for (const auto& c : d) {
    if (c.pcr == pcr && c.device && c.device->index == index) return &c;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("boot events: only events of PCRs the quote binds, with the judged bank's digest") {
  const auto all = bound_events(load(kRhel8));
  REQUIRE(!all.events.empty());
  CHECK(!all.truncated);
  CHECK(std::all_of(all.events.begin(), all.events.end(), [](const BootEvent& e) {
    return e.alg == HashAlg::sha256 && e.digest.size() == 32 && e.type != ev::kNoAction;
  }));
  const auto no8 = bound_events(load(kRhel8), {8});
  CHECK(std::none_of(no8.events.begin(), no8.events.end(), [](const BootEvent& e) { return e.pcr == 8; }));
  CHECK(std::any_of(all.events.begin(), all.events.end(), [](const BootEvent& e) { return e.pcr == 8; }));
  // Subjects from the data: Secure Boot variables by name, the kernel command line.
  CHECK(std::any_of(all.events.begin(), all.events.end(), [](const BootEvent& e) {
    return e.pcr == 7 && e.type == ev::kEfiVariableDriverConfig && e.subject == "dbx";
  }));
  const auto& cmd = *std::find_if(all.events.begin(), all.events.end(), [](const BootEvent& e) { return e.index == 78; });
  CHECK(cmd.pcr == 8);
  CHECK(contains(cmd.subject, "grub_kernel_cmdline"));
  CHECK(cmd.data_verified);
}

TEST_CASE("boot events: an event whose data does not match its digest is kept, marked unverified") {
  const auto e = bound_events(load("go-tpm-tools/internal/test/eventlogs/arch-linux-workstation.bin"));
  const auto it = std::find_if(e.events.begin(), e.events.end(), [](const BootEvent& x) { return x.index == 24; });
  REQUIRE(it != e.events.end());
  CHECK(it->pcr == 8);
  CHECK_FALSE(it->data_verified);
}

TEST_CASE("boot events diff: one boot against itself has no difference") {
  const auto a = bound_events(load(kCos85));
  CHECK(diff_boot_events(a, a).empty());
}

TEST_CASE("boot events diff: two real boots of one machine model, the changed events named") {
  const auto ref = bound_events(load(kCos85));
  const auto dev = bound_events(load(kCos93));
  const auto d = diff_boot_events(ref, dev);
  REQUIRE(!d.empty());
  // The same firmware and Secure Boot configuration: nothing in PCRs 0 … 3 and 7.
  CHECK(std::none_of(d.begin(), d.end(), [](const BootEventChange& c) { return c.pcr <= 3 || c.pcr == 7; }));
  // Another shim (the first boot application): changed, same place, another digest.
  const auto* shim = find(d, 4, 22);
  REQUIRE(shim != nullptr);
  CHECK(shim->kind == BootEventChange::Kind::changed);
  CHECK(shim->type == ev::kEfiBootServicesApplication);
  REQUIRE(shim->reference);
  CHECK(shim->reference->digest != shim->device->digest);
  CHECK(contains(shim->device->subject, "\\EFI\\BOOT\\BOOTX64.EFI"));
  // The kernel command line lost "noswap".
  const auto* cmdline = find(d, 8, 43);
  REQUIRE(cmdline != nullptr);
  CHECK(cmdline->kind == BootEventChange::Kind::changed);
  CHECK(contains(cmdline->reference->subject, "kernel_cmdline:"));
  CHECK(contains(cmdline->reference->subject, " noswap "));
  CHECK_FALSE(contains(cmdline->device->subject, " noswap "));
  // Ordered by PCR.
  CHECK(std::is_sorted(d.begin(), d.end(), [](const auto& x, const auto& y) { return x.pcr < y.pcr; }));
  // JSON names each side.
  const auto j = boot_event_changes_to_json(d);
  REQUIRE(j->size() == d.size());
  CHECK(j->getObject(0)->has("reference"));
  CHECK(j->getObject(0)->has("device"));
}

TEST_CASE("boot events diff: a real log with one event edited shows exactly that event") {
  const auto original = bound_events(edited(0, nullptr));
  SUBCASE("the kernel command line") {
    const auto dev = bound_events(edited(78, [](const Bytes& data) {
      std::string s(data.begin(), data.end());
      return to_bytes(s.replace(s.find("crashkernel"), 11, "init=/bin/sh"));
    }));
    const auto d = diff_boot_events(original, dev);
    REQUIRE(d.size() == 1);
    CHECK(d[0].kind == BootEventChange::Kind::changed);
    CHECK(d[0].pcr == 8);
    CHECK(d[0].type == ev::kIpl);
    CHECK(d[0].device->index == 78);
    CHECK(contains(d[0].device->subject, "init=/bin/sh"));
    // Not a fact when PCR 8 is not bound: the same edit shows nothing.
    CHECK(diff_boot_events(bound_events(edited(0, nullptr), {8}), bound_events(edited(78, [](const Bytes& data) {
                                                                                    Bytes b = data;
                                                                                    b.back() ^= 1;
                                                                                    return b;
                                                                                  }),
                                                                                  {8}))
              .empty());
  }
  SUBCASE("a Secure Boot variable is known by its name") {
    const auto it = std::find_if(original.events.begin(), original.events.end(), [](const BootEvent& e) {
      return e.pcr == 7 && e.subject == "db" && e.type == ev::kEfiVariableDriverConfig;
    });
    REQUIRE(it != original.events.end());
    const auto dev = bound_events(edited(it->index, [](const Bytes& data) {
      Bytes b = data;
      b.back() ^= 0x01;  // the last byte of the last certificate
      return b;
    }));
    const auto d = diff_boot_events(original, dev);
    REQUIRE(d.size() == 1);
    CHECK(d[0].key == "db");
    CHECK(d[0].pcr == 7);
    CHECK(d[0].device->index == it->index);
  }
}

TEST_CASE("boot events: JSON round trip, strict on the way back") {
  const auto e = bound_events(load(kRhel8));
  auto back = boot_events_from_json(boot_events_to_json(e));
  REQUIRE(back.ok());
  CHECK(*back == e);
  auto o = boot_events_to_json(e);
  o->set("extra", 1);
  CHECK_FALSE(boot_events_from_json(o).ok());
  auto bad_digest = boot_events_to_json(e);
  bad_digest->getArray("events")->getObject(0)->set("digest", "abcd");
  CHECK(boot_events_from_json(bad_digest).code() == Errc::malformed);
  auto bad_pcr = boot_events_to_json(e);
  bad_pcr->getArray("events")->getObject(0)->set("pcr", 24);
  CHECK_FALSE(boot_events_from_json(bad_pcr).ok());
}
