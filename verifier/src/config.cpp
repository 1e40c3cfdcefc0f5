#include "config.h"

#include <charconv>

#include "api/webauthn.h"
#include "edge/http.h"
#include "events/event_export.h"
#include "paw/attest/bytes.h"
#include "paw/attest/cli.h"

namespace paw::verifier {
namespace {

Status parse_int(const std::string& key, const std::string& value, std::int64_t& out, std::int64_t min,
                 std::int64_t max) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || v < min || v > max) {
    return make_error(Errc::config_error, key + " must be an integer in [" + std::to_string(min) + ", " +
                                              std::to_string(max) + "]: " + value);
  }
  out = v;
  return ok_status();
}

Status parse_bool(const std::string& key, const std::string& value, bool& out) {
  if (value == "true" || value == "yes" || value == "1") out = true;
  else if (value == "false" || value == "no" || value == "0") out = false;
  else return make_error(Errc::config_error, key + " must be true or false: " + value);
  return ok_status();
}

// apply sets one setting by its flag name.
Status apply(Config& c, const std::string& key, const std::string& value) {
  if (key == "state") c.state_dir = value;
  else if (key == "listen") c.listen = value;
  else if (key == "insecure-http") return parse_bool(key, value, c.insecure_http);
  else if (key == "database") c.database = value;
  else if (key == "tls-cert") c.tls_cert = value;
  else if (key == "tls-key") c.tls_key = value;
  else if (key == "ek-ca-dir") c.ek_ca_dir = value;
  else if (key == "fido-ca-dir") c.fido_ca_dir = value;
  else if (key == "rp-id") c.rp_id = value;
  else if (key == "console-origin") c.console_origin = value;
  else if (key == "issuer") c.issuer = value;
  else if (key == "ssh-principal") c.ssh_principal = value;
  else if (key == "audience") c.audience = value;
  else if (key == "dpop-window") return parse_int(key, value, c.dpop_window, 5, 600);
  else if (key == "webhook") c.webhooks.push_back(value);
  else if (key == "trusted-proxy") {
    if (!parse_proxy_range(value)) return make_error(Errc::config_error, "trusted-proxy must be ADDR or ADDR/BITS: " + value);
    c.trusted_proxies.push_back(value);
  }
  else if (key == "threads") return parse_int(key, value, c.threads, 1, 1024);
  else if (key == "max-connections") return parse_int(key, value, c.max_connections, 16, 1000000);
  else if (key == "max-connections-per-address") return parse_int(key, value, c.max_connections_per_address, 1, 1000000);
  else if (key == "challenge-ttl") return parse_int(key, value, c.challenge_ttl, 5, 3600);
  else if (key == "enrollment-ttl") return parse_int(key, value, c.enrollment_ttl, 10, 86400);
  else if (key == "rate-per-address") return parse_int(key, value, c.rate_per_address, 1, 1000000);
  else if (key == "rate-per-device") return parse_int(key, value, c.rate_per_device, 1, 1000000);
  else if (key == "monitor-interval") return parse_int(key, value, c.monitor_interval, 1, 86400);
  else if (key == "key-overlap") return parse_int(key, value, c.key_overlap, 0, 30 * 86400);
  else if (key == "event-retention-days") return parse_int(key, value, c.event_retention_days, 0, 36500);
  else if (key == "log-level") {
    PAW_TRY(c.log.level, log::parse_level(value));
  } else if (key == "log-format") {
    PAW_TRY(c.log.format, log::parse_format(value));
  } else if (key == "log-target") {
    PAW_TRY(c.log.target, log::parse_target(value));
  }
  else if (key == "admin-session-ttl") return parse_int(key, value, c.admin_session_ttl, 60, 43200);
  else if (key == "events-file") c.events_file = value;
  else if (key == "events-syslog") {
    PAW_CHECK(check_syslog_destination(value));
    c.events_syslog = value;
  } else if (key == "events-syslog-facility") {
    SyslogFacility f{};
    if (!syslog_facility_from_name(value, f)) {
      return make_error(Errc::config_error, "events-syslog-facility must be user, daemon, auth, authpriv or local0..local7: " + value);
    }
    c.events_syslog_facility = value;
  } else if (key == "events-syslog-max") return parse_int(key, value, c.events_syslog_max, 480, 65000);
  else if (key == "events-syslog-format") {
    if (value != "auto" && value != "rfc5424" && value != "local") {
      return make_error(Errc::config_error, "events-syslog-format must be auto, rfc5424 or local: " + value);
    }
    c.events_syslog_format = value;
  }
  else if (key == "metrics-auth") {
    if (value == "none") c.metrics_auth = false;
    else if (value == "credential") c.metrics_auth = true;
    else return make_error(Errc::config_error, "metrics-auth must be none or credential: " + value);
  }
  else return make_error(Errc::config_error, "unknown setting " + key);
  return ok_status();
}

bool is_switch(const std::string& key) { return key == "insecure-http"; }

}  // namespace

std::string Config::database_url() const { return database.empty() ? "sqlite:" + state_dir + "/paw.db" : database; }
std::string Config::cert_path() const { return tls_cert.empty() ? state_dir + "/tls/cert.pem" : tls_cert; }
std::string Config::key_path() const { return tls_key.empty() ? state_dir + "/tls/key.pem" : tls_key; }

Status parse_config_text(const std::string& text, Config& cfg) {
  PAW_TRY(auto lines, parse_config_lines(text, "config"));
  for (const auto& l : lines) {
    auto st = apply(cfg, l.name, l.value);
    if (!st.ok()) return make_error(Errc::config_error, "config:" + std::to_string(l.line) + ": " + st.error().detail);
  }
  return ok_status();
}

Result<Config> load_config(const std::vector<std::string>& args) {
  Config cfg;
  std::vector<std::pair<std::string, std::string>> flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (w.rfind("--", 0) != 0) return make_error(Errc::config_error, "unexpected argument " + w);
    std::string key = w.substr(2), value;
    if (const auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else if (is_switch(key)) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return make_error(Errc::config_error, "--" + key + " needs a value");
    }
    flags.emplace_back(key, value);
  }
  for (const auto& [k, v] : flags) {
    if (k != "config") continue;
    PAW_TRY(Bytes text, read_file(v, 1u << 20));
    PAW_CHECK(parse_config_text(std::string(text.begin(), text.end()), cfg));
  }
  // Flags override the file; a repeated --webhook (--trusted-proxy) on the
  // command line replaces the file's list.
  bool webhooks_reset = false, proxies_reset = false;
  for (const auto& [k, v] : flags) {
    if (k == "config") continue;
    if (k == "webhook" && !webhooks_reset) {
      cfg.webhooks.clear();
      webhooks_reset = true;
    }
    if (k == "trusted-proxy" && !proxies_reset) {
      cfg.trusted_proxies.clear();
      proxies_reset = true;
    }
    PAW_CHECK(apply(cfg, k, v));
  }
  if (cfg.state_dir.empty()) return make_error(Errc::config_error, "--state DIR is required");
  if (cfg.issuer.empty()) cfg.issuer = "paw-verifier";
  if (cfg.audience.empty()) cfg.audience = cfg.issuer;
  // The console's WebAuthn rpId is --rp-id: it must fit the page's origin (docs/console.md).
  if (!cfg.console_origin.empty()) PAW_CHECK(check_console_origin(cfg.console_origin, cfg.rp_id));
  return cfg;
}

}  // namespace paw::verifier
