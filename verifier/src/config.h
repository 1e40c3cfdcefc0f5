// config.h — paw-verifier settings: a key = value file overridden by flags.
//
// File format (docs/verifier.md): one `key = value` per line, `#` comments,
// keys are the long flag names without "--" (`listen = 0.0.0.0:8443`);
// `webhook` may repeat; switches take true/false.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "clock.h"
#include "paw/attest/error.h"
#include "paw/attest/log.h"

namespace paw::verifier {

struct Config {
  std::string state_dir;                 // --state (required)
  std::string listen = "127.0.0.1:8443"; // --listen ADDR:PORT (port 0 = any free port)
  bool insecure_http = false;            // --insecure-http (development only)
  std::string database;                  // --database sqlite:PATH (default sqlite:<state>/paw.db)
  std::string tls_cert;                  // --tls-cert (default <state>/tls/cert.pem)
  std::string tls_key;                   // --tls-key (default <state>/tls/key.pem)
  std::string ek_ca_dir;                 // --ek-ca-dir (trusted EK manufacturer CAs)
  std::string fido_ca_dir;               // --fido-ca-dir (trusted FIDO2 attestation CAs; unset: chains not checked)
  std::string rp_id = "paw";             // --rp-id FIDO2 relying-party id
  // --console-origin https://HOST[:PORT]: the web console's origin as the
  // browser sees it; WebAuthn sign-in is off while unset. --rp-id must then
  // be HOST or a parent domain of it (docs/console.md).
  std::string console_origin;
  std::string issuer;                    // --issuer result-token iss (default "paw-verifier")
  std::string audience;                  // --audience result-token aud (default: the issuer)
  std::int64_t dpop_window = 60;         // --dpop-window seconds a DPoP proof is accepted after its iat
  std::vector<std::string> webhooks;     // --webhook URL (repeatable)
  // --trusted-proxy ADDR[/BITS] (repeatable): reverse proxies whose
  // X-Forwarded-For names the client (rate limits, audit); others' is ignored.
  std::vector<std::string> trusted_proxies;
  std::int64_t threads = 16;             // --threads HTTP worker threads
  std::int64_t max_connections = 4096;   // --max-connections open connections in all
  std::int64_t max_connections_per_address = 64;  // --max-connections-per-address (IPv6 per /64; trusted proxies exempt)
  std::int64_t challenge_ttl = 120;      // --challenge-ttl seconds
  std::int64_t enrollment_ttl = 600;     // --enrollment-ttl seconds (activation window)
  std::int64_t rate_per_address = 50;    // --rate-per-address requests/second (burst 4x)
  std::int64_t rate_per_device = 10;     // --rate-per-device attestation-path requests/second (burst 4x)
  std::int64_t monitor_interval = 30;    // --monitor-interval seconds between stale checks
  std::string ssh_principal;             // --ssh-principal NAME in every SSH certificate ("" = the device label)
  std::int64_t key_overlap = 86400;      // --key-overlap seconds a retired signing key stays in the JWKS
  std::int64_t event_retention_days = 90; // --event-retention-days (0 = keep every event)
  // --log-level debug|info|warning|error, --log-format text|json,
  // --log-target stderr|syslog (paw/attest/log.h).
  log::Settings log{.program = "paw-verifier"};
  std::int64_t admin_session_ttl = 900;  // --admin-session-ttl seconds a FIDO2 admin session (pawctl login) lasts
  // Event export (event_export.h): every event also as a JSON line to a file
  // and as an RFC 5424 message to syslog.
  std::string events_file;               // --events-file PATH
  std::string events_syslog;             // --events-syslog udp://HOST:PORT | unix:/PATH
  std::string events_syslog_facility = "authpriv";  // --events-syslog-facility NAME
  std::int64_t events_syslog_max = 2048; // --events-syslog-max bytes per message (480–65000)
  std::string events_syslog_format = "auto";  // --events-syslog-format auto|rfc5424|local (syslog_local.h)
  // --metrics-auth none|credential: credential makes GET /metrics need an
  // admin credential or session of any scope (read is enough).
  bool metrics_auth = false;
  // clock is the service's wall clock (clock.h); not a setting: tests
  // replace it with a manual clock.
  WallClock clock = system_unix_now;

  // database_url / cert_path / key_path resolve the defaults inside state_dir.
  [[nodiscard]] std::string database_url() const;
  [[nodiscard]] std::string cert_path() const;
  [[nodiscard]] std::string key_path() const;
};

// load_config builds a Config from |args| (words after "run"): `--config FILE`
// is read first, then every flag overrides it. Errc::config_error naming the problem.
Result<Config> load_config(const std::vector<std::string>& args);

// parse_config_text applies a config file's text to |cfg|.
Status parse_config_text(const std::string& text, Config& cfg);

}  // namespace paw::verifier
