// paw/attest/grace.h — graded verdicts: a policy may tolerate some reasons
// for a while, so that a fleet-wide firmware or OS update does not lock every
// admin out at once while the references catch up.
//
// A policy's "enforcement": {"grace": {"pcr_mismatch": "72h", ...}} names
// reasons and how long each is tolerated. The appraisal remembers, per
// device, when each reason was first seen in the current unbroken run
// (DeviceState::reason_first_seen). An attestation whose reasons are ALL
// graced and all inside their grace (now < first_seen + grace) is verdict
// `warning`: its result token admits login until the earliest grace end
// (grace_until, which also caps the token's exp) and names every reason with
// its own grace_until. One reason outside grace, or not graceable, makes it
// `unhealthy` as before.
//
// Only reasons that a routine update of a healthy machine can cause may be
// graced. Reasons that prove or enable tampering — the owner's FIDO2 key
// absent or cloned, the TPM clock going back, the login key missing, a
// required PCR or log withheld by the agent, Secure Boot off — can never be
// graced (a policy asking for it is refused), and evidence that does not hold
// up at all is verdict `rejected`, which never reaches grading.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/appraisal.h"
#include "paw/attest/error.h"
#include "paw/attest/json.h"
#include "paw/attest/policy.h"
#include "paw/attest/result_token.h"

namespace paw {

inline constexpr std::int64_t kMaxGraceSeconds = 30 * 86400;
// kMaxGracedReasons bounds the grace map of a policy and the first-seen map of a device state.
inline constexpr std::size_t kMaxGracedReasons = 64;

// graceable_reasons lists the reason codes a policy may grace:
// pcr_mismatch, boot_app_not_allowed, ima_not_allowed, os_not_allowed,
// disk_not_encrypted, reboot, boot_authority_not_allowed, dbx_outdated,
// ima_required_missing (not ima_required_digest_mismatch: a replaced binary),
// kernel_outdated and kernel_unknown (a kernel update rolling out before its
// package is imported), sbat_outdated (a shim update rolling out; not
// sbat_unknown: no measured level revokes anything).
const std::vector<std::string_view>& graceable_reasons();
bool reason_graceable(std::string_view code) noexcept;

// enforcement_from_json reads {"grace": {code: duration}}, a duration being
// integer seconds or a string parse_duration reads ("90s", "30m", "72h", "7d"; cli.h)
// strictly; enforcement_to_json writes the durations as integer seconds.
Result<Enforcement> enforcement_from_json(const json::ObjectPtr& o);
json::ObjectPtr enforcement_to_json(const Enforcement& e);
// validate_enforcement: only graceable codes (the message says why a code
// cannot be graced), 1 .. kMaxGraceSeconds, at most kMaxGracedReasons entries.
Status validate_enforcement(const Enforcement& e);

// Grading is the outcome of grade_reasons.
struct Grading {
  Verdict verdict = Verdict::healthy;
  std::int64_t grace_until = 0;                       // warning: min of the reasons' grace ends
  std::vector<ResultReason> reasons;                  // with grace_until set on graced reasons inside grace
  std::map<std::string, std::int64_t> first_seen;     // the next DeviceState::reason_first_seen
};

// grade_reasons grades one attestation's reasons at |now| given the device's
// previous first-seen map. Pure.
Grading grade_reasons(std::vector<ResultReason> reasons, const std::map<std::string, std::int64_t>& first_seen,
                      const Enforcement& enforcement, std::int64_t now);

}  // namespace paw
