// The virtual authenticator's CTAPHID layer driven frame by frame through its
// libfido2 io functions, and CTAP2 commands libfido2 reaches only on request
// (resident credentials + getNextAssertion, reset).
// Needs the software authenticator: compiled only where PAW_VIRTUAL_FIDO is on
// (fido_release_test.cpp covers builds without it).
#ifdef PAW_VIRTUAL_FIDO
#include <array>
#include <cstring>

#include "fido_fixture.h"

using namespace paw;
using namespace paw::test;

namespace {

using Frame = std::array<std::uint8_t, 64>;

struct Hid {
  const fido_dev_io_t* io = vfido::io_functions();
  void* h = nullptr;
  explicit Hid(const std::string& state) : h(io->open(state.c_str())) { REQUIRE(h != nullptr); }
  ~Hid() { io->close(h); }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;

  void write(const Frame& f) {
    std::array<std::uint8_t, 65> report{};
    std::memcpy(report.data() + 1, f.data(), f.size());
    REQUIRE(io->write(h, report.data(), report.size()) == 65);
  }
  bool read(Frame& f) { return io->read(h, f.data(), f.size(), 10) == 64; }
};

Frame init_frame(std::uint32_t cid, std::uint8_t cmd, std::uint16_t total, ByteView data) {
  Frame f{};
  for (int i = 0; i < 4; ++i) f[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(cid >> (24 - 8 * i));
  f[4] = static_cast<std::uint8_t>(cmd | 0x80);
  f[5] = static_cast<std::uint8_t>(total >> 8);
  f[6] = static_cast<std::uint8_t>(total);
  if (!data.empty()) std::memcpy(f.data() + 7, data.data(), std::min<std::size_t>(data.size(), 57));
  return f;
}

Frame cont_frame(std::uint32_t cid, std::uint8_t seq, ByteView data) {
  Frame f{};
  for (int i = 0; i < 4; ++i) f[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(cid >> (24 - 8 * i));
  f[4] = seq;
  std::memcpy(f.data() + 5, data.data(), std::min<std::size_t>(data.size(), 59));
  return f;
}

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::uint32_t handshake(Hid& hid) {
  const Bytes nonce = {1, 2, 3, 4, 5, 6, 7, 8};
  hid.write(init_frame(0xffffffff, 0x06, 8, nonce));
  Frame r{};
  REQUIRE(hid.read(r));
  CHECK(be32(r.data()) == 0xffffffff);
  CHECK(r[4] == 0x86);
  CHECK(r[6] == 17);
  CHECK(std::memcmp(r.data() + 7, nonce.data(), 8) == 0);
  CHECK((r[7 + 16] & 0x04) != 0);  // CBOR capability
  return be32(r.data() + 15);
}

}  // namespace

TEST_CASE("ctaphid: INIT allocates a channel, PING echoes a multi-frame message") {
  TempDir dir;
  Hid hid((dir / "k.state").string());
  const std::uint32_t cid = handshake(hid);
  CHECK(cid != 0xffffffff);
  Bytes msg(200);
  for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<std::uint8_t>(i);
  hid.write(init_frame(cid, 0x01, 200, msg));
  for (std::uint8_t seq = 0; 57 + 59 * seq < 200; ++seq)
    hid.write(cont_frame(cid, seq, ByteView(msg).subspan(57 + 59 * std::size_t{seq})));
  Bytes echoed;
  Frame r{};
  REQUIRE(hid.read(r));
  CHECK(r[4] == 0x81);
  CHECK(((r[5] << 8) | r[6]) == 200);
  echoed.insert(echoed.end(), r.begin() + 7, r.end());
  std::uint8_t seq = 0;
  while (echoed.size() < 200) {
    REQUIRE(hid.read(r));
    CHECK(r[4] == seq++);
    echoed.insert(echoed.end(), r.begin() + 5, r.end());
  }
  echoed.resize(200);
  CHECK(echoed == msg);
  CHECK_FALSE(hid.read(r));  // nothing more queued
}

TEST_CASE("ctaphid: errors for bad channel, bad sequence, unknown command, CANCEL aborts") {
  TempDir dir;
  Hid hid((dir / "k.state").string());
  const std::uint32_t cid = handshake(hid);
  Frame r{};
  SUBCASE("unallocated channel") {
    hid.write(init_frame(0x12345678, 0x01, 1, Bytes{0}));
    REQUIRE(hid.read(r));
    CHECK(r[4] == 0xbf);
    CHECK(r[7] == 0x0b);  // ERR_INVALID_CHANNEL
  }
  SUBCASE("wrong continuation sequence") {
    hid.write(init_frame(cid, 0x01, 100, Bytes(57, 1)));
    hid.write(cont_frame(cid, 1, Bytes(43, 1)));
    REQUIRE(hid.read(r));
    CHECK(r[4] == 0xbf);
    CHECK(r[7] == 0x04);  // ERR_INVALID_SEQ
  }
  SUBCASE("U2F MSG is not spoken (NMSG)") {
    hid.write(init_frame(cid, 0x03, 1, Bytes{0}));
    REQUIRE(hid.read(r));
    CHECK(r[4] == 0xbf);
    CHECK(r[7] == 0x01);  // ERR_INVALID_CMD
  }
  SUBCASE("message too long") {
    hid.write(init_frame(cid, 0x01, 8000, Bytes(57, 1)));
    REQUIRE(hid.read(r));
    CHECK(r[7] == 0x03);  // ERR_INVALID_LEN
  }
  SUBCASE("CANCEL aborts a half-sent request, no reply") {
    hid.write(init_frame(cid, 0x01, 100, Bytes(57, 1)));
    hid.write(init_frame(cid, 0x11, 0, {}));
    CHECK_FALSE(hid.read(r));
    hid.write(init_frame(cid, 0x01, 1, Bytes{9}));  // the channel works again
    REQUIRE(hid.read(r));
    CHECK(r[4] == 0x81);
    CHECK(r[7] == 9);
  }
  SUBCASE("bad INIT nonce fault") {
    REQUIRE(vfido::set_fault((dir / "k.state").string(), vfido::Fault::bad_init_nonce, true).ok());
    hid.write(init_frame(0xffffffff, 0x06, 8, Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
    REQUIRE(hid.read(r));
    CHECK(r[7] != 1);
  }
}

namespace {
void free_dev(fido_dev_t* p) { fido_dev_free(&p); }
void free_cred(fido_cred_t* p) { fido_cred_free(&p); }
void free_assert(fido_assert_t* p) { fido_assert_free(&p); }
}  // namespace

TEST_CASE("ctap2 via libfido2: resident credentials with getNextAssertion, then reset") {
  fido_init(FIDO_DISABLE_U2F_FALLBACK);
  VirtualKey key;
  std::unique_ptr<fido_dev_t, decltype(&free_dev)> dev(fido_dev_new(), free_dev);
  REQUIRE(vfido::install(dev.get()) == FIDO_OK);
  REQUIRE(fido_dev_open(dev.get(), key.state.c_str()) == FIDO_OK);
  CHECK(fido_dev_is_fido2(dev.get()));
  const Bytes cdh(32, 7);
  for (std::uint8_t user = 1; user <= 3; ++user) {
    std::unique_ptr<fido_cred_t, decltype(&free_cred)> cred(fido_cred_new(), free_cred);
    const Bytes uid(8, user);
    REQUIRE(fido_cred_set_type(cred.get(), user == 2 ? COSE_EDDSA : COSE_ES256) == FIDO_OK);
    REQUIRE(fido_cred_set_clientdata_hash(cred.get(), cdh.data(), cdh.size()) == FIDO_OK);
    REQUIRE(fido_cred_set_rp(cred.get(), kRpId, "paw") == FIDO_OK);
    REQUIRE(fido_cred_set_user(cred.get(), uid.data(), uid.size(), "u", nullptr, nullptr) == FIDO_OK);
    REQUIRE(fido_cred_set_rk(cred.get(), FIDO_OPT_TRUE) == FIDO_OK);
    REQUIRE(fido_dev_make_cred(dev.get(), cred.get(), nullptr) == FIDO_OK);
    CHECK(fido_cred_verify(cred.get()) == FIDO_OK);
  }
  std::unique_ptr<fido_assert_t, decltype(&free_assert)> a(fido_assert_new(), free_assert);
  REQUIRE(fido_assert_set_rp(a.get(), kRpId) == FIDO_OK);
  REQUIRE(fido_assert_set_clientdata_hash(a.get(), cdh.data(), cdh.size()) == FIDO_OK);
  REQUIRE(fido_dev_get_assert(dev.get(), a.get(), nullptr) == FIDO_OK);
  REQUIRE(fido_assert_count(a.get()) == 3);  // one getAssertion + two getNextAssertion
  for (std::size_t i = 0; i < 3; ++i) CHECK(fido_assert_user_id_len(a.get(), i) == 8);

  REQUIRE(fido_dev_reset(dev.get()) == FIDO_OK);
  std::unique_ptr<fido_assert_t, decltype(&free_assert)> b(fido_assert_new(), free_assert);
  REQUIRE(fido_assert_set_rp(b.get(), kRpId) == FIDO_OK);
  REQUIRE(fido_assert_set_clientdata_hash(b.get(), cdh.data(), cdh.size()) == FIDO_OK);
  CHECK(fido_dev_get_assert(dev.get(), b.get(), nullptr) == FIDO_ERR_NO_CREDENTIALS);
  CHECK(fido_dev_close(dev.get()) == FIDO_OK);
}

#endif  // PAW_VIRTUAL_FIDO
