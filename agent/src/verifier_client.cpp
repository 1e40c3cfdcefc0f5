#include "verifier_client.h"

#include "paw/https/client.h"

namespace paw::agent {
namespace {

// ok_answer: the reply had status |want|, or its error becomes ours.
Status ok_answer(const HttpReply& r, int want) {
  if (r.status != want) return error_from_reply(r);
  return ok_status();
}

// decoded: a decoder's failure is the verifier's answer being malformed.
template <typename T>
Result<T> decoded(Result<T> m) {
  if (!m.ok() && m.code() != Errc::unsupported && m.code() != Errc::too_large) {
    return make_error(Errc::malformed, "verifier answer: " + m.error().detail);
  }
  return m;
}

}  // namespace

Error error_from_reply(const HttpReply& reply) {
  const protocol::ErrorAnswer e = protocol::decode_error_answer(reply.body);
  Errc code = Errc::internal;
  if (!protocol::errc_from_name(e.error, code)) code = Errc::internal;
  std::string message = e.message;
  if (!e.error.empty()) message = e.error + (message.empty() ? "" : ": " + message);
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
  opt.max_body = protocol::kMaxAnswerSize;
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
  PAW_CHECK(ok_answer(r, 200));
  return decoded(protocol::decode_info(r.body));
}

Result<EnrollmentAnswer> VerifierClient::enroll(const std::string& request) {
  PAW_TRY(HttpReply r, http_call(ep_, "POST", "/v1/enrollments", request));
  PAW_CHECK(ok_answer(r, 201));
  return decoded(protocol::decode_enrollment_answer(r.body));
}

Result<std::string> VerifierClient::add_login_key(const std::string& device_id, const std::string& request) {
  PAW_TRY(HttpReply r, http_call(ep_, "POST", "/v1/devices/" + device_id + "/login-key", request));
  PAW_CHECK(ok_answer(r, 200));
  PAW_TRY(protocol::LoginKeyAnswer a, decoded(protocol::decode_login_key_answer(r.body)));
  return a.jkt;
}

Result<ActivationAnswer> VerifierClient::activate(const std::string& enrollment_id, ByteView secret) {
  const std::string body = protocol::encode(protocol::ActivationRequest{Bytes(secret.begin(), secret.end())});
  PAW_TRY(HttpReply r, http_call(ep_, "POST", "/v1/enrollments/" + enrollment_id + "/activation", body));
  PAW_CHECK(ok_answer(r, 200));
  return decoded(protocol::decode_activation_answer(r.body));
}

Result<Challenge> VerifierClient::challenge(const std::string& device_id) {
  PAW_TRY(HttpReply r, call("POST", "/v1/challenges", protocol::encode(protocol::ChallengeRequest{device_id})));
  PAW_CHECK(ok_answer(r, 201));
  return decoded(protocol::decode_challenge(r.body));
}

Result<AttestationAnswer> VerifierClient::attest(const Envelope& envelope) {
  PAW_TRY(HttpReply r, call("POST", "/v1/attestations", serialize_envelope(envelope)));
  if (r.status == 400 && !envelope.device_id.empty() &&
      protocol::decode_error_answer(r.body).message.find("in evidence envelope") != std::string::npos) {
    Envelope old = envelope;
    old.device_id.clear();
    old.nonce.clear();
    PAW_TRY(r, call("POST", "/v1/attestations", serialize_envelope(old)));
  }
  PAW_CHECK(ok_answer(r, 200));
  return decoded(protocol::decode_attestation_answer(r.body));
}

}  // namespace paw::agent
