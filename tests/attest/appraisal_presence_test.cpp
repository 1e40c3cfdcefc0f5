// appraisal_presence_test.cpp — the FIDO2 presence proof in the appraisal:
// a forged or replayed assertion, an unknown credential or another relying
// party refuse the evidence; the signature counter catches clones (rollback,
// frozen), judged first against the counter seen at enrollment; a key of an
// unproven model or without a counter is a matter of policy.
#include <doctest/doctest.h>

#include <string>

#include "appraisal_world.h"
#include "paw/attest/appraisal.h"

using namespace paw;
using namespace paw::soft;
using namespace paw::test;

// ---------------------------------------------------------------------------
// FIDO2 presence
// ---------------------------------------------------------------------------

TEST_CASE("appraise: FIDO2 presence — signature, credential, relying party, counter") {
  AppraisalWorld w;
  w.enroll();
  REQUIRE(w.attest().ok());

  SUBCASE("forged assertion signature") {
    auto b = w.dev.evidence_body(w.nonce);
    REQUIRE(b.ok());
    b->fido->signature[10] ^= 1;
    CHECK(w.appraise_body(*b).code() == Errc::fido_bad_signature);
  }
  SUBCASE("assertion over another challenge (replayed from an earlier attestation)") {
    Bytes old_nonce(32, 0x77);
    auto stale = w.dev.fido.get_assertion(presence_client_data_hash(old_nonce, w.dev.device_id));
    REQUIRE(stale.ok());
    auto b = w.dev.evidence_body(w.nonce);
    REQUIRE(b.ok());
    b->fido = *stale;
    CHECK(w.appraise_body(*b).code() == Errc::fido_challenge_mismatch);  // it names its (old) client data hash
    b->fido->client_data_hash.reset();
    CHECK(w.appraise_body(*b).code() == Errc::fido_bad_signature);
  }
  SUBCASE("unknown credential") {
    auto b = w.dev.evidence_body(w.nonce);
    REQUIRE(b.ok());
    b->fido->credential_id[0] ^= 1;
    CHECK(w.appraise_body(*b).code() == Errc::fido_unknown_credential);
  }
  SUBCASE("another relying party") {
    auto e = w.dev.attest(w.nonce);
    REQUIRE(e.ok());
    AppraisalContext ctx = w.actx();
    ctx.rp_id = "other.example";
    CHECK(appraise(w.record, w.state, *e, ctx, w.policy).code() == Errc::fido_rp_mismatch);
  }
  SUBCASE("counter rollback (a clone behind the original)") {
    w.dev.fido.counter_step() = 0;
    w.dev.fido.counter() = 0;  // the next assertion carries 0; the stored counter is 1
    auto e = w.dev.attest(w.nonce);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::fido_counter_rollback);
  }
  SUBCASE("counter frozen at a non-zero value") {
    w.dev.fido.counter_step() = 0;  // next assertion carries 1 again
    auto e = w.dev.attest(w.nonce);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::fido_counter_frozen);
  }
  SUBCASE("the counter grows: healthy again and again") {
    w.dev.fido.counter_step() = 1000;
    auto a = w.attest();
    REQUIRE(a.ok());
    CHECK(a->healthy());
    CHECK(a->next_state().fido_sign_count == 1001);
  }
}

TEST_CASE("appraise: the first presence proof is judged against the counter seen at enrollment") {
  AppraisalWorld w;
  w.dev.fido.counter() = 500;  // the enrollment authData carries 500
  w.enroll();
  REQUIRE(w.record.fido->sign_count == 500);
  REQUIRE(w.state.fido_sign_count == 0);  // a fresh device state knows no counter yet
  SUBCASE("lower than at enrollment: rollback") {
    w.dev.fido.counter() = 41;
    auto e = w.dev.attest(w.nonce);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::fido_counter_rollback);
  }
  SUBCASE("equal to enrollment: frozen") {
    w.dev.fido.counter() = 499;
    auto e = w.dev.attest(w.nonce);
    REQUIRE(e.ok());
    CHECK(w.appraise_env(*e).code() == Errc::fido_counter_frozen);
  }
  SUBCASE("past it: healthy") {
    auto a = w.attest();
    REQUIRE_MESSAGE(a.ok(), a.error().what());
    CHECK(a->healthy());
    CHECK(a->next_state().fido_sign_count == 501);
  }
}

TEST_CASE("appraise: a key whose model is unproven is noted on every verdict and lowers sourced-data") {
  AppraisalWorld w;
  w.policy.fido.allow_self_attestation = true;
  w.adopt(w.verified_enrollment(AttestationMode::self).record());
  auto a = w.attest();
  REQUIRE_MESSAGE(a.ok(), a.error().what());
  CHECK(a->healthy());
  bool noted = false;
  for (const auto& n : a->notes()) noted = noted || n.code == reason::kFidoModelUnproven;
  CHECK(noted);
  CHECK(a->trust().at("sourced-data") == ar4si::kUntrustedSources);
}

TEST_CASE("appraise: a key without a counter is a policy matter") {
  AppraisalWorld w;
  w.enroll();
  w.dev.fido.counter_step() = 0;  // always 0
  auto a = w.attest();
  REQUIRE_MESSAGE(a.ok(), a.error().what());
  CHECK_FALSE(a->healthy());
  CHECK(has_code(*a, reason::kFidoCounterFrozen));
  CHECK(a->trust().at("sourced-data") == ar4si::kUntrustedSources);
  w.policy.fido.allow_zero_counter = true;
  auto b = w.attest();
  REQUIRE(b.ok());
  CHECK(b->healthy());
}
