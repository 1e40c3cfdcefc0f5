// paw/platform/fido.h — the workstation's FIDO2 key through libfido2 (device I/O).
//
// Devices: FidoDeviceConfig::device is empty (discover with
// fido_dev_info_manifest), a HID path ("/dev/hidraw3"), or "virtual:/path/to/state",
// a software authenticator that a development program registered with
// register_virtual_fido (paw-agent and the test binaries do so only in builds
// with PAW_VIRTUAL_FIDO; this library never links one, so nothing shipped
// carries test code). Without a registration "virtual:" is refused with
// Errc::config_error. libfido2 is initialised with FIDO_DISABLE_U2F_FALLBACK.
//
// Outcomes, each its own code: Errc::fido_no_device (nothing plugged in / the
// configured path does not exist), fido_no_credentials (the enrolled
// credential is on no plugged key), fido_touch_denied, fido_timeout,
// fido_pin_required (PIN/UV required but paw has none), fido_device_error
// (anything else, e.g. a broken CTAPHID handshake), config_error (bad arguments).
#pragma once

#include <fido.h>

#include <cstdint>
#include <string>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/fido.h"

namespace paw::platform {

struct FidoDeviceConfig {
  std::string device;         // "" = discover; "/dev/hidrawN"; "virtual:/path/state"
  int timeout_ms = 30000;     // per operation, clamped to 100..120000 (bounded wait for a touch)
};

// VirtualFidoInstaller sets HID I/O functions on a fresh, unopened device
// (fido_dev_set_io_functions) and returns a FIDO_ERR_* code.
using VirtualFidoInstaller = int (*)(fido_dev_t* dev);
// register_virtual_fido makes "virtual:" paths open through |install|
// (nullptr removes it). Call once at program start, before any FIDO2 use.
void register_virtual_fido(VirtualFidoInstaller install);

// fido_list_devices returns the HID paths libfido2 finds (may be empty).
Result<std::vector<std::string>> fido_list_devices();

struct FidoEnrollOptions {
  std::string rp_id;          // the verifier's relying-party id (GET /v1/info rp_id)
  std::string rp_name;        // display name; defaults to rp_id
  Bytes user_id;              // defaults to 16 random bytes
  std::string user_name = "paw";
  int algorithm = attest::kCoseEs256;  // or attest::kCoseEdDsa
  Bytes client_data_hash;     // 32 bytes: attest::fido_enrollment_client_data_hash(token, ak_public)
};

// FidoEnrollment is a new credential and its attestation, as sent to the verifier.
struct FidoEnrollment {
  Bytes credential_id;
  int algorithm = attest::kCoseEs256;
  Bytes public_key_cose;      // COSE_Key from authData
  Bytes public_key_spki;      // the same key as DER SubjectPublicKeyInfo
  Bytes aaguid;               // 16 bytes
  std::string fmt;            // "packed" | "none" | ...
  attest::FidoAttestation attestation;  // alg, sig, x5c (empty for "none")
  Bytes attestation_cbor;     // attStmt exactly as the key sent it
  Bytes auth_data;            // raw authData (not CBOR-wrapped)
  std::string device;         // which device made it
};

// fido_enroll makes a credential (user presence required, no resident key)
// on the configured or first discovered authenticator.
Result<FidoEnrollment> fido_enroll(const FidoDeviceConfig& config, const FidoEnrollOptions& options);

struct FidoPresenceOptions {
  std::string rp_id;
  Bytes credential_id;        // the enrolled credential (sent as the allowList)
  Bytes client_data_hash;     // 32 bytes: attest::fido_presence_client_data_hash(nonce, device_id)
  bool user_presence = true;  // false: silent assertion (up=false), where the key allows it
};

// FidoAssertion is the presence proof, as the evidence body carries it.
struct FidoAssertion {
  Bytes credential_id;
  Bytes auth_data;            // raw authData
  Bytes signature;
  Bytes client_data_hash;     // echoed from the options
  std::uint32_t sign_count = 0;
  std::uint8_t flags = 0;
  std::string device;
};

// fido_prove_presence gets one assertion for |options.credential_id|; with
// discovery it tries every plugged key and fails with fido_no_credentials if
// none holds the credential.
Result<FidoAssertion> fido_prove_presence(const FidoDeviceConfig& config, const FidoPresenceOptions& options);

// fido_error maps a libfido2 return code to paw's outcome codes (exposed for tests).
Error fido_error(int fido_rc, const std::string& what);

}  // namespace paw::platform
