// Verifier side on what the real libfido2 path produced: acceptance and every
// rejection with its precise Errc.
// Needs the software authenticator: compiled only where PAW_VIRTUAL_FIDO is on
// (fido_release_test.cpp covers builds without it).
#ifdef PAW_VIRTUAL_FIDO
#include <filesystem>

#include "fido_fixture.h"

using namespace paw;
using namespace paw::test;
namespace fs = std::filesystem;

namespace {

Result<attest::FidoPresenceResult> verify(const attest::FidoStoredCredential& cred, const platform::FidoAssertion& a,
                                          const attest::FidoPresencePolicy& policy = presence_policy()) {
  return attest::verify_fido_presence(cred, evidence_of(a), presence_cdh(), policy);
}

// round proves presence and verifies it, moving the stored counter on.
void round(const VirtualKey& key, attest::FidoStoredCredential& cred) {
  auto a = prove(key, cred.credential_id);
  REQUIRE_MESSAGE(a.ok(), a.error().what());
  auto r = verify(cred, *a);
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->user_present);
  cred.sign_count = r->sign_count;
}

}  // namespace

TEST_CASE("fido verify: enrollment record for both algorithms, then many presence proofs") {
  for (int alg : {attest::kCoseEs256, attest::kCoseEdDsa}) {
    CAPTURE(alg);
    VirtualKey key;
    auto e = enroll(key, alg);
    REQUIRE(e.ok());
    auto cred = attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), enroll_policy());
    REQUIRE_MESSAGE(cred.ok(), cred.error().what());
    CHECK(cred->credential_id == e->credential_id);
    CHECK(cred->algorithm == alg);
    CHECK(cred->public_key == e->public_key_spki);
    CHECK(cred->sign_count == 0);
    CHECK(hex(cred->aaguid) == vfido::kDefaultAaguidHex);
    CHECK(cred->attestation_type == "basic");
    // The record survives storage.
    auto back = attest::parse_fido_credential(attest::serialize_fido_credential(*cred));
    REQUIRE(back.ok());
    CHECK(back->public_key == cred->public_key);
    CHECK(back->credential_id == cred->credential_id);
    for (int i = 0; i < 5; ++i) round(key, *back);
    CHECK(back->sign_count == 5);
  }
}

TEST_CASE("fido verify enrollment: attestation policy and AAGUID allowlist") {
  VirtualKey key;
  SUBCASE("self attestation only where policy allows") {
    key.attestation(vfido::Attestation::self);
    for (int alg : {attest::kCoseEs256, attest::kCoseEdDsa}) {
      auto e = enroll(key, alg);
      REQUIRE(e.ok());
      CHECK(e->attestation.x5c.empty());
      CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), enroll_policy()).code() ==
            Errc::fido_attestation_invalid);
      auto policy = enroll_policy();
      policy.allow_self_attestation = true;
      // A self-attested model is the key's own claim: no allowlist accepts it.
      CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), policy).code() ==
            Errc::fido_aaguid_not_allowed);
      policy.any_aaguid = true;
      auto c = attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), policy);
      REQUIRE_MESSAGE(c.ok(), c.error().what());
      CHECK(c->attestation_type == "self");
    }
  }
  SUBCASE("none only where policy allows") {
    key.attestation(vfido::Attestation::none);
    auto e = enroll(key);
    REQUIRE(e.ok());
    CHECK(e->fmt == "none");
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), enroll_policy()).code() ==
          Errc::fido_attestation_invalid);
    auto policy = enroll_policy();
    policy.allow_none_attestation = true;
    policy.any_aaguid = true;  // "none" proves no model: only an open policy takes it
    auto c = attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), policy);
    REQUIRE_MESSAGE(c.ok(), c.error().what());
    CHECK(c->attestation_type == "none");
  }
  SUBCASE("AAGUID not in the allowlist") {
    const Bytes other = unhex("00112233445566778899aabbccddeeff").value();
    REQUIRE(vfido::set_aaguid(key.state, other).ok());
    auto e = enroll(key);
    REQUIRE(e.ok());
    // No root for that model: its x5c is self attestation, refused first.
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), enroll_policy()).code() ==
          Errc::fido_attestation_invalid);
    auto policy = enroll_policy();
    const auto other_root = model_roots({other});
    policy.attestation_roots = other_root.get();  // a proven model, but not an allowed one
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), policy).code() ==
          Errc::fido_aaguid_not_allowed);
    policy = enroll_policy();
    policy.aaguid_allowlist.push_back(other);
    // Allowlisted, but no root vouches for that model: its x5c is its own word.
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), policy).code() ==
          Errc::fido_attestation_invalid);
    const auto both = model_roots({other, unhex(vfido::kDefaultAaguidHex).value()});
    policy.attestation_roots = both.get();
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), policy).ok());
    policy.aaguid_allowlist.clear();
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), policy).code() ==
          Errc::fido_aaguid_not_allowed);
    policy.any_aaguid = true;
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), policy).ok());
  }
  SUBCASE("a forged AAGUID in authData no longer matches the batch certificate") {
    auto e = enroll(key);
    REQUIRE(e.ok());
    auto ev = evidence_of(*e);
    ev.auth_data[37] ^= 0x01;  // first AAGUID byte
    CHECK(attest::verify_fido_enrollment(ev, enroll_cdh(), enroll_policy()).code() == Errc::fido_attestation_invalid);
  }
}

TEST_CASE("fido verify enrollment: rejections") {
  VirtualKey key;
  SUBCASE("wrong client data (another token) → attestation invalid") {
    auto e = enroll(key);
    REQUIRE(e.ok());
    const Bytes cdh = attest::fido_enrollment_client_data_hash("token-456", to_bytes("ak-public-area"));
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), cdh, enroll_policy()).code() ==
          Errc::fido_attestation_invalid);
  }
  SUBCASE("corrupted attestation signature") {
    key.fault(vfido::Fault::corrupt_signature);
    auto e = enroll(key);
    REQUIRE(e.ok());
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), enroll_policy()).code() ==
          Errc::fido_attestation_invalid);
  }
  SUBCASE("credential made for another relying party") {
    auto e = enroll(key, attest::kCoseEs256, "evil.example");
    REQUIRE(e.ok());
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), enroll_policy()).code() ==
          Errc::fido_rp_mismatch);
  }
  SUBCASE("UP missing at enrollment") {
    key.fault(vfido::Fault::clear_up);
    auto e = enroll(key);
    REQUIRE(e.ok());
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), enroll_policy()).code() ==
          Errc::fido_up_missing);
  }
  SUBCASE("UV required but the key has none") {
    auto e = enroll(key);
    REQUIRE(e.ok());
    auto policy = enroll_policy();
    policy.require_uv = true;
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), policy).code() == Errc::fido_uv_missing);
  }
  SUBCASE("credential id swapped, algorithm lied about, algorithm not allowed") {
    auto e = enroll(key);
    REQUIRE(e.ok());
    auto ev = evidence_of(*e);
    ev.credential_id[0] ^= 1;
    CHECK(attest::verify_fido_enrollment(ev, enroll_cdh(), enroll_policy()).code() == Errc::fido_attestation_invalid);
    ev = evidence_of(*e);
    ev.algorithm = attest::kCoseEdDsa;
    CHECK(attest::verify_fido_enrollment(ev, enroll_cdh(), enroll_policy()).code() == Errc::fido_attestation_invalid);
    auto policy = enroll_policy();
    policy.algorithms = {attest::kCoseEdDsa};
    CHECK(attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), policy).code() == Errc::unsupported);
  }
}

TEST_CASE("fido verify presence: every rejection path") {
  for (int alg : {attest::kCoseEs256, attest::kCoseEdDsa}) {
    CAPTURE(alg);
    VirtualKey key;
    auto cred = enroll_verified(key, alg);
    round(key, cred);

    SUBCASE("wrong challenge") {
      Bytes other_nonce(32, 0x11);
      auto a = prove(key, cred.credential_id, true, presence_cdh(other_nonce));
      REQUIRE(a.ok());
      CHECK(verify(cred, *a).code() == Errc::fido_challenge_mismatch);
      // Without the claimed hash the same assertion fails its signature.
      auto ev = evidence_of(*a);
      ev.client_data_hash.clear();
      CHECK(attest::verify_fido_presence(cred, ev, presence_cdh(), presence_policy()).code() ==
            Errc::fido_bad_signature);
    }
    SUBCASE("wrong device id") {
      auto a = prove(key, cred.credential_id, true, presence_cdh(kNonce, "dev-0002"));
      REQUIRE(a.ok());
      CHECK(verify(cred, *a).code() == Errc::fido_challenge_mismatch);
    }
    SUBCASE("claimed hash rewritten to the expected one: the signature gives it away") {
      auto a = prove(key, cred.credential_id, true, presence_cdh(kNonce, "dev-0002"));
      REQUIRE(a.ok());
      a->client_data_hash = presence_cdh();
      CHECK(verify(cred, *a).code() == Errc::fido_bad_signature);
    }
    SUBCASE("corrupted signature") {
      key.fault(vfido::Fault::corrupt_signature);
      auto a = prove(key, cred.credential_id);
      REQUIRE(a.ok());
      CHECK(verify(cred, *a).code() == Errc::fido_bad_signature);
    }
    SUBCASE("tampered authData (counter bumped by an attacker)") {
      auto a = prove(key, cred.credential_id);
      REQUIRE(a.ok());
      a->auth_data[36] ^= 0x40;
      CHECK(verify(cred, *a).code() == Errc::fido_bad_signature);
    }
    SUBCASE("UP missing when required") {
      key.fault(vfido::Fault::clear_up);
      auto a = prove(key, cred.credential_id);
      REQUIRE(a.ok());
      CHECK(verify(cred, *a).code() == Errc::fido_up_missing);
      auto policy = presence_policy();
      policy.require_up = false;
      CHECK(verify(cred, *a, policy).ok());
    }
    SUBCASE("silent assertion: UP missing unless policy is silent too") {
      auto a = prove(key, cred.credential_id, false);
      REQUIRE(a.ok());
      CHECK(verify(cred, *a).code() == Errc::fido_up_missing);
      auto policy = presence_policy();
      policy.require_up = false;
      auto r = verify(cred, *a, policy);
      REQUIRE(r.ok());
      CHECK_FALSE(r->user_present);
    }
    SUBCASE("UV required") {
      auto a = prove(key, cred.credential_id);
      REQUIRE(a.ok());
      auto policy = presence_policy();
      policy.require_uv = true;
      CHECK(verify(cred, *a, policy).code() == Errc::fido_uv_missing);
    }
    SUBCASE("wrong rp") {
      key.fault(vfido::Fault::wrong_rp_id_hash);
      auto a = prove(key, cred.credential_id);
      REQUIRE(a.ok());
      CHECK(verify(cred, *a).code() == Errc::fido_rp_mismatch);
      key.fault(vfido::Fault::wrong_rp_id_hash, false);
      auto good = prove(key, cred.credential_id);
      REQUIRE(good.ok());
      auto policy = presence_policy();
      policy.rp_id = "other.example";
      CHECK(verify(cred, *good, policy).code() == Errc::fido_rp_mismatch);
    }
    SUBCASE("unknown credential") {
      auto second = enroll(key, alg);
      REQUIRE(second.ok());
      auto a = prove(key, second->credential_id);
      REQUIRE(a.ok());
      CHECK(verify(cred, *a).code() == Errc::fido_unknown_credential);
    }
    SUBCASE("counter frozen") {
      key.fault(vfido::Fault::counter_frozen);
      auto a = prove(key, cred.credential_id);
      REQUIRE(a.ok());
      CHECK(a->sign_count == cred.sign_count);
      CHECK(verify(cred, *a).code() == Errc::fido_counter_frozen);
    }
    SUBCASE("counter rolled back") {
      key.fault(vfido::Fault::counter_rollback);
      auto a = prove(key, cred.credential_id);
      REQUIRE(a.ok());
      CHECK(a->sign_count < cred.sign_count);
      CHECK(verify(cred, *a).code() == Errc::fido_counter_rollback);
    }
  }
}

TEST_CASE("fido verify presence: a key that always reports 0 is a policy switch, off by default") {
  VirtualKey key;
  key.fault(vfido::Fault::counter_frozen);  // from the start: signCount stays 0
  auto cred = enroll_verified(key);
  CHECK(cred.sign_count == 0);
  auto a = prove(key, cred.credential_id);
  REQUIRE(a.ok());
  CHECK(a->sign_count == 0);
  CHECK(verify(cred, *a).code() == Errc::fido_counter_frozen);
  auto policy = presence_policy();
  policy.allow_zero_counter = true;
  CHECK(verify(cred, *a, policy).ok());
}

TEST_CASE("fido clone: an old copy of the key's state is caught by the counter") {
  VirtualKey key;
  auto cred = enroll_verified(key);
  round(key, cred);  // counter 1
  const fs::path backup = key.dir / "backup.state";
  fs::copy_file(key.state, backup);
  round(key, cred);  // counter 2
  SUBCASE("same counter") {
    fs::copy_file(backup, key.state, fs::copy_options::overwrite_existing);
    auto a = prove(key, cred.credential_id);
    REQUIRE(a.ok());
    CHECK(a->sign_count == 2);
    CHECK(verify(cred, *a).code() == Errc::fido_counter_frozen);
  }
  SUBCASE("counter behind") {
    round(key, cred);  // counter 3
    fs::copy_file(backup, key.state, fs::copy_options::overwrite_existing);
    auto a = prove(key, cred.credential_id);
    REQUIRE(a.ok());
    CHECK(verify(cred, *a).code() == Errc::fido_counter_rollback);
  }
}

TEST_CASE("fido unplug: removing the state file between enroll and attest") {
  VirtualKey key;
  auto cred = enroll_verified(key);
  round(key, cred);
  REQUIRE(fs::remove(key.state));
  CHECK(prove(key, cred.credential_id).code() == Errc::fido_no_credentials);
}

#endif  // PAW_VIRTUAL_FIDO
