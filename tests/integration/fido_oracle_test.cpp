// Cross-checks with an independent verifier: Debian's fido2-cred -V and
// fido2-assert -V (fido2-tools), run as separate processes on what paw produced.
// Needs the software authenticator: compiled only where PAW_VIRTUAL_FIDO is on
// (fido_release_test.cpp covers builds without it).
#ifdef PAW_VIRTUAL_FIDO
#include <fstream>

#include "fido_fixture.h"

using namespace paw;
using namespace paw::test;

namespace {

// cbor_bstr wraps bytes as one CBOR byte string: fido2-tools read authData CBOR-wrapped.
Bytes cbor_bstr(ByteView b) {
  Bytes out;
  if (b.size() < 24) {
    out.push_back(static_cast<std::uint8_t>(0x40 | b.size()));
  } else if (b.size() <= 0xff) {
    out = {0x58, static_cast<std::uint8_t>(b.size())};
  } else {
    out = {0x59, static_cast<std::uint8_t>(b.size() >> 8), static_cast<std::uint8_t>(b.size())};
  }
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& l : lines) out << l << "\n";
  REQUIRE(out.good());
}

const char* type_name(int alg) { return alg == attest::kCoseEdDsa ? "eddsa" : "es256"; }

// cred_verify runs fido2-cred -V (man fido2-cred, INPUT FORMAT, verifying).
int cred_verify(const VirtualKey& key, const platform::FidoEnrollment& e, std::string* out) {
  const std::string in = (key.dir / "cred.in").string();
  std::vector<std::string> lines = {base64(enroll_cdh()), kRpId, e.fmt, base64(cbor_bstr(e.auth_data)),
                                    base64(e.credential_id), base64(e.attestation.sig)};
  if (!e.attestation.x5c.empty()) lines.push_back(base64(e.attestation.x5c.front()));
  write_lines(in, lines);
  return run_command({"fido2-cred", "-V", "-i", in, type_name(e.algorithm)}, out);
}

// assert_verify runs fido2-assert -V [-p] (man fido2-assert, INPUT FORMAT, verifying).
int assert_verify(const VirtualKey& key, const platform::FidoAssertion& a, const std::string& pem, int alg, bool up) {
  const std::string in = (key.dir / "assert.in").string();
  const std::string pk = (key.dir / "pub.pem").string();
  write_lines(in, {base64(a.client_data_hash), kRpId, base64(cbor_bstr(a.auth_data)), base64(a.signature)});
  write_lines(pk, {pem});
  std::vector<std::string> argv = {"fido2-assert", "-V"};
  if (up) argv.push_back("-p");
  argv.insert(argv.end(), {"-i", in, pk, type_name(alg)});
  return run_command(argv);
}

std::string pem_of(const std::string& fido2_cred_output) {
  auto at = fido2_cred_output.find("-----BEGIN PUBLIC KEY-----");
  REQUIRE(at != std::string::npos);
  return fido2_cred_output.substr(at);
}

}  // namespace

TEST_CASE("oracle: fido2-cred -V and fido2-assert -V accept what paw produces, refuse what it refuses") {
  for (int alg : {attest::kCoseEs256, attest::kCoseEdDsa}) {
    CAPTURE(alg);
    VirtualKey key;
    auto e = enroll(key, alg);
    REQUIRE(e.ok());
    std::string out;
    REQUIRE_MESSAGE(cred_verify(key, *e, &out) == 0, out);
    CHECK(out.rfind(base64(e->credential_id), 0) == 0);  // first output line: the credential id
    const std::string pem = pem_of(out);
    // fido2-cred's key and paw's stored key are the same key.
    auto cred = attest::verify_fido_enrollment(evidence_of(*e), enroll_cdh(), enroll_policy());
    REQUIRE(cred.ok());
    const std::string b64_der = base64(cred->public_key);
    std::string pem_body;
    for (char ch : pem)
      if (ch != '\n' && ch != '\r') pem_body += ch;
    CHECK(pem_body.find(b64_der) != std::string::npos);

    auto a = prove(key, e->credential_id);
    REQUIRE(a.ok());
    CHECK(assert_verify(key, *a, pem, alg, true) == 0);
    CHECK(attest::verify_fido_presence(*cred, evidence_of(*a), presence_cdh(), presence_policy()).ok());

    SUBCASE("corrupted signatures: both refuse") {
      key.fault(vfido::Fault::corrupt_signature);
      auto bad = prove(key, e->credential_id);
      REQUIRE(bad.ok());
      CHECK(assert_verify(key, *bad, pem, alg, true) != 0);
      CHECK(attest::verify_fido_presence(*cred, evidence_of(*bad), presence_cdh(), presence_policy()).code() ==
            Errc::fido_bad_signature);
      auto bad_cred = enroll(key, alg);
      REQUIRE(bad_cred.ok());
      CHECK(cred_verify(key, *bad_cred, nullptr) != 0);
    }
    SUBCASE("UP clear: -p refuses, as paw does when presence is required") {
      key.fault(vfido::Fault::clear_up);
      auto silent = prove(key, e->credential_id);
      REQUIRE(silent.ok());
      CHECK(assert_verify(key, *silent, pem, alg, true) != 0);
      CHECK(assert_verify(key, *silent, pem, alg, false) == 0);
      CHECK(attest::verify_fido_presence(*cred, evidence_of(*silent), presence_cdh(), presence_policy()).code() ==
            Errc::fido_up_missing);
    }
    SUBCASE("self attestation verifies with fido2-cred too") {
      key.attestation(vfido::Attestation::self);
      auto self = enroll(key, alg);
      REQUIRE(self.ok());
      CHECK(cred_verify(key, *self, nullptr) == 0);
    }
  }
}

#endif  // PAW_VIRTUAL_FIDO
