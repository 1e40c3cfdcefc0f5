// paw/attest/evidence.h — the evidence envelope of protocol v1 (docs/protocol.md).
//
// The agent builds an EvidenceBody, serializes it ONCE to bytes, asks the TPM
// for a quote whose qualifying data is qualifying_data(body bytes), and sends
// Envelope{body bytes, attest, signature}. The verifier hashes the received
// body bytes exactly as they arrived, so no canonical JSON is needed: nothing
// the verifier acts on lies outside what the quote signs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "paw/attest/bytes.h"
#include "paw/attest/json.h"
#include "paw/attest/limits.h"  // kMaxEventLogSize, kMaxImaLogSize
#include "paw/attest/pcr.h"

namespace paw {

// Limits applied before and during parsing (bytes after base64 decoding).
inline constexpr std::size_t kMaxEnvelopeSize = 12u << 20;   // JSON text of the envelope
inline constexpr std::size_t kMaxBodySize = 9u << 20;        // body bytes
inline constexpr std::size_t kMaxTpmStructSize = 4096;       // TPMS_ATTEST, TPMT_SIGNATURE, TPM2B_PUBLIC
inline constexpr std::size_t kMaxDeviceIdSize = 128;
inline constexpr std::size_t kNonceSize = 32;
inline constexpr std::int64_t kEvidenceVersion = 1;

// HostFacts are what the agent reports about the machine (covered by the quote).
struct HostFacts {
  std::string os_release;               // PRETTY_NAME from os-release
  std::string kernel;                   // uname -r
  std::optional<bool> disk_encrypted;   // root filesystem on dm-crypt/LUKS; nullopt = unknown
  std::optional<bool> secure_boot;      // SecureBoot EFI variable; nullopt = not UEFI / unknown
  bool operator==(const HostFacts&) const = default;
};

// FidoPresence is the FIDO2 assertion proving the enrolled key is plugged in.
struct FidoPresence {
  Bytes credential_id;
  Bytes auth_data;   // raw authenticatorData (not CBOR-wrapped)
  Bytes signature;
  // client_data_hash is what the agent asked the key to sign (optional): with
  // it a wrong nonce/device shows as fido_challenge_mismatch rather than as a
  // bad signature. The verifier always recomputes and compares; never trusts it.
  std::optional<Bytes> client_data_hash;
  bool operator==(const FidoPresence&) const = default;
};

// EvidenceBody is what the quote covers (through SHA-256 of its bytes).
struct EvidenceBody {
  std::string device_id;
  Bytes nonce;                          // kNonceSize bytes from POST /v1/challenges
  PcrValues pcrs;                       // exactly the quoted selection
  std::optional<Bytes> event_log;
  std::optional<Bytes> ima_log;
  std::optional<FidoPresence> fido;
  // login_key_signature is the login key's TPMT_SIGNATURE (ECDSA/SHA-256) over
  // login_key_proof_message(nonce, device_id) (certify.h); absent when the
  // agent has no login key. Inside the body, so the quote covers it.
  std::optional<Bytes> login_key_signature;
  HostFacts host;
  std::string agent_version;
  bool operator==(const EvidenceBody&) const = default;
};

// Envelope is what POST /v1/attestations carries.
struct Envelope {
  Bytes body;        // exact body bytes
  Bytes attest;      // marshalled TPMS_ATTEST as the TPM produced it
  Bytes signature;   // marshalled TPMT_SIGNATURE
  // Unsigned copies of the body's device_id and nonce, so the verifier can
  // find the device and check the challenge without reading the body before
  // the quote verified: the body is parsed once, after the signature check,
  // and its signed values must equal these (authenticate_evidence). Empty in
  // envelopes from agents before 0.2 (the verifier then looks into the body
  // for routing only, see route_of in the verifier).
  std::string device_id;
  Bytes nonce;
  bool operator==(const Envelope&) const = default;
};
// envelope_for makes the envelope of |body| (its routing copies filled in).
Envelope envelope_for(const EvidenceBody& body, Bytes body_bytes, Bytes attest, Bytes signature);

// serialize_body writes the body as compact JSON bytes.
Bytes serialize_body(const EvidenceBody& body);
// parse_body parses body bytes strictly (limits, unknown fields refused,
// version must be kEvidenceVersion, nonce kNonceSize bytes, PCRs validated).
Result<EvidenceBody> parse_body(ByteView bytes);

// serialize_envelope / parse_envelope convert the envelope to/from its JSON text.
std::string serialize_envelope(const Envelope& env);
Result<Envelope> parse_envelope(std::string_view json_text);

// qualifying_data is the quote's extraData: SHA-256 of the exact body bytes.
Bytes qualifying_data(ByteView body_bytes);

// PCR values as JSON: {"sha256": {"0": "<hex>", ...}, "sha1": {...}}.
json::ObjectPtr pcrs_to_json(const PcrValues& pcrs);
Result<PcrValues> pcrs_from_json(const json::ObjectPtr& obj);
// Host facts as JSON (see docs/protocol.md).
json::ObjectPtr host_to_json(const HostFacts& host);
Result<HostFacts> host_from_json(const json::ObjectPtr& obj);

}  // namespace paw
