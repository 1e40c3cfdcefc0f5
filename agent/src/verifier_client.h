// verifier_client.h — the agent's side of protocol v1 (docs/protocol.md):
// HTTPS to the verifier, its TLS certificate checked against the configured
// CA and host name (there is no switch to skip that), JSON in and out.
//
// Failures carry the code that says whose fault it was: Errc::network_error
// (cannot connect, TLS refused, timeout), Errc::config_error (bad URL, no CA
// file), or the verifier's own error code when it answered 4xx/5xx (its
// "error" field, e.g. nonce_expired, revoked, bad_signature), detail
// "verifier: HTTP <status>: <code>: <message>".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/result_token.h"
#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/evidence.h"
#include "paw/attest/protocol.h"

namespace paw::https {
class Client;
}

namespace paw::agent {

// VerifierEndpoint is where the verifier is and how to trust it.
struct VerifierEndpoint {
  std::string url;            // https://host:port
  std::string ca_file;        // PEM: the CA that signed the verifier's certificate
  int timeout_seconds = 20;   // per socket operation
};

// HttpReply is one answer of the verifier.
struct HttpReply {
  int status = 0;
  std::string body;
};

// http_call sends |body| (JSON, may be empty) with |method| to |path|.
// Errc::config_error for a URL that is not https:// (http:// only on loopback,
// for development), Errc::network_error when the verifier cannot be reached or
// its certificate does not verify. Any HTTP status is a successful call.
Result<HttpReply> http_call(const VerifierEndpoint& ep, const std::string& method, const std::string& path,
                            const std::string& body);

// error_from_reply turns a non-2xx reply into an Error with the verifier's
// code (its "error" field) and "verifier: HTTP <status>: <code>: <message>".
Error error_from_reply(const HttpReply& reply);

using protocol::errc_from_name;

// The answers are protocol.h's messages, decoded by its one decoder.
using VerifierInfo = protocol::Info;
using EnrollmentAnswer = protocol::EnrollmentAnswer;
using ActivationAnswer = protocol::ActivationAnswer;
using Challenge = protocol::Challenge;
using AttestationAnswer = protocol::AttestationAnswer;
// A reason (code, message, grace_until for one the policy graces): the wire form is reasons.h.
using Reason = ResultReason;

// VerifierClient wraps the agent endpoints; answers are parsed strictly
// (sizes bounded, types checked): Errc::malformed for an answer that does not fit.
class VerifierClient {
 public:
  explicit VerifierClient(VerifierEndpoint ep) : ep_(std::move(ep)) {}

  Result<VerifierInfo> info();                                   // GET /v1/info
  Result<EnrollmentAnswer> enroll(const std::string& request);   // POST /v1/enrollments
  Result<ActivationAnswer> activate(const std::string& enrollment_id, ByteView secret);
  Result<Challenge> challenge(const std::string& device_id);     // POST /v1/challenges
  // attest: POST /v1/attestations. A verifier before 0.2 refuses the
  // envelope's routing copies as unknown fields (400, before it reads
  // anything else, so the challenge is not spent): the same envelope goes
  // again once without them.
  Result<AttestationAnswer> attest(const Envelope& envelope);
  // add_login_key: POST /v1/devices/{id}/login-key (`enroll --add-login-key`);
  // returns the stored key's JWK thumbprint.
  Result<std::string> add_login_key(const std::string& device_id, const std::string& request);

  [[nodiscard]] const VerifierEndpoint& endpoint() const noexcept { return ep_; }

 private:
  // call: one request on this client's kept-alive connection (challenge and
  // evidence of one round share a TLS handshake).
  Result<HttpReply> call(const std::string& method, const std::string& path, const std::string& body);
  std::shared_ptr<https::Client> conn_;
  VerifierEndpoint ep_;
};

}  // namespace paw::agent
