// pawctl ca export / ca rotate: the device CA that issues login certificates.
#include <openssl/pem.h>

#include <Poco/JSON/Object.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "admin_client.h"
#include "command.h"
#include "paw/attest/secure.h"

namespace pawctl {
namespace {

namespace fs = std::filesystem;
using paw::Errc;
using paw::make_error;

// count_certs counts the PEM certificates in |pem| (-1 if a block does not parse).
int count_certs(const std::string& pem) {
  paw::UniquePtr<BIO, BIO_free> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return -1;
  int n = 0;
  for (;;) {
    paw::UniquePtr<X509, X509_free> c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!c) break;
    ++n;
  }
  return n;
}

// export_bundle needs no credential: the bundle is public
// (GET /.well-known/paw-device-ca.pem); the verifier's TLS certificate is still checked.
int export_bundle(const paw::Args& args) {
  auto c = public_connection(args);
  if (!c.ok()) return report(c.error());
  auto a = call_ok(*c, "GET", "/.well-known/paw-device-ca.pem");
  if (!a.ok()) return report(a.error());
  const int n = count_certs(a->body);
  if (n <= 0) return fail("the verifier's device CA bundle holds no PEM certificate");
  if (auto out = args.get("out")) {
    if (auto st = paw::write_file_atomic(*out, a->body, 0644); !st.ok()) return report(st.error());
    std::cerr << "wrote " << n << " device CA certificate" << (n == 1 ? "" : "s") << " to " << *out << "\n";
    return 0;
  }
  std::cout << a->body;
  return 0;
}

int rotate(const paw::Args& args) {
  return post_rotation(args, "rotate the device CA (nginx must trust the new bundle)", "/v1/admin/ca/rotate", "new device CA ",
                       " (the previous CA stays in the bundle for the overlap period: export it again for nginx)");
}

int ca(const std::vector<std::string>& words) {
  auto args = parse_admin_args(words, {"out"});
  if (!args.ok()) return report(args.error());
  const auto& pos = args->positional();
  if (pos.size() == 1 && pos[0] == "export") return export_bundle(*args);
  if (pos.size() == 1 && pos[0] == "rotate") return rotate(*args);
  return fail("usage: pawctl ca export [--out FILE] --verifier URL --ca-file PEM\n"
              "       pawctl ca rotate [--yes] [--json] --verifier URL --ca-file PEM",
              2);
}

}  // namespace

PAWCTL_COMMAND("ca", "ca export [--out FILE] | ca rotate            device CA bundle (login certificates)", ca);

}  // namespace pawctl
