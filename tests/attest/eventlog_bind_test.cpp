// eventlog_bind_test.cpp — bind_event_log and the facts it allows, on every
// real log of the test data: each real log binds to the quote a TPM that
// booted with it would give, and each way of hiding something from that
// quote (an event dropped from any of PCRs 0–7, a bank the TPM does not
// quote, banks split across events, an extra event) is refused with its
// own code, naming what is wrong.
#include <doctest/doctest.h>

#include <algorithm>

#include "eventlog_builder.h"
#include "paw/attest/bootfacts.h"
#include "paw/attest/eventlog.h"
#include "real_eventlogs.h"
#include "test_data.h"

using namespace paw;
using paw::test::kRealLogs;
using paw::test::load;
using paw::test::OwnedEvent;
using paw::test::RealLog;
using paw::test::test_data;

namespace {

// tpm_quote is what a TPM that booted with |log| quotes: every PCR 0–23 of
// each bank of |tpm_banks| the log replays completely (reset values where
// the log never extends a PCR).
PcrValues tpm_quote(const EventLog& log, std::vector<HashAlg> tpm_banks = {HashAlg::sha1, HashAlg::sha256}) {
  auto banks = replay_event_log_banks(log);
  REQUIRE(banks.ok());
  PcrValues out;
  for (const auto& b : *banks) {
    if (!b.complete || std::find(tpm_banks.begin(), tpm_banks.end(), b.bank) == tpm_banks.end()) continue;
    for (std::uint32_t i = 0; i < kPcrCount; ++i) {
      const auto it = b.values.find(i);
      out[b.bank][i] = it != b.values.end() ? it->second : Bytes(hash_size(b.bank), (i >= 17 && i <= 22) ? 0xFF : 0);
    }
  }
  return out;
}

bool measured(const OwnedEvent& e) { return e.type != ev::kNoAction && e.pcr != kNoPcr; }

// BindCase: a real log whose SHA-256 bank is complete, with its quote.
struct BindCase {
  const RealLog* real;
  Bytes bytes;
  std::vector<HashAlg> banks;
  std::vector<OwnedEvent> events;
  PcrValues quote;
};

std::vector<BindCase> bindable_logs() {
  std::vector<BindCase> out;
  for (const RealLog& rl : kRealLogs) {
    if (!rl.agile) continue;
    BindCase c{&rl, load(test_data(rl.path)), {}, {}, {}};
    auto log = parse_event_log(c.bytes);
    REQUIRE(log.ok());
    c.banks = log->banks();
    c.events = paw::test::owned_events(*log);
    c.quote = tpm_quote(*log);
    if (c.quote.count(HashAlg::sha256) == 0) continue;
    out.push_back(std::move(c));
  }
  return out;
}

Result<EventLogBinding> bind_bytes(const Bytes& bytes, const PcrValues& quote) {
  auto log = parse_event_log(bytes);
  if (!log.ok()) return log.error();
  return bind_event_log(*log, quote);
}

}  // namespace

TEST_CASE("every real log binds to its TPM's quote, and its facts are read (Arch's event 24 only unverified)") {
  std::size_t bound = 0, refused = 0;
  for (const RealLog& rl : kRealLogs) {
    const std::string path = rl.path;
    CAPTURE(path);
    const Bytes bytes = load(test_data(rl.path));
    auto log = parse_event_log(bytes);
    REQUIRE(log.ok());
    const PcrValues quote = tpm_quote(*log);
    auto b = bind_event_log(*log, quote);
    if (quote.count(HashAlg::sha256) == 0) {
      // Legacy SHA-1 logs: no bank of SHA-256 or stronger can bind them.
      CHECK_FALSE(rl.agile);
      CHECK(b.code() == Errc::eventlog_no_complete_bank);
      ++refused;
      continue;
    }
    REQUIRE_MESSAGE(b.ok(), b.error().what());
    CHECK(b->comparison.all_agree());
    for (std::uint32_t i = 0; i < kFirmwareLogPcrs; ++i) CHECK(b->pcr_bound(HashAlg::sha256, i));
    auto facts = extract_boot_facts(*log, FactScope{b->judged, b->bound_pcrs()});
    REQUIRE_MESSAGE(facts.ok(), facts.error().what());
    auto unscoped = extract_boot_facts(*log);
    REQUIRE(unscoped.ok());
    CHECK(facts->secure_boot == unscoped->secure_boot);
    CHECK(facts->boot_applications.size() == unscoped->boot_applications.size());
    if (rl.tampered_event == nullptr) {
      CHECK(facts->unverified.empty());
    } else {
      REQUIRE(facts->unverified.size() == 1);
      CHECK(facts->unverified[0].detail.find(rl.tampered_event) != std::string::npos);
    }
    ++bound;
  }
  CHECK(bound >= 30);
  CHECK(refused >= 1);
}

TEST_CASE("mutations of real logs: each refused with its own code, naming what is wrong") {
  const auto cases = bindable_logs();
  REQUIRE(cases.size() >= 30);
  std::size_t dropped = 0, split = 0;
  for (const BindCase& c : cases) {
    const std::string path = c.real->path;
    CAPTURE(path);
    REQUIRE(bind_bytes(paw::test::write_log(c.banks, c.events), c.quote).ok());  // the rewrite is faithful
    const auto has = [&](HashAlg a) { return std::find(c.banks.begin(), c.banks.end(), a) != c.banks.end(); };

    // Drop the first event of each of PCRs 0-7: that PCR no longer replays.
    for (std::uint32_t pcr = 0; pcr < 8; ++pcr) {
      auto events = c.events;
      const auto it = std::find_if(events.begin(), events.end(),
                                   [&](const OwnedEvent& e) { return measured(e) && e.pcr == pcr; });
      if (it == events.end()) continue;
      CAPTURE(pcr);
      events.erase(it);
      auto b = bind_bytes(paw::test::write_log(c.banks, events), c.quote);
      REQUIRE_FALSE(b.ok());
      CHECK(b.code() == Errc::eventlog_replay_mismatch);
      CHECK(b.error().detail.find("sha256 PCR" + std::to_string(pcr) + " ") != std::string::npos);
      ++dropped;
    }
    // Drop every event of PCR 4: the quoted PCR 4 is judged against its reset value.
    if (std::any_of(c.events.begin(), c.events.end(), [](const OwnedEvent& e) { return measured(e) && e.pcr == 4; })) {
      auto events = c.events;
      std::erase_if(events, [](const OwnedEvent& e) { return e.pcr == 4; });
      auto b = bind_bytes(paw::test::write_log(c.banks, events), c.quote);
      REQUIRE_FALSE(b.ok());
      CHECK(b.code() == Errc::eventlog_replay_mismatch);
      CHECK(b.error().detail.find("sha256 PCR4 is never extended by the log") != std::string::npos);
    }
    // Declare only a bank the TPM does not quote (SHA-384).
    {
      auto events = c.events;
      for (auto& e : events) {
        e.digests = {{HashAlg::sha384, measured(e) ? *digest(HashAlg::sha384, e.data) : Bytes(48, 0)}};
      }
      auto b = bind_bytes(paw::test::write_log({HashAlg::sha384}, events), c.quote);
      REQUIRE_FALSE(b.ok());
      CHECK(b.code() == Errc::eventlog_no_complete_bank);
      CHECK(b.error().detail.find("sha384 not quoted") != std::string::npos);
    }
    // Split the banks: one event lacks SHA-256, another lacks SHA-1.
    // (tpm2-tools' one-event fixture has nothing to split.)
    if (has(HashAlg::sha1) && has(HashAlg::sha256) && std::count_if(c.events.begin(), c.events.end(), measured) >= 2) {
      auto events = c.events;
      std::vector<OwnedEvent*> m;
      for (auto& e : events) {
        if (measured(e)) m.push_back(&e);
      }
      auto drop = [](OwnedEvent& e, HashAlg a) {
        std::erase_if(e.digests, [&](const auto& d) { return d.first == a; });
      };
      drop(*m[0], HashAlg::sha256);
      drop(*m[1], HashAlg::sha1);
      auto b = bind_bytes(paw::test::write_log(c.banks, events), c.quote);
      REQUIRE_FALSE(b.ok());
      CHECK(b.code() == Errc::eventlog_no_complete_bank);
      CHECK(b.error().detail.find("sha256 incomplete") != std::string::npos);
      ++split;
    }
    // An extra trailing event (a boot application the TPM never saw).
    {
      auto events = c.events;
      OwnedEvent extra{4, ev::kEfiBootServicesApplication, {}, to_bytes("extra")};
      for (HashAlg a : c.banks) extra.digests.emplace_back(a, *digest(a, to_bytes("evil loader")));
      events.push_back(extra);
      auto b = bind_bytes(paw::test::write_log(c.banks, events), c.quote);
      REQUIRE_FALSE(b.ok());
      CHECK(b.code() == Errc::eventlog_replay_mismatch);
      CHECK(b.error().detail.find("sha256 PCR4 ") != std::string::npos);
    }
  }
  CHECK(dropped >= 150);
  CHECK(split >= 10);
}

TEST_CASE("an incomplete SHA-1 bank is reported, not judged, when SHA-256 is complete (Dell/Lenovo logs)") {
  paw::test::LogBuilder b({HashAlg::sha1, HashAlg::sha256});
  const Bytes sep(4, 0);
  b.event(0, ev::kSeparator, sep);
  b.event(7, ev::kSeparator, sep, {HashAlg::sha256});  // no SHA-1 digest, as real firmware writes
  auto log = parse_event_log(b.bytes());
  REQUIRE(log.ok());
  PcrValues quote = tpm_quote(*log);
  REQUIRE(quote.count(HashAlg::sha1) == 0);
  quote[HashAlg::sha1][0] = Bytes(20, 0x55);  // whatever the TPM's SHA-1 bank holds: not judged
  auto bound = bind_event_log(*log, quote);
  REQUIRE_MESSAGE(bound.ok(), bound.error().what());
  REQUIRE(bound->unjudged.size() == 1);
  CHECK(bound->unjudged[0].bank == HashAlg::sha1);
  CHECK(bound->unjudged[0].why == "incomplete: event 2 has no sha1 digest");
  CHECK(bound->judged == std::vector<HashAlg>{HashAlg::sha256});

  SUBCASE("but a complete SHA-1 bank alone binds nothing") {
    paw::test::LogBuilder s({HashAlg::sha1, HashAlg::sha256});
    s.event(0, ev::kSeparator, sep);
    s.event(7, ev::kSeparator, sep, {HashAlg::sha1});
    auto l = parse_event_log(s.bytes());
    REQUIRE(l.ok());
    PcrValues q = tpm_quote(*l);
    q[HashAlg::sha256][0] = Bytes(32, 0);
    CHECK(bind_event_log(*l, q).code() == Errc::eventlog_no_complete_bank);
  }
}

TEST_CASE("facts come only from bound PCRs and verified data") {
  const Bytes sep(4, 0);
  const auto secure_boot = [](std::uint8_t v) {
    return paw::test::variable_data(paw::test::kGlobalGuid, "SecureBoot", Bytes{v});
  };
  auto facts_of = [](const Bytes& bytes, const PcrValues& quote) {
    auto log = parse_event_log(bytes);
    REQUIRE(log.ok());
    auto b = bind_event_log(*log, quote);
    REQUIRE_MESSAGE(b.ok(), b.error().what());
    auto f = extract_boot_facts(*log, FactScope{b->judged, b->bound_pcrs()});
    REQUIRE_MESSAGE(f.ok(), f.error().what());
    return *f;
  };

  SUBCASE("PCR 7 not quoted: the Secure Boot state is unknown") {
    paw::test::LogBuilder b({HashAlg::sha256});
    b.event(7, ev::kEfiVariableDriverConfig, secure_boot(1));
    b.event(7, ev::kSeparator, sep);
    auto log = parse_event_log(b.bytes());
    REQUIRE(log.ok());
    PcrValues quote = tpm_quote(*log);
    quote[HashAlg::sha256].erase(7);
    const auto f = facts_of(b.bytes(), quote);
    CHECK_FALSE(f.secure_boot.has_value());
    CHECK(f.secure_boot_unknown.find("PCR 7 is not bound") != std::string::npos);
  }
  SUBCASE("SecureBoot measured again after PCR 7's separator (from the OS) is ignored") {
    paw::test::LogBuilder b({HashAlg::sha256});
    b.event(7, ev::kEfiVariableDriverConfig, secure_boot(0));
    b.event(7, ev::kSeparator, sep);
    b.event(7, ev::kEfiVariableDriverConfig, secure_boot(1));
    auto log = parse_event_log(b.bytes());
    REQUIRE(log.ok());
    const auto f = facts_of(b.bytes(), tpm_quote(*log));
    CHECK(f.secure_boot == false);
  }
  SUBCASE("a SecureBoot event whose data does not match its digest: unknown, not tampered") {
    paw::test::LogBuilder b({HashAlg::sha256});
    b.event_with_digest(7, ev::kEfiVariableDriverConfig, sha256(secure_boot(0)), secure_boot(1));
    b.event(7, ev::kSeparator, sep);
    auto log = parse_event_log(b.bytes());
    REQUIRE(log.ok());
    const auto f = facts_of(b.bytes(), tpm_quote(*log));
    CHECK_FALSE(f.secure_boot.has_value());
    CHECK(f.secure_boot_unknown.find("does not match its digest") != std::string::npos);
    REQUIRE(f.unverified.size() == 1);
    CHECK(f.unverified[0].event == 1);
  }
}
