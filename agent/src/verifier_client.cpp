#include "verifier_client.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "paw/attest/reasons.h"
#include "paw/attest/json.h"
#include "paw/attest/ssh_cert.h"
#include "paw/https/client.h"

namespace paw::agent {
namespace {

constexpr std::size_t kMaxReply = 1u << 20;  // the largest answer (a token, reasons) is a few KiB

Result<json::ObjectPtr> ok_json(const HttpReply& r, int want) {
  if (r.status != want) return error_from_reply(r);
  auto o = json::parse_object(r.body, kMaxReply);
  if (!o.ok()) return make_error(Errc::malformed, "verifier answer: " + o.error().detail);
  return o;
}

}  // namespace

bool errc_from_name(std::string_view name, Errc& out) noexcept {
  for (auto i = static_cast<std::uint16_t>(Errc::malformed); i <= static_cast<std::uint16_t>(Errc::internal); ++i) {
    if (errc_name(static_cast<Errc>(i)) == name) {
      out = static_cast<Errc>(i);
      return true;
    }
  }
  return false;
}

Error error_from_reply(const HttpReply& reply) {
  Errc code = Errc::internal;
  std::string message;
  if (auto o = json::parse_object(reply.body, kMaxReply); o.ok()) {
    const auto err = (*o)->optValue<std::string>("error", "");
    message = (*o)->optValue<std::string>("message", "");
    if (!errc_from_name(err, code)) code = Errc::internal;
    if (!err.empty()) message = err + (message.empty() ? "" : ": " + message);
  }
  if (message.empty()) message = "no error detail";
  if (code == Errc::internal) {
    // Keep the class of the failure when the verifier named none. A 404
    // without the verifier's JSON (a proxy's page, a wrong URL) is not the
    // verifier saying the device is gone: it stays a verifier failure.
    code = reply.status == 401 ? Errc::unauthorized
           : reply.status == 403 ? Errc::forbidden
           : reply.status == 429 ? Errc::rate_limited
                                 : Errc::internal;
  }
  return make_error(code, "verifier: HTTP " + std::to_string(reply.status) + ": " + message);
}

namespace {
https::Options verifier_options(const VerifierEndpoint& ep) {
  https::Options opt;
  opt.ca_file = ep.ca_file;
  opt.timeout_seconds = ep.timeout_seconds;
  opt.max_body = kMaxReply;
  opt.peer = "the verifier";
  opt.ca_hint = "name the PEM of the CA that signed the verifier's certificate (ca-file)";
  opt.tls_hint = " (is ca-file the verifier's CA, and the URL's host name in its certificate?)";
  return opt;
}
}  // namespace

Result<HttpReply> http_call(const VerifierEndpoint& ep, const std::string& method, const std::string& path,
                            const std::string& body) {
  PAW_TRY(https::Client client, https::Client::open(ep.url, verifier_options(ep), "verifier URL"));
  PAW_TRY(https::Reply r, client.request(method, path, body, {{"User-Agent", "paw-agent/0.1.0"}}));
  return HttpReply{r.status, std::move(r.body)};
}

Result<HttpReply> VerifierClient::call(const std::string& method, const std::string& path, const std::string& body) {
  if (!conn_) {
    https::Options opt = verifier_options(ep_);
    opt.keep_alive = true;
    PAW_TRY(https::Client client, https::Client::open(ep_.url, std::move(opt), "verifier URL"));
    conn_ = std::make_shared<https::Client>(std::move(client));
  }
  PAW_TRY(https::Reply r, conn_->request(method, path, body, {{"User-Agent", "paw-agent/0.1.0"}}));
  return HttpReply{r.status, std::move(r.body)};
}

Result<VerifierInfo> VerifierClient::info() {
  PAW_TRY(HttpReply r, http_call(ep_, "GET", "/v1/info", ""));
  PAW_TRY(json::ObjectPtr o, ok_json(r, 200));
  VerifierInfo i;
  PAW_TRY(i.rp_id, json::get_string(o, "rp_id"));
  PAW_TRY(i.protocol, json::get_int(o, "protocol"));
  i.version = o->optValue<std::string>("version", "");
  if (i.protocol != 1) return make_error(Errc::unsupported, "verifier speaks protocol " + std::to_string(i.protocol));
  if (i.rp_id.empty() || i.rp_id.size() > 255) return make_error(Errc::malformed, "verifier rp_id has a bad size");
  return i;
}

Result<EnrollmentAnswer> VerifierClient::enroll(const std::string& request) {
  PAW_TRY(HttpReply r, http_call(ep_, "POST", "/v1/enrollments", request));
  PAW_TRY(json::ObjectPtr o, ok_json(r, 201));
  EnrollmentAnswer a;
  PAW_TRY(a.enrollment_id, json::get_string(o, "enrollment_id"));
  PAW_TRY(a.credential_blob, json::get_b64(o, "credential_blob", 1024));
  PAW_TRY(a.encrypted_secret, json::get_b64(o, "encrypted_secret", 1024));
  if (a.enrollment_id.empty() || a.enrollment_id.size() > 128 ||
      a.enrollment_id.find_first_not_of("0123456789abcdefABCDEF-_") != std::string::npos) {
    return make_error(Errc::malformed, "verifier enrollment_id is not a plain id");
  }
  return a;
}

Result<std::string> VerifierClient::add_login_key(const std::string& device_id, const std::string& request) {
  PAW_TRY(HttpReply r, http_call(ep_, "POST", "/v1/devices/" + device_id + "/login-key", request));
  PAW_TRY(json::ObjectPtr o, ok_json(r, 200));
  PAW_TRY(std::string jkt, json::get_string(o, "jkt"));
  if (jkt.size() != 43) return make_error(Errc::malformed, "verifier jkt is not a SHA-256 thumbprint");
  return jkt;
}

Result<ActivationAnswer> VerifierClient::activate(const std::string& enrollment_id, ByteView secret) {
  Poco::JSON::Object::Ptr req = new Poco::JSON::Object();
  req->set("secret", base64(secret));
  PAW_TRY(HttpReply r, http_call(ep_, "POST", "/v1/enrollments/" + enrollment_id + "/activation", json::stringify(req)));
  PAW_TRY(json::ObjectPtr o, ok_json(r, 200));
  ActivationAnswer a;
  PAW_TRY(a.device_id, json::get_string(o, "device_id"));
  PAW_TRY(a.status, json::get_string(o, "status"));
  if (a.device_id.empty() || a.device_id.size() > 128 ||
      a.device_id.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_") !=
          std::string::npos) {
    return make_error(Errc::malformed, "verifier device_id is not a plain id");
  }
  return a;
}

Result<Challenge> VerifierClient::challenge(const std::string& device_id) {
  Poco::JSON::Object::Ptr req = new Poco::JSON::Object();
  req->set("device_id", device_id);
  PAW_TRY(HttpReply r, call("POST", "/v1/challenges", json::stringify(req)));
  PAW_TRY(json::ObjectPtr o, ok_json(r, 201));
  Challenge c;
  PAW_TRY(c.nonce, json::get_hex(o, "nonce", 32));
  PAW_TRY(c.expires_at, json::get_int(o, "expires_at"));
  if (c.nonce.size() != 32) return make_error(Errc::malformed, "verifier nonce is not 32 bytes");
  return c;
}

Result<AttestationAnswer> VerifierClient::attest(const std::string& envelope) {
  PAW_TRY(HttpReply r, call("POST", "/v1/attestations", envelope));
  PAW_TRY(json::ObjectPtr o, ok_json(r, 200));
  AttestationAnswer a;
  PAW_TRY(a.verdict, json::get_string(o, "verdict"));
  PAW_TRY(a.token, json::get_string(o, "token"));
  PAW_TRY(a.expires_at, json::get_int(o, "expires_at"));
  if (a.verdict != "healthy" && a.verdict != "warning" && a.verdict != "unhealthy") {
    return make_error(Errc::malformed, "unknown verdict " + a.verdict);
  }
  a.grace_until = o->optValue<std::int64_t>("grace_until", 0);
  if (a.token.size() > 16384) return make_error(Errc::too_large, "result token larger than 16 KiB");
  PAW_TRY(auto cert, json::opt_string(o, "login_certificate"));  // absent from older verifiers
  if (cert) {
    if (cert->size() > 16384) return make_error(Errc::too_large, "login certificate larger than 16 KiB");
    if (!cert->starts_with("-----BEGIN CERTIFICATE-----\n")) {
      return make_error(Errc::malformed, "login certificate is not a PEM certificate");
    }
    a.login_certificate = std::move(*cert);
  }
  if (o->has("ssh_certificate")) {
    PAW_TRY(a.ssh_certificate, json::get_string(o, "ssh_certificate"));
    // Checked for shape here, used only through the file ssh reads.
    PAW_CHECK(ssh::parse_line(a.ssh_certificate, ssh::kCertType));
  }
  PAW_TRY(json::ArrayPtr reasons, json::get_array(o, "reasons"));
  PAW_TRY(a.reasons, reasons_from_json(reasons, "verifier reasons"));
  return a;
}

}  // namespace paw::agent
