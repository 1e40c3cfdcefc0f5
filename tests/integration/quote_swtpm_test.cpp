// quote_swtpm_test.cpp — quotes made live by swtpm through tpm2-tools verify
// with paw; after a reboot (restart) the quote shows a higher resetCount and
// PCRs reset, and the old PCR values no longer fit a new quote.
#include <doctest/doctest.h>

#include "paw/attest/ak.h"
#include "paw/attest/quote.h"
#include "paw/attest/tpm.h"
#include "swtpm.h"

using namespace paw;
using namespace paw::test;

namespace {

int tpm(Swtpm& t, std::vector<std::string> argv) {
  argv.insert(argv.begin() + 1, {"-T", t.tcti()});
  std::string out;
  const int rc = run_command(argv, &out);
  if (rc != 0) MESSAGE(argv[0] << ": " << out);
  std::string flush;
  run_command({"tpm2_flushcontext", "-T", t.tcti(), "-t"}, &flush);
  return rc;
}

struct Quote {
  Bytes msg, sig;
  PcrValues pcrs;
};

Quote quote(Swtpm& t, const TempDir& d, const std::string& ak, const std::string& sel, const std::string& nonce) {
  REQUIRE(tpm(t, {"tpm2_quote", "-c", (d / (ak + ".ctx")).string(), "-l", sel, "-q", nonce, "-m",
                  (d / "q.msg").string(), "-s", (d / "q.sig").string(), "-o", (d / "q.pcrs").string()}) == 0);
  auto pcrs = parse_tpm2_tools_pcrs(load(d / "q.pcrs"));
  REQUIRE(pcrs.ok());
  return {load(d / "q.msg"), load(d / "q.sig"), std::move(pcrs).value()};
}

}  // namespace

TEST_CASE("live swtpm: RSA and ECC AKs / several selections / reboot visible in the clock info") {
  auto t = Swtpm::start();
  TempDir d;
  REQUIRE(tpm(*t, {"tpm2_createek", "-c", (d / "ek.ctx").string(), "-G", "rsa", "-u", (d / "ek.pub").string()}) == 0);
  for (const auto& [name, alg, scheme] : {std::tuple{"rsa", "rsa", "rsassa"}, std::tuple{"ecc", "ecc", "ecdsa"}}) {
    REQUIRE(tpm(*t, {"tpm2_createak", "-C", (d / "ek.ctx").string(), "-c", (d / (std::string(name) + ".ctx")).string(),
                     "-G", alg, "-g", "sha256", "-s", scheme, "-u", (d / (std::string(name) + ".pub")).string()}) == 0);
  }
  const Bytes nonce = random_bytes(20).value();
  std::optional<ClockInfo> first;
  for (const char* ak : {"rsa", "ecc"}) {
    auto pub = parse_public(load(d / (std::string(ak) + ".pub")));
    REQUIRE(pub.ok());
    CHECK(check_ak_properties(*pub).ok());
    for (const char* sel : {"sha256:0,1,2,3,4,5,6,7", "sha1:10+sha256:10,16", "sha1:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23"}) {
      CAPTURE(ak);
      CAPTURE(sel);
      const Quote q = quote(*t, d, ak, sel, hex(nonce));
      auto v = verify_quote(*pub, q.msg, q.sig, nonce, q.pcrs);
      REQUIRE_MESSAGE(v.ok(), v.error().what());
      if (!first) first = v->clock_info();
      CHECK(v->clock_info().reset_count == first->reset_count);
    }
  }
  // Reboot: the TPM keeps its keys (contexts saved by tpm2-tools are gone, so reload via the EK),
  // resetCount grows and a quote with pre-reboot PCR values does not verify.
  auto pub = parse_public(load(d / "rsa.pub"));
  REQUIRE(tpm(*t, {"tpm2_pcrextend", "16:sha256=" + std::string(64, 'a')}) == 0);
  const Quote before = quote(*t, d, "rsa", "sha256:16", hex(nonce));
  REQUIRE(verify_quote(*pub, before.msg, before.sig, nonce, before.pcrs).ok());
  t->restart();
  REQUIRE(tpm(*t, {"tpm2_createek", "-c", (d / "ek.ctx").string(), "-G", "rsa", "-u", (d / "ek.pub").string()}) == 0);
  REQUIRE(tpm(*t, {"tpm2_createak", "-C", (d / "ek.ctx").string(), "-c", (d / "rsa2.ctx").string(), "-G", "rsa", "-g",
                   "sha256", "-s", "rsassa", "-u", (d / "rsa2.pub").string()}) == 0);
  auto pub2 = parse_public(load(d / "rsa2.pub"));
  const Quote after = quote(*t, d, "rsa2", "sha256:16", hex(nonce));
  auto v = verify_quote(*pub2, after.msg, after.sig, nonce, after.pcrs);
  REQUIRE(v.ok());
  CHECK(v->clock_info().reset_count > first->reset_count);
  CHECK(verify_quote(*pub2, after.msg, after.sig, nonce, before.pcrs).code() == Errc::pcr_digest_mismatch);
}

TEST_CASE("live swtpm: a quote signed with SHA-1 is refused, even by an AK whose scheme says SHA-1") {
  // An AK whose fixed scheme is ECDSA/RSASSA with SHA-1: the TPM then signs
  // quotes (and computes their PCR digest) with SHA-1, where collisions are
  // practical. The scheme check alone would accept them: it only requires
  // the signature to use the AK's own scheme.
  auto t = Swtpm::start();
  TempDir d;
  REQUIRE(tpm(*t, {"tpm2_createek", "-c", (d / "ek.ctx").string(), "-G", "rsa", "-u", (d / "ek.pub").string()}) == 0);
  const Bytes nonce = random_bytes(20).value();
  for (const auto& [name, alg, scheme] : {std::tuple{"rsa1", "rsa", "rsassa"}, std::tuple{"ecc1", "ecc", "ecdsa"}}) {
    CAPTURE(name);
    REQUIRE(tpm(*t, {"tpm2_createak", "-C", (d / "ek.ctx").string(), "-c", (d / (std::string(name) + ".ctx")).string(),
                     "-G", alg, "-g", "sha1", "-s", scheme, "-u", (d / (std::string(name) + ".pub")).string()}) == 0);
    auto pub = parse_public(load(d / (std::string(name) + ".pub")));
    REQUIRE(pub.ok());
    REQUIRE(tpm(*t, {"tpm2_quote", "-c", (d / (std::string(name) + ".ctx")).string(), "-l", "sha256:0,1,2", "-q",
                     hex(nonce), "-g", "sha1", "-m", (d / "q.msg").string(), "-s", (d / "q.sig").string(), "-o",
                     (d / "q.pcrs").string()}) == 0);
    auto pcrs = parse_tpm2_tools_pcrs(load(d / "q.pcrs"));
    REQUIRE(pcrs.ok());
    auto sig = parse_signature(load(d / "q.sig"));
    REQUIRE(sig.ok());
    CHECK(sig->hash == HashAlg::sha1);  // the TPM really signed with SHA-1
    auto v = verify_quote(*pub, load(d / "q.msg"), load(d / "q.sig"), nonce, *pcrs);
    CHECK(v.code() == Errc::unsupported);
    if (!v.ok()) CHECK(v.error().detail.find("weaker than SHA-256") != std::string::npos);
    // Such an AK is refused at enrollment too.
    CHECK(check_ak_properties(*pub).code() == Errc::ak_attributes);
  }
}
