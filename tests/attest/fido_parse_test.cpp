// FIDO2 parsers and client-data hashes on fixtures captured from the virtual
// authenticator (tests/data/fido/, see its README.md).
#include <doctest/doctest.h>

#include "fido_fixtures.h"
#include "paw/attest/digest.h"
#include "paw/attest/fido.h"
#include "paw/attest/json.h"
#include "test_data.h"

using namespace paw;
using namespace paw::attest;
using namespace paw::test;

TEST_CASE("fido client-data hashes match docs/protocol.md (independent SHA-256 vectors)") {
  const Bytes nonce = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f").value();
  // python3: sha256(b"paw/v1/presence\0" + bytes(range(32)) + b"dev-fixture-1")
  CHECK(hex(fido_presence_client_data_hash(nonce, "dev-fixture-1")) ==
        "ddb17bb1bdc92b84f2cd819b4b1e7f43d97b5ede6eec59b2df29e703b435f2c9");
  // python3: sha256(b"paw/v1/enroll\0" + sha256(b"fixture-token") + sha256(b"fixture-ak-public"))
  const Bytes e = fido_enrollment_client_data_hash("fixture-token", to_bytes("fixture-ak-public"));
  CHECK(hex(e) == "5c1e25c261ab76a94bae9d9ac0ec4ae9921591f9c3b9cd052c03825a895f5afe");
  CHECK(fido_enrollment_client_data_hash_from_digests(sha256(to_bytes("fixture-token")),
                                                      sha256(to_bytes("fixture-ak-public"))) == e);
  // Domain separation: the device id and nonce are both bound.
  CHECK(fido_presence_client_data_hash(nonce, "dev-fixture-2") != fido_presence_client_data_hash(nonce, "dev-fixture-1"));
  CHECK(json_b64(fido_fixture_json("assert_es256.json"), "client_data_hash") == fido_presence_client_data_hash(nonce, "dev-fixture-1"));
}

TEST_CASE("fido authData: enrollment and assertion fixtures parse") {
  auto ad = parse_fido_auth_data(fido_fixture("authdata_enroll_es256.bin"));
  REQUIRE(ad.ok());
  CHECK(ad->rp_id_hash == sha256(to_bytes("paw.example")));
  CHECK(ad->flags == (kFidoFlagUp | kFidoFlagAt));
  CHECK(ad->sign_count == 0);
  CHECK(ad->attested);
  CHECK(hex(ad->aaguid) == "7061772d7669727475616c2d6669646f");
  CHECK(ad->credential_id == json_b64(fido_fixture_json("enroll_es256.json"), "credential_id"));
  auto pk = parse_fido_cose_key(ad->public_key_cose);
  REQUIRE(pk.ok());
  CHECK(pk->algorithm == kCoseEs256);
  auto spki = fido_cose_key_to_spki(ad->public_key_cose);
  REQUIRE(spki.ok());
  CHECK(spki->size() == 91);

  auto ed = parse_fido_auth_data(fido_fixture("authdata_enroll_eddsa.bin"));
  REQUIRE(ed.ok());
  auto edpk = parse_fido_cose_key(ed->public_key_cose);
  REQUIRE(edpk.ok());
  CHECK(edpk->algorithm == kCoseEdDsa);
  CHECK(edpk->y.empty());

  auto as = parse_fido_auth_data(fido_fixture("authdata_assert_es256.bin"));
  REQUIRE(as.ok());
  CHECK_FALSE(as->attested);
  CHECK(as->sign_count == 1);
  CHECK(as->flags == kFidoFlagUp);
}

TEST_CASE("fido authData: every truncation fails, a trailing byte is trailing_data") {
  for (const char* name : {"authdata_enroll_es256.bin", "authdata_enroll_eddsa.bin", "authdata_assert_es256.bin"}) {
    CAPTURE(name);
    const Bytes full = fido_fixture(name);
    for (std::size_t n = 0; n < full.size(); ++n) {
      CAPTURE(n);
      CHECK_FALSE(parse_fido_auth_data(ByteView(full).first(n)).ok());
    }
    Bytes longer = full;
    longer.push_back(0);
    CHECK(parse_fido_auth_data(longer).code() == Errc::trailing_data);
  }
  CHECK(parse_fido_auth_data(Bytes(kFidoMaxAuthData + 1, 0)).code() == Errc::too_large);
}

TEST_CASE("fido authData: mutated fields are refused") {
  const Bytes good = fido_fixture("authdata_enroll_es256.bin");
  Bytes b = good;
  b[53] = 0x00, b[54] = 0x00;  // credentialIdLength = 0
  CHECK(parse_fido_auth_data(b).code() == Errc::malformed);
  b = good;
  b[53] = 0xff;  // credentialIdLength beyond the data
  CHECK(parse_fido_auth_data(b).code() == Errc::malformed);
  b = good;
  b[32] |= kFidoFlagEd;  // ED flag with nothing after the key
  CHECK(parse_fido_auth_data(b).code() == Errc::malformed);
  b = good;
  b[32] &= static_cast<std::uint8_t>(~kFidoFlagAt);  // no AT: the key bytes are left over
  CHECK(parse_fido_auth_data(b).code() == Errc::trailing_data);
  b = good;
  b.back() ^= 0xff;  // last byte of y: a point off the curve
  auto ad = parse_fido_auth_data(b);
  REQUIRE(ad.ok());
  CHECK(fido_cose_key_to_spki(ad->public_key_cose).code() == Errc::malformed);
}

TEST_CASE("fido COSE keys: strict shapes") {
  // {1:2, 3:-7, -1:1, -2:x(32), -3:y(32)} minus/plus one entry
  auto es256 = [](std::uint8_t kty, std::uint8_t crv_arg, std::size_t xlen) {
    Bytes b = {0xa5, 0x01, kty, 0x03, 0x26, 0x20, crv_arg, 0x21, 0x58, static_cast<std::uint8_t>(xlen)};
    b.insert(b.end(), xlen, 0x01);
    b.insert(b.end(), {0x22, 0x58, 0x20});
    b.insert(b.end(), 32, 0x02);
    return b;
  };
  CHECK(parse_fido_cose_key(es256(0x02, 0x01, 32)).ok());
  CHECK(parse_fido_cose_key(es256(0x03, 0x01, 32)).code() == Errc::malformed);  // RSA kty
  CHECK(parse_fido_cose_key(es256(0x02, 0x02, 32)).code() == Errc::malformed);  // P-384 crv
  CHECK(parse_fido_cose_key(es256(0x02, 0x01, 31)).code() == Errc::malformed);
  Bytes dup = es256(0x02, 0x01, 32);
  dup[7] = 0x22;  // -2 becomes -3: a repeated label
  CHECK(parse_fido_cose_key(dup).code() == Errc::malformed);
  const Bytes rs256 = {0xa2, 0x01, 0x03, 0x03, 0x39, 0x01, 0x00};  // {1:3, 3:-257}
  CHECK(parse_fido_cose_key(rs256).code() == Errc::unsupported);
  const Bytes non_shortest = {0xa1, 0x18, 0x01, 0x02};  // key 1 encoded in two bytes
  CHECK(parse_fido_cose_key(non_shortest).code() == Errc::malformed);
  const Bytes indefinite = {0xbf, 0x01, 0x02, 0xff};
  CHECK(parse_fido_cose_key(indefinite).code() == Errc::malformed);
}

TEST_CASE("fido attestation statements: parse, re-encode byte for byte, refuse junk") {
  for (const char* name : {"attstmt_es256.cbor", "attstmt_eddsa.cbor", "attstmt_es256_self.cbor",
                           "attstmt_es256_none.cbor"}) {
    CAPTURE(name);
    const Bytes raw = fido_fixture(name);
    auto st = parse_fido_attestation_statement(raw);
    REQUIRE(st.ok());
    CHECK(encode_fido_attestation_statement(*st) == raw);
    Bytes longer = raw;
    longer.push_back(0);
    CHECK(parse_fido_attestation_statement(longer).code() == Errc::trailing_data);
    for (std::size_t n = 0; n < raw.size(); ++n) CHECK_FALSE(parse_fido_attestation_statement(ByteView(raw).first(n)).ok());
  }
  auto packed = parse_fido_attestation_statement(fido_fixture("attstmt_es256.cbor"));
  REQUIRE(packed.ok());
  CHECK(packed->alg == kCoseEs256);
  CHECK(packed->x5c.size() == 1);
  const Bytes ecdaa = {0xa1, 0x6a, 'e', 'c', 'd', 'a', 'a', 'K', 'e', 'y', 'I', 'd', 0x40};
  CHECK(parse_fido_attestation_statement(ecdaa).code() == Errc::unsupported);
  const Bytes alg_only = {0xa1, 0x63, 'a', 'l', 'g', 0x26};
  CHECK(parse_fido_attestation_statement(alg_only).code() == Errc::malformed);
}

TEST_CASE("fido CBOR byte-string unwrap (libfido2's wrapped authData)") {
  const Bytes raw = fido_fixture("authdata_assert_es256.bin");
  Bytes wrapped = {0x58, static_cast<std::uint8_t>(raw.size())};
  wrapped.insert(wrapped.end(), raw.begin(), raw.end());
  auto r = unwrap_fido_cbor_bytes(wrapped);
  REQUIRE(r.ok());
  CHECK(*r == raw);
  wrapped.push_back(0);
  CHECK(unwrap_fido_cbor_bytes(wrapped).code() == Errc::trailing_data);
  CHECK(unwrap_fido_cbor_bytes(raw).code() == Errc::malformed);
}
