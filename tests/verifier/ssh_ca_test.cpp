// ssh_ca_test.cpp — the verifier's SSH user CA: its keys in the store shared
// by replicas, the certificate it issues (principal, key id, validity, the
// login key as Q, signed by the exported CA), rotation with overlap, and the
// well-known export.
#include "ssh_ca.h"

#include <doctest/doctest.h>

#include "../attest/tpm_test_util.h"
#include "paw/attest/ssh_cert.h"
#include "paw/attest/tpm.h"
#include "store/store.h"
#include "verifier_fixture.h"

using namespace paw;
using namespace paw::test;
using namespace paw::verifier;

namespace {

std::vector<Bytes> ca_blobs(const std::string& lines) {
  std::vector<Bytes> out;
  std::size_t at = 0;
  while (at < lines.size()) {
    const auto nl = lines.find('\n', at);
    auto blob = ssh::parse_line(lines.substr(at, nl - at), ssh::kKeyType);
    REQUIRE(blob.ok());
    out.push_back(*blob);
    at = nl + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("ssh ca: issues a certificate for the login key, shared by replicas, rotated with overlap") {
  TempDir dir;
  const std::string url = "sqlite:" + (dir / "paw.db").string();
  auto store = open_store(url);
  REQUIRE(store.ok());
  SshCa ca(**store);
  REQUIRE(ca.ensure_key(100).ok());
  REQUIRE(ca.ensure_key(101).ok());  // idempotent
  REQUIRE(ca.load().ok());
  REQUIRE((*store)->list_ssh_ca_keys()->size() == 1);
  const auto first = ca_blobs(ca.public_lines());
  REQUIRE(first.size() == 1);

  const Bytes login_pub = fixture("ak_ecc.pub");  // any ECC P-256 TPM2B_PUBLIC
  StoredDevice dev;
  dev.id = "dev-1";
  dev.label = "alice";
  CHECK(ssh_principals_for(dev, "") == std::vector<std::string>{"alice"});
  CHECK(ssh_principals_for(dev, "ops") == std::vector<std::string>{"ops"});
  {
    // The owner comes before the label: an e-mail-like one as its local part (the account) and whole.
    StoredDevice owned = dev;
    owned.owner = "bob@example.test";
    CHECK(ssh_principals_for(owned, "") == std::vector<std::string>{"bob", "bob@example.test"});
    owned.owner = "carol";
    CHECK(ssh_principals_for(owned, "") == std::vector<std::string>{"carol"});
    CHECK(ssh_principals_for(owned, "ops") == std::vector<std::string>{"ops"});
  }
  SshCertRequest req{"dev-1", login_pub, ssh_principals_for(dev, ""), 1000, 1600};
  auto line = ca.issue(req);
  REQUIRE_MESSAGE(line.ok(), line.error().what());
  auto blob = ssh::parse_line(*line, ssh::kCertType);
  REQUIRE(blob.ok());
  auto cert = ssh::decode(*blob);
  REQUIRE(cert.ok());
  CHECK(cert->key_id == "paw:device:dev-1");
  CHECK(cert->principals == std::vector<std::string>{"alice"});
  CHECK(cert->valid_before == 1600);
  CHECK(cert->valid_after == 940);
  CHECK(cert->type == ssh::kUserCert);
  CHECK(cert->critical_options.empty());
  auto key = to_evp_pkey(must_public(login_pub));
  REQUIRE(key.ok());
  CHECK(cert->q == *ssh::point_of(key->get()));
  CHECK(ssh::verify(*cert, first[0]).ok());
  bool device_ext = false;
  for (const auto& [name, data] : cert->extensions)
    device_ext = device_ext || (name == "paw-device@paw" && data == ssh::string_option("dev-1"));
  CHECK(device_ext);
  // No principal, no certificate.
  req.principals.clear();
  CHECK(ca.issue(req).code() == Errc::policy_violation);

  // A second replica on the same database signs with the same key.
  auto store2 = open_store(url);
  REQUIRE(store2.ok());
  SshCa replica(**store2);
  REQUIRE(replica.ensure_key(200).ok());
  REQUIRE(replica.load().ok());
  CHECK(replica.public_lines() == ca.public_lines());

  // Rotation: the new key signs; the old one stays exported for the overlap, then goes.
  auto kid = ca.rotate(300, 1000);
  REQUIRE(kid.ok());
  const auto both = ca_blobs(ca.public_lines());
  REQUIRE(both.size() == 2);
  CHECK(both[0] == first[0]);
  req.principals = {"alice"};
  auto rotated = ssh::decode(*ssh::parse_line(*ca.issue(req), ssh::kCertType));
  REQUIRE(rotated.ok());
  CHECK(ssh::verify(*rotated, both[1]).ok());
  CHECK(ssh::verify(*rotated, first[0]).code() == Errc::bad_signature);
  REQUIRE(ca.rotate(2000, 1000).ok());  // the first key was retired at 300 < 2000 - 1000
  const auto later = ca_blobs(ca.public_lines());
  REQUIRE(later.size() == 2);
  CHECK(later[0] == both[1]);
}

TEST_CASE("ssh ca: GET /.well-known/paw-ssh-ca.pub and POST /v1/admin/ssh-ca/rotate") {
  TestVerifier v;
  auto c = v.client();
  auto pub = c.get("/.well-known/paw-ssh-ca.pub");
  REQUIRE(pub.status == 200);
  CHECK(ca_blobs(pub.body).size() == 1);
  CHECK(c.post("/v1/admin/ssh-ca/rotate", "", "").status == 401);
  auto rot = c.post("/v1/admin/ssh-ca/rotate", "", v.admin());
  REQUIRE(rot.status == 200);
  const auto kid = rot.json()->getValue<std::string>("kid");
  auto after = c.get("/.well-known/paw-ssh-ca.pub");
  CHECK(ca_blobs(after.body).size() == 2);
  CHECK(after.body.find("paw-ssh-ca-" + kid + "\n") != std::string::npos);
}
