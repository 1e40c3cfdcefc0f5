// ssh_cert_swtpm_test.cpp — the SSH side of the login key against real
// parts: a certificate for a swtpm login key read back by OpenSSH's own
// `ssh-keygen -L` (type, key id, principals, validity, CA fingerprint), and a
// TPM2_Sign by the login key turned into an SSH signature blob that verifies
// with the certified key (what `paw-agent ssh-agent` hands to ssh).
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "paw/attest/result_token.h"
#include "paw/attest/ssh_cert.h"
#include "paw/attest/tpm.h"
#include "paw/platform/login_key.h"
#include "swtpm.h"
#include "test_data.h"

using namespace paw;
using namespace paw::test;
namespace pf = paw::platform;

namespace {

void write_text(const std::filesystem::path& p, const std::string& s) {
  std::ofstream f(p);
  f << s << "\n";
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("ssh cert for a swtpm login key: ssh-keygen -L reads it, the TPM signs for it") {
  auto swtpm = Swtpm::start();
  auto tpm = pf::Tpm::open(swtpm->tcti());
  REQUIRE_MESSAGE(tpm.ok(), tpm.error().what());
  auto blob = pf::create_login_key(*tpm);
  REQUIRE_MESSAGE(blob.ok(), blob.error().what());
  auto key = pf::load_login_key(*tpm, *blob);
  REQUIRE_MESSAGE(key.ok(), key.error().what());
  auto pub = parse_public(key->public_tpm2b);
  REQUIRE(pub.ok());
  auto evp = to_evp_pkey(*pub);
  REQUIRE(evp.ok());
  auto ca = generate_signing_key();
  REQUIRE(ca.ok());

  ssh::Cert c;
  c.nonce = Bytes(32, 7);
  c.q = *ssh::point_of(evp->get());
  c.serial = 42;
  c.key_id = "paw:device:dev-ssh";
  c.principals = {"alice", "bob"};
  c.valid_after = 1700000000;  // 2023-11-14T22:13:20Z
  c.valid_before = 1700000300;
  c.extensions = {{"permit-pty", {}}, {std::string(ssh::kDeviceExtension), ssh::string_option("dev-ssh")}};
  auto cert = ssh::sign(c, ca->key.get());
  REQUIRE(cert.ok());

  TempDir dir;
  write_text(dir / "cert.pub", ssh::cert_line(*cert, "paw"));
  write_text(dir / "ca.pub", ssh::key_line(*ssh::public_key_blob(ca->key.get()), "paw-ssh-ca"));
  ::setenv("TZ", "UTC", 1);
  std::string out;
  REQUIRE(run_command({"ssh-keygen", "-L", "-f", (dir / "cert.pub").string()}, &out) == 0);
  INFO(out);
  CHECK(contains(out, "Type: ecdsa-sha2-nistp256-cert-v01@openssh.com user certificate"));
  CHECK(contains(out, "Key ID: \"paw:device:dev-ssh\""));
  CHECK(contains(out, "Serial: 42"));
  CHECK(contains(out, "Valid: from 2023-11-14T22:13:20 to 2023-11-14T22:18:20"));
  CHECK(contains(out, "Principals: \n                alice\n                bob\n"));
  CHECK(contains(out, "Critical Options: (none)"));
  CHECK(contains(out, "permit-pty"));
  CHECK(contains(out, "paw-device@paw"));
  std::string ca_fp;
  REQUIRE(run_command({"ssh-keygen", "-l", "-f", (dir / "ca.pub").string()}, &ca_fp) == 0);
  const std::string fp = ca_fp.substr(ca_fp.find("SHA256:"), 50);
  CHECK(contains(out, "Signing CA: ECDSA " + fp));

  // What the ssh-agent does for a sign request: TPM2_Sign over SHA-256(data).
  const Bytes data = to_bytes("ssh session identifier and userauth request");
  auto tpm_sig = pf::sign_with_login_key(*tpm, *key, data);
  REQUIRE(tpm_sig.ok());
  auto sig = ssh::signature_blob_from_tpm(*tpm_sig);
  REQUIRE(sig.ok());
  auto subject = ssh::parse_public_key_blob(*ssh::public_key_blob(evp->get()));
  REQUIRE(subject.ok());
  CHECK(ssh::verify_blob(subject->get(), data, *sig).ok());
  CHECK(ssh::verify_blob(subject->get(), to_bytes("other"), *sig).code() == Errc::bad_signature);
  // The certificate's key (Q) is the TPM key: a signature by another key fails.
  auto other = generate_signing_key();
  auto forged = ssh::sign_blob(other->key.get(), data);
  CHECK(ssh::verify_blob(subject->get(), data, *forged).code() == Errc::bad_signature);
}
