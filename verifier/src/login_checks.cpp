// Proof of possession at GET /v1/authz (login_checks.h). The original
// request's method and URL decide what a DPoP proof must name; they come from
// the proxy's X-Original-* / X-Forwarded-* fields only when the TCP peer is a
// --trusted-proxy, because anyone else could name the URL their captured
// proof was made for.
#include "login_checks.h"

#include <algorithm>

#include "paw/attest/digest.h"
#include "paw/attest/dpop.h"

namespace paw::verifier {

std::string authz_token(const std::string& authorization) {
  for (std::string_view scheme : {"DPoP ", "Bearer "}) {
    if (authorization.size() > scheme.size() && authorization.compare(0, scheme.size(), scheme) == 0) {
      return authorization.substr(scheme.size());
    }
  }
  return {};
}

Result<OriginalRequest> original_request(const Request& req, bool trusted, bool tls) {
  for (const auto& name : req.repeated) {
    if (name != "x-paw-user") return make_error(Errc::malformed, "header field " + name + " sent more than once");
  }
  const std::string uri = trusted ? req.field("x-original-uri") : std::string();
  if (!uri.empty()) {
    const std::string proto = req.field("x-forwarded-proto");
    const std::string host = req.field("x-forwarded-host");
    const std::string method = req.field("x-original-method");
    if (proto.empty() || host.empty() || method.empty()) {
      return make_error(Errc::malformed,
                        "the proxy forwarded X-Original-URI without X-Original-Method, X-Forwarded-Proto and "
                        "X-Forwarded-Host (see docs/nginx-auth-request.conf)");
    }
    if (uri.front() != '/') return make_error(Errc::malformed, "X-Original-URI is not an absolute path");
    return OriginalRequest{method, proto + "://" + host + uri};
  }
  // A direct call: the proof names this request to the verifier itself.
  const std::string host = req.field("host");
  if (host.empty()) return make_error(Errc::malformed, "no Host header");
  return OriginalRequest{req.method, std::string(tls ? "https" : "http") + "://" + host + req.path};
}

Status check_owner(const std::string& owner) {
  if (owner.empty() || owner.size() > 128) return make_error(Errc::malformed, "owner must be 1 to 128 characters");
  for (char c : owner) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '@' || c == '+' || c == '-';
    if (!ok) return make_error(Errc::malformed, "owner may hold only letters, digits and . _ @ + -");
  }
  return ok_status();
}

bool login_presence_ok(std::int64_t last_presence_at, const Policy& policy, std::int64_t now) {
  const std::int64_t max_age = policy.fido.login_presence_max_age_seconds;
  if (max_age <= 0) return true;
  return last_presence_at > 0 && now - last_presence_at <= max_age;
}

std::string dpop_jti_key(std::string_view jkt, std::string_view jti) {
  std::string input = "paw/v1/dpop-jti";
  input.push_back('\0');
  input.append(jkt);
  input.push_back('\0');
  input.append(jti);
  return hex(sha256(as_bytes(input)));
}

std::optional<CertProof> client_certificate_jkt(const Request& req, const PopContext& ctx) {
  const bool repeated = std::find(req.repeated.begin(), req.repeated.end(), "x-client-cert") != req.repeated.end();
  const std::string forwarded = req.field("x-client-cert");
  if (forwarded.empty() && !repeated) return std::nullopt;
  if (!ctx.trusted_proxy) {
    return CertProof{"mtls_untrusted_proxy", "X-Client-Cert from a peer that is not a --trusted-proxy", ""};
  }
  if (repeated) return CertProof{"mtls_cert_invalid", "more than one X-Client-Cert header", ""};
  if (!ctx.verify_client_cert) return CertProof{"mtls_cert_invalid", "no device CA to check client certificates", ""};
  auto identity = ctx.verify_client_cert(forwarded);
  if (!identity.ok()) return CertProof{"mtls_cert_invalid", identity.error().detail, ""};
  if (identity->device_id != ctx.device_id) {
    return CertProof{"mtls_device_mismatch",
                     "client certificate names device " + identity->device_id + ", the token " + ctx.device_id, ""};
  }
  return CertProof{"", "", identity->jkt};
}

ProofOutcome proof_jkt(const Request& req, std::string_view token, std::string_view cnf_jkt, const PopContext& ctx) {
  ProofOutcome out;
  auto deny = [&](std::string_view reason, std::string detail) {
    out.denial = {401, std::string(reason), std::move(detail)};
    return out;
  };
  const std::string proof = req.field("dpop");
  const bool dpop_repeated = std::find(req.repeated.begin(), req.repeated.end(), "dpop") != req.repeated.end();
  if (dpop_repeated) return deny(kDpopMalformed, "more than one DPoP header");
  if (proof.empty()) {
    // The second kind of proof: the TLS client certificate of the same key.
    auto cert = client_certificate_jkt(req, ctx);
    if (!cert) return deny(kDpopMissing, "a proof-of-possession token came without a DPoP proof or client certificate");
    if (!cert->reason.empty()) return deny(cert->reason, cert->detail);
    if (cert->jkt != cnf_jkt) return deny("mtls_key_mismatch", "client certificate key " + cert->jkt + " is not the token's");
    out.key = {cert->jkt, "mtls", "", 0};
    return out;
  }
  auto original = original_request(req, ctx.trusted_proxy, ctx.tls);
  if (!original.ok()) return deny(kDpopHtuMismatch, original.error().detail);
  DpopExpect expect;
  expect.method = original->method;
  expect.url = original->url;
  expect.access_token = token;
  expect.jkt = cnf_jkt;
  expect.now = ctx.now;
  expect.window = ctx.dpop_window;
  expect.skew = ctx.dpop_skew;
  DpopCheck check = verify_dpop_proof(proof, expect);
  if (!check.ok()) return deny(check.reason, check.detail + " (request " + original->method + " " + original->url + ")");
  out.key = {check.proof.jkt, "dpop", check.proof.jti, check.proof.iat + ctx.dpop_window + ctx.dpop_skew + 1};
  return out;
}

}  // namespace paw::verifier
