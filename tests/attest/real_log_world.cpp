// real_log_world.cpp — the real-log appraisal fixture (real_log_world.h).
#include "real_log_world.h"

#include <utility>

#include "test_data.h"

namespace paw::test {

Bytes rhel8_log() { return load(test_data("go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin")); }

Bytes from_hex(std::string_view hex_text) { return unhex(hex_text).value(); }

RealLogWorld::RealLogWorld(Setup setup)
    : AppraisalWorld(std::move(setup.event_log)), carry_state_(setup.carry_state) {
  if (!setup.policy_name.empty()) policy.name = setup.policy_name;
  if (!setup.judged_pcrs.empty()) {
    policy.pcrs.required = {{HashAlg::sha256, setup.judged_pcrs}};
    policy.pcrs.pin_on_enroll = false;
  }
  if (setup.ima_log) {
    REQUIRE(dev.use_ima_log(std::move(*setup.ima_log)).ok());
    policy.ima.required = true;
  }
  if (setup.quote_firmware_pcrs) quote_firmware_pcrs();
  for (auto i : setup.unquoted) dev.selection[HashAlg::sha256].erase(i);
  adopt(verified_enrollment().record());
}

Appraisal RealLogWorld::attest() {
  nonce[0] = static_cast<std::uint8_t>(nonce[0] + 1);
  auto env = dev.attest(nonce, 0x01);
  REQUIRE(env.ok());
  auto a = appraise_env(*env);
  REQUIRE_MESSAGE(a.ok(), a.error().what());
  if (carry_state_) state = a->next_state();
  now += 60;
  return std::move(a).value();
}

}  // namespace paw::test
