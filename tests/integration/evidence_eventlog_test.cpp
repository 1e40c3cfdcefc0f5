// Integration: a real event log extended into swtpm replays to the PCRs a
// quote proves (measured boot end to end without firmware).
#include <doctest/doctest.h>

#include "extend_log.h"
#include "paw/attest/eventlog.h"
#include "paw/attest/quote.h"
#include "paw/platform/ak.h"
#include "paw/platform/quote.h"
#include "swtpm.h"

using namespace paw;
using namespace paw::platform;

TEST_CASE("evidence: a real event log extended into swtpm replays to the quoted PCRs") {
  auto sw = test::Swtpm::start();
  test::TempDir tmp;
  auto tpm = Tpm::open(sw->tcti());
  REQUIRE(tpm.ok());
  const Bytes log = test::load(test::test_data("go-tpm-tools/internal/test/eventlogs/ubuntu-2104-no-secure-boot.bin"));
  auto extends = test::extend_event_log(*tpm, log);
  REQUIRE_MESSAGE(extends.ok(), extends.error().what());
  CHECK(*extends > 20);
  auto ek = create_ek(*tpm, EkType::rsa2048);
  REQUIRE(ek.ok());
  auto ak = ensure_ak(*tpm, *ek, tmp.path(), AkAlg::ecc_p256);
  REQUIRE(ak.ok());
  auto sel = active_pcr_selection(*tpm);
  REQUIRE(sel.ok());
  auto pcrs = read_pcrs(*tpm, *sel);
  REQUIRE(pcrs.ok());
  const Bytes nonce(32, 7);
  auto q = quote(*tpm, ak->ak, nonce, *sel);
  REQUIRE(q.ok());
  auto verified = verify_quote(*parse_public(ak->ak.public_tpm2b), q->attest, q->signature, nonce, *pcrs);
  REQUIRE_MESSAGE(verified.ok(), verified.error().what());
  auto parsed = parse_event_log(log);
  REQUIRE(parsed.ok());
  auto replayed = replay_event_log(*parsed);
  REQUIRE(replayed.ok());
  const PcrComparison cmp = compare_pcrs(*replayed, verified->pcrs());
  const Status st = cmp.status();
  CHECK_MESSAGE(cmp.all_agree(), (st.ok() ? std::string() : st.error().what()));
  CHECK(cmp.judged.size() >= 8);

  // The same log against a fresh TPM (nothing extended) does not agree.
  auto fresh_sw = test::Swtpm::start();
  auto fresh = Tpm::open(fresh_sw->tcti());
  REQUIRE(fresh.ok());
  auto fresh_pcrs = read_pcrs(*fresh, *sel);
  REQUIRE(fresh_pcrs.ok());
  CHECK_FALSE(compare_pcrs(*replayed, *fresh_pcrs).all_agree());
}

TEST_CASE("evidence: a log that starts at locality 3 is refused by the extend helper") {
  auto sw = test::Swtpm::start();
  auto tpm = Tpm::open(sw->tcti());
  REQUIRE(tpm.ok());
  const Bytes log = test::load(test::test_data("go-tpm-tools/internal/test/eventlogs/glinux-alex.bin"));
  auto extends = test::extend_event_log(*tpm, log);
  CHECK(extends.code() == Errc::unsupported);
}
