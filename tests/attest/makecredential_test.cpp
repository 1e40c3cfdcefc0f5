// makecredential_test.cpp — software MakeCredential without a TPM: shapes,
// determinism of the ECC path, the OAEP label, and refusals. The proof that a
// real TPM accepts the blobs is tests/integration/makecredential_swtpm_test.cpp.
#include <doctest/doctest.h>
#include <openssl/rsa.h>

#include "paw/attest/makecredential.h"
#include "tpm_test_util.h"

using namespace paw;
using namespace paw::test;

namespace {

const Bytes& ak_name() {
  static const Bytes n = object_name(must_public(fixture("ak_rsa.pub"))).value();
  return n;
}

// rsa_ek builds an RSA-2048 restricted decryption key (EK template L-1 shape)
// whose private key the test holds.
std::pair<TpmPublic, EvpPkeyPtr> rsa_ek() {
  EvpPkeyPtr key(EVP_RSA_gen(2048));
  REQUIRE(key != nullptr);
  TpmPublic ek = must_public(fixture("ek_rsa.pub"));
  BIGNUM* n = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(key.get(), "n", &n) == 1);
  REQUIRE(BN_bn2binpad(n, ek.pub.unique.rsa.buffer, 256) == 256);
  BN_free(n);
  return {ek, std::move(key)};
}

}  // namespace

TEST_CASE("KDFa/KDFe: lengths / counters and labels change the output") {
  const Bytes key(32, 0x11);
  auto a = detail::kdfa(HashAlg::sha256, key, "STORAGE", as_bytes("name"), {}, 128);
  REQUIRE(a.ok());
  CHECK(a->size() == 16);
  auto b = detail::kdfa(HashAlg::sha256, key, "STORAGE", as_bytes("name"), {}, 512);  // two HMAC blocks
  REQUIRE(b.ok());
  CHECK(b->size() == 64);
  CHECK(Bytes(b->begin(), b->begin() + 16) != *a);  // L is part of every block
  CHECK(detail::kdfa(HashAlg::sha256, key, "INTEGRITY", as_bytes("name"), {}, 128).value() != *a);
  auto e = detail::kdfe(HashAlg::sha384, key, "IDENTITY", as_bytes("u"), as_bytes("v"), 384);
  REQUIRE(e.ok());
  CHECK(e->size() == 48);
  // KDFe block 1 = H(00000001 || Z || "IDENTITY\0" || U || V).
  std::string msg("\0\0\0\1", 4);
  msg.append(key.begin(), key.end());
  msg.append("IDENTITY\0uv", 11);
  CHECK(*e == digest(HashAlg::sha384, as_bytes(msg)).value());
  CHECK(detail::kdfa(HashAlg::sha256, key, "X", {}, {}, 7).code() == Errc::unsupported);
}

TEST_CASE("KDFa: the TPM reference implementation's self-test vectors") {
  // TPM 2.0 reference code, KdfTestData.h: key, label "KDFSELFTESTLABEL" (the
  // TPM2B carries its NUL; paw's label excludes it), contextU, contextV, 160
  // bits; one expected output per hash. An independent HMAC counter-mode
  // implementation (Python hashlib/hmac) gives the same four values.
  const Bytes key = unhex("271fa08bbdc5060ec3dfa928ff9b73123a12da0c").value();
  const Bytes u = unhex("ce244f395dca7391").value();
  const Bytes v = unhex("da504031ddf12e83").value();
  const std::pair<HashAlg, const char*> cases[] = {
      {HashAlg::sha1, "55b5a7184aa07423c47dae766c26a2377d7cf851"},
      {HashAlg::sha256, "bb0259e1c8ba607e6a2cd704b69a902e9ade84c4"},
      {HashAlg::sha384, "1dce70c9113eb2dba47bd9cfc72bf46f45b09312"},
      {HashAlg::sha512, "8be2c1b85b78569b9fa759f5857c56d684810fd3"},
  };
  for (const auto& [alg, want] : cases) {
    auto out = detail::kdfa(alg, key, "KDFSELFTESTLABEL", u, v, 160);
    REQUIRE(out.ok());
    CHECK(hex(*out) == want);
  }
}

TEST_CASE("RSA EK: the seed is OAEP-wrapped with label IDENTITY\\0 and fixes the credential blob") {
  auto [ek, priv] = rsa_ek();
  const Bytes secret(32, 0x5a);
  const Bytes seed(32, 0x42);
  auto blob = detail::make_credential_with(ek, secret, ak_name(), seed);
  REQUIRE_MESSAGE(blob.ok(), blob.error().what());
  // TPM2B_ENCRYPTED_SECRET: 2-byte size + 256-byte OAEP block.
  REQUIRE(blob->encrypted_secret.size() == 258);
  UniquePtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free> ctx(EVP_PKEY_CTX_new(priv.get(), nullptr));
  REQUIRE(EVP_PKEY_decrypt_init(ctx.get()) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) == 1);
  REQUIRE(EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha256()) == 1);
  auto* label = static_cast<unsigned char*>(OPENSSL_malloc(9));
  std::memcpy(label, "IDENTITY", 9);  // with its NUL
  REQUIRE(EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, 9) == 1);
  Bytes out(256);
  std::size_t len = out.size();
  REQUIRE(EVP_PKEY_decrypt(ctx.get(), out.data(), &len, blob->encrypted_secret.data() + 2, 256) == 1);
  out.resize(len);
  CHECK(out == seed);
  // TPM2B_ID_OBJECT: size, TPM2B(HMAC-SHA256), AES-CFB(TPM2B(secret)).
  CHECK(blob->credential_blob.size() == 2 + 2 + 32 + 2 + 32);
  auto again = detail::make_credential_with(ek, secret, ak_name(), seed);
  CHECK(again->credential_blob == blob->credential_blob);  // same seed, same blob
  CHECK(again->encrypted_secret != blob->encrypted_secret);  // OAEP is randomised
  auto fresh = make_credential(ek, secret, ak_name());
  REQUIRE(fresh.ok());
  CHECK(fresh->credential_blob != blob->credential_blob);
}

TEST_CASE("ECC EK: a fixed ephemeral scalar gives a deterministic blob, the name is bound") {
  const TpmPublic ek = must_public(fixture("ek_ecc384.pub"));
  const Bytes secret(48, 0x33);
  const Bytes scalar(48, 0x07);
  auto a = detail::make_credential_with(ek, secret, ak_name(), scalar);
  REQUIRE_MESSAGE(a.ok(), a.error().what());
  auto b = detail::make_credential_with(ek, secret, ak_name(), scalar);
  CHECK(a->credential_blob == b->credential_blob);
  CHECK(a->encrypted_secret == b->encrypted_secret);
  CHECK(a->encrypted_secret.size() == 2 + 2 + 48 + 2 + 48);  // TPM2B(TPMS_ECC_POINT) on P-384
  Bytes other = ak_name();
  other.back() ^= 1;
  CHECK(detail::make_credential_with(ek, secret, other, scalar)->credential_blob != a->credential_blob);
  CHECK(make_credential(ek, secret, ak_name())->encrypted_secret != a->encrypted_secret);
  CHECK(detail::make_credential_with(ek, secret, ak_name(), Bytes(48, 0xff)).code() == Errc::malformed);
}

TEST_CASE("MakeCredential refusals and the tpm2-tools file format") {
  const TpmPublic ek = must_public(fixture("ek_rsa.pub"));
  CHECK(make_credential(ek, Bytes(33, 1), ak_name()).code() == Errc::malformed);  // > SHA-256 size
  CHECK(make_credential(ek, {}, ak_name()).code() == Errc::malformed);
  CHECK(make_credential(ek, Bytes(32, 1), Bytes(1, 0)).code() == Errc::malformed);
  CHECK(make_credential(must_public(fixture("ak_rsa.pub")), Bytes(32, 1), ak_name()).code() == Errc::unsupported);
  TpmPublic bad = ek;
  bad.pub.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CTR;
  CHECK(make_credential(bad, Bytes(32, 1), ak_name()).code() == Errc::unsupported);
  TpmPublic off = must_public(fixture("ek_ecc384.pub"));
  off.pub.unique.ecc.y.buffer[3] ^= 1;
  CHECK(make_credential(off, Bytes(32, 1), ak_name()).code() == Errc::malformed);

  auto blob = make_credential(ek, Bytes(32, 9), ak_name());
  REQUIRE(blob.ok());
  const Bytes file = tpm2_tools_credential_file(*blob);
  CHECK(file.size() == 8 + blob->credential_blob.size() + blob->encrypted_secret.size());
  auto back = parse_tpm2_tools_credential_file(file);
  REQUIRE(back.ok());
  CHECK(back->credential_blob == blob->credential_blob);
  CHECK(back->encrypted_secret == blob->encrypted_secret);
  Bytes t = file;
  t.push_back(0);
  CHECK(parse_tpm2_tools_credential_file(t).code() == Errc::trailing_data);
  t = file;
  t[0] ^= 1;
  CHECK(parse_tpm2_tools_credential_file(t).code() == Errc::malformed);
  CHECK(parse_tpm2_tools_credential_file(ByteView(file).first(file.size() - 1)).code() == Errc::malformed);
}
