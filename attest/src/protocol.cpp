// The small messages of protocol v1, encoded and decoded in one place (protocol.h).
#include "paw/attest/protocol.h"

#include <Poco/JSON/Object.h>

#include "paw/attest/json.h"
#include "paw/attest/ssh_cert.h"

namespace paw::protocol {
namespace {

using Obj = Poco::JSON::Object;

// Answers: bounded, an object, unknown fields ignored (protocol.h).
Result<json::ObjectPtr> answer_object(std::string_view text, std::string_view what) {
  auto o = json::parse_object(text, kMaxAnswerSize);
  if (!o.ok()) return make_error(o.code(), std::string(what) + ": " + o.error().detail);
  return o;
}

// Requests: bounded, an object with exactly the |allowed| keys at most.
Result<json::ObjectPtr> request_object(std::string_view text, std::initializer_list<std::string_view> allowed,
                                       std::string_view what) {
  PAW_TRY(json::ObjectPtr o, json::parse_object(text, kMaxSmallRequest));
  PAW_CHECK(json::only_keys(o, allowed, what));
  return o;
}

std::string cut(std::string s) {
  constexpr std::size_t kMaxErrorText = 4096;
  if (s.size() > kMaxErrorText) s.resize(kMaxErrorText);
  return s;
}

}  // namespace

bool valid_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxIdSize) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Status check_id(std::string_view id, std::string_view what) {
  if (id.empty() || id.size() > kMaxIdSize) return make_error(Errc::malformed, std::string(what) + " has a bad size");
  if (!valid_id(id)) return make_error(Errc::malformed, std::string(what) + " has a bad character");
  return ok_status();
}

bool errc_from_name(std::string_view name, Errc& out) noexcept {
  for (auto i = static_cast<std::uint16_t>(Errc::malformed); i <= static_cast<std::uint16_t>(Errc::internal); ++i) {
    if (errc_name(static_cast<Errc>(i)) == name) {
      out = static_cast<Errc>(i);
      return true;
    }
  }
  return false;
}

std::string encode(const Info& m) {
  json::ObjectPtr o = new Obj();
  o->set("version", m.version);
  o->set("rp_id", m.rp_id);
  o->set("protocol", m.protocol);
  return json::stringify(o);
}

Result<Info> decode_info(std::string_view text) {
  PAW_TRY(json::ObjectPtr o, answer_object(text, "verifier info"));
  Info m;
  PAW_TRY(m.rp_id, json::get_string(o, "rp_id"));
  PAW_TRY(m.protocol, json::get_int(o, "protocol"));
  PAW_TRY(auto version, json::opt_string(o, "version"));
  m.version = cut(version.value_or(""));
  if (m.protocol != kProtocolVersion) {
    return make_error(Errc::unsupported, "verifier speaks protocol " + std::to_string(m.protocol));
  }
  if (m.rp_id.empty() || m.rp_id.size() > 255) return make_error(Errc::malformed, "verifier rp_id has a bad size");
  return m;
}

std::string encode(const EnrollmentAnswer& m) {
  json::ObjectPtr o = new Obj();
  o->set("enrollment_id", m.enrollment_id);
  o->set("credential_blob", base64(m.credential_blob));
  o->set("encrypted_secret", base64(m.encrypted_secret));
  return json::stringify(o);
}

Result<EnrollmentAnswer> decode_enrollment_answer(std::string_view text) {
  PAW_TRY(json::ObjectPtr o, answer_object(text, "enrollment answer"));
  EnrollmentAnswer m;
  PAW_TRY(m.enrollment_id, json::get_string(o, "enrollment_id"));
  PAW_CHECK(check_id(m.enrollment_id, "enrollment_id"));
  PAW_TRY(m.credential_blob, json::get_b64(o, "credential_blob", 1024));
  PAW_TRY(m.encrypted_secret, json::get_b64(o, "encrypted_secret", 1024));
  return m;
}

std::string encode(const ActivationRequest& m) {
  json::ObjectPtr o = new Obj();
  o->set("secret", base64(m.secret));
  return json::stringify(o);
}

Result<ActivationRequest> decode_activation_request(std::string_view text) {
  PAW_TRY(json::ObjectPtr o, request_object(text, {"secret"}, "activation"));
  ActivationRequest m;
  PAW_TRY(m.secret, json::get_b64(o, "secret", 256));
  return m;
}

std::string encode(const ActivationAnswer& m) {
  json::ObjectPtr o = new Obj();
  o->set("device_id", m.device_id);
  o->set("status", m.status);
  return json::stringify(o);
}

Result<ActivationAnswer> decode_activation_answer(std::string_view text) {
  PAW_TRY(json::ObjectPtr o, answer_object(text, "activation answer"));
  ActivationAnswer m;
  PAW_TRY(m.device_id, json::get_string(o, "device_id"));
  PAW_CHECK(check_id(m.device_id, "device_id"));
  PAW_TRY(m.status, json::get_string(o, "status"));
  if (m.status != "enrolled" && m.status != "pending") {
    return make_error(Errc::malformed, "activation answer: unknown status " + cut(m.status));
  }
  return m;
}

std::string encode(const ChallengeRequest& m) {
  json::ObjectPtr o = new Obj();
  o->set("device_id", m.device_id);
  return json::stringify(o);
}

Result<ChallengeRequest> decode_challenge_request(std::string_view text) {
  PAW_TRY(json::ObjectPtr o, request_object(text, {"device_id"}, "challenge request"));
  ChallengeRequest m;
  PAW_TRY(m.device_id, json::get_string(o, "device_id"));
  PAW_CHECK(check_id(m.device_id, "device_id"));
  return m;
}

std::string encode(const Challenge& m) {
  json::ObjectPtr o = new Obj();
  o->set("nonce", hex(m.nonce));
  o->set("expires_at", m.expires_at);
  return json::stringify(o);
}

Result<Challenge> decode_challenge(std::string_view text) {
  PAW_TRY(json::ObjectPtr o, answer_object(text, "challenge"));
  Challenge m;
  PAW_TRY(m.nonce, json::get_hex(o, "nonce", 32));
  PAW_TRY(m.expires_at, json::get_int(o, "expires_at"));
  if (m.nonce.size() != 32) return make_error(Errc::malformed, "verifier nonce is not 32 bytes");
  return m;
}

std::string encode(const AttestationAnswer& m) {
  json::ObjectPtr o = new Obj();
  o->set("verdict", m.verdict);
  o->set("reasons", reasons_to_json(m.reasons));
  o->set("token", m.token);
  o->set("expires_at", m.expires_at);
  if (m.grace_until != 0) o->set("grace_until", m.grace_until);
  if (!m.login_certificate.empty()) o->set("login_certificate", m.login_certificate);
  if (!m.ssh_certificate.empty()) o->set("ssh_certificate", m.ssh_certificate);
  return json::stringify(o);
}

Result<AttestationAnswer> decode_attestation_answer(std::string_view text) {
  PAW_TRY(json::ObjectPtr o, answer_object(text, "attestation answer"));
  AttestationAnswer m;
  PAW_TRY(m.verdict, json::get_string(o, "verdict"));
  if (m.verdict != "healthy" && m.verdict != "warning" && m.verdict != "unhealthy") {
    return make_error(Errc::malformed, "unknown verdict " + cut(m.verdict));
  }
  PAW_TRY(m.token, json::get_string(o, "token"));
  if (m.token.size() > kMaxTokenSize) return make_error(Errc::too_large, "result token larger than 16 KiB");
  PAW_TRY(m.expires_at, json::get_int(o, "expires_at"));
  if (o->has("grace_until")) {
    PAW_TRY(m.grace_until, json::get_int(o, "grace_until"));
  }
  PAW_TRY(auto cert, json::opt_string(o, "login_certificate"));  // absent: no login key, or an older verifier
  if (cert) {
    if (cert->size() > kMaxTokenSize) return make_error(Errc::too_large, "login certificate larger than 16 KiB");
    if (!cert->starts_with("-----BEGIN CERTIFICATE-----\n")) {
      return make_error(Errc::malformed, "login certificate is not a PEM certificate");
    }
    m.login_certificate = std::move(*cert);
  }
  PAW_TRY(auto ssh, json::opt_string(o, "ssh_certificate"));
  if (ssh) {
    // Checked for shape here; used only through the file ssh reads.
    PAW_CHECK(ssh::parse_line(*ssh, ssh::kCertType));
    m.ssh_certificate = std::move(*ssh);
  }
  PAW_TRY(json::ArrayPtr reasons, json::get_array(o, "reasons"));
  PAW_TRY(m.reasons, reasons_from_json(reasons, "verifier reasons"));
  return m;
}

std::string encode(const LoginKeyAnswer& m) {
  json::ObjectPtr o = new Obj();
  o->set("device_id", m.device_id);
  o->set("jkt", m.jkt);
  return json::stringify(o);
}

Result<LoginKeyAnswer> decode_login_key_answer(std::string_view text) {
  PAW_TRY(json::ObjectPtr o, answer_object(text, "login-key answer"));
  LoginKeyAnswer m;
  PAW_TRY(m.device_id, json::get_string(o, "device_id"));
  PAW_CHECK(check_id(m.device_id, "device_id"));
  PAW_TRY(m.jkt, json::get_string(o, "jkt"));
  if (m.jkt.size() != 43) return make_error(Errc::malformed, "verifier jkt is not a SHA-256 thumbprint");
  PAW_CHECK(unbase64url(m.jkt));
  return m;
}

std::string encode(const ErrorAnswer& m) {
  json::ObjectPtr o = new Obj();
  o->set("error", m.error);
  o->set("message", m.message);
  return json::stringify(o);
}

ErrorAnswer error_answer(const Error& e) { return {std::string(errc_name(e.code)), e.detail}; }

ErrorAnswer decode_error_answer(std::string_view text) {
  ErrorAnswer m;
  auto o = json::parse_object(text, kMaxAnswerSize);
  if (!o.ok()) return m;
  if (auto e = json::opt_string(*o, "error"); e.ok() && *e) m.error = cut(std::move(**e));
  if (auto msg = json::opt_string(*o, "message"); msg.ok() && *msg) m.message = cut(std::move(**msg));
  return m;
}

}  // namespace paw::protocol
