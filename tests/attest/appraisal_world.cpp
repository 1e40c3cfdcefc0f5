// appraisal_world.cpp — the shared appraisal fixture (appraisal_world.h).
#include "appraisal_world.h"

#include <algorithm>
#include <utility>

#include "paw/attest/eventlog.h"

namespace paw::test {

AppraisalWorld::AppraisalWorld() : AppraisalWorld(soft::make_event_log(soft::BootConfig{})) {}

AppraisalWorld::AppraisalWorld(Bytes event_log) : soft::SoftTrust(kRp) {
  REQUIRE(dev.use_event_log(std::move(event_log)).ok());
}

void AppraisalWorld::boot(const soft::BootConfig& cfg) { REQUIRE(dev.use_event_log(soft::make_event_log(cfg)).ok()); }

void AppraisalWorld::boot_with_new_db() {
  soft::BootConfig changed;
  changed.db = to_bytes("soft db v2 (an extra key)");
  boot(changed);
}

void AppraisalWorld::quote_firmware_pcrs() {
  for (std::uint32_t i = 0; i < kFirmwareLogPcrs; ++i) dev.selection[HashAlg::sha256][i] = {};
}

VerifiedEnrollment AppraisalWorld::verified_enrollment(soft::AttestationMode mode) {
  auto req = dev.enrollment_request(kEnrollToken, mode);
  REQUIRE(req.ok());
  auto v = verify_enrollment(*req, ctx(), policy);
  REQUIRE_MESSAGE(v.ok(), v.error().what());
  return std::move(v).value();
}

void AppraisalWorld::adopt(const DeviceRecord& rec) {
  record = rec;
  record.device_id = "dev-0001";
  dev.device_id = record.device_id;
}

void AppraisalWorld::enroll() {
  const VerifiedEnrollment v = verified_enrollment();
  auto secret = dev.tpm.activate_credential(v.credential_blob(), v.encrypted_secret());
  REQUIRE_MESSAGE(secret.ok(), secret.error().what());
  REQUIRE(check_activation(v.secret_hash(), secret->view()).ok());
  adopt(v.record());
  state = DeviceState{};
}

Result<Appraisal> AppraisalWorld::appraise_body(const EvidenceBody& b) {
  auto env = dev.seal(b);
  REQUIRE(env.ok());
  return appraise_env(*env);
}

Result<Appraisal> AppraisalWorld::attest(std::uint8_t fido_flags) {
  nonce[0] = static_cast<std::uint8_t>(nonce[0] + 1);
  auto env = dev.attest(nonce, fido_flags);
  REQUIRE(env.ok());
  auto a = appraise_env(*env);
  if (a.ok()) state = a->next_state();
  now += 60;
  return a;
}

std::vector<std::string> codes(const Appraisal& a) {
  std::vector<std::string> out;
  for (const auto& r : a.reasons()) out.push_back(r.code);
  return out;
}

bool has_code(const Appraisal& a, std::string_view code) {
  return count_of(a, code) > 0;
}

std::string message_of(const Appraisal& a, std::string_view code) {
  for (const auto& r : a.reasons()) {
    if (r.code == code) return r.message;
  }
  return {};
}

std::string messages(const Appraisal& a, std::string_view code) {
  std::string out;
  for (const auto& r : a.reasons()) {
    if (r.code == code) out += r.message + "\n";
  }
  return out;
}

std::size_t count_of(const Appraisal& a, std::string_view code) {
  return static_cast<std::size_t>(std::count_if(a.reasons().begin(), a.reasons().end(),
                                                [&](const ResultReason& r) { return r.code == code; }));
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace paw::test
