// soft_trust.h — what an appraisal test keeps around one software
// workstation: the EK and FIDO2 attestation CAs it was made with, the
// verifier's trust in them, a policy, the device's record and state, a clock
// and a nonce. Appraisal tests derive their World from it.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>

#include "paw/attest/appraisal.h"
#include "paw/attest/fido.h"
#include "paw/attest/policy.h"
#include "soft_device.h"

namespace paw::soft {

struct SoftTrust {
  // |rp| is the FIDO2 relying party the device's key is made for.
  explicit SoftTrust(const char* rp) : dev(SoftDevice::create(rp, &ek_ca, &fido_ca).value()) {}

  SoftCa ek_ca = SoftCa::generate("paw test EK CA").value();
  SoftCa fido_ca = SoftCa::generate("paw test FIDO CA").value();
  std::shared_ptr<const EkTrust> trust = EkTrust::from_der({ek_ca.cert_der}).value();
  // The software keys' attestation CA, trusted for every model (--fido-ca-dir).
  std::shared_ptr<const attest::FidoAttestationRoots> fido_roots =
      attest::FidoAttestationRoots::from_certificates({fido_ca.cert_der}, {}).value();
  Policy policy = default_policy();
  SoftDevice dev;
  DeviceRecord record;
  DeviceState state;
  std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  Bytes nonce = Bytes(32, 0x11);
};

}  // namespace paw::soft
