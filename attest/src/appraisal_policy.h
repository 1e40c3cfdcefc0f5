// appraisal_policy.h — policy evaluation over proven facts (private).
#pragma once

#include "paw/attest/appraisal.h"
#include "appraisal_internal.h"

namespace paw::detail {

// PresenceFacts are what the verified FIDO2 assertion showed.
struct PresenceFacts {
  bool present = false;          // an assertion was in the body and verified
  bool user_present = false;
  bool user_verified = false;
  std::uint32_t sign_count = 0;
  bool counter_stuck_at_zero = false;
};

// PolicyInputs: everything evaluate_policy may look at; all of it proven.
struct PolicyInputs {
  const DeviceRecord& record;
  const DeviceState& previous;
  const EvidenceBody& body;
  const ClockInfo& clock;
  const BootFacts& boot;
  const ImaFacts& ima;
  const PresenceFacts& presence;
  const Policy& policy;
  std::int64_t now;
};

struct PolicyResult {
  std::vector<ResultReason> reasons;   // failures: verdict unhealthy iff non-empty
  std::vector<ResultReason> notes;
  std::vector<RuleResult> rules;       // rule by rule (RuleResult), at most kMaxRuleResults
  TrustVector trust;
  DeviceState next_state;
  bool rebooted = false;
};

// check_boot_rules applies the policy's "boot" rules (policy.h BootRules):
// signing authorities, kernel command-line items and the minimum dbx, each
// failure naming the event that decided it (appraisal_boot_rules.cpp).
void check_boot_rules(const PolicyInputs& in, PolicyResult& r);
// authorities_vouch: the policy has an authority rule, Secure Boot is on and
// every signing authority of the boot is allowed (at least one): a boot
// application outside "boot_applications" was then verified by an allowed
// authority and is allowed too.
bool authorities_vouch(const PolicyInputs& in);

// check_ima_required: every file of the policy's "ima.required" list was
// measured into the quoted PCR 10 with a listed digest (ima_required_missing,
// ima_required_digest_mismatch), each result naming the IMA entry that
// decided it (appraisal_ima_rules.cpp).
void check_ima_required(const PolicyInputs& in, PolicyResult& r);

// learn_sightings: learn mode (policy.h LearnPolicy). When |in.policy| has
// it on and |judged| (evaluate_policy over |in|) failed only because of
// boot application or IMA digests its non-empty allowlists lack, and would
// pass with those digests allowed, returns them (each once, at most
// kMaxLearnSightings); otherwise nothing (appraisal_learn.cpp).
std::vector<LearnSighting> learn_sightings(const PolicyInputs& in, const PolicyResult& judged);

// add_rule records one RuleResult (dropped beyond kMaxRuleResults).
void add_rule(PolicyResult& r, RuleResult rule);

// evaluate_policy applies |in.policy| (PCR references and pins, event log,
// Secure Boot, boot applications, IMA, FIDO2 flags and counter, host facts,
// reboot and clock) and computes the AR4SI vector and the next device state.
PolicyResult evaluate_policy(const PolicyInputs& in);

}  // namespace paw::detail
