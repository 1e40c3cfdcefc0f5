// makecredential_swtpm_test.cpp — paw's software MakeCredential proven against a
// real TPM: swtpm's TPM2_ActivateCredential (via tpm2_activatecredential)
// recovers the secret for RSA-2048, ECC P-256 and ECC P-384 EKs; tpm2-tools'
// own `tpm2_makecredential --tcti none` blob activates the same way; a blob for
// another AK name does not.
#include <doctest/doctest.h>

#include "paw/attest/makecredential.h"
#include "paw/attest/secure.h"
#include "paw/attest/tpm.h"
#include "swtpm.h"
#include "test_data.h"

using namespace paw;
using namespace paw::test;

namespace {

struct Keys {
  TpmPublic ek;
  Bytes ak_name;
};

int tpm(Swtpm& t, std::vector<std::string> argv, std::string* out = nullptr) {
  argv.insert(argv.begin() + 1, {"-T", t.tcti()});
  std::string local;
  const int rc = run_command(argv, out != nullptr ? out : &local);
  std::string flush;
  run_command({"tpm2_flushcontext", "-T", t.tcti(), "-t"}, &flush);  // swtpm has 3 object slots
  if (rc != 0 && out == nullptr) MESSAGE(argv[0] << ": " << local);
  return rc;
}

Keys make_keys(Swtpm& t, const TempDir& d, const std::string& ek_alg) {
  REQUIRE(tpm(t, {"tpm2_createek", "-c", (d / "ek.ctx").string(), "-G", ek_alg, "-u", (d / "ek.pub").string()}) == 0);
  REQUIRE(tpm(t, {"tpm2_createak", "-C", (d / "ek.ctx").string(), "-c", (d / "ak.ctx").string(), "-G", "rsa", "-g",
                  "sha256", "-s", "rsassa", "-u", (d / "ak.pub").string(), "-n", (d / "ak.name").string()}) == 0);
  auto ek = parse_public(load(d / "ek.pub"));
  REQUIRE(ek.ok());
  auto ak = parse_public(load(d / "ak.pub"));
  REQUIRE(ak.ok());
  const Bytes name = object_name(*ak).value();
  CHECK(name == load(d / "ak.name"));
  return {std::move(ek).value(), name};
}

// activate runs TPM2_ActivateCredential with the EK's endorsement policy session;
// returns the recovered secret, or nothing if the TPM refused.
std::optional<Bytes> activate(Swtpm& t, const TempDir& d, const std::filesystem::path& cred, const std::string& hash) {
  const auto session = (d / "session.ctx").string();
  // The EK's authPolicy (PolicySecret(endorsement)) is computed with its nameAlg.
  REQUIRE(tpm(t, {"tpm2_startauthsession", "--policy-session", "-g", hash, "-S", session}) == 0);
  std::string out;
  REQUIRE(run_command({"tpm2_policysecret", "-T", t.tcti(), "-S", session, "-c", "e"}, &out) == 0);
  if (hash == "sha384") {
    // High-range EK templates (TCG EK Credential Profile 2.x, template H-3) use
    // PolicyB = PolicyOR(PolicyA = PolicySecret(endorsement), PolicyC = PolicyAuthorizeNV);
    // the branch digests are the profile's published SHA-384 values.
    save(d / "policyA", unhex("8bbf2266537c171cb56e403c4dc1d4b64f432611dc386e6f532050c3278c930e"
                               "143e8bb1133824ccb431053871c6db53").value());
    save(d / "policyC", unhex("d6032ce61f2fb3c240eb3cf6a33237ef2b6a16f4293c22b455e261cffd217ad5"
                               "b4947c2d73e63005eed2dc2b3593d165").value());
    REQUIRE(run_command({"tpm2_policyor", "-T", t.tcti(), "-S", session, "-l",
                         "sha384:" + (d / "policyA").string() + "," + (d / "policyC").string()},
                        &out) == 0);
  }
  const auto recovered = d / "recovered";
  std::filesystem::remove(recovered);
  const int rc = run_command({"tpm2_activatecredential", "-T", t.tcti(), "-c", (d / "ak.ctx").string(), "-C",
                              (d / "ek.ctx").string(), "-i", cred.string(), "-o", recovered.string(), "-P",
                              "session:" + session},
                             &out);
  run_command({"tpm2_flushcontext", "-T", t.tcti(), session}, &out);
  run_command({"tpm2_flushcontext", "-T", t.tcti(), "-t"}, &out);
  if (rc != 0) return std::nullopt;
  return load(recovered);
}

void prove(const std::string& ek_alg, TPMI_ECC_CURVE curve) {
  auto t = Swtpm::start();
  TempDir d;
  const Keys k = make_keys(*t, d, ek_alg);
  if (curve != 0) CHECK(k.ek.pub.parameters.eccDetail.curveID == curve);
  const Bytes secret = random_bytes(32).value();
  const std::string hash(hash_name(k.ek.name_alg().value()));

  // paw's blob activates in the TPM.
  auto blob = make_credential(k.ek, secret, k.ak_name);
  REQUIRE_MESSAGE(blob.ok(), blob.error().what());
  save(d / "paw.cred", tpm2_tools_credential_file(*blob));
  auto got = activate(*t, d, d / "paw.cred", hash);
  REQUIRE(got.has_value());
  CHECK(*got == secret);

  // tpm2-tools' software MakeCredential on the same inputs: same shape, also activates.
  save(d / "secret", secret);
  std::string out;
  REQUIRE(run_command({"tpm2_makecredential", "--tcti", "none", "-u", (d / "ek.pub").string(), "-s",
                       (d / "secret").string(), "-n", hex(k.ak_name), "-o", (d / "tools.cred").string()},
                      &out) == 0);
  auto tools = parse_tpm2_tools_credential_file(load(d / "tools.cred"));
  REQUIRE(tools.ok());
  CHECK(tools->credential_blob.size() == blob->credential_blob.size());
  if (curve == 0) {
    CHECK(tools->encrypted_secret.size() == blob->encrypted_secret.size());
  } else {
    // An ECC seed is a TPM2B_ECC_POINT: paw writes each coordinate at the
    // curve's full width; tpm2-tools drops a coordinate's leading zero bytes
    // (about 1 run in 128 has one), which the TPM accepts as well.
    const std::size_t width = curve == TPM2_ECC_NIST_P384 ? 48 : 32;
    CHECK(blob->encrypted_secret.size() == 2 + 2 * (2 + width));
    CHECK(tools->encrypted_secret.size() <= blob->encrypted_secret.size());
    CHECK(tools->encrypted_secret.size() + 4 >= blob->encrypted_secret.size());
  }
  got = activate(*t, d, d / "tools.cred", hash);
  REQUIRE(got.has_value());
  CHECK(*got == secret);

  // Bound to another AK name: the TPM's integrity check refuses it.
  Bytes other = k.ak_name;
  other.back() ^= 1;
  auto wrong = make_credential(k.ek, secret, other);
  REQUIRE(wrong.ok());
  save(d / "wrong.cred", tpm2_tools_credential_file(*wrong));
  CHECK_FALSE(activate(*t, d, d / "wrong.cred", hash).has_value());
  // One flipped byte of the encrypted credential: refused too.
  Bytes flipped = tpm2_tools_credential_file(*blob);
  flipped[8 + 2 + 2 + 33] ^= 1;
  save(d / "flipped.cred", flipped);
  CHECK_FALSE(activate(*t, d, d / "flipped.cred", hash).has_value());
}

}  // namespace

TEST_CASE("MakeCredential: RSA-2048 EK / swtpm activates paw's and tpm2-tools' blobs") { prove("rsa", 0); }
TEST_CASE("MakeCredential: ECC P-256 EK / swtpm activates paw's and tpm2-tools' blobs") {
  prove("ecc", TPM2_ECC_NIST_P256);
}
TEST_CASE("MakeCredential: ECC P-384 EK (sha384 / AES-256) / swtpm activates") { prove("ecc384", TPM2_ECC_NIST_P384); }
