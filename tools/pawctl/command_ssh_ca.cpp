// pawctl ssh-ca export | rotate — the verifier's SSH user CA (docs/login-integration.md).
#include <iostream>

#include "admin_client.h"
#include "command.h"

namespace pawctl {
namespace {

constexpr const char* kUsage =
    "usage: pawctl ssh-ca export [--out FILE] | rotate [--yes] [--json]  --verifier URL --ca-file PEM";

int ssh_ca(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {"out"});
  if (!args.ok()) return report(args.error());
  if (args->positional().size() != 1) return fail(kUsage, 2);
  const std::string& what = args->positional()[0];
  if (what == "export") {
    // The CA's public keys are public (GET /.well-known/paw-ssh-ca.pub): no credential.
    auto c = public_connection(*args);
    if (!c.ok()) return report(c.error());
    auto a = call_ok(*c, "GET", "/.well-known/paw-ssh-ca.pub");
    if (!a.ok()) return report(a.error());
    if (a->body.empty() || a->body.rfind("ecdsa-sha2-nistp256 ", 0) != 0) {
      return fail("the verifier's answer is not an SSH public key list", 1);
    }
    if (auto out = args->get("out")) {
      if (auto st = paw::write_file_atomic(*out, a->body, 0644); !st.ok()) return report(st.error());
    } else {
      std::cout << a->body;
    }
    return 0;
  }
  if (what == "rotate") {
    return post_rotation(*args, "rotate the SSH user CA (sshd must trust the new key)", "/v1/admin/ssh-ca/rotate", "new SSH CA key paw-ssh-ca-",
                         " (export again: sshd must trust it before certificates by it arrive; the previous key "
                         "stays exported for the overlap period)");
  }
  return fail(kUsage, 2);
}

}  // namespace

PAWCTL_COMMAND("ssh-ca", "ssh-ca export [--out FILE] | rotate      the SSH user CA (sshd TrustedUserCAKeys)",
               ssh_ca);

}  // namespace pawctl
