// Workstation side through the real libfido2 path: every outcome, both algorithms.
// Needs the software authenticator: compiled only where PAW_VIRTUAL_FIDO is on
// (fido_release_test.cpp covers builds without it).
#ifdef PAW_VIRTUAL_FIDO
#include <chrono>
#include <filesystem>

#include "fido_fixture.h"

using namespace paw;
using namespace paw::test;
namespace fs = std::filesystem;

TEST_CASE("fido enroll: ES256 and EdDSA credentials with packed attestation") {
  for (int alg : {attest::kCoseEs256, attest::kCoseEdDsa}) {
    CAPTURE(alg);
    VirtualKey key;
    auto e = enroll(key, alg);
    REQUIRE_MESSAGE(e.ok(), e.error().what());
    CHECK(e->algorithm == alg);
    CHECK(e->credential_id.size() == 32);
    CHECK(hex(e->aaguid) == vfido::kDefaultAaguidHex);
    CHECK(e->fmt == "packed");
    CHECK(e->attestation.alg == attest::kCoseEs256);
    CHECK(e->attestation.x5c.size() == 1);
    CHECK(e->public_key_spki.size() == (alg == attest::kCoseEs256 ? 91u : 44u));
    auto ad = attest::parse_fido_auth_data(e->auth_data);
    REQUIRE(ad.ok());
    CHECK(ad->credential_id == e->credential_id);
    CHECK(ad->rp_id_hash == sha256(as_bytes(kRpId)));
    CHECK((ad->flags & attest::kFidoFlagUp) != 0);
    // The credential lives in the state file, so another process sees it.
    auto st = vfido::load_state(key.state);
    REQUIRE(st.ok());
    REQUIRE(st->credentials.size() == 1);
    CHECK(st->credentials[0].id == e->credential_id);
  }
}

TEST_CASE("fido presence: each assertion over the client-data hash, counter grows") {
  for (int alg : {attest::kCoseEs256, attest::kCoseEdDsa}) {
    CAPTURE(alg);
    VirtualKey key;
    auto e = enroll(key, alg);
    REQUIRE(e.ok());
    std::uint32_t last = 0;
    for (int i = 0; i < 3; ++i) {
      auto a = prove(key, e->credential_id);
      REQUIRE_MESSAGE(a.ok(), a.error().what());
      CHECK(a->credential_id == e->credential_id);
      CHECK(a->client_data_hash == presence_cdh());
      CHECK(a->auth_data.size() == 37);
      CHECK((a->flags & attest::kFidoFlagUp) != 0);
      CHECK(a->sign_count > last);
      last = a->sign_count;
    }
  }
}

TEST_CASE("fido presence: silent assertion (up=false) needs no touch and carries no UP") {
  VirtualKey key;
  auto e = enroll(key);
  REQUIRE(e.ok());
  key.fault(vfido::Fault::deny_touch);  // a touch would be refused; a silent assertion asks for none
  auto a = prove(key, e->credential_id, false);
  REQUIRE_MESSAGE(a.ok(), a.error().what());
  CHECK((a->flags & attest::kFidoFlagUp) == 0);
  auto touched = prove(key, e->credential_id, true);
  CHECK(touched.code() == Errc::fido_touch_denied);
}

TEST_CASE("fido outcomes: no device") {
  platform::FidoDeviceConfig cfg{"/dev/hidraw-paw-no-such-device", 1000};
  platform::FidoEnrollOptions o;
  o.rp_id = kRpId;
  o.client_data_hash = enroll_cdh();
  CHECK(platform::fido_enroll(cfg, o).code() == Errc::fido_no_device);
  // Discovery: whatever is plugged in here, an empty list must mean fido_no_device.
  auto list = platform::fido_list_devices();
  REQUIRE(list.ok());
  if (list->empty()) CHECK(platform::fido_enroll(platform::FidoDeviceConfig{}, o).code() == Errc::fido_no_device);
  else CHECK(platform::fido_prove_presence({}, {kRpId, Bytes(32, 1), presence_cdh(), true}).code() != Errc::internal);
}

TEST_CASE("fido outcomes: unplugged key (state file removed) and another key give fido_no_credentials") {
  VirtualKey key;
  auto e = enroll(key);
  REQUIRE(e.ok());
  REQUIRE(fs::remove(key.state));
  CHECK(prove(key, e->credential_id).code() == Errc::fido_no_credentials);
  CHECK(fs::exists(key.state));  // a missing state file became a fresh key
  VirtualKey other;
  REQUIRE(enroll(other).ok());
  CHECK(prove(other, e->credential_id).code() == Errc::fido_no_credentials);
}

TEST_CASE("fido outcomes: touch denied, timeout, PIN required, broken handshake") {
  struct Case {
    vfido::Fault fault;
    Errc expected;
  };
  for (Case c : {Case{vfido::Fault::deny_touch, Errc::fido_touch_denied}, Case{vfido::Fault::timeout, Errc::fido_timeout},
                 Case{vfido::Fault::pin_required, Errc::fido_pin_required},
                 Case{vfido::Fault::bad_init_nonce, Errc::fido_device_error}}) {
    CAPTURE(vfido::fault_name(c.fault));
    VirtualKey key;
    auto e = enroll(key);
    REQUIRE(e.ok());
    key.fault(c.fault);
    CHECK(prove(key, e->credential_id).code() == c.expected);
    CHECK(enroll(key).code() == c.expected);
    key.fault(c.fault, false);
    CHECK(prove(key, e->credential_id).ok());
  }
}

TEST_CASE("fido outcomes: a key that never answers is a bounded fido_timeout") {
  VirtualKey key;
  auto e = enroll(key);
  REQUIRE(e.ok());
  key.fault(vfido::Fault::unresponsive);
  auto cfg = key.config();
  cfg.timeout_ms = 300;
  platform::FidoPresenceOptions o{kRpId, e->credential_id, presence_cdh(), true};
  const auto start = std::chrono::steady_clock::now();
  auto r = platform::fido_prove_presence(cfg, o);
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(r.code() == Errc::fido_timeout);
  CHECK(waited >= std::chrono::milliseconds(300));
  CHECK(waited < std::chrono::seconds(5));
}

TEST_CASE("fido outcomes: shell-style fault switch appended to the state file") {
  VirtualKey key;
  auto e = enroll(key);
  REQUIRE(e.ok());
  REQUIRE(run_command({"sh", "-c", "echo 'fault deny_touch 1' >> '" + key.state + "'"}) == 0);
  CHECK(prove(key, e->credential_id).code() == Errc::fido_touch_denied);
}

TEST_CASE("fido config: virtual scheme needs a path, bad arguments are config errors") {
  platform::FidoPresenceOptions o{kRpId, Bytes(32, 1), presence_cdh(), true};
  CHECK(platform::fido_prove_presence({"virtual:", 1000}, o).code() == Errc::config_error);
  VirtualKey key;
  o.client_data_hash = Bytes(31, 0);
  CHECK(platform::fido_prove_presence(key.config(), o).code() == Errc::config_error);
  platform::FidoEnrollOptions eo;
  eo.rp_id = kRpId;
  eo.client_data_hash = enroll_cdh();
  eo.algorithm = -257;  // RS256: not offered
  CHECK(platform::fido_enroll(key.config(), eo).code() == Errc::config_error);
}

TEST_CASE("fido state: a corrupt state file is a device error, not a crash") {
  VirtualKey key;
  {
    std::FILE* f = std::fopen(key.state.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("not a state file\n", f);
    std::fclose(f);
  }
  CHECK(enroll(key).code() == Errc::fido_device_error);
}

#endif  // PAW_VIRTUAL_FIDO
