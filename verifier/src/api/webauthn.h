// webauthn.h — the browser half of a FIDO2 admin's sign-in to the console
// (docs/console.md). A WebAuthn assertion is the CTAP2 assertion pawctl
// login makes, signed over authData || SHA-256(clientDataJSON) instead of
// paw's own client-data hash; clientDataJSON is the browser's statement of
// what it asked for: the ceremony type, the challenge (base64url) and the
// page origin. These functions read and check that statement; the
// authenticator data, signature and counter go through the same
// attest::verify_fido_presence as pawctl login, with the hash of these bytes.
#pragma once

#include <string>
#include <string_view>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"

namespace paw::verifier {

// kMaxClientDataJson bounds clientDataJSON (browsers send ~150-300 bytes).
inline constexpr std::size_t kMaxClientDataJson = 4096;

// WebAuthnClientData is the part of clientDataJSON the verifier checks.
struct WebAuthnClientData {
  std::string type;           // "webauthn.get" for a sign-in
  Bytes challenge;            // decoded from base64url
  std::string origin;         // "https://host[:port]" of the page that asked
  bool cross_origin = false;  // "crossOrigin": true when asked from an iframe of another origin
};

// parse_webauthn_client_data reads clientDataJSON (UTF-8 JSON object,
// bounded by kMaxClientDataJson). Unknown members are ignored, as WebAuthn
// requires (browsers add some). Errc::malformed (or too_large) otherwise.
Result<WebAuthnClientData> parse_webauthn_client_data(ByteView client_data_json);

// check_webauthn_client_data: the type is |expected_type|
// (fido_challenge_mismatch "wrong type"), it was not made in a cross-origin
// frame, and the origin is |expected_origin| exactly (fido_rp_mismatch
// "wrong origin": the origin is the browser's half of the relying party);
// forbidden while no origin is configured. The challenge is checked by the caller (it is the verifier's own
// nonce: ChallengeKey::check and Store::use_nonce).
Status check_webauthn_client_data(const WebAuthnClientData& cd, std::string_view expected_type,
                                  std::string_view expected_origin);

// check_console_origin validates the console-origin setting against the
// FIDO2 relying-party id: "https://HOST[:PORT]" (no path, no user info),
// and --rp-id must be HOST or a parent domain of it (WebAuthn's rule for
// rpId), so one admin credential is good for pawctl login and the browser.
Status check_console_origin(std::string_view origin, std::string_view rp_id);

}  // namespace paw::verifier
