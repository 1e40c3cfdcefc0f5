// paw-verifier configuration: file, flags overriding it, refusals.
#include <doctest/doctest.h>

#include <fstream>

#include "config.h"
#include "test_data.h"

namespace paw::verifier {

TEST_CASE("config: file then flags, repeatable webhooks, defaults inside the state folder") {
  test::TempDir dir;
  const std::string file = (dir / "verifier.conf").string();
  std::ofstream(file) << "# comment\n"
                         "listen = 0.0.0.0:9443\n"
                         "rp-id = paw.example\n"
                         "webhook = https://a.example/hook\n"
                         "webhook = https://b.example/hook\n"
                         "insecure-http = false\n"
                         "threads = 4\n";
  auto cfg = load_config({"--config", file, "--state", "/srv/paw", "--threads=8"});
  REQUIRE_MESSAGE(cfg.ok(), cfg.error().what());
  CHECK(cfg->listen == "0.0.0.0:9443");
  CHECK(cfg->rp_id == "paw.example");
  CHECK(cfg->threads == 8);
  CHECK(cfg->webhooks.size() == 2);
  CHECK(cfg->database_url() == "sqlite:/srv/paw/paw.db");
  CHECK(cfg->cert_path() == "/srv/paw/tls/cert.pem");
  CHECK(cfg->key_path() == "/srv/paw/tls/key.pem");
  CHECK(cfg->issuer == "paw-verifier");

  auto over = load_config({"--config", file, "--state", "/s", "--webhook", "http://127.0.0.1:1/x", "--insecure-http"});
  REQUIRE(over.ok());
  CHECK(over->webhooks == std::vector<std::string>{"http://127.0.0.1:1/x"});
  CHECK(over->insecure_http);
}

TEST_CASE("config: refusals name the problem") {
  CHECK(load_config({}).code() == Errc::config_error);  // --state missing
  CHECK(load_config({"--state", "/s", "--bogus", "1"}).code() == Errc::config_error);
  CHECK(load_config({"--state", "/s", "--threads", "0"}).code() == Errc::config_error);
  CHECK(load_config({"--state", "/s", "--threads", "12x"}).code() == Errc::config_error);
  CHECK(load_config({"--state"}).code() == Errc::config_error);
  CHECK(load_config({"--state", "/s", "--config", "/nonexistent/file"}).code() != Errc{});
  Config c;
  CHECK(parse_config_text("listen 1.2.3.4:1\n", c).code() == Errc::config_error);
  CHECK(parse_config_text("insecure-http = maybe\n", c).code() == Errc::config_error);
  CHECK(parse_config_text("  # only a comment\n\n", c).ok());
}

}  // namespace paw::verifier
