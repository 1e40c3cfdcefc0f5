// ssh_cert_test.cpp — OpenSSH certificate encoding: round trip, signature
// over exactly the to-be-signed bytes, strict decoding (every truncation,
// trailing bytes, unsorted options, another CA), the ssh-agent messages.
#include "paw/attest/ssh_cert.h"

#include <doctest/doctest.h>

#include "paw/attest/result_token.h"
#include "paw/attest/ssh_agent.h"
#include "test_data.h"

using namespace paw;

namespace {

ssh::Cert sample_cert(const EVP_PKEY* subject) {
  ssh::Cert c;
  c.nonce = Bytes(32, 0x5a);
  c.q = *ssh::point_of(subject);
  c.serial = 0x0102030405060708ULL;
  c.key_id = "paw:device:dev-1";
  c.principals = {"alice", "ops"};
  c.valid_after = 1700000000;
  c.valid_before = 1700000300;
  c.extensions = {{"permit-pty", {}}, {std::string(ssh::kDeviceExtension), ssh::string_option("dev-1")}};
  return c;
}

}  // namespace

TEST_CASE("ssh cert: sign, encode, decode and verify round trip") {
  auto ca = generate_signing_key();
  auto subject = generate_signing_key();
  REQUIRE(ca.ok());
  REQUIRE(subject.ok());
  ssh::Cert c = sample_cert(subject->key.get());
  auto blob = ssh::sign(c, ca->key.get());
  REQUIRE_MESSAGE(blob.ok(), blob.error().what());
  // sign() sorts the extensions as PROTOCOL.certkeys requires.
  CHECK(c.extensions.front().first == "paw-device@paw");
  auto back = ssh::decode(*blob);
  REQUIRE_MESSAGE(back.ok(), back.error().what());
  CHECK(*back == c);
  CHECK(ssh::encode(*back) == *blob);
  auto ca_blob = ssh::public_key_blob(ca->key.get());
  REQUIRE(ca_blob.ok());
  CHECK(ssh::verify(*back, *ca_blob).ok());
  // The certified key comes back as the same key.
  auto key_blob = ssh::public_key_blob(subject->key.get());
  auto parsed = ssh::parse_public_key_blob(*key_blob);
  REQUIRE(parsed.ok());
  CHECK(*ssh::point_of(parsed->get()) == c.q);
}

TEST_CASE("ssh cert: a changed field or another CA does not verify") {
  auto ca = generate_signing_key();
  auto other = generate_signing_key();
  auto subject = generate_signing_key();
  ssh::Cert c = sample_cert(subject->key.get());
  REQUIRE(ssh::sign(c, ca->key.get()).ok());
  const Bytes ca_blob = *ssh::public_key_blob(ca->key.get());
  const Bytes other_blob = *ssh::public_key_blob(other->key.get());
  CHECK(ssh::verify(c, other_blob).code() == Errc::bad_signature);
  ssh::Cert m = c;
  m.principals.push_back("root");
  CHECK(ssh::verify(m, ca_blob).code() == Errc::bad_signature);
  m = c;
  m.valid_before += 1;
  CHECK(ssh::verify(m, ca_blob).code() == Errc::bad_signature);
  m = c;
  m.key_id = "paw:device:dev-2";
  CHECK(ssh::verify(m, ca_blob).code() == Errc::bad_signature);
  // A certificate re-signed by another CA names that CA: refused for ours.
  m = c;
  REQUIRE(ssh::sign(m, other->key.get()).ok());
  CHECK(ssh::verify(m, {}).ok());
  CHECK(ssh::verify(m, ca_blob).code() == Errc::bad_signature);
}

TEST_CASE("ssh cert: every truncation and trailing bytes are refused") {
  auto ca = generate_signing_key();
  auto subject = generate_signing_key();
  ssh::Cert c = sample_cert(subject->key.get());
  const Bytes blob = *ssh::sign(c, ca->key.get());
  for (std::size_t n = 0; n < blob.size(); ++n) {
    auto r = ssh::decode(ByteView(blob).first(n));
    REQUIRE_FALSE(r.ok());
  }
  Bytes longer = blob;
  longer.push_back(0);
  CHECK(ssh::decode(longer).code() == Errc::trailing_data);
  CHECK(ssh::decode(Bytes(ssh::kMaxCertSize + 1, 0)).code() == Errc::too_large);
}

TEST_CASE("ssh cert: unsorted or repeated extensions, another type, a non-empty reserved field") {
  auto ca = generate_signing_key();
  auto subject = generate_signing_key();
  ssh::Cert c = sample_cert(subject->key.get());
  REQUIRE(ssh::sign(c, ca->key.get()).ok());
  ssh::Cert m = c;
  std::swap(m.extensions[0], m.extensions[1]);
  CHECK(ssh::decode(ssh::encode(m)).code() == Errc::malformed);
  m = c;
  m.extensions.push_back(m.extensions.back());
  CHECK(ssh::decode(ssh::encode(m)).code() == Errc::malformed);
  Bytes other_type = ssh::encode(c);
  other_type[4 + 10] ^= 1;  // a letter of "ecdsa-sha2-nistp256-cert-v01@openssh.com"
  CHECK(ssh::decode(other_type).code() == Errc::unsupported);
  m = c;
  m.type = 3;
  CHECK(ssh::decode(ssh::encode(m)).code() == Errc::malformed);
}

TEST_CASE("ssh cert: the one-line forms") {
  auto ca = generate_signing_key();
  auto subject = generate_signing_key();
  ssh::Cert c = sample_cert(subject->key.get());
  const Bytes blob = *ssh::sign(c, ca->key.get());
  const std::string line = ssh::cert_line(blob, "paw:device:dev-1");
  CHECK(line.rfind("ecdsa-sha2-nistp256-cert-v01@openssh.com AAAA", 0) == 0);
  auto back = ssh::parse_line(line + "\n", ssh::kCertType);
  REQUIRE(back.ok());
  CHECK(*back == blob);
  CHECK(ssh::parse_line(line, ssh::kKeyType).code() == Errc::unsupported);
  CHECK(ssh::parse_line("ecdsa-sha2-nistp256-cert-v01@openssh.com !!!", ssh::kCertType).code() ==
        Errc::malformed);
  CHECK(ssh::parse_line(line + "\n" + line, ssh::kCertType).code() == Errc::malformed);
  const Bytes key_blob = *ssh::public_key_blob(subject->key.get());
  // A key blob under a certificate's type name is refused.
  CHECK(ssh::parse_line(std::string(ssh::kCertType) + " " + base64(key_blob), ssh::kCertType).code() ==
        Errc::unsupported);
  CHECK(*ssh::parse_line(ssh::key_line(key_blob, ""), ssh::kKeyType) == key_blob);
}

TEST_CASE("ssh signature blobs: mpint form, verification, malformed r/s") {
  auto key = generate_signing_key();
  const Bytes data = to_bytes("session data");
  auto sig = ssh::sign_blob(key->key.get(), data);
  REQUIRE(sig.ok());
  CHECK(ssh::verify_blob(key->key.get(), data, *sig).ok());
  CHECK(ssh::verify_blob(key->key.get(), to_bytes("other data"), *sig).code() == Errc::bad_signature);
  // r with the top bit set gets a leading zero; leading zeros are dropped.
  const Bytes r{0x00, 0x00, 0x80, 0x01};
  const Bytes s{0x7f};
  const Bytes blob = ssh::signature_blob(r, s);
  Reader rd(blob);
  ByteView type, inner;
  REQUIRE(ssh::read_string(rd, type));
  REQUIRE(ssh::read_string(rd, inner));
  CHECK(Bytes(inner.begin(), inner.end()) == Bytes{0, 0, 0, 3, 0x00, 0x80, 0x01, 0, 0, 0, 1, 0x7f});
  CHECK(ssh::verify_blob(key->key.get(), data, blob).code() == Errc::bad_signature);
  // A non-minimal mpint does not parse.
  ssh::Writer w;
  w.string(ssh::kKeyType);
  w.string(ByteView(Bytes{0, 0, 0, 2, 0x00, 0x01, 0, 0, 0, 1, 0x01}));
  CHECK(ssh::verify_blob(key->key.get(), data, w.bytes()).code() == Errc::malformed);
}

TEST_CASE("ssh-agent messages: parse requests, refuse oversize and trailing bytes") {
  ssh::Writer w;
  w.string(ByteView(Bytes{1, 2, 3}));
  w.string(std::string_view("to sign"));
  w.u32(2);
  Bytes sign = w.bytes();
  sign.insert(sign.begin(), ssh::kSignRequest);
  auto r = ssh::parse_agent_request(sign);
  REQUIRE(r.ok());
  CHECK(r->type == ssh::kSignRequest);
  CHECK(r->key_blob == Bytes{1, 2, 3});
  CHECK(r->data == to_bytes("to sign"));
  CHECK(r->flags == 2);
  for (std::size_t n = 1; n < sign.size(); ++n)
    CHECK(ssh::parse_agent_request(ByteView(sign).first(n)).code() == Errc::malformed);
  sign.push_back(0);
  CHECK(ssh::parse_agent_request(sign).code() == Errc::trailing_data);
  CHECK(ssh::parse_agent_request(Bytes{}).code() == Errc::malformed);
  CHECK(ssh::parse_agent_request(Bytes{ssh::kRequestIdentities}).ok());
  CHECK(ssh::parse_agent_request(Bytes{ssh::kRequestIdentities, 0}).code() == Errc::trailing_data);
  CHECK(ssh::parse_agent_request(Bytes(ssh::kMaxAgentMessage + 1, ssh::kRequestIdentities)).code() ==
        Errc::too_large);
  // Anything else parses as its type only (the server answers failure).
  CHECK(ssh::parse_agent_request(Bytes{17, 1, 2, 3})->type == 17);
  CHECK(ssh::failure_message() == Bytes{0, 0, 0, 1, ssh::kAgentFailure});
  const Bytes answer = ssh::identities_answer({{Bytes{9}, "c"}});
  CHECK(answer == Bytes{0, 0, 0, 15, ssh::kIdentitiesAnswer, 0, 0, 0, 1, 0, 0, 0, 1, 9, 0, 0, 0, 1, 'c'});
  CHECK(ssh::sign_response(Bytes{7}) == Bytes{0, 0, 0, 6, ssh::kSignResponse, 0, 0, 0, 1, 7});
}

TEST_CASE("ssh cert: a certificate made by OpenSSH's ssh-keygen decodes, re-encodes and verifies") {
  // tests/fuzz/corpus/ssh_cert/openssh_cert.bin: ssh-keygen -s ca -I paw:device:x
  // -n alice,bob -V +5m -O extension:paw-device@paw=x (ECDSA P-256 CA and key).
  const Bytes blob = test::load(test::source_path("tests/fuzz/corpus/ssh_cert/openssh_cert.bin"));
  auto c = ssh::decode(blob);
  REQUIRE_MESSAGE(c.ok(), c.error().what());
  CHECK(c->key_id == "paw:device:x");
  CHECK(c->principals == std::vector<std::string>{"alice", "bob"});
  CHECK(c->type == ssh::kUserCert);
  bool device = false;
  for (const auto& [name, data] : c->extensions) device = device || name == "paw-device@paw";
  CHECK(device);
  CHECK(ssh::encode(*c) == blob);
  CHECK(ssh::verify(*c, {}).ok());
}

TEST_CASE("ssh-agent: only an SSH userauth request for the offered key is signed") {
  const Bytes key{1, 2, 3, 4};
  const std::vector<Bytes> own{Bytes{7, 7}, key};
  auto request = [&](std::string_view method, const Bytes& k, bool hostbound_key) {
    ssh::Writer w;
    w.string(ByteView(Bytes(32, 0xaa)));
    Bytes out = w.take();
    out.push_back(50);
    ssh::Writer rest;
    rest.string(std::string_view("alice"));
    rest.string(std::string_view("ssh-connection"));
    rest.string(method);
    out.insert(out.end(), rest.bytes().begin(), rest.bytes().end());
    out.push_back(1);
    ssh::Writer tail;
    tail.string(ssh::kCertType);
    tail.string(ByteView(k));
    if (hostbound_key) tail.string(ByteView(Bytes{9, 9}));
    out.insert(out.end(), tail.bytes().begin(), tail.bytes().end());
    return out;
  };
  CHECK(ssh::check_userauth_request(request("publickey", key, false), own).ok());
  CHECK(ssh::check_userauth_request(request("publickey", Bytes{7, 7}, false), own).ok());
  CHECK(ssh::check_userauth_request(request("publickey-hostbound-v00@openssh.com", key, true), own).ok());
  CHECK(ssh::check_userauth_request(request("publickey-hostbound-v00@openssh.com", key, false), own).code() ==
        Errc::policy_violation);
  CHECK(ssh::check_userauth_request(request("publickey", Bytes{1, 2, 3, 5}, false), own).code() ==
        Errc::policy_violation);
  CHECK(ssh::check_userauth_request(request("password", key, false), own).code() == Errc::policy_violation);
  Bytes longer = request("publickey", key, false);
  longer.push_back(0);
  CHECK(ssh::check_userauth_request(longer, own).code() == Errc::policy_violation);
  // What else the login key signs is refused: a JWS signing input, raw bytes.
  CHECK(ssh::check_userauth_request(to_bytes("eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiIxIn0"), own).code() ==
        Errc::policy_violation);
  CHECK(ssh::check_userauth_request(Bytes{}, own).code() == Errc::policy_violation);
}
