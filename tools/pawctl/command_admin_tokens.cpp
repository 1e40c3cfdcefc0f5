// pawctl token create / rp-credential create: the secrets an admin hands out.
#include <iostream>

#include "admin_client.h"
#include "command.h"

namespace pawctl {
namespace {

using paw::Errc;
using paw::make_error;

int token(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {"ttl", "label", "policy"}, {"replace"});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  if (pos.size() != 1 || pos[0] != "create") {
    return fail("usage: pawctl token create [--ttl 1h] [--label NAME] [--policy NAME] [--replace] --verifier URL "
                "--ca-file PEM",
                2);
  }
  auto conn = connection_from(*args);
  if (!conn.ok()) return report(conn.error());
  auto ttl = parse_duration(args->get_or("ttl", "1h"));
  if (!ttl.ok()) return report(ttl.error());
  Poco::JSON::Object::Ptr req = new Poco::JSON::Object();
  req->set("ttl_seconds", *ttl);
  if (auto label = args->get("label")) req->set("label", *label);
  if (auto policy = args->get("policy")) req->set("policy", *policy);
  // --replace: the workstation may re-enroll a TPM that is already enrolled
  // (reinstalled, or revoked by mistake); the old device is then revoked.
  if (args->has("replace")) req->set("replace", true);
  auto a = call_ok(*conn, "POST", "/v1/admin/tokens", paw::json::stringify(req));
  if (!a.ok()) return report(a.error());
  if (conn->json) {
    std::cout << a->body << "\n";
    return 0;
  }
  auto o = parse_answer(*a);
  if (!o.ok()) return report(o.error());
  std::cout << "token: " << (*o)->optValue<std::string>("token", "") << "\n"
            << "expires: " << format_time((*o)->optValue<std::int64_t>("expires_at", 0)) << " (single use)\n"
            << "label: " << (*o)->optValue<std::string>("label", "") << "\n"
            << "policy: " << (*o)->optValue<std::string>("policy", "default") << "\n"
            << ((*o)->optValue<bool>("replace", false)
                    ? "replace: yes (if this TPM is already enrolled, that device is revoked when this one enrolls)\n"
                    : "")
            << "next: on the workstation, paw-agent enroll --verifier " << conn->verifier
            << " --token TOKEN --ca-file PEM\n";
  return 0;
}

int rp_credential(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {"label"});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  if (pos.size() != 1 || pos[0] != "create") {
    return fail("usage: pawctl rp-credential create [--label NAME] --verifier URL --ca-file PEM", 2);
  }
  auto conn = connection_from(*args);
  if (!conn.ok()) return report(conn.error());
  Poco::JSON::Object::Ptr req = new Poco::JSON::Object();
  req->set("label", args->get_or("label", ""));
  auto a = call_ok(*conn, "POST", "/v1/admin/rp-credentials", paw::json::stringify(req));
  if (!a.ok()) return report(a.error());
  if (conn->json) {
    std::cout << a->body << "\n";
    return 0;
  }
  auto o = parse_answer(*a);
  if (!o.ok()) return report(o.error());
  std::cout << "relying-party credential: " << (*o)->optValue<std::string>("credential", "") << "\n"
            << "id: " << (*o)->optValue<std::string>("id", "") << "\n"
            << "store it in a file (mode 0600) for the identity provider; it is shown only once\n";
  return 0;
}

}  // namespace

PAWCTL_COMMAND("token", "token create [--ttl 1h] [--label NAME]      enrollment token (single use)", token);
PAWCTL_COMMAND("rp-credential", "rp-credential create [--label NAME]        credential for health queries",
               rp_credential);

}  // namespace pawctl
