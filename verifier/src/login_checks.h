// login_checks.h — what GET /v1/authz checks beyond the token itself: which
// request it admits (the original one behind a trusted proxy), that the
// caller holds the key the token is bound to (proof of possession), and the
// step-up presence rule. Pure functions over a Request; the service adds the
// store (jti single use) and the device row.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "edge/http.h"
#include "paw/attest/client_cert.h"
#include "paw/attest/policy.h"
#include "store/store.h"

namespace paw::verifier {

// AuthzToken is the result token from "Authorization: DPoP <token>" or
// "Authorization: Bearer <token>" (RFC 9449 7.1 / RFC 6750); "" otherwise.
std::string authz_token(const std::string& authorization);

// OriginalRequest is the request a login check admits: the one nginx is
// about to pass on (X-Original-Method / X-Original-URI with
// X-Forwarded-Proto / X-Forwarded-Host, believed only from a trusted proxy),
// or, for a direct call, this request to the verifier's own /v1/authz.
struct OriginalRequest {
  std::string method;
  std::string url;  // scheme://host[:port]/path (query kept; normalize_htu drops it)
};
// original_request: |trusted| says whether the TCP peer is a --trusted-proxy;
// |tls| whether the verifier serves HTTPS. Errc::malformed naming a field a
// proxy sent twice or a forwarded request without its scheme or host.
Result<OriginalRequest> original_request(const Request& req, bool trusted, bool tls);

// LoginDenial is a refused login with its stable reason code (401 for a
// missing or bad proof, 403 for a device or person not allowed now).
struct LoginDenial {
  int status = 401;
  std::string reason;  // dpop_* (dpop.h), token_unbound, owner_mismatch, presence_stale, …
  std::string detail;  // for the log only
};

// ProvenKey is what a request proved about the key it holds.
struct ProvenKey {
  std::string jkt;                 // RFC 7638 thumbprint of the key
  std::string via;                 // "dpop" | "mtls"
  std::string jti;                 // DPoP jti to use up ("" for mtls)
  std::int64_t jti_expires_at = 0; // until when that jti must stay used
};

// PopContext is the verifier's side of a PoP check.
struct PopContext {
  std::int64_t now = 0;
  std::int64_t dpop_window = 60;
  std::int64_t dpop_skew = 5;
  bool trusted_proxy = false;  // the TCP peer is a --trusted-proxy
  bool tls = true;
  std::string device_id;       // the token's sub: a client certificate must name it
  // verify_client_cert checks a forwarded client certificate against the
  // live device CAs (DeviceCa::client_cert_jkt); unset = no mTLS proof.
  std::function<Result<ClientCertIdentity>(std::string_view forwarded)> verify_client_cert;
};

// proof_jkt returns the key |req| proves it holds, which must be |cnf_jkt|
// (the token's RFC 7800 cnf): a DPoP proof (RFC 9449) in the DPoP header, or
// — the second kind of proof, RFC 8705 — the TLS client certificate of the
// same key that a trusted proxy forwarded (client_certificate_jkt). A
// LoginDenial (401) says why not. The DPoP jti is NOT used up here: the
// service does that in the store once every stateless check passed.
struct ProofOutcome {
  LoginDenial denial;  // reason "" = proved
  ProvenKey key;
  [[nodiscard]] bool ok() const noexcept { return denial.reason.empty(); }
};
ProofOutcome proof_jkt(const Request& req, std::string_view token, std::string_view cnf_jkt, const PopContext& ctx);

// client_certificate_jkt is the RFC 8705 proof: the RFC 7638 thumbprint of
// the login key in the TLS client certificate that nginx verified and
// forwarded (X-Client-Cert, docs/nginx-auth-request.conf). Believed only from
// a --trusted-proxy (anyone else could paste a device's certificate, which is
// not secret) and only after ctx.verify_client_cert checked it again against
// the device CA; it must name ctx.device_id. Errc::not_found when the request
// carries no certificate; otherwise a LoginDenial reason in the error detail's
// stead is returned by proof_jkt (mtls_untrusted_proxy, mtls_cert_invalid,
// mtls_device_mismatch).
struct CertProof {
  std::string reason;  // "" = the certificate proved jkt
  std::string detail;
  std::string jkt;
};
std::optional<CertProof> client_certificate_jkt(const Request& req, const PopContext& ctx);

// check_owner accepts an owner name: 1..128 of [A-Za-z0-9._@+-] (a user or
// e-mail-like name, safe in a header and a log line). Errc::malformed.
Status check_owner(const std::string& owner);

// login_presence_ok is the step-up rule (policy
// fido.login_presence_max_age_seconds): true when the rule is off (0) or the
// device's last attestation with a verified FIDO2 user-presence assertion is
// at most that many seconds old at |now|. Credential issuance uses the same
// function.
bool login_presence_ok(std::int64_t last_presence_at, const Policy& policy, std::int64_t now);
inline bool login_presence_ok(const StoredDevice& device, const Policy& policy, std::int64_t now) {
  return login_presence_ok(device.last_presence_at, policy, now);
}
inline bool login_presence_ok(const DeviceAdmission& device, const Policy& policy, std::int64_t now) {
  return login_presence_ok(device.last_presence_at, policy, now);
}

// dpop_jti_key is the used_nonces key of a DPoP jti (hex SHA-256, domain
// separated from challenge nonces and scoped to the proving key).
std::string dpop_jti_key(std::string_view jkt, std::string_view jti);

}  // namespace paw::verifier
