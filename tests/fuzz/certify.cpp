// Fuzz target: the login key's certify path — verify_certify / verify_login_key
// over fuzzer-chosen public areas, TPMS_ATTEST and TPMT_SIGNATURE (input:
// three u16be-prefixed parts, the first also serving as the AK), the
// POST /v1/devices/{id}/login-key body parser (round trip), the login key
// property check and the proof verification.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "paw/attest/appraisal.h"
#include "paw/attest/certify.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const paw::ByteView bytes(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto r = paw::parse_login_key_add_request(text); r.ok()) {
    auto again = paw::parse_login_key_add_request(paw::serialize_login_key_add_request(*r));
    if (!again.ok() || again->nonce != r->nonce || !(again->login_key == r->login_key)) __builtin_trap();
  }
  if (auto p = paw::parse_public(bytes); p.ok()) {
    if (paw::check_login_key_properties(*p).ok() && (p->pub.objectAttributes & TPMA_OBJECT_RESTRICTED) != 0) {
      __builtin_trap();
    }
  }
  paw::Reader r(bytes);
  paw::ByteView pub, attest, sig;
  if (!r.u16be_prefixed(pub) || !r.u16be_prefixed(attest) || !r.u16be_prefixed(sig)) return 0;
  const paw::ByteView qd = r.rest();
  paw::LoginKeyCertify c{paw::Bytes(pub.begin(), pub.end()), paw::Bytes(attest.begin(), attest.end()),
                         paw::Bytes(sig.begin(), sig.end())};
  if (auto ak = paw::parse_public(pub); ak.ok()) {
    (void)paw::verify_certify(*ak, attest, sig, qd, pub);
    if (auto k = paw::verify_login_key(*ak, c, qd, 0); k.ok() && k->jkt.size() != 43) __builtin_trap();
  }
  const paw::LoginKey key{c.public_tpm2b, "", 0};
  (void)paw::verify_login_key_proof(key, sig, qd, "device");
  return 0;
}
