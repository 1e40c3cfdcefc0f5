// paw-verifier configuration: file, flags overriding it, refusals.
#include <doctest/doctest.h>

#include <fstream>

#include "config.h"
#include "edge/http.h"
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
  // events-syslog-format: auto (the default), rfc5424 or local, nothing else.
  CHECK(c.events_syslog_format == "auto");
  CHECK(parse_config_text("events-syslog-format = local\n", c).ok());
  CHECK(c.events_syslog_format == "local");
  CHECK(parse_config_text("events-syslog-format = rfc3164\n", c).code() == Errc::config_error);
  CHECK(load_config({"--state", "/s", "--events-syslog-format", "rfc5424"})->events_syslog_format == "rfc5424");
}

TEST_CASE("config: trusted proxies and the client address they name") {
  Config cfg;
  CHECK(parse_config_text("trusted-proxy = 10.0.0.0/8\ntrusted-proxy = ::1\n", cfg).ok());
  CHECK(cfg.trusted_proxies == std::vector<std::string>{"10.0.0.0/8", "::1"});
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "nginx", "10.0.0.1/x", "::1/129", ""}) {
    Config c2;
    CHECK_MESSAGE(parse_config_text(std::string("trusted-proxy = ") + bad + "\n", c2).code() ==
                      Errc::config_error, bad);
  }
  std::vector<ProxyRange> trusted;
  for (const char* r : {"10.0.0.0/8", "::1", "192.168.1.1"}) trusted.push_back(*parse_proxy_range(r));
  // An untrusted peer is the client, whatever it writes.
  CHECK(client_address("203.0.113.5", "198.51.100.1", trusted) == "203.0.113.5");
  // A trusted peer: the right-most untrusted entry.
  CHECK(client_address("10.1.2.3", "198.51.100.1", trusted) == "198.51.100.1");
  CHECK(client_address("10.1.2.3", "6.6.6.6, 198.51.100.1, 10.9.9.9", trusted) == "198.51.100.1");
  CHECK(client_address("::1", " 2001:db8::7 ", trusted) == "2001:db8::7");
  CHECK(client_address("192.168.1.1", "198.51.100.1", trusted) == "198.51.100.1");
  CHECK(client_address("192.168.1.2", "198.51.100.1", trusted) == "192.168.1.2");  // /32 only
  // Nothing usable: the peer, or the last good address before a malformed entry.
  CHECK(client_address("10.1.2.3", "", trusted) == "10.1.2.3");
  CHECK(client_address("10.1.2.3", "not-an-ip", trusted) == "10.1.2.3");
  CHECK(client_address("10.1.2.3", "198.51.100.1, junk, 10.4.4.4", trusted) == "10.4.4.4");
  CHECK(client_address("10.1.2.3", "10.4.4.4, 10.5.5.5", trusted) == "10.4.4.4");  // all trusted: the left-most
  CHECK(client_address("10.1.2.3", "198.51.100.1", {}) == "10.1.2.3");  // none configured
  // One client, one spelling (its rate bucket): canonical text, whatever the
  // proxy wrote — and addresses Poco's IPAddress::toString printed as "::"
  // (found by the http_request fuzzer) stay themselves.
  CHECK(client_address("::1", "2001:DB8:0:0::7", trusted) == "2001:db8::7");
  CHECK(client_address("::1", "::1e", trusted) == "::1e");
  CHECK(client_address("::1", "::ffff:198.51.100.1", trusted) == "::ffff:198.51.100.1");
  CHECK(client_address("10.1.2.3", "010.1.2.3", trusted) == "10.1.2.3");  // no octal-looking short forms
}

}  // namespace paw::verifier
