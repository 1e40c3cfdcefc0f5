// paw-agent run: the daemon. Attests at start, then every interval (±10 %
// jitter) and on SIGUSR1; after a failure it retries with capped exponential
// back-off; keeps the token file current; SIGHUP reloads the settings;
// SIGTERM/SIGINT stop it. One thread: signals are taken with sigtimedwait.
#include <malloc.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <iostream>

#include "agent_commands.h"
#include "paw/attest/log.h"
#include "attest_round.h"
#include "notify.h"
#include "schedule.h"
#include "settings.h"

namespace paw::agent {
namespace {

// The daemon's lines go through paw's one log format (paw/attest/log.h:
// --log-level, --log-format text|json, --log-target stderr|syslog).
void log(const std::string& line) { paw::log::info(line); }
void warn(const std::string& line) { paw::log::warning(line); }

std::string reasons_line(const AttestationAnswer& a) {
  std::string out;
  for (const auto& r : a.reasons) out += (out.empty() ? "" : "; ") + r.code + ": " + r.message;
  return out;
}

AttestOutcome one_round(const AgentSettings& s) {
  auto e = load_enrollment(s.state_dir);
  if (!e.ok() || !*e) {
    AttestOutcome o;
    o.failure = e.ok() ? FailureKind::not_enrolled : FailureKind::state;
    o.error = e.ok() ? make_error(Errc::config_error, "not enrolled yet (paw-agent enroll)") : e.error();
    return o;
  }
  return attest_once(s, **e);
}

void log_outcome(const AttestOutcome& o, double next_seconds, int failures) {
  const std::string next = std::to_string(static_cast<long>(std::lround(next_seconds)));
  if (o.failure == FailureKind::gone) {
    paw::log::error("the verifier says this device is revoked or deleted (" + o.error.what() +
        "); token and certificates removed; attesting stopped: enroll again (paw-agent enroll --token TOKEN, "
        "then systemctl restart paw-agent), or SIGUSR1 to try once more");
    return;
  }
  if (o.failure != FailureKind::none) {
    warn("attest failed (" + std::string(failure_kind_name(o.failure)) + "): " + o.error.what() + "; retry " +
        std::to_string(failures) + " in " + next + " s");
    return;
  }
  std::string line = "attest: " + o.answer.verdict;
  if (o.admitted()) line += ", token expires " + format_utc(o.answer.expires_at);
  else line += ": " + reasons_line(o.answer);
  if (!o.fido_note.empty()) line += " (FIDO2 key: " + o.fido_note + ")";
  if (o.admitted()) log(line + "; next in " + next + " s");
  else warn(line + "; next in " + next + " s");
}

}  // namespace

int cmd_run(const std::vector<std::string>& words) {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&set, sig);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    paw::log::error("cannot block signals");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  auto ls = load_settings(words, {});
  if (!ls.ok()) {
    paw::log::error(ls.error().detail);
    return 2;
  }
  AgentSettings s = ls->settings;
  paw::log::configure(s.log);
  log("started: state " + s.state_dir.string() + ", token file " + s.token_file.string() + ", interval " +
      std::to_string(s.interval_seconds) + " s" + (ls->config_file.empty() ? "" : ", config " + ls->config_file));
  // systemd (Type=notify): ready once the settings are loaded; the status
  // line follows each round. With WatchdogSec= the wait between rounds pings
  // at half the interval (a round itself must finish within WatchdogSec).
  notify("READY=1\nSTATUS=attesting");
  const double ping_every = static_cast<double>(watchdog_usec()) / 2e6;
  Schedule schedule;
  for (;;) {
    const AttestOutcome o = one_round(s);
    if (auto st = record_outcome(s, o); !st.ok()) warn(st.error().what());
    // A round's buffers (TLS, JSON, evidence) are freed; hand the heap's free
    // pages back so the daemon idles at its floor between rounds.
    ::malloc_trim(0);
    double wait = schedule.after_round(s, o, now_unix());
    log_outcome(o, wait, schedule.failures());
    const bool idle = wait == kIdle;
    if (idle) {
      notify("WATCHDOG=1\nSTATUS=device revoked or deleted: enroll again");
    } else {
      notify("WATCHDOG=1\nSTATUS=last round: " + (o.failure == FailureKind::none ? o.answer.verdict : "failed") +
             "; next in " + std::to_string(std::lround(wait)) + " s");
    }
    // Sleep until the next round, woken early by a signal; idle: only a signal wakes it.
    bool again = false;
    while (!again) {
      if (idle) wait = ping_every > 0 ? ping_every : 3600.0;
      const double secs = ping_every > 0 ? std::clamp(wait, 0.0, ping_every) : std::max(0.0, wait);
      timespec ts{static_cast<time_t>(secs), static_cast<long>((secs - std::floor(secs)) * 1e9)};
      const auto t0 = std::chrono::steady_clock::now();
      const int sig = sigtimedwait(&set, nullptr, &ts);
      wait -= std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (sig < 0) {
        if (errno == EAGAIN) {
          if (ping_every > 0) notify("WATCHDOG=1");
          again = !idle && wait <= 1e-3;     // time for the next round
        }
        continue;                            // EINTR: keep waiting
      }
      if (sig == SIGTERM || sig == SIGINT) {
        log(std::string("stopping on ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT"));
        notify("STOPPING=1");
        return 0;
      }
      if (sig == SIGUSR1) {
        log("SIGUSR1: attesting now");
        again = true;
      } else if (sig == SIGHUP) {
        auto reloaded = load_settings(words, {});
        if (!reloaded.ok()) {
          warn("SIGHUP: keeping the old settings: " + reloaded.error().detail);
        } else {
          notify("RELOADING=1");
          s = reloaded->settings;
          paw::log::configure(s.log);
          log("SIGHUP: settings reloaded (interval " + std::to_string(s.interval_seconds) + " s); attesting now");
          again = true;
          notify("READY=1");
        }
      }
    }
  }
}

}  // namespace paw::agent
