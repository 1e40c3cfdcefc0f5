// api_ssh.cpp — the SSH user CA's endpoints and the certificate issued with a
// healthy verdict (ssh_ca.h, docs/protocol.md "SSH certificate profile").
#include <Poco/JSON/Object.h>

#include "service.h"
#include "util.h"

namespace paw::verifier {
namespace {
using Obj = Poco::JSON::Object;
using ObjPtr = Poco::JSON::Object::Ptr;
}  // namespace

// GET /.well-known/paw-ssh-ca.pub: the lines for sshd's TrustedUserCAKeys.
Result<Response> Service::get_ssh_ca(Request&) {
  Response r;
  r.body = ssh_ca_->public_lines();
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

Result<Response> Service::admin_rotate_ssh_ca(Request&) {
  PAW_TRY(std::string kid, ssh_ca_->rotate(unix_now(), cfg_.key_overlap));
  ObjPtr ev = new Obj();
  ev->set("kid", kid);
  record_event("ssh_ca_rotation", "", json::stringify(ev));
  ObjPtr o = new Obj();
  o->set("kid", kid);
  return json_response(200, o);
}

std::string Service::ssh_certificate_for(const StoredDevice& dev, const DeviceRecord& rec,
                                         const ResultClaims& claims) {
  // Only for a key the AK certified: without one there is nothing bound to
  // this TPM to certify.
  if (!rec.login_key) return {};
  SshCertRequest req{dev.id, rec.login_key->public_tpm2b, ssh_principals_for(dev, cfg_.ssh_principal),
                     claims.iat, claims.exp};
  if (req.principals.empty()) return {};
  auto line = ssh_ca_->issue(req);
  if (!line.ok()) {
    // The verdict and token stand; only the certificate is missing, and the log says why.
    log_line("error", "SSH certificate not issued", {{"device", dev.id}, {"error", line.error().what()}});
    return {};
  }
  return *line;
}

}  // namespace paw::verifier
