// appraisal_evidence_test.cpp — the attestation envelope end to end: genuine
// evidence is healthy (PCR references pinned, then enforced), its verdict,
// token and records round-trip, and each mutation of the quote, the body or
// the nonce fails with its own Errc; the pre-parsed-body overload decides
// exactly as the parsing one.
#include <doctest/doctest.h>

#include <string>

#include "appraisal_world.h"
#include "paw/attest/appraisal.h"
#include "paw/attest/result_token.h"

using namespace paw;
using namespace paw::soft;
using namespace paw::test;

// ---------------------------------------------------------------------------
// Attestation: healthy path
// ---------------------------------------------------------------------------

TEST_CASE("appraise: genuine evidence is healthy, references are pinned, then enforced") {
  AppraisalWorld w;
  w.enroll();
  auto first = w.attest();
  REQUIRE_MESSAGE(first.ok(), first.error().what());
  CHECK_MESSAGE(first->healthy(), doctest::toString(codes(*first).size()));
  CHECK(first->reasons().empty());
  CHECK(first->next_state().fido_sign_count == 1);
  CHECK(first->next_state().pinned_pcrs.at(HashAlg::sha256).size() == 4);
  CHECK(first->next_state().pinned_measurements.count(7) == 1);
  CHECK(first->next_state().last_attested_at == w.now - 60);
  CHECK(first->next_state().last_healthy_at == w.now - 60);
  REQUIRE(first->next_state().clock.has_value());
  CHECK(first->next_state().clock->reset_count == w.dev.tpm.clock().reset_count);
  CHECK_FALSE(first->rebooted());
  bool pinned_note = false;
  for (const auto& n : first->notes()) pinned_note = pinned_note || n.code == reason::kPcrPinned;
  CHECK(pinned_note);
  CHECK(first->pcrs() == w.dev.tpm.select(w.dev.selection));
  CHECK(first->body().device_id == "dev-0001");
  CHECK(first->record().policy == "default@1");

  const TrustVector& t = first->trust();
  CHECK(t.at("instance-identity") == ar4si::kTrustworthyInstance);
  CHECK(t.at("hardware") == ar4si::kGenuineHardware);
  CHECK(t.at("configuration") == ar4si::kApprovedConfig);
  CHECK(t.at("executables") == ar4si::kApprovedBoot);
  CHECK(t.at("sourced-data") == ar4si::kTrustedSources);
  CHECK(t.at("storage-opaque") == ar4si::kSwKeysEncryptedSecrets);
  CHECK(t.size() == 8);

  auto second = w.attest();
  REQUIRE(second.ok());
  CHECK(second->healthy());
  CHECK(second->next_state().fido_sign_count == 2);

  // A change in PCR 7 after pinning: unhealthy, and the reason names what changed.
  w.boot_with_new_db();
  auto third = w.attest();
  REQUIRE_MESSAGE(third.ok(), third.error().what());
  CHECK_FALSE(third->healthy());
  CHECK(codes(*third) == std::vector<std::string>{"pcr_mismatch"});
  CHECK(message_of(*third, reason::kPcrMismatch) == "PCR 7 differs from reference: Secure Boot db changed");
  CHECK(third->trust().at("executables") == ar4si::kContraindicatedRuntime);
  // The counter moved even though the verdict is unhealthy; the pins did not.
  CHECK(third->next_state().fido_sign_count == 3);
  CHECK(third->next_state().pinned_pcrs == second->next_state().pinned_pcrs);
  CHECK(third->next_state().last_healthy_at == second->next_state().last_healthy_at);
}

TEST_CASE("appraise: result claims, token and storage round trips") {
  AppraisalWorld w;
  w.enroll();
  auto a = w.attest();
  REQUIRE(a.ok());
  const ResultClaims c = a->claims("paw-verifier", "jti-1");
  CHECK(c.sub == "dev-0001");
  CHECK(c.verdict == "healthy");
  CHECK(c.exp - c.iat == w.policy.token_ttl_seconds);
  CHECK(c.trust == a->trust());
  auto key = generate_signing_key();
  REQUIRE(key.ok());
  auto token = sign_result_token(c, *key);
  REQUIRE(token.ok());
  auto jwk = public_jwk(*key);
  REQUIRE(jwk.ok());
  auto jwks = parse_jwks(build_jwks({*jwk}));
  REQUIRE(jwks.ok());
  auto back = verify_result_token(*token, *jwks, c.iat, "paw-verifier");
  REQUIRE_MESSAGE(back.ok(), back.error().what());
  CHECK(*back == c);

  auto rec = parse_device_record(serialize_device_record(w.record));
  REQUIRE(rec.ok());
  CHECK(*rec == w.record);
  auto st = parse_device_state(serialize_device_state(a->next_state()));
  REQUIRE_MESSAGE(st.ok(), st.error().what());
  CHECK(*st == a->next_state());
  // The log's SecureBoot variable (on in BootConfig{}) is kept, and survives storage.
  CHECK(a->record().secure_boot == true);
  auto ar = parse_appraisal_record(serialize_appraisal_record(a->record()));
  REQUIRE_MESSAGE(ar.ok(), ar.error().what());
  CHECK(*ar == a->record());
  CHECK(ar->secure_boot == true);
  CHECK(trust_vector_json(a->trust()).find("\"instance-identity\":2") != std::string::npos);
  CHECK(parse_device_state(R"({"fido_sign_count":1})").code() == Errc::malformed);
  CHECK(parse_device_record(R"({"device_id":"x","oops":1})").code() == Errc::malformed);

  CHECK_FALSE(is_stale(a->next_state(), w.policy, w.now));
  CHECK(is_stale(a->next_state(), w.policy, w.now + w.policy.max_attestation_age_seconds + 120));
  CHECK(is_stale(DeviceState{}, w.policy, w.now));
}

// ---------------------------------------------------------------------------
// Attestation: each cryptographic/structural mutation → its Errc
// ---------------------------------------------------------------------------

namespace {

// with_quote is |env| with the quote |q| (TPMS_ATTEST, signature) in place of its own.
Envelope with_quote(Envelope env, const Result<std::pair<Bytes, Bytes>>& q) {
  REQUIRE(q.ok());
  env.attest = q->first;
  env.signature = q->second;
  return env;
}

}  // namespace

TEST_CASE("appraise: mutations of the quote, body and nonce") {
  AppraisalWorld w;
  w.enroll();
  REQUIRE(w.attest().ok());
  auto body = w.dev.evidence_body(w.nonce);
  REQUIRE(body.ok());
  auto env = w.dev.seal(*body);
  REQUIRE(env.ok());
  REQUIRE(w.appraise_env(*env).ok());  // the baseline verifies

  SUBCASE("oversized parts") {
    Envelope e = *env;
    e.attest.resize(kMaxTpmStructSize * 4);
    CHECK(w.appraise_env(e).code() == Errc::too_large);
  }
  SUBCASE("signature bit flipped") {
    Envelope e = *env;
    e.signature[e.signature.size() - 3] ^= 0x01;
    CHECK(w.appraise_env(e).code() == Errc::bad_signature);
  }
  SUBCASE("quote signed by another AK") {
    auto other = SoftTpm::create(&w.ek_ca);
    REQUIRE(other.ok());
    const Envelope e = with_quote(*env, other->quote(qualifying_data(env->body), body->pcrs));
    CHECK(w.appraise_env(e).code() == Errc::bad_signature);
  }
  SUBCASE("signed TPMS_ATTEST with a wrong magic") {
    const Envelope e = with_quote(
        *env, w.dev.tpm.quote(qualifying_data(env->body), body->pcrs, [](TPMS_ATTEST& a) { a.magic = 0x12345678; }));
    CHECK(w.appraise_env(e).code() == Errc::bad_magic);
  }
  SUBCASE("signed TPMS_ATTEST of another type (certify)") {
    const Envelope e = with_quote(*env, w.dev.tpm.quote(qualifying_data(env->body), body->pcrs, [](TPMS_ATTEST& a) {
      a.type = TPM2_ST_ATTEST_NV;
      a.attested.nv = {};
    }));
    const Errc c = w.appraise_env(e).code();
    CHECK((c == Errc::bad_type || c == Errc::unsupported || c == Errc::malformed));
  }
  SUBCASE("body changed after quoting") {
    Envelope e = *env;
    e.body.back() = ' ';
    CHECK(w.appraise_env(e).code() == Errc::nonce_mismatch);
  }
  SUBCASE("quote over another body (replayed quote)") {
    const Envelope e = with_quote(*env, w.dev.tpm.quote(sha256(as_bytes("something else")), body->pcrs));
    CHECK(w.appraise_env(e).code() == Errc::nonce_mismatch);
  }
  SUBCASE("evidence for another challenge") {
    AppraisalContext ctx = w.actx();
    ctx.expected_nonce[31] ^= 1;
    CHECK(appraise(w.record, w.state, *env, ctx, w.policy).code() == Errc::nonce_mismatch);
  }
  SUBCASE("body that does not parse (but is quoted)") {
    EvidenceBody b = *body;
    Envelope e;
    e.body = to_bytes("{\"version\":1}");
    e = with_quote(e, w.dev.tpm.quote(qualifying_data(e.body), b.pcrs));
    CHECK(w.appraise_env(e).code() == Errc::malformed);
  }
  SUBCASE("evidence naming another device") {
    EvidenceBody b = *body;
    b.device_id = "dev-0002";
    CHECK(w.appraise_body(b).code() == Errc::device_mismatch);
  }
  SUBCASE("reported PCR value differs from the quoted one") {
    EvidenceBody b = *body;
    b.pcrs[HashAlg::sha256][0][0] ^= 1;
    CHECK(w.appraise_body(b).code() == Errc::pcr_digest_mismatch);  // the TPM quotes its real PCRs
  }
  SUBCASE("reported PCRs are not the quoted selection") {
    PcrValues fewer = body->pcrs;
    fewer[HashAlg::sha256].erase(0);
    const Envelope e = with_quote(*env, w.dev.tpm.quote(qualifying_data(env->body), fewer));
    CHECK(w.appraise_env(e).code() == Errc::pcr_selection_mismatch);
  }
}

TEST_CASE("appraise: the envelope's routing copies must equal the signed body, and without them the body alone decides") {
  AppraisalWorld w;
  w.enroll();
  REQUIRE(w.attest().ok());
  w.nonce[0] = static_cast<std::uint8_t>(w.nonce[0] + 1);
  auto env = w.dev.attest(w.nonce);
  REQUIRE(env.ok());
  CHECK(env->device_id == "dev-0001");
  CHECK(env->nonce == w.nonce);
  // An agent before 0.2 sends no routing copies: the signed body decides alone.
  Envelope old = *env;
  old.device_id.clear();
  old.nonce.clear();
  auto parsed_old = parse_envelope(serialize_envelope(old));
  REQUIRE(parsed_old.ok());
  CHECK(parsed_old->device_id.empty());
  auto a = w.appraise_env(*parsed_old);
  REQUIRE(a.ok());
  CHECK(a->healthy());
  // The copies are unsigned: whoever rewrites them gets a mismatch, never
  // another device's or challenge's judgement, even with a matching context.
  Envelope routed_elsewhere = *env;
  routed_elsewhere.device_id = "dev-0002";
  CHECK(w.appraise_env(routed_elsewhere).code() == Errc::device_mismatch);
  Envelope other_nonce = *env;
  other_nonce.nonce[3] ^= 0x01;
  AppraisalContext ctx = w.actx();
  ctx.expected_nonce = other_nonce.nonce;
  CHECK(appraise(w.record, w.state, other_nonce, ctx, w.policy).code() == Errc::nonce_mismatch);
  // The quote still guards the bytes before anything of the body is read.
  Envelope bad = *env;
  bad.signature[bad.signature.size() - 3] ^= 0x01;
  CHECK(w.appraise_env(bad).code() == Errc::bad_signature);
}
