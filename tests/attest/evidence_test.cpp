#include <doctest/doctest.h>

#include "paw/attest/evidence.h"

using namespace paw;

namespace {
EvidenceBody sample() {
  EvidenceBody b;
  b.device_id = "dev-1";
  b.nonce = Bytes(kNonceSize, 0x5a);
  b.pcrs[HashAlg::sha256][0] = Bytes(32, 0x01);
  b.pcrs[HashAlg::sha256][7] = Bytes(32, 0x07);
  b.pcrs[HashAlg::sha1][0] = Bytes(20, 0x02);
  b.event_log = Bytes{1, 2, 3};
  b.fido = FidoPresence{{9, 9}, Bytes(37, 0x11), {0x30, 0x01}, Bytes(32, 0x22)};
  b.host = HostFacts{"Debian GNU/Linux 12 (bookworm)", "6.1.0", true, std::nullopt};
  b.agent_version = "0.1.0";
  return b;
}
std::string text(const Bytes& b) { return {b.begin(), b.end()}; }
Bytes replace(const Bytes& body, const std::string& from, const std::string& to) {
  std::string s = text(body);
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  s.replace(pos, from.size(), to);
  return to_bytes(s);
}
}  // namespace

TEST_CASE("evidence body round-trips") {
  const EvidenceBody b = sample();
  const Bytes bytes = serialize_body(b);
  auto parsed = parse_body(bytes);
  REQUIRE_MESSAGE(parsed.ok(), parsed.error().what());
  CHECK(*parsed == b);
  CHECK(qualifying_data(bytes).size() == 32);
}

TEST_CASE("evidence body refuses bad fields with precise errors") {
  const Bytes bytes = serialize_body(sample());
  CHECK(parse_body(replace(bytes, "\"version\":1", "\"version\":2")).code() == Errc::unsupported);
  CHECK(parse_body(replace(bytes, "\"device_id\"", "\"device_idx\"")).code() == Errc::malformed);
  CHECK(parse_body(replace(bytes, "\"7\":", "\"07\":")).code() == Errc::malformed);
  CHECK(parse_body(replace(bytes, "\"7\":", "\"24\":")).code() == Errc::malformed);
  CHECK(parse_body(replace(bytes, "\"sha1\":", "\"md5\":")).code() == Errc::unsupported);
  CHECK(parse_body(replace(bytes, "5a5a", "5a")).code() == Errc::malformed);  // nonce 31 bytes
  CHECK(parse_body(replace(bytes, "\"disk_encrypted\":true", "\"disk_encrypted\":1")).code() == Errc::malformed);
  CHECK(parse_body(to_bytes("[1]")).code() == Errc::malformed);
  CHECK(parse_body(to_bytes("{\"a\":")).code() == Errc::malformed);
  std::string deep(100, '[');
  CHECK(parse_body(to_bytes("{\"x\":" + deep)).code() == Errc::malformed);
}

TEST_CASE("evidence envelope round-trips and is strict") {
  Envelope e{to_bytes("{}"), Bytes(10, 1), Bytes(6, 2), {}, {}};
  auto parsed = parse_envelope(serialize_envelope(e));
  REQUIRE(parsed.ok());
  CHECK(parsed->body == e.body);
  CHECK(parsed->attest == e.attest);
  CHECK(parsed->signature == e.signature);
  CHECK(parse_envelope("{\"body\":\"e30=\",\"quote\":{\"attest\":\"AA==\"}}").code() == Errc::malformed);
  CHECK(parse_envelope("{\"body\":\"e30=\",\"quote\":{\"attest\":\"AA==\",\"signature\":\"AA==\"},\"x\":1}").code() ==
        Errc::malformed);
  CHECK(parse_envelope(std::string(kMaxEnvelopeSize + 1, ' ')).code() == Errc::too_large);
}

TEST_CASE("evidence envelope: routing copies travel together, are bounded, and round-trip") {
  Envelope env{Bytes{'{', '}'}, Bytes{1, 2}, Bytes{3, 4}, "3f2a9c0d", Bytes(kNonceSize, 0x11)};
  auto back = parse_envelope(serialize_envelope(env));
  REQUIRE(back.ok());
  CHECK(*back == env);
  Envelope old = env;
  old.device_id.clear();
  old.nonce.clear();
  CHECK(*parse_envelope(serialize_envelope(old)) == old);
  CHECK(parse_envelope(R"({"device_id":"a","body":"e30=","quote":{"attest":"AQI=","signature":"AwQ="}})").code() ==
        Errc::malformed);
  CHECK(parse_envelope(R"({"device_id":"a","nonce":"0011","body":"e30=","quote":{"attest":"AQI=","signature":"AwQ="}})")
            .code() == Errc::malformed);
}
