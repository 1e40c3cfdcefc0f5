#include "paw/attest/error.h"

namespace paw {

std::string_view errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::malformed: return "malformed";
    case Errc::trailing_data: return "trailing_data";
    case Errc::too_large: return "too_large";
    case Errc::unsupported: return "unsupported";
    case Errc::untrusted_chain: return "untrusted_chain";
    case Errc::cert_invalid: return "cert_invalid";
    case Errc::bad_signature: return "bad_signature";
    case Errc::bad_magic: return "bad_magic";
    case Errc::bad_type: return "bad_type";
    case Errc::nonce_mismatch: return "nonce_mismatch";
    case Errc::pcr_selection_mismatch: return "pcr_selection_mismatch";
    case Errc::pcr_digest_mismatch: return "pcr_digest_mismatch";
    case Errc::pcr_mismatch: return "pcr_mismatch";
    case Errc::ak_attributes: return "ak_attributes";
    case Errc::certified_name_mismatch: return "certified_name_mismatch";
    case Errc::login_key_attributes: return "login_key_attributes";
    case Errc::login_key_algorithm: return "login_key_algorithm";
    case Errc::activation_failed: return "activation_failed";
    case Errc::eventlog_malformed: return "eventlog_malformed";
    case Errc::eventlog_tampered: return "eventlog_tampered";
    case Errc::eventlog_replay_mismatch: return "eventlog_replay_mismatch";
    case Errc::eventlog_no_complete_bank: return "eventlog_no_complete_bank";
    case Errc::ima_malformed: return "ima_malformed";
    case Errc::ima_not_allowed: return "ima_not_allowed";
    case Errc::fido_no_device: return "fido_no_device";
    case Errc::fido_no_credentials: return "fido_no_credentials";
    case Errc::fido_touch_denied: return "fido_touch_denied";
    case Errc::fido_timeout: return "fido_timeout";
    case Errc::fido_pin_required: return "fido_pin_required";
    case Errc::fido_device_error: return "fido_device_error";
    case Errc::fido_attestation_invalid: return "fido_attestation_invalid";
    case Errc::fido_aaguid_not_allowed: return "fido_aaguid_not_allowed";
    case Errc::fido_bad_signature: return "fido_bad_signature";
    case Errc::fido_rp_mismatch: return "fido_rp_mismatch";
    case Errc::fido_up_missing: return "fido_up_missing";
    case Errc::fido_uv_missing: return "fido_uv_missing";
    case Errc::fido_challenge_mismatch: return "fido_challenge_mismatch";
    case Errc::fido_unknown_credential: return "fido_unknown_credential";
    case Errc::fido_counter_frozen: return "fido_counter_frozen";
    case Errc::fido_counter_rollback: return "fido_counter_rollback";
    case Errc::nonce_unknown: return "nonce_unknown";
    case Errc::nonce_expired: return "nonce_expired";
    case Errc::nonce_reused: return "nonce_reused";
    case Errc::token_invalid: return "token_invalid";
    case Errc::token_expired: return "token_expired";
    case Errc::policy_violation: return "policy_violation";
    case Errc::unauthorized: return "unauthorized";
    case Errc::forbidden: return "forbidden";
    case Errc::not_found: return "not_found";
    case Errc::conflict: return "conflict";
    case Errc::rate_limited: return "rate_limited";
    case Errc::revoked: return "revoked";
    case Errc::tpm_error: return "tpm_error";
    case Errc::device_error: return "device_error";
    case Errc::io_error: return "io_error";
    case Errc::network_error: return "network_error";
    case Errc::config_error: return "config_error";
    case Errc::storage_error: return "storage_error";
    case Errc::device_mismatch: return "device_mismatch";
    case Errc::internal: return "internal";
  }
  return "unknown";
}

std::string Error::what() const {
  std::string out(errc_name(code));
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

}  // namespace paw
