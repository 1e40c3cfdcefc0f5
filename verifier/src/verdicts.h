// verdicts.h — what a stored verdict is worth: which policy made it, and
// whether it still counts for the health query and /v1/authz.
#pragma once

#include <cstdint>
#include <string>

#include "paw/attest/policy.h"
#include "store/store.h"

namespace paw::verifier {

// kVerdictRejected is the verdict of evidence that the device itself signed
// (authenticate_evidence passed) and that did not hold up: event log not
// replaying to the quote, FIDO2 counter rollback, IMA mismatch, reported PCRs
// not the quoted ones. It stays until a later healthy attestation.
inline constexpr const char* kVerdictRejected = "rejected";

// policy_id is "name@version", as AppraisalRecord::policy and the result token's policy claim write it.
std::string policy_id(const Policy& p);

// verdict_policy_of is the policy id the device's last verdict was made
// under: the verdict_policy column, or for a row written before migration 5
// the policy of its last appraisal record ("" when unknown).
std::string verdict_policy_of(const StoredDevice& d);

}  // namespace paw::verifier
