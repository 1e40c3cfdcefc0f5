// eventlog-bench — how fast paw parses, checks and replays real UEFI event
// logs, next to `tpm2_eventlog` (tpm2-tools, what Keylime runs) on the same
// files in the same run.
//
//   eventlog-bench [--data DIR] [--iterations N] [--tpm2-runs N] [--no-tpm2]
//
// paw's time per log is parse_event_log + check_event_data + replay_event_log
// over the bytes in memory, averaged over N iterations. tpm2_eventlog's time is
// one process run with stdout to /dev/null (it parses, prints YAML and
// replays), the best of R runs. Both are CPU time (this thread's; the child's
// user+sys from wait4), because wall time on a shared 2-core box measures the
// neighbours; the wall-clock ratio is printed as well. Logs tpm2_eventlog fails on are listed and left
// out of the ratio. Allocations are counted by replacing operator new.
// GCC cannot see that operator new below is malloc-based and flags every delete.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <ctime>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "paw/attest/cli.h"
#include "paw/attest/eventlog.h"

extern char** environ;

namespace {

std::atomic<std::size_t> g_allocations{0};

}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using Clock = std::chrono::steady_clock;

// Every real log in tests/data that is meant to parse.
constexpr const char* kLogs[] = {
    "go-tpm-tools/internal/test/eventlogs/arch-linux-workstation.bin",
    "go-tpm-tools/internal/test/eventlogs/confidential-gke-debug-251000_eventlog.bin",
    "go-tpm-tools/internal/test/eventlogs/cos-101-amd-sev.bin",
    "go-tpm-tools/internal/test/eventlogs/cos-85-amd-sev.bin",
    "go-tpm-tools/internal/test/eventlogs/cos-93-amd-sev.bin",
    "go-tpm-tools/internal/test/eventlogs/debian-10.bin",
    "go-tpm-tools/internal/test/eventlogs/eventlogwithsp800155.bin",
    "go-tpm-tools/internal/test/eventlogs/gdc-host.bin",
    "go-tpm-tools/internal/test/eventlogs/glinux-alex.bin",
    "go-tpm-tools/internal/test/eventlogs/rhel8-uefi.bin",
    "go-tpm-tools/internal/test/eventlogs/ubuntu-1804-amd-sev.bin",
    "go-tpm-tools/internal/test/eventlogs/ubuntu-2104-no-dbx.bin",
    "go-tpm-tools/internal/test/eventlogs/ubuntu-2104-no-secure-boot.bin",
    "go-tpm-tools/internal/test/eventlogs/ubuntu-2404-amd-sevsnp.bin",
    "go-tpm-tools/decoded/gce-cos-85-no-nonce.eventlog.bin",
    "go-tpm-tools/decoded/gce-cos-85-nonce9009.eventlog.bin",
    "keylime/test/data/create-mb-policy/binary_bios_measurements",
    "keylime/test/data/create-mb-policy/binary_bios_measurements-secureboot",
    "keylime/derived/mb_log.bin",
    "tpm2-tools/test/integration/fixtures/event-arch-linux.bin",
    "tpm2-tools/test/integration/fixtures/event-bootorder.bin",
    "tpm2-tools/test/integration/fixtures/event-gce-ubuntu-2104-log.bin",
    "tpm2-tools/test/integration/fixtures/event-moklisttrusted.bin",
    "tpm2-tools/test/integration/fixtures/event-postcode.bin",
    "tpm2-tools/test/integration/fixtures/event-sd-boot-fedora37.bin",
    "tpm2-tools/test/integration/fixtures/event-uefi-sha1-log.bin",
    "tpm2-tools/test/integration/fixtures/event-uefiaction.bin",
    "tpm2-tools/test/integration/fixtures/event-uefiservices.bin",
    "tpm2-tools/test/integration/fixtures/event-uefivar.bin",
    "tpm2-tools/test/integration/fixtures/event.bin",
    "go-attestation/attest/testdata/coreos_36_shielded_vm_no_secure_boot_eventlog",
    "go-attestation/attest/testdata/crypto_agile_eventlog",
    "go-attestation/attest/testdata/ebs_event_missing_eventlog",
    "go-attestation/attest/testdata/option_rom_eventlog",
    "go-attestation/attest/testdata/sb_cert_eventlog",
    "go-attestation/attest/testdata/short_no_action_eventlog",
    "go-attestation/attest/testdata/ubuntu_2104_shielded_vm_no_secure_boot_eventlog",
};

struct Row {
  std::string name;
  std::size_t bytes = 0, events = 0;
  double paw_us = 0;       // parse + check (every bank) + replay, CPU
  std::size_t parse_allocs = 0, total_allocs = 0;
  double paw_wall_us = 0;  // the same, wall clock
  double paw_pr_us = 0;    // parse + replay, CPU
  double paw_q_us = 0;     // parse + check (SHA-256, else the first bank) + replay, CPU
  double tpm2_us = -1;  // CPU; < 0: not run or failed
  double tpm2_wall_us = -1;
  std::string tpm2_note;
};

// run_tpm2_eventlog runs `tpm2_eventlog FILE` once, output to /dev/null;
// returns microseconds, or -1 if it did not exit 0 (|note| says how).
double run_tpm2_eventlog(const std::string& file, std::string& note, double& wall_us) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::string prog = "tpm2_eventlog";
  std::vector<char*> argv = {prog.data(), const_cast<char*>(file.c_str()), nullptr};
  const auto start = Clock::now();
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, prog.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    note = "cannot start tpm2_eventlog";
    return -1;
  }
  int status = 0;
  struct rusage ru {};
  while (wait4(pid, &status, 0, &ru) < 0) {
  }
  wall_us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  const double us = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
                    static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  if (WIFSIGNALED(status)) {
    note = "crashed (signal " + std::to_string(WTERMSIG(status)) + ")";
    return -1;
  }
  if (WEXITSTATUS(status) != 0) {
    note = "refused (exit " + std::to_string(WEXITSTATUS(status)) + ")";
    return -1;
  }
  return us;
}

double thread_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

bool bench_paw(const paw::Bytes& bytes, int iterations, Row& row) {
  // One pass to validate and count allocations.
  std::size_t before = g_allocations.load();
  auto log = paw::parse_event_log(bytes);
  if (!log.ok()) {
    std::cerr << row.name << ": " << log.error().what() << "\n";
    return false;
  }
  row.parse_allocs = g_allocations.load() - before;
  row.events = log->events().size();
  before = g_allocations.load();
  (void)paw::check_event_data(*log);  // a tampered log is timed like any other
  auto pcrs = paw::replay_event_log(*log);
  row.total_allocs = row.parse_allocs + (g_allocations.load() - before);
  if (!pcrs.ok()) return false;
  std::size_t sink = 0;
  const auto start = Clock::now();
  const double cpu_start = thread_cpu_us();
  for (int i = 0; i < iterations; ++i) {
    auto l = paw::parse_event_log(bytes);
    const bool checked = paw::check_event_data(*l).ok();
    auto p = paw::replay_event_log(*l);
    sink += p->size() + (checked ? 1 : 0);
  }
  row.paw_us = (thread_cpu_us() - cpu_start) / iterations;
  row.paw_wall_us = std::chrono::duration<double, std::micro>(Clock::now() - start).count() / iterations;
  double t = thread_cpu_us();
  for (int i = 0; i < iterations; ++i) {
    auto l = paw::parse_event_log(bytes);
    auto p = paw::replay_event_log(*l);
    sink += p->size();
  }
  row.paw_pr_us = (thread_cpu_us() - t) / iterations;
  const auto banks = log->banks();
  const std::vector<paw::HashAlg> quoted = {
      std::find(banks.begin(), banks.end(), paw::HashAlg::sha256) != banks.end() ? paw::HashAlg::sha256 : banks.front()};
  t = thread_cpu_us();
  for (int i = 0; i < iterations; ++i) {
    auto l = paw::parse_event_log(bytes);
    const bool checked = paw::check_event_data(*l, quoted).ok();
    auto p = paw::replay_event_log(*l);
    sink += p->size() + (checked ? 1 : 0);
  }
  row.paw_q_us = (thread_cpu_us() - t) / iterations;
  return sink > 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = paw::Args::parse(std::vector<std::string>(argv + 1, argv + argc), {"data", "iterations", "tpm2-runs"},
                               {"no-tpm2"});
  if (!args.ok() || !args->positional().empty()) {
    std::cerr << "usage: eventlog-bench [--data DIR] [--iterations N] [--tpm2-runs N] [--no-tpm2]\n";
    return 2;
  }
  const char* env = std::getenv("PAW_TEST_DATA_DIR");
  const std::string data = args->get_or("data", env != nullptr && *env != '\0' ? env : PAW_DEFAULT_DATA_DIR);
  const int iterations = std::max(1, std::atoi(args->get_or("iterations", "2000").c_str()));
  const int tpm2_runs = std::max(1, std::atoi(args->get_or("tpm2-runs", "3").c_str()));
  const bool tpm2 = !args->has("no-tpm2");

  std::vector<Row> rows;
  for (const char* rel : kLogs) {
    Row row;
    row.name = rel;
    auto bytes = paw::read_file(data + "/" + rel);
    if (!bytes.ok()) {
      std::cerr << rel << ": " << bytes.error().what() << "\n";
      return 1;
    }
    row.bytes = bytes->size();
    if (!bench_paw(*bytes, iterations, row)) return 1;
    if (tpm2) {
      double best = -1, best_wall = -1;
      for (int i = 0; i < tpm2_runs; ++i) {
        double wall = 0;
        const double us = run_tpm2_eventlog(data + "/" + rel, row.tpm2_note, wall);
        if (us < 0) {
          best = -1;
          break;
        }
        best = best < 0 ? us : std::min(best, us);
        best_wall = best_wall < 0 ? wall : std::min(best_wall, wall);
      }
      row.tpm2_us = best;
      row.tpm2_wall_us = best_wall;
    }
    rows.push_back(row);
  }

  std::printf("%-56s %6s %4s %7s %7s %7s %4s %4s %8s %7s %7s\n", "log (CPU microseconds per log)", "bytes", "evts",
              "paw_pr", "paw_q", "paw_all", "aP", "aR", "tpm2", "x_pr", "x_all");
  std::vector<double> ratios, wall_ratios, pr_ratios, q_ratios;
  std::vector<std::string> skipped;
  double paw_total = 0;
  for (const Row& r : rows) {
    paw_total += r.paw_us;
    std::string name = r.name.size() > 56 ? ".." + r.name.substr(r.name.size() - 54) : r.name;
    if (r.tpm2_us > 0) {
      const double ratio = r.tpm2_us / r.paw_us;
      ratios.push_back(ratio);
      pr_ratios.push_back(r.tpm2_us / r.paw_pr_us);
      q_ratios.push_back(r.tpm2_us / r.paw_q_us);
      wall_ratios.push_back(r.tpm2_wall_us / r.paw_wall_us);
      std::printf("%-56s %6zu %4zu %7.1f %7.1f %7.1f %4zu %4zu %8.0f %6.0fx %6.0fx\n", name.c_str(), r.bytes, r.events,
                  r.paw_pr_us, r.paw_q_us, r.paw_us, r.parse_allocs, r.total_allocs, r.tpm2_us, r.tpm2_us / r.paw_pr_us,
                  ratio);
    } else {
      std::printf("%-56s %6zu %4zu %7.1f %7.1f %7.1f %4zu %4zu %s\n", name.c_str(), r.bytes, r.events, r.paw_pr_us,
                  r.paw_q_us, r.paw_us, r.parse_allocs, r.total_allocs, tpm2 ? r.tpm2_note.c_str() : "-");
      if (tpm2) skipped.push_back(r.name + ": tpm2_eventlog " + r.tpm2_note);
    }
  }
  std::printf("\npaw_pr = parse + replay (every bank); paw_q = parse + check_event_data(SHA-256, the bank a quote pins)"
              " + replay;\npaw_all = parse + check_event_data(every bank) + replay; %d iterations each, mean paw_all"
              " %.1f us over %zu logs\n",
              iterations, paw_total / static_cast<double>(rows.size()), rows.size());
  std::printf("aP = allocations to parse one log (independent of its event count); aR = parse+check+replay\n");
  auto summary = [](const char* what, std::vector<double> v) {
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    double log_sum = 0;
    for (double r : v) log_sum += std::log(r);
    std::printf("tpm2_eventlog / paw (%s) on %zu logs: min %.0fx, median %.0fx, geometric mean %.0fx\n", what, v.size(),
                v.front(), v[v.size() / 2], std::exp(log_sum / static_cast<double>(v.size())));
  };
  summary("CPU, parse+replay", pr_ratios);
  summary("CPU, parse+check SHA-256+replay", q_ratios);
  summary("CPU, parse+check all banks+replay", ratios);
  summary("wall, parse+check all banks+replay", wall_ratios);
  for (const auto& s : skipped) std::printf("skipped in the ratio: %s\n", s.c_str());
  return 0;
}
