// Integration: quotes from swtpm verified by paw's verify_quote and by
// tpm2_checkquote; a real event log extended into swtpm replays to the quoted PCRs.
#include <doctest/doctest.h>

#include "paw/attest/quote.h"
#include "paw/platform/evidence.h"
#include "swtpm.h"
#include "test_data.h"

using namespace paw;
using namespace paw::platform;

namespace {
EvidenceBody sample_body() {
  EvidenceBody b;
  b.device_id = "dev-1";
  b.nonce = Bytes(kNonceSize, 0x5a);
  b.host = HostFacts{"Debian GNU/Linux 12 (bookworm)", "6.1.0-test", true, std::nullopt};
  b.agent_version = "0.1.0";
  return b;
}

struct Rig {
  std::unique_ptr<test::Swtpm> sw = test::Swtpm::start();
  test::TempDir tmp;
  Tpm tpm = std::move(Tpm::open(sw->tcti())).value();
  Ek ek = std::move(create_ek(tpm, EkType::rsa2048)).value();
};
}  // namespace

TEST_CASE("evidence: the quote covers SHA-256(body) and the body's PCRs, paw and tpm2_checkquote accept it") {
  for (const AkAlg alg : {AkAlg::ecc_p256, AkAlg::rsa2048}) {
    CAPTURE(ak_alg_name(alg));
    Rig rig;
    auto ak = ensure_ak(rig.tpm, rig.ek, rig.tmp.path() / "state", alg);
    REQUIRE(ak.ok());
    auto sel = active_pcr_selection(rig.tpm);
    REQUIRE(sel.ok());
    auto env = make_evidence(rig.tpm, ak->ak, sample_body(), *sel);
    REQUIRE_MESSAGE(env.ok(), env.error().what());
    auto body = parse_body(env->body);
    REQUIRE_MESSAGE(body.ok(), body.error().what());
    CHECK(body->pcrs.at(HashAlg::sha1).size() == 24);
    CHECK(body->pcrs.at(HashAlg::sha256).size() == 24);
    auto ak_pub = parse_public(ak->ak.public_tpm2b);
    REQUIRE(ak_pub.ok());
    auto verified = verify_quote(*ak_pub, env->attest, env->signature, qualifying_data(env->body), body->pcrs);
    REQUIRE_MESSAGE(verified.ok(), verified.error().what());
    CHECK(verified->pcrs() == body->pcrs);
    // One changed body byte breaks the binding.
    Bytes other = env->body;
    other[other.size() / 2] ^= 1;
    CHECK(verify_quote(*ak_pub, env->attest, env->signature, qualifying_data(other), body->pcrs).code() ==
          Errc::nonce_mismatch);

    // tpm2_checkquote, from the bytes exactly as paw produced them.
    auto pem = ak_public_pem(ak->ak.public_tpm2b);
    REQUIRE(pem.ok());
    test::save(rig.tmp / "ak.pem", as_bytes(*pem));
    test::save(rig.tmp / "attest", env->attest);
    test::save(rig.tmp / "sig", env->signature);
    std::string out;
    CHECK_MESSAGE(test::run_command({"tpm2_checkquote", "-u", (rig.tmp / "ak.pem").string(), "-m",
                                     (rig.tmp / "attest").string(), "-s", (rig.tmp / "sig").string(), "-g", "sha256",
                                     "-q", hex(qualifying_data(env->body))},
                                    &out) == 0,
                  out);
    out.clear();
    CHECK(test::run_command({"tpm2_checkquote", "-u", (rig.tmp / "ak.pem").string(), "-m",
                             (rig.tmp / "attest").string(), "-s", (rig.tmp / "sig").string(), "-g", "sha256", "-q",
                             hex(qualifying_data(other))},
                            &out) != 0);
  }
}

TEST_CASE("evidence: quote() returns the TPM's bytes, its digest is over the PCRs in selection order") {
  Rig rig;
  auto ak = ensure_ak(rig.tpm, rig.ek, rig.tmp.path(), AkAlg::ecc_p256);
  REQUIRE(ak.ok());
  const PcrSelection sel{{HashAlg::sha256, {0, 7, 16}}};
  REQUIRE(extend_pcr(rig.tpm, 16, HashAlg::sha256, sha256(as_bytes("x"))).ok());
  auto q = quote(rig.tpm, ak->ak, as_bytes("nonce"), sel);
  REQUIRE(q.ok());
  auto pcrs = read_pcrs(rig.tpm, sel);
  REQUIRE(pcrs.ok());
  auto quoted = quoted_pcr_digest(q->attest);
  REQUIRE(quoted.ok());
  CHECK(*quoted == *pcr_digest(HashAlg::sha256, sel, *pcrs));
  auto parsed = parse_attest(q->attest);
  REQUIRE(parsed.ok());
  CHECK(parsed->magic == kTpmGeneratedValue);
  CHECK(parsed->extra_data == to_bytes("nonce"));
  CHECK(parsed->pcr_select == sel);
  CHECK(quote(rig.tpm, ak->ak, Bytes(65, 1), sel).code() == Errc::too_large);
}

