// The small protocol messages (protocol.h): one encoder and one decoder for
// both sides; requests refuse unknown fields, answers ignore them; every
// identifier, size and type is checked.
#include <doctest/doctest.h>

#include "paw/attest/protocol.h"

using namespace paw;
namespace p = paw::protocol;

TEST_CASE("protocol: every message decodes to what was encoded") {
  const p::Info info{"0.2.0", "paw.example", p::kProtocolVersion};
  CHECK(*p::decode_info(p::encode(info)) == info);
  const p::EnrollmentAnswer ea{"0a1b2c", Bytes{1, 2, 3}, Bytes{4, 5}};
  CHECK(*p::decode_enrollment_answer(p::encode(ea)) == ea);
  const p::ActivationRequest ar{Bytes(32, 0x42)};
  CHECK(*p::decode_activation_request(p::encode(ar)) == ar);
  const p::ActivationAnswer aa{"3f2a9c0d1e5b4a7f", "pending"};
  CHECK(*p::decode_activation_answer(p::encode(aa)) == aa);
  const p::ChallengeRequest cr{"3f2a9c0d1e5b4a7f"};
  CHECK(*p::decode_challenge_request(p::encode(cr)) == cr);
  const p::Challenge ch{Bytes(32, 0x07), 1'800'000'000};
  CHECK(*p::decode_challenge(p::encode(ch)) == ch);
  const p::AttestationAnswer at{"warning", {{"pcr_mismatch", "PCR 0 changed", 1'800'000'100}}, "eyJ.a.b",
                                1'800'000'000, 1'800'000'100, "", ""};
  CHECK(*p::decode_attestation_answer(p::encode(at)) == at);
  const p::LoginKeyAnswer lk{"3f2a9c0d1e5b4a7f", "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"};
  CHECK(*p::decode_login_key_answer(p::encode(lk)) == lk);
  const p::ErrorAnswer er = p::error_answer(make_error(Errc::revoked, "device is revoked"));
  CHECK(er.error == "revoked");
  CHECK(p::decode_error_answer(p::encode(er)) == er);
}

TEST_CASE("protocol: requests from anyone refuse unknown fields and bad ids") {
  CHECK(p::decode_challenge_request(R"({"device_id":"abc","extra":1})").code() == Errc::malformed);
  CHECK(p::decode_challenge_request(R"({"device_id":"../etc"})").code() == Errc::malformed);
  CHECK(p::decode_challenge_request(R"({"device_id":""})").code() == Errc::malformed);
  CHECK(p::decode_challenge_request(R"({"device_id":")" + std::string(129, 'a') + "\"}").code() == Errc::malformed);
  CHECK(p::decode_challenge_request(R"({"device_id":7})").code() == Errc::malformed);
  CHECK(p::decode_challenge_request("[]").code() == Errc::malformed);
  CHECK(p::decode_challenge_request(std::string(70'000, ' ')).code() == Errc::too_large);
  CHECK(p::decode_activation_request(R"({"secret":"AAAA","device_id":"x"})").code() == Errc::malformed);
  CHECK(p::decode_activation_request(R"({"secret":")" + std::string(400, 'A') + "\"}").code() == Errc::too_large);
  CHECK(p::decode_activation_request(R"({"secret":"not base64!"})").code() == Errc::malformed);
}

TEST_CASE("protocol: answers ignore fields a newer verifier adds, but not a bad value") {
  auto info = p::decode_info(R"({"protocol":1,"rp_id":"paw.example","version":"9","features":["x"]})");
  REQUIRE(info.ok());
  CHECK(info->rp_id == "paw.example");
  CHECK(p::decode_info(R"({"protocol":2,"rp_id":"paw.example"})").code() == Errc::unsupported);
  CHECK(p::decode_info(R"({"protocol":1,"rp_id":""})").code() == Errc::malformed);
  CHECK(p::decode_challenge(R"({"nonce":"0011","expires_at":5})").code() == Errc::malformed);
  CHECK(p::decode_activation_answer(R"({"device_id":"a b","status":"enrolled"})").code() == Errc::malformed);
  CHECK(p::decode_activation_answer(R"({"device_id":"ab","status":"owned"})").code() == Errc::malformed);
  CHECK(p::decode_enrollment_answer(R"({"enrollment_id":"a/b","credential_blob":"","encrypted_secret":""})").code() ==
        Errc::malformed);
  CHECK(p::decode_login_key_answer(R"({"device_id":"ab","jkt":"short"})").code() == Errc::malformed);
  const std::string ok_tail = R"(,"reasons":[],"token":"t","expires_at":1})";
  CHECK(p::decode_attestation_answer(R"({"verdict":"healthy")" + ok_tail).ok());
  CHECK(p::decode_attestation_answer(R"({"verdict":"trusted")" + ok_tail).code() == Errc::malformed);
  CHECK(p::decode_attestation_answer(R"({"verdict":"healthy","reasons":[],"token":")" + std::string(16385, 't') +
                                     R"(","expires_at":1})")
            .code() == Errc::too_large);
  CHECK(p::decode_attestation_answer(R"({"verdict":"healthy","login_certificate":"hello")" + ok_tail).code() ==
        Errc::malformed);
  CHECK_FALSE(p::decode_attestation_answer(R"({"verdict":"healthy","ssh_certificate":"ssh-rsa AAAA")" + ok_tail).ok());
  CHECK(p::decode_attestation_answer(R"({"verdict":"healthy","reasons":[{"code":1}],"token":"t","expires_at":1})")
            .code() == Errc::malformed);
}

TEST_CASE("protocol: an error body that is not the verifier's gives empty fields, cut to 4 KiB") {
  CHECK(p::decode_error_answer("<html>502 Bad Gateway</html>") == p::ErrorAnswer{});
  CHECK(p::decode_error_answer(R"({"error":5,"message":"m"})") == p::ErrorAnswer{"", "m"});
  const auto long_one = p::decode_error_answer(R"({"error":"x","message":")" + std::string(10'000, 'm') + "\"}");
  CHECK(long_one.message.size() == 4096);
  Errc code = Errc::internal;
  CHECK(p::errc_from_name("pcr_digest_mismatch", code));
  CHECK(code == Errc::pcr_digest_mismatch);
  CHECK_FALSE(p::errc_from_name("no_such_code", code));
}
