// paw/attest/error.h — the one error model of paw.
//
// Every fallible function returns Result<T>: either a value or an Error with a
// closed code (Errc) and a human detail. Tests, HTTP status mapping and the
// audit log key on the code; the detail is for people and never holds secrets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace paw {

// Errc is the closed set of failure codes. Names are stable: they appear in
// API answers, logs and verdict reasons (see errc_name).
enum class Errc : std::uint16_t {
  // Input shape
  malformed = 1,           // bytes/JSON do not parse
  trailing_data,           // parse succeeded but bytes were left over
  too_large,               // size limit exceeded before parsing
  unsupported,             // well-formed but an algorithm/format paw does not accept
  // Cryptographic and TPM-structure checks (in verification order)
  untrusted_chain,         // certificate chain does not reach a trusted root
  cert_invalid,            // certificate fields wrong (EKU, dates, key type)
  bad_signature,           // signature does not verify over the raw bytes
  bad_magic,               // TPMS_ATTEST magic is not TPM_GENERATED_VALUE
  bad_type,                // TPMS_ATTEST type is not the one expected
  nonce_mismatch,          // qualifying data / client data differ from expected
  pcr_selection_mismatch,  // quoted selection differs from the requested one
  pcr_digest_mismatch,     // quoted PCR digest != digest of reported PCRs
  pcr_mismatch,            // PCR value differs from replay or reference
  ak_attributes,           // AK is not a restricted, fixed, TPM-generated signing key
  certified_name_mismatch, // TPM2_Certify names another object than the presented public area
  login_key_attributes,    // login key is not a fixed, TPM-generated, unrestricted signing-only key
  login_key_algorithm,     // login key is not ECC NIST P-256 with nameAlg SHA-256
  activation_failed,       // credential activation secret mismatch
  // Event logs
  eventlog_malformed,      // event log does not parse
  eventlog_tampered,       // event data does not match its digest
  eventlog_replay_mismatch,// replay does not reach the quoted PCRs
  eventlog_no_complete_bank,// no bank of SHA-256 or stronger is both complete in the log and quoted
  ima_malformed,           // IMA log does not parse
  ima_not_allowed,         // IMA measured a file the allowlist does not allow
  // FIDO2
  fido_no_device,          // no authenticator found
  fido_no_credentials,     // enrolled credential not on any plugged key
  fido_touch_denied,       // user denied presence
  fido_timeout,            // user presence timed out
  fido_pin_required,       // PIN/UV required but unavailable
  fido_device_error,       // any other authenticator/libfido2 failure
  fido_attestation_invalid,// attestation statement does not verify
  fido_aaguid_not_allowed, // authenticator model not in the allowlist
  fido_bad_signature,      // assertion signature does not verify
  fido_rp_mismatch,        // rpIdHash is not the verifier's
  fido_up_missing,         // user presence required but flag clear
  fido_uv_missing,         // user verification required but flag clear
  fido_challenge_mismatch, // client data hash is not over this nonce/device
  fido_unknown_credential, // credential id is not the enrolled one
  fido_counter_frozen,     // signCount did not grow (possible clone)
  fido_counter_rollback,   // signCount went back (possible clone)
  // Protocol / service
  nonce_unknown,           // challenge never issued (or for another device)
  nonce_expired,           // challenge expired
  nonce_reused,            // challenge already consumed
  token_invalid,           // enrollment/result token unknown, forged or used
  token_expired,           // token expired
  policy_violation,        // evidence verified but policy says no
  unauthorized,            // missing/bad credential
  forbidden,               // authenticated but not allowed
  not_found,               // unknown id
  conflict,                // state does not allow the operation
  rate_limited,            // too many requests
  revoked,                 // device revoked
  // Environment
  tpm_error,               // TPM command failed
  device_error,            // other hardware failure
  io_error,                // file or socket failure
  network_error,           // verifier unreachable / TLS failure
  config_error,            // bad configuration
  storage_error,           // database failure
  device_mismatch,         // evidence names another device than the enrolled one
  internal,                // a bug: should never happen
};

// errc_name returns the stable snake_case name of |code| ("pcr_digest_mismatch").
std::string_view errc_name(Errc code) noexcept;

// Error is a failure: a code plus human detail (no secrets).
struct Error {
  Errc code = Errc::internal;
  std::string detail;

  // what returns "code: detail".
  [[nodiscard]] std::string what() const;
};

// make_error builds an Error; the usual way to fail: `return make_error(Errc::malformed, "...");`
inline Error make_error(Errc code, std::string detail) { return Error{code, std::move(detail)}; }

// Result<T> holds a T or an Error. It is [[nodiscard]]: a dropped result is a bug.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }
  [[nodiscard]] Errc code() const noexcept { return ok() ? Errc{} : std::get<1>(v_).code; }

 private:
  std::variant<T, Error> v_;
};

// Status is Result without a value.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace paw

// PAW_TRY(var, expr): evaluate a Result; on error return it from the current
// function, otherwise move the value into |var|.
#define PAW_CONCAT_INNER(a, b) a##b
#define PAW_CONCAT(a, b) PAW_CONCAT_INNER(a, b)
#define PAW_TRY(var, expr)                                       \
  auto PAW_CONCAT(paw_try_, __LINE__) = (expr);                  \
  if (!PAW_CONCAT(paw_try_, __LINE__).ok())                      \
    return std::move(PAW_CONCAT(paw_try_, __LINE__)).error();    \
  var = std::move(PAW_CONCAT(paw_try_, __LINE__)).value()
// PAW_CHECK(expr): evaluate a Status; on error return it.
#define PAW_CHECK(expr)                                          \
  do {                                                           \
    auto paw_check_ = (expr);                                    \
    if (!paw_check_.ok()) return std::move(paw_check_).error();  \
  } while (0)
