// The POST /v1/enrollments body (docs/protocol.md, "Enrollment").
#include "paw/attest/appraisal.h"

#include <openssl/crypto.h>

namespace paw {
namespace {

std::string text_of(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

Result<FidoAttestationStatement> attestation_from(const json::ObjectPtr& o) {
  PAW_CHECK(json::only_keys(o, {"alg", "sig", "x5c"}, "fido.attestation"));
  FidoAttestationStatement st;
  PAW_TRY(st.alg, json::get_int(o, "alg"));
  PAW_TRY(st.sig, json::get_b64(o, "sig", kMaxFidoSignatureSize));
  if (o->has("x5c") && !o->isNull("x5c")) {
    PAW_TRY(json::ArrayPtr arr, json::get_array(o, "x5c"));
    if (arr->size() > kMaxFidoX5cCount) return make_error(Errc::too_large, "fido.attestation.x5c has too many certificates");
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const auto v = arr->get(static_cast<unsigned>(i));
      if (!v.isString()) return make_error(Errc::malformed, "fido.attestation.x5c entries must be strings");
      const auto s = v.extract<std::string>();
      if (s.size() > (kMaxFidoCertSize / 3 + 1) * 4) return make_error(Errc::too_large, "fido.attestation.x5c certificate too large");
      auto der = unbase64(s);
      if (!der.ok()) return make_error(Errc::malformed, "fido.attestation.x5c: " + der.error().detail);
      st.x5c.push_back(std::move(der).value());
    }
  }
  return st;
}

Result<EnrollmentFido> fido_from(const json::ObjectPtr& o) {
  PAW_CHECK(json::only_keys(o, {"credential_id", "fmt", "auth_data", "attestation", "algorithm"}, "fido"));
  EnrollmentFido f;
  PAW_TRY(f.credential_id, json::get_b64(o, "credential_id", kMaxFidoCredentialIdSize));
  if (f.credential_id.empty()) return make_error(Errc::malformed, "fido.credential_id is empty");
  PAW_TRY(f.fmt, json::get_string(o, "fmt"));
  if (f.fmt != "packed" && f.fmt != "none") {
    return make_error(Errc::unsupported, "fido.fmt \"" + f.fmt.substr(0, 32) + "\" is not packed or none");
  }
  PAW_TRY(f.auth_data, json::get_b64(o, "auth_data", kMaxFidoAuthDataSize));
  if (o->has("attestation") && !o->isNull("attestation")) {
    PAW_TRY(json::ObjectPtr a, json::get_object(o, "attestation"));
    PAW_TRY(FidoAttestationStatement st, attestation_from(a));
    f.attestation = std::move(st);
  }
  if (f.fmt == "packed" && !f.attestation) return make_error(Errc::malformed, "fido.attestation is required for fmt packed");
  PAW_TRY(f.algorithm, json::get_int(o, "algorithm"));
  if (f.algorithm != -7 && f.algorithm != -8) {
    return make_error(Errc::unsupported, "fido.algorithm " + std::to_string(f.algorithm) + " is not ES256 (-7) or EdDSA (-8)");
  }
  return f;
}

json::ObjectPtr fido_to(const EnrollmentFido& f) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("credential_id", base64(f.credential_id));
  o->set("fmt", f.fmt);
  o->set("auth_data", base64(f.auth_data));
  if (f.attestation) {
    json::ObjectPtr a = new Poco::JSON::Object();
    a->set("alg", f.attestation->alg);
    a->set("sig", base64(f.attestation->sig));
    if (!f.attestation->x5c.empty()) {
      json::ArrayPtr x5c = new Poco::JSON::Array();
      for (const auto& c : f.attestation->x5c) x5c->add(base64(c));
      a->set("x5c", x5c);
    }
    o->set("attestation", a);
  }
  o->set("algorithm", f.algorithm);
  return o;
}

Result<LoginKeyCertify> login_key_certify_from_json(const json::ObjectPtr& o) {
  PAW_CHECK(json::only_keys(o, {"public", "certify_info", "signature"}, "login_key"));
  LoginKeyCertify c;
  PAW_TRY(c.public_tpm2b, json::get_b64(o, "public", kMaxTpmStructSize));
  PAW_TRY(c.certify_info, json::get_b64(o, "certify_info", kMaxTpmStructSize));
  PAW_TRY(c.signature, json::get_b64(o, "signature", kMaxTpmStructSize));
  return c;
}

json::ObjectPtr login_key_certify_to_json(const LoginKeyCertify& c) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("public", base64(c.public_tpm2b));
  o->set("certify_info", base64(c.certify_info));
  o->set("signature", base64(c.signature));
  return o;
}

}  // namespace

Result<EnrollmentRequest> parse_enrollment_request(std::string_view json_text) {
  PAW_TRY(json::ObjectPtr o, json::parse_object(json_text, kMaxEnrollmentRequestSize, 6));
  PAW_CHECK(json::only_keys(o, {"token", "ek_cert", "ek_public", "ak_public", "fido", "host", "pcrs", "event_log",
                             "login_key"},
                            "enrollment request"));
  EnrollmentRequest r;
  {
    PAW_TRY(std::string token, json::get_string(o, "token"));
    if (token.empty()) return make_error(Errc::malformed, "token is empty");
    if (token.size() > kMaxEnrollmentTokenSize) return make_error(Errc::too_large, "token too long");
    r.token = SecretBytes(as_bytes(token));
    OPENSSL_cleanse(token.data(), token.size());
  }
  PAW_TRY(r.ek_cert, json::opt_b64(o, "ek_cert", kMaxEkCertSize));
  PAW_TRY(r.ek_public, json::get_b64(o, "ek_public", kMaxTpmStructSize));
  PAW_TRY(r.ak_public, json::get_b64(o, "ak_public", kMaxTpmStructSize));
  if (o->has("fido") && !o->isNull("fido")) {
    PAW_TRY(json::ObjectPtr f, json::get_object(o, "fido"));
    PAW_TRY(EnrollmentFido fido, fido_from(f));
    r.fido = std::move(fido);
  }
  PAW_TRY(json::ObjectPtr host, json::get_object(o, "host"));
  PAW_TRY(r.host, host_from_json(host));
  PAW_TRY(json::ObjectPtr pcrs, json::get_object(o, "pcrs"));
  PAW_TRY(r.pcrs, pcrs_from_json(pcrs));
  PAW_TRY(r.event_log, json::opt_b64(o, "event_log", kMaxEventLogSize));
  if (o->has("login_key") && !o->isNull("login_key")) {
    PAW_TRY(json::ObjectPtr lk, json::get_object(o, "login_key"));
    PAW_TRY(LoginKeyCertify c, login_key_certify_from_json(lk));
    r.login_key = std::move(c);
  }
  return r;
}

std::string serialize_enrollment_request(const EnrollmentRequest& req) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("token", text_of(req.token.view()));
  if (req.ek_cert) o->set("ek_cert", base64(*req.ek_cert));
  o->set("ek_public", base64(req.ek_public));
  o->set("ak_public", base64(req.ak_public));
  if (req.fido) o->set("fido", fido_to(*req.fido));
  o->set("host", host_to_json(req.host));
  o->set("pcrs", pcrs_to_json(req.pcrs));
  if (req.event_log) o->set("event_log", base64(*req.event_log));
  if (req.login_key) o->set("login_key", login_key_certify_to_json(*req.login_key));
  return json::stringify(o);
}

Result<LoginKeyAddRequest> parse_login_key_add_request(std::string_view json_text) {
  PAW_TRY(json::ObjectPtr o, json::parse_object(json_text, kMaxLoginKeyAddRequestSize, 4));
  PAW_CHECK(json::only_keys(o, {"nonce", "login_key"}, "login key request"));
  LoginKeyAddRequest r;
  PAW_TRY(r.nonce, json::get_hex(o, "nonce", kNonceSize));
  if (r.nonce.size() != kNonceSize) return make_error(Errc::malformed, "nonce must be 32 bytes");
  PAW_TRY(json::ObjectPtr lk, json::get_object(o, "login_key"));
  PAW_TRY(r.login_key, login_key_certify_from_json(lk));
  return r;
}

std::string serialize_login_key_add_request(const LoginKeyAddRequest& req) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("nonce", hex(req.nonce));
  o->set("login_key", login_key_certify_to_json(req.login_key));
  return json::stringify(o);
}

}  // namespace paw
