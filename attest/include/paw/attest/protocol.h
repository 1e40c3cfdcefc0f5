// paw/attest/protocol.h — the small JSON messages of protocol v1 between the
// agent and the verifier (docs/protocol.md), written once: one encoder the
// verifier answers with and one decoder the agent reads with (and the other
// way round for the two small requests). The large messages have their own
// headers: the evidence envelope and body (evidence.h), the enrollment request
// (enrollment.h), the login-key request (certify.h), reasons (reasons.h).
//
// Decoders bound every size, check every type and every identifier's
// alphabet, and fail with Errc::malformed naming the field. Requests (what
// the verifier reads from anyone) refuse unknown fields. Answers (what the
// agent reads from the verifier it authenticated by TLS) ignore fields they do
// not know, so a newer verifier can add one without breaking older agents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/reasons.h"

namespace paw::protocol {

inline constexpr std::int64_t kProtocolVersion = 1;
inline constexpr std::size_t kMaxAnswerSize = 1u << 20;     // the largest answer (token, reasons, certificates) is a few KiB
inline constexpr std::size_t kMaxSmallRequest = 64u << 10;  // challenge and activation requests
inline constexpr std::size_t kMaxIdSize = 128;              // device and enrollment ids
inline constexpr std::size_t kMaxTokenSize = 16384;         // result token, login certificate

// valid_id: 1..kMaxIdSize characters of [A-Za-z0-9_-]. Device and enrollment
// ids are the verifier's own, but they arrive untrusted and end up in URLs,
// file names and logs.
bool valid_id(std::string_view id) noexcept;
Status check_id(std::string_view id, std::string_view what);

// errc_from_name maps a stable errc_name back to its code; false if unknown.
bool errc_from_name(std::string_view name, Errc& out) noexcept;

// GET /v1/info
struct Info {
  std::string version;                      // the verifier's release
  std::string rp_id;                        // the FIDO2 relying party the agent's key signs for
  std::int64_t protocol = kProtocolVersion;
  bool operator==(const Info&) const = default;
};
std::string encode(const Info& m);
// Errc::unsupported for a protocol other than kProtocolVersion.
Result<Info> decode_info(std::string_view text);

// POST /v1/enrollments answer (201)
struct EnrollmentAnswer {
  std::string enrollment_id;
  Bytes credential_blob;                    // TPM2B_ID_OBJECT
  Bytes encrypted_secret;                   // TPM2B_ENCRYPTED_SECRET
  bool operator==(const EnrollmentAnswer&) const = default;
};
std::string encode(const EnrollmentAnswer& m);
Result<EnrollmentAnswer> decode_enrollment_answer(std::string_view text);

// POST /v1/enrollments/{id}/activation
struct ActivationRequest {
  Bytes secret;                             // what TPM2_ActivateCredential released
  bool operator==(const ActivationRequest&) const = default;
};
std::string encode(const ActivationRequest& m);
Result<ActivationRequest> decode_activation_request(std::string_view text);

struct ActivationAnswer {
  std::string device_id;
  std::string status;                       // "enrolled" | "pending"
  bool operator==(const ActivationAnswer&) const = default;
};
std::string encode(const ActivationAnswer& m);
Result<ActivationAnswer> decode_activation_answer(std::string_view text);

// POST /v1/challenges
struct ChallengeRequest {
  std::string device_id;
  bool operator==(const ChallengeRequest&) const = default;
};
std::string encode(const ChallengeRequest& m);
Result<ChallengeRequest> decode_challenge_request(std::string_view text);

struct Challenge {
  Bytes nonce;                              // 32 bytes
  std::int64_t expires_at = 0;              // Unix seconds
  bool operator==(const Challenge&) const = default;
};
std::string encode(const Challenge& m);
Result<Challenge> decode_challenge(std::string_view text);

// POST /v1/attestations answer (200)
struct AttestationAnswer {
  std::string verdict;                      // "healthy" | "warning" | "unhealthy"
  std::vector<ResultReason> reasons;
  std::string token;                        // the signed result token (JWT)
  std::int64_t expires_at = 0;
  std::int64_t grace_until = 0;             // 0: no graced reason
  std::string login_certificate;            // PEM for the device's login key; "" when none was issued
  std::string ssh_certificate;              // OpenSSH certificate line; "" when none was issued
  bool operator==(const AttestationAnswer&) const = default;
};
std::string encode(const AttestationAnswer& m);
Result<AttestationAnswer> decode_attestation_answer(std::string_view text);

// POST /v1/devices/{id}/login-key answer (200)
struct LoginKeyAnswer {
  std::string device_id;
  std::string jkt;                          // RFC 7638 thumbprint, base64url of SHA-256 (43 characters)
  bool operator==(const LoginKeyAnswer&) const = default;
};
std::string encode(const LoginKeyAnswer& m);
Result<LoginKeyAnswer> decode_login_key_answer(std::string_view text);

// Every 4xx/5xx answer: {"error": "<errc name>", "message": "..."}.
struct ErrorAnswer {
  std::string error;                        // errc_name of the code
  std::string message;
  bool operator==(const ErrorAnswer&) const = default;
};
std::string encode(const ErrorAnswer& m);
ErrorAnswer error_answer(const Error& e);
// decode_error_answer never fails: a body that is not the verifier's JSON
// (a proxy's HTML page) gives empty fields. Field values are cut to 4 KiB.
ErrorAnswer decode_error_answer(std::string_view text);

}  // namespace paw::protocol
