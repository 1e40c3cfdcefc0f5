#include "cli.h"

#include <signal.h>
#include <systemd/sd-daemon.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "config.h"
#include "paw/attest/cli.h"
#include "paw/version.h"
#include "service.h"
#include "state.h"
#include "util.h"

namespace paw::verifier {
namespace {

constexpr const char* kInitUsage =
    "init --state DIR [--database URL] [--tls-cert PEM --tls-key PEM] [--tls-dns NAME]";
constexpr const char* kRunUsage =
    "run --state DIR [--config FILE] [--listen ADDR:PORT] [--insecure-http]\n"
    "                        [--database sqlite:PATH] [--tls-cert PEM] [--tls-key PEM] [--ek-ca-dir DIR]\n"
    "                        [--fido-ca-dir DIR]\n"
    "                        [--rp-id NAME] [--issuer NAME] [--audience NAME] [--dpop-window S]\n"
    "                        [--webhook URL]... [--threads N]\n"
    "                        [--max-connections N] [--max-connections-per-address N]\n"
    "                        [--challenge-ttl S] [--enrollment-ttl S] [--rate-per-address N]\n"
    "                        [--rate-per-device N] [--monitor-interval S] [--key-overlap S]\n"
    "                        [--trusted-proxy ADDR[/BITS]]... [--event-retention-days N]\n"
    "                        [--log-level debug|info|warning|error] [--log-format text|json]\n"
    "                        [--log-target stderr|syslog]\n"
    "                        [--admin-session-ttl S] [--console-origin https://HOST[:PORT]]\n"
    "                        [--metrics-auth none|credential]\n"
    "                        [--events-file PATH] [--events-syslog udp://HOST:PORT|unix:/PATH]\n"
    "                        [--events-syslog-facility NAME] [--events-syslog-max BYTES]\n"
    "                        [--events-syslog-format auto|rfc5424|local]";
constexpr const char* kAdminCredentialUsage =
    "admin-credential --state DIR [--database URL] [--label TEXT] [--expire 90d]\n"
    "                        [--scope read|devices|policy|full]";

int fail(const Error& e) {
  std::cerr << "paw-verifier: " << e.what() << "\n";
  return e.code == Errc::config_error ? 2 : 1;
}

int cmd_init(const std::vector<std::string>& words) {
  auto args = Args::parse(words, {"state", "database", "tls-cert", "tls-key", "tls-dns"});
  if (!args.ok()) return fail(args.error());
  InitOptions o{args->get_or("state", ""), args->get_or("database", ""), args->get_or("tls-cert", ""),
                args->get_or("tls-key", ""), args->get_or("tls-dns", "")};
  auto cred = init_state(o);
  if (!cred.ok()) return fail(cred.error());
  std::cout << "initialized " << o.state_dir << "\n"
            << "store this admin credential now; it is shown only once:\n"
            << "admin credential: " << *cred << std::endl;
  return 0;
}

int cmd_admin_credential(const std::vector<std::string>& words) {
  auto args = Args::parse(words, {"state", "database", "label", "expire", "scope"});
  if (!args.ok()) return fail(args.error());
  const auto scope = admin_scope_from_name(args->get_or("scope", "full"));
  if (!scope) return fail(make_error(Errc::config_error, "--scope must be read, devices, policy or full"));
  const std::string state = args->get_or("state", "");
  if (state.empty()) return fail(make_error(Errc::config_error, "--state DIR is required"));
  std::int64_t expire = 0;
  if (auto e = args->get("expire")) {
    auto d = parse_duration(*e);
    if (!d.ok()) return fail(d.error());
    expire = *d;
  }
  auto cred = create_admin_credential(args->get_or("database", "sqlite:" + state + "/paw.db"), args->get_or("label", ""),
                                      expire, *scope);
  if (!cred.ok()) return fail(cred.error());
  std::cout << "admin credential: " << *cred << std::endl;
  return 0;
}

int cmd_run(const std::vector<std::string>& words) {
  // Block the termination signals before any thread starts; the main thread
  // waits for them with sigwait and then drains.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  auto cfg = load_config(words);
  if (!cfg.ok()) return fail(cfg.error());
  log::configure(cfg->log);
  auto svc = Service::create(*cfg);
  if (!svc.ok()) return fail(svc.error());
  if (auto st = (*svc)->start(); !st.ok()) return fail(st.error());
  std::cout << "listening on " << (*svc)->url() << std::endl;
  // systemd (Type=notify): ready once the port answers; with WatchdogSec=
  // the main thread pings at half the interval while the connection edge
  // keeps going round its loop, so a wedged edge gets the unit restarted.
  sd_notifyf(0, "READY=1\nSTATUS=listening on %s", (*svc)->url().c_str());
  std::uint64_t watchdog_usec = 0;
  const bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0;
  const auto half = std::chrono::microseconds(watchdog ? watchdog_usec / 2 : 0);
  int sig = 0;
  for (;;) {
    if (!watchdog) {
      sigwait(&set, &sig);
      break;
    }
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(half);
    const timespec ts{static_cast<time_t>(secs.count()),
                      static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(half - secs).count())};
    sig = sigtimedwait(&set, nullptr, &ts);
    if (sig > 0) break;
    if ((*svc)->responsive(std::chrono::duration_cast<std::chrono::milliseconds>(half))) {
      sd_notify(0, "WATCHDOG=1");
    } else {
      log_line("error", "the connection edge is not going round its loop: no watchdog ping");
    }
  }
  sd_notify(0, "STOPPING=1\nSTATUS=draining in-flight requests");
  log_line("info", "shutting down: draining in-flight requests", {{"signal", std::to_string(sig)}});
  (*svc)->stop(30);
  log_line("info", "stopped");
  return 0;
}

}  // namespace

int verifier_main(int argc, char** argv) {
  cli::Program p;
  p.name = "paw-verifier";
  p.version = kVersion;
  p.commands = {{"init", kInitUsage, cmd_init},
                {"run", kRunUsage, cmd_run},
                {"admin-credential", kAdminCredentialUsage, cmd_admin_credential}};
  // Where the state is may also stand before the command.
  p.globals_help = "global options (before or after the command): --state DIR, --database URL\n";
  p.global_options = {"state", "database"};
  p.footer = "see docs/verifier.md";
  p.fail = [](const std::string&, const std::string& message, int code, const std::vector<std::string>&) {
    std::cerr << "paw-verifier: " << message << "\n";
    return code;
  };
  return cli::dispatch(p, std::vector<std::string>(argv + 1, argv + argc));
}

}  // namespace paw::verifier
