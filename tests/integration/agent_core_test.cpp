// Integration: the agent's own pieces without a verifier — settings (file,
// flags, precedence, errors with file:line), the state folder (modes,
// atomic writes, refusing loose permissions), the token file, the daemon's
// schedule (jitter, renewal, capped back-off), and the HTTPS client's
// refusals (no CA, plain http off loopback, a closed port) on real sockets.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "agent_state.h"
#include "attest_round.h"
#include "schedule.h"
#include "settings.h"
#include "test_data.h"
#include "verifier_client.h"

using namespace paw;
using namespace paw::agent;

namespace {
void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
}
}  // namespace

TEST_CASE("agent settings: file, then flags, TCTI precedence, errors name file and line") {
  test::TempDir dir;
  const auto conf = dir / "agent.conf";
  write_text(conf,
             "# comment\n\nverifier = https://v.example:8443/\nca-file = /etc/paw/ca.pem\ninterval = 120\n"
             "tcti = swtpm:host=127.0.0.1,port=1\nstate-dir = " + (dir / "state").string() + "\n");
  ::unsetenv("TPM2TOOLS_TCTI");
  auto ls = load_settings({"--config", conf.string(), "--interval", "60"}, {});
  REQUIRE(ls.ok());
  CHECK(ls->settings.verifier == "https://v.example:8443");  // trailing slash dropped
  CHECK(ls->settings.ca_file == "/etc/paw/ca.pem");
  CHECK(ls->settings.interval_seconds == 60);                 // the flag wins
  CHECK(ls->settings.tcti == "swtpm:host=127.0.0.1,port=1");
  CHECK(ls->settings.state_dir == dir / "state");
  CHECK(ls->settings.token_file == "/run/paw-agent/token");
  CHECK(ls->config_file == conf.string());

  ::setenv("TPM2TOOLS_TCTI", "swtpm:host=127.0.0.1,port=2", 1);
  auto env = load_settings({"--config", conf.string()}, {});
  REQUIRE(env.ok());
  CHECK(env->settings.tcti == "swtpm:host=127.0.0.1,port=2");  // environment over file
  auto flag = load_settings({"--config", conf.string(), "--tcti", "device:/dev/tpmrm9"}, {});
  REQUIRE(flag.ok());
  CHECK(flag->settings.tcti == "device:/dev/tpmrm9");          // flag over environment
  ::unsetenv("TPM2TOOLS_TCTI");

  write_text(dir / "bad.conf", "verifier = https://x\n\nretry-max = 0\n");
  auto bad = load_settings({"--config", (dir / "bad.conf").string()}, {});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.code() == Errc::config_error);
  CHECK(bad.error().detail.find("bad.conf:3: retry-max") != std::string::npos);

  write_text(dir / "unknown.conf", "colour = blue\n");
  auto unknown = load_settings({"--config", (dir / "unknown.conf").string()}, {});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().detail.find("unknown setting 'colour'") != std::string::npos);

  CHECK(load_settings({"--config", (dir / "missing.conf").string()}, {}).code() == Errc::config_error);
  CHECK(load_settings({"--bogus", "1"}, {}).code() == Errc::config_error);
  CHECK(load_settings({"--verifier", "ftp://x"}, {}).code() == Errc::config_error);
  CHECK(load_settings({"--interval", "0"}, {}).code() == Errc::config_error);
  CHECK(load_settings({"--ek", "dsa"}, {}).code() == Errc::config_error);
  CHECK(load_settings({"--retry-min", "10", "--retry-max", "5"}, {}).code() == Errc::config_error);
  auto ok = load_settings({"--fido-timeout", "5", "--event-log", "none", "--ek", "ecc-p256"}, {});
  REQUIRE(ok.ok());
  CHECK(ok->settings.fido_timeout_ms == 5000);
  CHECK(ok->settings.event_log == "none");
  CHECK(ok->settings.ek_type == "ecc-p256");
}

TEST_CASE("agent state: 0700 folder, 0600 files written atomically, loose files refused") {
  test::TempDir dir;
  const auto state = dir / "state";
  Enrollment e{"0123abcd", "https://v.example:8443", "/etc/paw/ca.pem", "paw.test", Bytes{1, 2, 3}, "enrolled", 42};
  REQUIRE(save_enrollment(state, e).ok());
  CHECK(test::mode_of(state) == 0700);
  CHECK(test::mode_of(state / kEnrollmentFile) == 0600);
  auto back = load_enrollment(state);
  REQUIRE(back.ok());
  REQUIRE(back->has_value());
  CHECK((*back)->device_id == "0123abcd");
  CHECK((*back)->credential_id == Bytes{1, 2, 3});
  CHECK((*back)->enrolled_at == 42);
  for (const auto& entry : std::filesystem::directory_iterator(state)) {
    CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);  // no temporary left behind
  }

  auto none = load_enrollment(dir / "nothing");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  ::chmod((state / kEnrollmentFile).c_str(), 0644);
  CHECK(load_enrollment(state).code() == Errc::config_error);
  ::chmod((state / kEnrollmentFile).c_str(), 0600);
  write_text(state / kEnrollmentFile, "{\"device_id\": 5}");
  ::chmod((state / kEnrollmentFile).c_str(), 0600);
  CHECK(load_enrollment(state).code() == Errc::malformed);

  LastResult r;
  r.verdict = "unhealthy";
  r.reasons = {{"pcr_mismatch", "PCR 7 differs"}};
  r.at = 100;
  r.last_healthy_at = 90;
  REQUIRE(save_last_result(state, r).ok());
  auto lr = load_last_result(state);
  REQUIRE(lr.ok());
  REQUIRE(lr->has_value());
  CHECK((*lr)->verdict == "unhealthy");
  REQUIRE((*lr)->reasons.size() == 1);
  CHECK((*lr)->reasons[0].code == "pcr_mismatch");
  CHECK((*lr)->last_healthy_at == 90);
}

TEST_CASE("token file: mode 0640, parent created 0750, replaced whole, removed") {
  test::TempDir dir;
  const auto token = dir / "run" / "token";
  REQUIRE(write_token(token, "aaa.bbb.ccc").ok());
  CHECK(test::mode_of(token) == 0640);
  CHECK(test::mode_of(dir / "run") == 0750);
  REQUIRE(write_token(token, "ddd.eee.fff").ok());
  const Bytes content = test::load(token);
  CHECK(std::string(content.begin(), content.end()) == "ddd.eee.fff\n");
  REQUIRE(remove_token(token).ok());
  CHECK_FALSE(std::filesystem::exists(token));
  CHECK(remove_token(token).ok());  // already gone: fine
}

TEST_CASE("daemon schedule: jittered interval, renewal before expiry, capped exponential back-off") {
  CHECK(backoff_seconds(5, 300, 1) == doctest::Approx(5));
  CHECK(backoff_seconds(5, 300, 2) == doctest::Approx(10));
  CHECK(backoff_seconds(5, 300, 4) == doctest::Approx(40));
  CHECK(backoff_seconds(5, 300, 7) == doctest::Approx(300));   // capped
  CHECK(backoff_seconds(5, 300, 500) == doctest::Approx(300));  // no overflow

  AgentSettings s;
  s.interval_seconds = 300;
  s.retry_min_seconds = 5;
  s.retry_max_seconds = 60;
  Schedule sched(7);
  AttestOutcome fail;
  fail.failure = FailureKind::network;
  double prev = 0;
  for (int i = 1; i <= 8; ++i) {
    const double w = sched.after_round(s, fail, 1000);
    CHECK(sched.failures() == i);
    const double base = backoff_seconds(5, 60, i);
    CHECK(w >= base * 0.9 - 1e-9);
    CHECK(w <= base * 1.1 + 1e-9);
    CHECK(w >= 4.5);  // never a busy loop
    if (i <= 3) CHECK(w > prev);
    prev = w;
  }
  AttestOutcome healthy;
  healthy.answer.verdict = "healthy";
  healthy.answer.expires_at = 1000 + 600;
  const double w = sched.after_round(s, healthy, 1000);
  CHECK(sched.failures() == 0);
  CHECK(w >= 270);
  CHECK(w <= 330);
  healthy.answer.expires_at = 1000 + 120;  // a token shorter than the interval: renew at 3/4
  CHECK(sched.after_round(s, healthy, 1000) == doctest::Approx(90));
  AttestOutcome unhealthy;
  unhealthy.answer.verdict = "unhealthy";
  const double u = sched.after_round(s, unhealthy, 1000);
  CHECK(u >= 270);
  CHECK(u <= 330);
}

TEST_CASE("verifier client: refusals before any byte is sent, a closed port, verifier errors mapped") {
  CHECK(http_call({"https://127.0.0.1:8443", ""}, "GET", "/v1/info", "").code() == Errc::config_error);
  CHECK(http_call({"http://verifier.example", "/x.pem"}, "GET", "/v1/info", "").code() == Errc::config_error);
  CHECK(http_call({"ftp://127.0.0.1", "/x.pem"}, "GET", "/v1/info", "").code() == Errc::config_error);
  // port 1 (tcpmux) is unused on test machines: connect() is refused
  auto closed = http_call({"http://127.0.0.1:1", ""}, "GET", "/v1/info", "");
  CHECK(closed.code() == Errc::network_error);

  Errc code{};
  for (auto c : {Errc::malformed, Errc::nonce_expired, Errc::revoked, Errc::token_invalid, Errc::internal}) {
    REQUIRE(errc_from_name(errc_name(c), code));
    CHECK(code == c);
  }
  CHECK_FALSE(errc_from_name("no_such_code", code));

  const Error revoked = error_from_reply({403, R"({"error":"revoked","message":"device is revoked"})"});
  CHECK(revoked.code == Errc::revoked);
  CHECK(revoked.detail.find("device is revoked") != std::string::npos);
  CHECK(error_from_reply({401, "not json"}).code == Errc::unauthorized);
  CHECK(error_from_reply({503, ""}).code == Errc::internal);
  CHECK(classify(Errc::tpm_error) == FailureKind::tpm);
  CHECK(classify(Errc::fido_no_device) == FailureKind::fido);
  CHECK(classify(Errc::network_error) == FailureKind::network);
  CHECK(classify(Errc::revoked) == FailureKind::gone);
  CHECK(classify(Errc::not_found) == FailureKind::gone);
  CHECK(classify(Errc::nonce_expired) == FailureKind::verifier);
  // The verifier's own "not_found" means the device is gone; a bare 404 (a proxy page) does not.
  CHECK(error_from_reply({404, R"({"error":"not_found","message":"unknown device"})"}).code == Errc::not_found);
  CHECK(error_from_reply({404, "<html>Not Found</html>"}).code == Errc::internal);
  CHECK(failure_kind_name(FailureKind::fido) == "FIDO2 key");
}
