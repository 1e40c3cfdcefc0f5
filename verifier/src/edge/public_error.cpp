#include "public_error.h"

#include <string>

namespace paw::verifier {
namespace {

// revoked_sentence: what a revocation refused on |route| is about. A device on the
// routes a workstation or a relying party calls without an admin credential;
// an admin invitation on the console's invitation routes (the only revoked
// thing they check, after the link's MAC: only its holder learns this).
const char* revoked_sentence(std::string_view route) {
  if (route.starts_with("/console/invitation/")) {
    return "the invitation was revoked by an admin; ask for a new link";
  }
  for (std::string_view device :
       {"/v1/challenges", "/v1/attestations", "/v1/authz", "/v1/devices/", "/v1/enrollments"}) {
    if (route.starts_with(device)) return "the device is revoked";
  }
  return "what this request presents was revoked";
}

// sentence: one fixed text per code (and, for revoked, per kind of route),
// with no value from the request or the verifier's state in it.
const char* sentence(Errc c, std::string_view route) {
  switch (c) {
    case Errc::malformed: return "the request does not parse";
    case Errc::trailing_data: return "the request has bytes after its content";
    case Errc::too_large: return "the request or a part of it is too large";
    case Errc::unsupported: return "the request uses an algorithm or format the verifier does not accept";
    case Errc::untrusted_chain: return "a certificate does not chain to a trusted CA";
    case Errc::cert_invalid: return "a certificate is not valid for its use";
    case Errc::bad_signature: return "a signature does not verify";
    case Errc::bad_magic:
    case Errc::bad_type: return "the quote is not a TPM-generated quote";
    case Errc::nonce_mismatch: return "the evidence is not bound to this request and challenge";
    case Errc::pcr_selection_mismatch: return "the reported PCRs are not the quoted selection";
    case Errc::pcr_digest_mismatch: return "the reported PCR values are not the quoted ones";
    case Errc::pcr_mismatch: return "a PCR value is not the expected one";
    case Errc::ak_attributes: return "the attestation key does not have the required properties";
    case Errc::activation_failed: return "credential activation failed";
    case Errc::eventlog_malformed: return "the event log does not parse";
    case Errc::eventlog_tampered: return "the event log does not match its digests";
    case Errc::eventlog_replay_mismatch: return "the event log does not replay to the quoted PCRs";
    case Errc::ima_malformed: return "the IMA log does not parse";
    case Errc::ima_not_allowed: return "the IMA log measured a file that is not allowed";
    case Errc::fido_attestation_invalid: return "the FIDO2 attestation does not verify";
    case Errc::fido_aaguid_not_allowed: return "the FIDO2 authenticator model is not allowed";
    case Errc::fido_bad_signature: return "the FIDO2 assertion signature does not verify";
    case Errc::fido_rp_mismatch: return "the FIDO2 assertion is for another relying party";
    case Errc::fido_up_missing: return "FIDO2 user presence is required";
    case Errc::fido_uv_missing: return "FIDO2 user verification is required";
    case Errc::fido_challenge_mismatch: return "the FIDO2 assertion is not over this challenge";
    case Errc::fido_unknown_credential: return "the FIDO2 credential is not the enrolled one";
    case Errc::fido_counter_frozen:
    case Errc::fido_counter_rollback: return "the FIDO2 signature counter did not advance";
    case Errc::nonce_unknown: return "the challenge is unknown; ask for a new one";
    case Errc::nonce_expired: return "the challenge expired; ask for a new one";
    case Errc::nonce_reused: return "the challenge was already used; ask for a new one";
    case Errc::token_invalid: return "the token is unknown, forged or already used";
    case Errc::token_expired: return "the token expired";
    case Errc::policy_violation: return "the policy does not allow this";
    case Errc::unauthorized: return "missing or invalid credential";
    case Errc::forbidden: return "not allowed now (awaiting approval, stale, unhealthy or rejected)";
    case Errc::not_found: return "not found";
    case Errc::conflict: return "the current state does not allow this";
    case Errc::rate_limited: return "too many requests; retry later";
    case Errc::revoked: return revoked_sentence(route);
    case Errc::device_mismatch: return "the evidence names another device";
    case Errc::storage_error:
    case Errc::internal: return "internal error";
    default: return "refused";
  }
}

}  // namespace

Error public_error(const Error& e, std::string_view route) {
  return make_error(e.code, std::string(sentence(e.code, route)) + " (the verifier log has the detail)");
}

}  // namespace paw::verifier
