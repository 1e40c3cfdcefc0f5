// paw-check-evidence --ak AK.pub --nonce HEX [--replay] ENVELOPE.json
//
// Checks an evidence envelope the way the verifier's first steps do, with
// paw's attestation core: parse the envelope and body, the body's nonce is
// --nonce, verify_quote with the AK (TPM2B_PUBLIC, `paw-agent ak-public
// --format tss`) over the exact body bytes (qualifying data = SHA-256(body)),
// and with --replay the body's event log replays to the quoted PCRs.
// Exit 0 and "ok" when all hold; 1 with the failing check's code otherwise.
#include <cstdio>

#include "paw/attest/cli.h"
#include "paw/attest/eventlog.h"
#include "paw/attest/evidence.h"
#include "paw/attest/quote.h"
#include "paw/attest/tpm.h"

namespace {
int fail(const paw::Error& e) {
  std::fprintf(stderr, "paw-check-evidence: %s\n", e.what().c_str());
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  auto args = paw::Args::parse(std::vector<std::string>(argv + 1, argv + argc), {"ak", "nonce"}, {"replay"});
  if (!args.ok() || args->positional().size() != 1 || !args->get("ak") || !args->get("nonce")) {
    std::fprintf(stderr, "usage: paw-check-evidence --ak AK.pub --nonce HEX [--replay] ENVELOPE.json\n");
    return 64;
  }
  auto text = paw::read_file(args->positional()[0], paw::kMaxEnvelopeSize + 1);
  if (!text.ok()) return fail(text.error());
  auto env = paw::parse_envelope(std::string(text->begin(), text->end()));
  if (!env.ok()) return fail(env.error());
  auto body = paw::parse_body(env->body);
  if (!body.ok()) return fail(body.error());
  auto nonce = paw::unhex(*args->get("nonce"));
  if (!nonce.ok()) return fail(nonce.error());
  if (!paw::ct_equal(*nonce, body->nonce)) return fail(paw::make_error(paw::Errc::nonce_mismatch, "body nonce"));
  auto ak_bytes = paw::read_file(*args->get("ak"), paw::kMaxTpmStructSize);
  if (!ak_bytes.ok()) return fail(ak_bytes.error());
  auto ak = paw::parse_public(*ak_bytes);
  if (!ak.ok()) return fail(ak.error());
  auto verified =
      paw::verify_quote(*ak, env->attest, env->signature, paw::qualifying_data(env->body), body->pcrs);
  if (!verified.ok()) return fail(verified.error());
  if (args->has("replay")) {
    if (!body->event_log) return fail(paw::make_error(paw::Errc::malformed, "--replay but the body has no event log"));
    auto log = paw::parse_event_log(*body->event_log);
    if (!log.ok()) return fail(log.error());
    auto bound = paw::bind_event_log(*log, verified->pcrs());
    if (!bound.ok()) return fail(bound.error());
  }
  std::printf("ok\n");
  return 0;
}
