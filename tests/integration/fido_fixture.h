// fido_fixture.h — a virtual FIDO2 key in a private folder, driven through the
// real libfido2 path (paw::platform::fido_* → libfido2 → virtual authenticator).
#pragma once

#include <doctest/doctest.h>

#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "paw/attest/digest.h"
#include "paw/attest/fido.h"
#include "paw/attest/fido_roots.h"
#include "paw/platform/fido.h"
#include "paw/virtual_fido.h"
#include "swtpm.h"
#include "test_data.h"

namespace paw::test {

inline constexpr const char* kRpId = "paw.example";
inline const Bytes kNonce(32, 0x5a);
inline constexpr const char* kDeviceId = "dev-0001";

struct VirtualKey {
  TempDir dir;
  std::string state = (dir / "key.state").string();

  [[nodiscard]] platform::FidoDeviceConfig config() const { return {"virtual:" + state, 2000}; }
  void fault(vfido::Fault f, bool on = true) const { REQUIRE(vfido::set_fault(state, f, on).ok()); }
  void attestation(vfido::Attestation a) const { REQUIRE(vfido::set_attestation(state, a).ok()); }
};

inline Bytes enroll_cdh() { return attest::fido_enrollment_client_data_hash("token-123", to_bytes("ak-public-area")); }
inline Bytes presence_cdh(ByteView nonce = kNonce, std::string_view device = kDeviceId) {
  return attest::fido_presence_client_data_hash(nonce, device);
}

inline Result<platform::FidoEnrollment> enroll(const VirtualKey& key, int alg = attest::kCoseEs256,
                                               const std::string& rp = kRpId) {
  platform::FidoEnrollOptions o;
  o.rp_id = rp;
  o.algorithm = alg;
  o.client_data_hash = enroll_cdh();
  return platform::fido_enroll(key.config(), o);
}

inline attest::FidoEnrollmentEvidence evidence_of(const platform::FidoEnrollment& e) {
  return {e.credential_id, e.fmt, e.auth_data, e.attestation, e.algorithm};
}

// model_roots trusts this process's virtual batch certificate of each of
// |aaguids| as that model's attestation root (what the FIDO Metadata Service
// would vouch for), as the verifier's --fido-ca-dir would.
inline std::shared_ptr<const attest::FidoAttestationRoots> model_roots(const std::vector<Bytes>& aaguids) {
  std::map<Bytes, std::vector<Bytes>> per;
  for (const Bytes& g : aaguids) per[g] = {vfido::batch_certificate(g).value()};
  auto r = attest::FidoAttestationRoots::from_certificates({}, per);
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  return std::move(r).value();
}

// enroll_policy: the default virtual model, allowlisted, with its root.
inline attest::FidoEnrollmentPolicy enroll_policy() {
  static const auto roots = model_roots({unhex(vfido::kDefaultAaguidHex).value()});
  attest::FidoEnrollmentPolicy p;
  p.rp_id = kRpId;
  p.aaguid_allowlist = {unhex(vfido::kDefaultAaguidHex).value()};
  p.attestation_roots = roots.get();
  p.now = static_cast<std::int64_t>(std::time(nullptr));
  return p;
}

inline attest::FidoPresencePolicy presence_policy() {
  attest::FidoPresencePolicy p;
  p.rp_id = kRpId;
  return p;
}

// enroll_verified enrolls and verifies; REQUIREs success.
inline attest::FidoStoredCredential enroll_verified(const VirtualKey& key, int alg = attest::kCoseEs256) {
  auto e = enroll(key, alg);
  REQUIRE_MESSAGE(e.ok(), e.error().what());
  auto c = attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), enroll_policy());
  REQUIRE_MESSAGE(c.ok(), c.error().what());
  return std::move(c).value();
}

inline Result<platform::FidoAssertion> prove(const VirtualKey& key, const Bytes& credential_id, bool up = true,
                                             const Bytes& cdh = presence_cdh()) {
  platform::FidoPresenceOptions o;
  o.rp_id = kRpId;
  o.credential_id = credential_id;
  o.client_data_hash = cdh;
  o.user_presence = up;
  return platform::fido_prove_presence(key.config(), o);
}

inline attest::FidoAssertionEvidence evidence_of(const platform::FidoAssertion& a) {
  return {a.credential_id, a.auth_data, a.signature, a.client_data_hash};
}

}  // namespace paw::test
