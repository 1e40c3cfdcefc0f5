// login_key_swtpm_test.cpp — the login key in a live swtpm: created under the
// owner SRK, certified by the AK, accepted by verify_login_key; every certify
// rejection as a one-field mutation of that genuine certify; the key file read
// by the tpm2 OpenSSL provider (openssl pkey / dgst -sign); a copy of the file
// useless on a second swtpm.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "../attest/tpm_test_util.h"
#include "paw/attest/certify.h"
#include "paw/attest/result_token.h"
#include "paw/platform/ak.h"
#include "paw/platform/ek.h"
#include "paw/platform/login_key.h"
#include "swtpm.h"

using namespace paw;
using namespace paw::test;
namespace pf = paw::platform;

namespace {

// Live is one swtpm with EK, AK and a login key certified by that AK.
struct Live {
  std::unique_ptr<Swtpm> swtpm = Swtpm::start();
  pf::LoginKeyBlob blob;
  Bytes ak_public;
  Bytes qd = sha256(as_bytes("qualifying data of this test"));
  LoginKeyCertify certify;

  Live() {
    auto tpm = pf::Tpm::open(swtpm->tcti());
    REQUIRE_MESSAGE(tpm.ok(), tpm.error().what());
    auto b = pf::create_login_key(*tpm);
    REQUIRE_MESSAGE(b.ok(), b.error().what());
    blob = *b;
    auto key = pf::load_login_key(*tpm, blob);
    REQUIRE_MESSAGE(key.ok(), key.error().what());
    auto ek = pf::create_ek(*tpm, pf::EkType::rsa2048);
    REQUIRE(ek.ok());
    auto ak_blob = pf::create_ak(*tpm, *ek, pf::AkAlg::ecc_p256);
    REQUIRE(ak_blob.ok());
    auto ak = pf::load_ak(*tpm, *ek, *ak_blob);
    REQUIRE_MESSAGE(ak.ok(), ak.error().what());
    ak_public = ak->public_tpm2b;
    auto c = pf::certify_login_key(*tpm, *ak, *key, qd);
    REQUIRE_MESSAGE(c.ok(), c.error().what());
    certify = *c;
  }
};

TPMS_ATTEST unmarshal_attest(const Bytes& b) {
  TPMS_ATTEST t{};
  std::size_t off = 0;
  REQUIRE(Tss2_MU_TPMS_ATTEST_Unmarshal(b.data(), b.size(), &off, &t) == TSS2_RC_SUCCESS);
  return t;
}

Bytes marshal_attest(const TPMS_ATTEST& t) {
  std::uint8_t buf[sizeof(TPMS_ATTEST)];
  std::size_t off = 0;
  REQUIRE(Tss2_MU_TPMS_ATTEST_Marshal(&t, buf, sizeof(buf), &off) == TSS2_RC_SUCCESS);
  return Bytes(buf, buf + off);
}

Bytes marshal_public(const TPMT_PUBLIC& p) {
  TPM2B_PUBLIC t{};
  t.publicArea = p;
  std::uint8_t buf[sizeof(TPM2B_PUBLIC)];
  std::size_t off = 0;
  REQUIRE(Tss2_MU_TPM2B_PUBLIC_Marshal(&t, buf, sizeof(buf), &off) == TSS2_RC_SUCCESS);
  return Bytes(buf, buf + off);
}

// resigned: the genuine certify with |edit| applied to its TPMS_ATTEST and
// |edit_pub| to the login key's public area (the certified name then follows
// the edited area, so only the edited field is wrong), signed by |signer|.
Errc resigned(const Live& l, const SoftSigner& signer, void (*edit)(TPMS_ATTEST&),
              void (*edit_pub)(TPMT_PUBLIC&) = nullptr, bool trailing = false) {
  TPMS_ATTEST t = unmarshal_attest(l.certify.certify_info);
  LoginKeyCertify c = l.certify;
  if (edit_pub != nullptr) {
    TpmPublic pub = must_public(c.public_tpm2b);
    edit_pub(pub.pub);
    c.public_tpm2b = marshal_public(pub.pub);
    const Bytes name = object_name(must_public(c.public_tpm2b)).value();
    t.attested.certify.name.size = static_cast<UINT16>(name.size());
    std::copy(name.begin(), name.end(), t.attested.certify.name.name);
  }
  if (edit != nullptr) edit(t);
  c.certify_info = marshal_attest(t);
  if (trailing) c.certify_info.push_back(0);
  c.signature = signer.sign(c.certify_info);
  return verify_login_key(signer.pub(), c, l.qd, 1).code();
}

int run_env(const std::string& tcti, std::vector<std::string> argv, std::string* out = nullptr) {
  argv.insert(argv.begin(), {"env", "TPM2OPENSSL_TCTI=" + tcti});
  return run_command(argv, out);
}

}  // namespace

TEST_CASE("login key: created under the SRK, certified by the AK, accepted — the template is the one required") {
  Live l;
  const TpmPublic ak = must_public(l.ak_public);
  auto key = verify_login_key(ak, l.certify, l.qd, 42);
  REQUIRE_MESSAGE(key.ok(), key.error().what());
  CHECK(key->public_tpm2b == l.blob.public_tpm2b);
  CHECK(key->added_at == 42);
  const TpmPublic pub = must_public(l.blob.public_tpm2b);
  CHECK(pub.pub.objectAttributes == (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                     TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                     TPMA_OBJECT_SIGN_ENCRYPT));
  CHECK(key->jkt == jwk_thumbprint(to_evp_pkey(pub).value().get()).value());
  CHECK(key->jkt.size() == 43);
}

TEST_CASE("verify_certify: every rejection of a genuine swtpm certify, one field at a time") {
  Live l;
  const TpmPublic ak = must_public(l.ak_public);
  auto code = [&](const LoginKeyCertify& c, ByteView qd) { return verify_login_key(ak, c, qd, 1).code(); };
  CHECK(code(l.certify, l.qd) == Errc{});
  // sizes
  LoginKeyCertify big = l.certify;
  big.public_tpm2b.resize(5000);
  CHECK(code(big, l.qd) == Errc::too_large);
  big = l.certify;
  big.certify_info.resize(kMaxAttestSize + 1);
  CHECK(code(big, l.qd) == Errc::too_large);
  // signature by the AK over the raw bytes: a flipped byte anywhere, another AK
  LoginKeyCertify c = l.certify;
  c.certify_info[c.certify_info.size() / 2] ^= 1;
  CHECK(code(c, l.qd) == Errc::bad_signature);
  c = l.certify;
  c.signature[c.signature.size() - 3] ^= 1;
  CHECK(code(c, l.qd) == Errc::bad_signature);
  SoftSigner other;
  CHECK(verify_login_key(other.pub(), l.certify, l.qd, 1).code() == Errc::bad_signature);
  // qualifying data: another enrollment's binding
  CHECK(code(l.certify, sha256(as_bytes("another enrollment"))) == Errc::nonce_mismatch);
  // certified name: the certify is for the login key, not for the public area presented
  c = l.certify;
  c.public_tpm2b = l.ak_public;
  CHECK(code(c, l.qd) == Errc::certified_name_mismatch);

  // Past the signature: the same certify re-signed by a software AK after one edit.
  SoftSigner s;
  CHECK(resigned(l, s, nullptr) == Errc{});
  CHECK(resigned(l, s, nullptr, nullptr, true) == Errc::trailing_data);
  CHECK(resigned(l, s, [](TPMS_ATTEST& t) { t.magic = 0xff544348; }) == Errc::bad_magic);
  CHECK(resigned(l, s, [](TPMS_ATTEST& t) {
          t.type = TPM2_ST_ATTEST_QUOTE;
          t.attested.quote = TPMS_QUOTE_INFO{};
        }) == Errc::bad_type);
  CHECK(resigned(l, s, [](TPMS_ATTEST& t) { t.extraData.buffer[0] ^= 1; }) == Errc::nonce_mismatch);
  CHECK(resigned(l, s, [](TPMS_ATTEST& t) { t.attested.certify.name.name[5] ^= 1; }) ==
        Errc::certified_name_mismatch);
  // attributes, each alone
  CHECK(resigned(l, s, nullptr, [](TPMT_PUBLIC& p) { p.objectAttributes |= TPMA_OBJECT_RESTRICTED; }) ==
        Errc::login_key_attributes);
  CHECK(resigned(l, s, nullptr, [](TPMT_PUBLIC& p) { p.objectAttributes |= TPMA_OBJECT_DECRYPT; }) ==
        Errc::login_key_attributes);
  CHECK(resigned(l, s, nullptr, [](TPMT_PUBLIC& p) { p.objectAttributes &= ~TPMA_OBJECT_FIXEDTPM; }) ==
        Errc::login_key_attributes);
  CHECK(resigned(l, s, nullptr, [](TPMT_PUBLIC& p) { p.objectAttributes &= ~TPMA_OBJECT_FIXEDPARENT; }) ==
        Errc::login_key_attributes);
  CHECK(resigned(l, s, nullptr, [](TPMT_PUBLIC& p) { p.objectAttributes &= ~TPMA_OBJECT_SENSITIVEDATAORIGIN; }) ==
        Errc::login_key_attributes);
  CHECK(resigned(l, s, nullptr, [](TPMT_PUBLIC& p) { p.objectAttributes &= ~TPMA_OBJECT_SIGN_ENCRYPT; }) ==
        Errc::login_key_attributes);
  // userWithAuth is not required: a policy-authorised key would do as well
  CHECK(resigned(l, s, nullptr, [](TPMT_PUBLIC& p) { p.objectAttributes &= ~TPMA_OBJECT_USERWITHAUTH; }) == Errc{});
  // algorithm
  CHECK(resigned(l, s, nullptr, [](TPMT_PUBLIC& p) { p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P384; }) ==
        Errc::login_key_algorithm);
  CHECK(resigned(l, s, nullptr, [](TPMT_PUBLIC& p) { p.nameAlg = TPM2_ALG_SHA384; }) == Errc::login_key_algorithm);
  CHECK(resigned(l, s, nullptr, [](TPMT_PUBLIC& p) {
          p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
          p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA1;
        }) == Errc::login_key_algorithm);
}

TEST_CASE("login key proof: TPM2_Sign over the domain-separated challenge verifies — other nonce/device/key do not") {
  Live l;
  const Bytes nonce = random_bytes(32).value();
  const LoginKey key = verify_login_key(must_public(l.ak_public), l.certify, l.qd, 1).value();
  auto tpm = pf::Tpm::open(l.swtpm->tcti());
  REQUIRE(tpm.ok());
  auto loaded = pf::load_login_key(*tpm, l.blob);
  REQUIRE(loaded.ok());
  auto sig = pf::sign_with_login_key(*tpm, *loaded, login_key_proof_message(nonce, "dev-1"));
  REQUIRE_MESSAGE(sig.ok(), sig.error().what());
  CHECK(verify_login_key_proof(key, *sig, nonce, "dev-1").ok());
  CHECK(verify_login_key_proof(key, *sig, random_bytes(32).value(), "dev-1").code() == Errc::bad_signature);
  CHECK(verify_login_key_proof(key, *sig, nonce, "dev-2").code() == Errc::bad_signature);
  auto other_blob = pf::create_login_key(*tpm);
  REQUIRE(other_blob.ok());
  loaded->handle.reset();
  auto other = pf::load_login_key(*tpm, *other_blob);
  REQUIRE(other.ok());
  auto wrong = pf::sign_with_login_key(*tpm, *other, login_key_proof_message(nonce, "dev-1"));
  REQUIRE(wrong.ok());
  CHECK(verify_login_key_proof(key, *wrong, nonce, "dev-1").code() == Errc::bad_signature);
  CHECK(verify_login_key_proof(key, Bytes{0, 1, 2}, nonce, "dev-1").code() == Errc::malformed);
}

TEST_CASE("login-key.pem: TSS2 PRIVATE KEY, mode 0600, read by the tpm2 OpenSSL provider — a copy fails on another TPM") {
  Live l;
  TempDir d;
  REQUIRE(pf::save_login_key(d.path(), l.blob).ok());
  const auto file = d / pf::kLoginKeyFile;
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto back = pf::load_login_key_file(d.path());
  REQUIRE(back.ok());
  REQUIRE(back->has_value());
  CHECK(**back == l.blob);
  const Bytes pem = load(file);
  CHECK(std::string(pem.begin(), pem.end()).rfind("-----BEGIN TSS2 PRIVATE KEY-----\n", 0) == 0);

  // The same file through OpenSSL's tpm2 provider (no paw code in the path).
  // Signing asks for tpm2's implementation (-propquery): OpenSSL 3.0's dgst
  // would otherwise fetch "default"'s ECDSA, which finds no private key.
  std::string out;
  const std::string pub_pem = (d / "pub.pem").string();
  REQUIRE_MESSAGE(run_env(l.swtpm->tcti(), {"openssl", "pkey", "-provider", "tpm2", "-provider", "default", "-in",
                                            file.string(), "-pubout", "-out", pub_pem},
                          &out) == 0,
                  out);
  auto openssl_pub = parse_pem_public_key(load(pub_pem));
  REQUIRE(openssl_pub.ok());
  CHECK(public_matches(must_public(l.blob.public_tpm2b), openssl_pub->get()).value());
  std::ofstream(d / "data.txt") << "a TLS handshake, a DPoP proof, an SSH session";
  const std::string sig = (d / "sig.der").string();
  REQUIRE_MESSAGE(run_env(l.swtpm->tcti(), {"openssl", "dgst", "-sha256", "-provider", "tpm2", "-provider", "default",
                                            "-propquery", "?provider=tpm2", "-sign", file.string(), "-out", sig, (d / "data.txt").string()},
                          &out) == 0,
                  out);
  CHECK(run_command({"openssl", "dgst", "-sha256", "-verify", pub_pem, "-signature", sig, (d / "data.txt").string()},
                    &out) == 0);

  // The other way round: a key file tpm2-openssl made loads with paw.
  const std::string theirs = (d / "theirs.pem").string();
  REQUIRE_MESSAGE(run_env(l.swtpm->tcti(), {"openssl", "genpkey", "-provider", "tpm2", "-algorithm", "EC", "-pkeyopt",
                                            "group:P-256", "-out", theirs},
                          &out) == 0,
                  out);
  auto their_blob = pf::decode_tss2_private_key(load(theirs));
  REQUIRE_MESSAGE(their_blob.ok(), their_blob.error().what());
  {
    auto tpm = pf::Tpm::open(l.swtpm->tcti());
    REQUIRE(tpm.ok());
    auto loaded = pf::load_login_key(*tpm, *their_blob);
    CHECK_MESSAGE(loaded.ok(), loaded.error().what());
  }

  // A second TPM: the private part is bound to the first TPM's SRK. The
  // harness copies one manufactured state into every swtpm (same seeds, a
  // clone); TPM2_Clear gives this one its own storage seed, as any other
  // machine's TPM has. (Without it the copy loads: the clone IS the same TPM.)
  auto second = Swtpm::start();
  REQUIRE_MESSAGE(run_command({"tpm2_clear", "-T", second->tcti(), "-c", "p"}, &out) == 0, out);
  {
    auto tpm2 = pf::Tpm::open(second->tcti());
    REQUIRE(tpm2.ok());
    CHECK(pf::load_login_key(*tpm2, l.blob).code() == Errc::tpm_error);
  }
  CHECK(run_env(second->tcti(), {"openssl", "dgst", "-sha256", "-provider", "tpm2", "-provider", "default",
                                 "-propquery", "?provider=tpm2", "-sign",
                                 file.string(), "-out", (d / "sig2.der").string(), (d / "data.txt").string()},
                &out) != 0);
}

TEST_CASE("TSS2 PRIVATE KEY decoder: refusals") {
  pf::LoginKeyBlob b{must_public(fixture("ak_ecc.pub")).marshalled, Bytes{0x00, 0x02, 0xaa, 0xbb}};
  // marshalled is the bare TPMT_PUBLIC: rebuild the TPM2B.
  b.public_tpm2b = fixture("ak_ecc.pub");
  const std::string pem = pf::encode_tss2_private_key(b);
  auto back = pf::decode_tss2_private_key(as_bytes(pem));
  REQUIRE_MESSAGE(back.ok(), back.error().what());
  CHECK(*back == b);
  CHECK(pf::decode_tss2_private_key(as_bytes("junk")).code() == Errc::malformed);
  auto der_edit = [&](auto f) {
    const auto s = pem.find('\n') + 1;
    const auto e = pem.find("-----END");
    std::string b64;
    for (char ch : pem.substr(s, e - s))
      if (ch != '\n') b64 += ch;
    Bytes der = unbase64(b64).value();
    f(der);
    return pf::decode_tss2_private_key(
        as_bytes("-----BEGIN TSS2 PRIVATE KEY-----\n" + base64(der) + "\n-----END TSS2 PRIVATE KEY-----\n"));
  };
  CHECK(der_edit([](Bytes&) {}).ok());
  CHECK(der_edit([](Bytes& d) { d.push_back(0); }).code() == Errc::trailing_data);
  CHECK(der_edit([](Bytes& d) { d.pop_back(); }).code() == Errc::malformed);
  CHECK(der_edit([](Bytes& d) { d[d.size() > 9 ? 9 : 0] ^= 1; }).code() == Errc::unsupported);  // OID
}
