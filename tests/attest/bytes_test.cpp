#include <doctest/doctest.h>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"
#include "paw/attest/secure.h"
#include "paw/attest/text.h"

using namespace paw;

TEST_CASE("Reader refuses short input and reports trailing bytes") {
  const Bytes data = {0x01, 0x02, 0x03, 0x04, 0x05};
  Reader r(data);
  std::uint16_t v16 = 0;
  REQUIRE(r.u16be(v16));
  CHECK(v16 == 0x0102);
  std::uint32_t v32 = 0;
  CHECK_FALSE(r.u32be(v32));  // only 3 left
  CHECK(r.offset() == 2);     // a failed read consumes nothing
  ByteView b;
  REQUIRE(r.bytes(2, b));
  CHECK(b[0] == 0x03);
  CHECK_FALSE(r.done());
  std::uint8_t v8 = 0;
  REQUIRE(r.u8(v8));
  CHECK(r.done());
}

TEST_CASE("Reader length prefixes cannot overrun") {
  const Bytes data = {0x00, 0x05, 0xaa, 0xbb};
  Reader r(data);
  ByteView out;
  CHECK_FALSE(r.u16be_prefixed(out));
  CHECK(r.offset() == 0);
  const Bytes le = {0xff, 0xff, 0xff, 0xff, 0x00};
  Reader r2(le);
  CHECK_FALSE(r2.u32le_prefixed(out));
}

TEST_CASE("hex and base64 round trip and reject garbage") {
  const Bytes data = {0x00, 0xff, 0x10, 0xab, 0x7f};
  CHECK(hex(data) == "00ff10ab7f");
  CHECK(unhex("00FF10ab7f").value() == data);
  CHECK(unhex("0").code() == Errc::malformed);
  CHECK(unhex("zz").code() == Errc::malformed);
  for (std::size_t n = 0; n < 5; ++n) {
    Bytes prefix(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(unbase64(base64(prefix)).value() == prefix);
    CHECK(unbase64url(base64url(prefix)).value() == prefix);
  }
  CHECK(unbase64("AA=A").code() == Errc::malformed);
  CHECK(unbase64("A$==").code() == Errc::malformed);
  CHECK(unbase64url("A").code() == Errc::malformed);
}

TEST_CASE("digests and constant-time equality") {
  CHECK(hex(sha256(as_bytes("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hash_size(HashAlg::sha384) == 48);
  CHECK(hash_from_name("sha512") == HashAlg::sha512);
  CHECK(digest(HashAlg::sm3_256, as_bytes("x")).code() == Errc::unsupported);
  const Bytes a = {1, 2, 3};
  const Bytes b = {1, 2, 4};
  CHECK(ct_equal(a, a));
  CHECK_FALSE(ct_equal(a, b));
  CHECK_FALSE(ct_equal(a, Bytes{1, 2}));
  SecretBytes s(Bytes{9, 9});
  CHECK(s.equals(Bytes{9, 9}));
  CHECK(errc_name(Errc::pcr_digest_mismatch) == "pcr_digest_mismatch");
}

TEST_CASE("text: next_line splits on LF and keeps a CR, the last line needs no LF - trim takes its set") {
  std::string_view t = "a=1\r\n\nlast";
  CHECK(paw::next_line(t) == "a=1\r");
  CHECK(paw::next_line(t).empty());
  CHECK(paw::next_line(t) == "last");
  CHECK(t.empty());
  std::string_view one = "x\n";
  CHECK(paw::next_line(one) == "x");
  CHECK(one.empty());
  CHECK(paw::trim(" \t a b \r") == "a b");
  CHECK(paw::trim(" \r\t ").empty());
  CHECK(paw::trim("\nv\n") == "\nv\n");  // '\n' is not in the default set
  CHECK(paw::trim("\nv\n", " \t\r\n") == "v");
}
