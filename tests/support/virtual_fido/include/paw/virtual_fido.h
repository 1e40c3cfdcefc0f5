// paw/virtual_fido.h — a software CTAP2 authenticator behind libfido2's HID seam.
//
// FOR DEVELOPMENT, TESTS AND THE DEMO ONLY (built when PAW_VIRTUAL_FIDO=ON).
// It keeps private keys in a plain state file: it proves nothing about the
// physical presence of anything.
//
//   fido_dev_t* dev = fido_dev_new();
//   paw::vfido::install(dev);                    // fido_dev_set_io_functions
//   fido_dev_open(dev, "/tmp/key.state");        // the "path" is the state file
//
// Everything above the four HID report calls is libfido2's own code: CTAPHID
// framing and INIT, getInfo, canonical-CBOR decoding, authData parsing.
//
// State file (text, one record a line, rewritten atomically after each change;
// a missing file is created as a fresh key with no credentials):
//   paw-virtual-fido 1
//   aaguid <32 hex>                   default 7061772d7669727475616c2d6669646f ("paw-virtual-fido")
//   attestation packed|self|none      packed = x5c with a batch certificate made at start-up
//   fault <name> 0|1                  see Fault; a later line overrides an earlier one,
//                                     so shell tests may simply append "fault deny_touch 1"
//   cred <alg> <rk> <counter> <id hex> <rp_id hex> <user_id hex or -> <PKCS#8 key hex>
// Changes are serialised across processes with flock(2) on "<state>.lock".
// Removing or replacing the file "unplugs" the key; copying back an older file
// "clones" it (its counters go back).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"

#include <fido.h>

namespace paw::vfido {

// Fault switches: each makes the authenticator misbehave in one precise way.
enum class Fault : std::uint8_t {
  deny_touch,        // makeCredential/getAssertion(up)/reset answer CTAP2_ERR_OPERATION_DENIED (0x27)
  timeout,           // ... answer CTAP2_ERR_USER_ACTION_TIMEOUT (0x2f)
  pin_required,      // makeCredential/getAssertion answer CTAP2_ERR_PIN_REQUIRED (0x36)
  corrupt_signature, // flip one byte of every assertion/attestation signature
  clear_up,          // clear the UP flag in authData even after a "touch"
  wrong_rp_id_hash,  // authData carries SHA-256 of another rp id
  counter_frozen,    // the signature counter never moves (from the start: an always-0 key)
  counter_rollback,  // every assertion decrements the counter instead
  bad_init_nonce,    // CTAPHID_INIT echoes a wrong nonce (libfido2: FIDO_ERR_RX)
  unresponsive,      // makeCredential/getAssertion get no answer: reads wait out their timeout
};
inline constexpr Fault kAllFaults[] = {Fault::deny_touch, Fault::timeout, Fault::pin_required,
                                       Fault::corrupt_signature, Fault::clear_up, Fault::wrong_rp_id_hash,
                                       Fault::counter_frozen, Fault::counter_rollback, Fault::bad_init_nonce,
                                       Fault::unresponsive};

// fault_name returns the state-file name of |f| ("deny_touch", ...).
std::string_view fault_name(Fault f) noexcept;
std::optional<Fault> fault_from_name(std::string_view name) noexcept;

enum class Attestation : std::uint8_t { packed, self, none };

// kDefaultAaguid is the AAGUID of a fresh virtual key: the ASCII bytes "paw-virtual-fido".
inline constexpr std::string_view kDefaultAaguidHex = "7061772d7669727475616c2d6669646f";

// Credential is one key pair the authenticator holds.
struct Credential {
  int algorithm = -7;        // COSE: -7 ES256, -8 EdDSA
  bool resident = false;     // discoverable (rk)
  std::uint32_t counter = 0; // signature counter of this credential
  Bytes id;                  // credential id (random 32 bytes)
  std::string rp_id;
  Bytes user_id;
  Bytes private_key;         // PKCS#8 DER
};

// State is the whole authenticator as kept in the state file.
struct State {
  Bytes aaguid;
  Attestation attestation = Attestation::packed;
  std::vector<Fault> faults;  // the switches that are on
  std::vector<Credential> credentials;

  [[nodiscard]] bool has(Fault f) const noexcept;
};

// fresh_state is a new key: default AAGUID, packed attestation, no faults, no credentials.
State fresh_state();
// load_state reads |path|; a missing file yields fresh_state(). Errc::malformed on a bad file.
Result<State> load_state(const std::string& path);
// save_state writes |path| atomically (temporary file, then rename). Errc::io_error.
Status save_state(const std::string& path, const State& state);

// set_fault / set_attestation / set_aaguid edit the state file in place (creating it if missing).
Status set_fault(const std::string& path, Fault f, bool on);
Status set_attestation(const std::string& path, Attestation mode);
Status set_aaguid(const std::string& path, ByteView aaguid);

// batch_certificate is this process's packed-attestation certificate (DER,
// self-signed) for keys of model |aaguid|: what a test trusts as that
// model's attestation root. A key in another process has another one.
Result<Bytes> batch_certificate(ByteView aaguid);

// install sets paw's virtual HID functions on a fresh, unopened |dev|; after
// it, fido_dev_open(dev, state_path) opens the authenticator kept in that file.
// Returns libfido2's result (FIDO_OK on success).
int install(fido_dev_t* dev);
// io_functions are the four HID report calls install() sets (for raw CTAPHID tests):
// open(state_path) → handle; write(handle, report id 0 + 64 bytes, 65); read(handle, buf, 64, ms).
const fido_dev_io_t* io_functions();

}  // namespace paw::vfido
