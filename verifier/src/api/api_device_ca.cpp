// The device CA's endpoints and the login certificate of an attestation
// (device_ca.h, docs/protocol.md "Login certificate").
#include <Poco/JSON/Object.h>

#include "paw/attest/client_cert.h"
#include "paw/attest/tpm.h"
#include "service.h"
#include "util.h"

namespace paw::verifier {

Result<Response> Service::get_device_ca(Request&) {
  Response r;
  r.body = device_ca_->bundle();
  r.content_type = "application/pem-certificate-chain";
  return r;
}

Result<Response> Service::admin_rotate_ca(Request&) {
  PAW_TRY(std::string kid, device_ca_->rotate(unix_now(), cfg_.key_overlap));
  Poco::JSON::Object::Ptr ev = new Poco::JSON::Object();
  ev->set("kid", kid);
  record_event("device_ca_rotation", "", json::stringify(ev));
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
  o->set("kid", kid);
  return json_response(200, o);
}

std::string Service::login_certificate(const DeviceRecord& rec, const std::string& owner, const Appraisal& a,
                                       const Policy& policy, std::int64_t not_after, std::int64_t now) {
  if (!a.admits_login() || !rec.login_key) return {};
  // The verdict is stored already: a certificate that cannot be made is
  // logged and left out (the agent then drops its old one), never a failed round.
  auto fail = [&](const Error& e) {
    log_line("error", "cannot issue the login certificate", {{"device", rec.device_id}, {"error", e.what()}});
    return std::string();
  };
  auto pub = parse_public(rec.login_key->public_tpm2b);
  if (!pub.ok()) return fail(pub.error());
  auto key = to_evp_pkey(*pub);
  if (!key.ok()) return fail(key.error());
  DeviceCertProfile p;
  p.device_id = rec.device_id;
  p.login_key = key->get();
  p.now = now;
  p.not_after = not_after;
  p.verdict = std::string(verdict_name(a.verdict()));  // healthy, or warning (not_after <= grace_until)
  p.policy = policy.name;
  p.policy_version = policy.version;
  // The person the device is enrolled to (check_owner: [A-Za-z0-9._@+-]):
  // an e-mail-like name as an rfc822Name, which web servers map to users,
  // any other as a URI.
  if (!owner.empty()) {
    if (owner.find('@') != std::string::npos) {
      p.extra_san_emails.push_back(owner);
    } else {
      p.extra_san_uris.push_back(std::string(kOwnerUriPrefix) + owner);
    }
  }
  auto cert = device_ca_->issue(p);
  if (!cert.ok()) return fail(cert.error());
  return *cert;
}

}  // namespace paw::verifier
