// paw-bench — load generator for paw-verifier.
//
//   paw-bench ca   --dir DIR      make a test CA (DIR/ek-ca.pem, DIR/ek-ca.key) for EKs and
//                                 FIDO2 attestation; start the verifier with
//                                 --ek-ca-dir DIR --fido-ca-dir DIR
//   paw-bench run  --verifier https://HOST:PORT --ca-file TLS.pem --credential-file ADMIN
//                  --ek-ca-dir DIR [--devices N] [--threads K] [--seconds S] [--crypto-seconds S]
//   paw-bench self --verifier-bin PATH [--devices N] [--threads K] [--seconds S] [--crypto-seconds S]
//                  [--state-dir DIR] [--no-pin]
//                                 init + start a private verifier (free port, TLS, temp
//                                 state, rate limits lifted), run, stop it
//
// Simulated workstations hold software AK, EK (with a certificate from the test
// CA) and FIDO2 keys and send genuine TPM 2.0 and FIDO2 structures; the
// verifier cannot tell them from real ones. After enrolling N devices, K
// client threads run full attestations (challenge + attestation) for S
// seconds; then the verifier's per-attestation cryptography runs in a tight
// loop (the bound; before and after the load phase, averaged), and the ratio
// is printed.
//
// Same cores: the bound must be measured on the cores the verifier runs on.
// `self` on a machine with 2+ CPUs splits it: the verifier is pinned to the
// first half of the CPUs, the load generator (simulated workstations, which
// sign and speak TLS) to the other half, and the bound runs one thread per
// verifier CPU, pinned to them — so the load generator's signing does not
// count against the verifier, as it would not in production where
// workstations are other machines. `--no-pin` shares all CPUs instead (the
// bound then runs one thread per CPU). `run` (verifier elsewhere) measures
// the bound on this machine, one thread per CPU: run it on a machine like
// the verifier's.
#include <Poco/Net/ServerSocket.h>
#include <Poco/Process.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "bench.h"
#include "paw/attest/cli.h"

namespace fs = std::filesystem;
using namespace paw;
using namespace paw::bench;

namespace {

struct Options {
  std::size_t devices = 32;
  std::size_t threads = 8;  // enough concurrent clients to keep one verifier core busy and fill commit batches
  double seconds = 10;
  double crypto_seconds = 5;
  std::vector<int> server_cpus;  // the verifier's CPUs (bound pinned there); empty: not pinned
  std::vector<int> client_cpus;  // the load generator's CPUs
};

std::string cpu_list(const std::vector<int>& cpus) {
  std::string out;
  for (int c : cpus) out += (out.empty() ? "" : ",") + std::to_string(c);
  return out.empty() ? "all" : out;
}

Result<Options> common(const Args& a) {
  Options o;
  try {
    o.devices = std::stoul(a.get_or("devices", "32"));
    o.threads = std::stoul(a.get_or("threads", "8"));
    o.seconds = std::stod(a.get_or("seconds", "10"));
    o.crypto_seconds = std::stod(a.get_or("crypto-seconds", "5"));
  } catch (const std::exception&) {
    return make_error(Errc::config_error, "--devices/--threads/--seconds/--crypto-seconds must be numbers");
  }
  if (o.threads == 0 || o.threads > 256 || o.devices == 0 || o.devices > 100000 || o.seconds <= 0) {
    return make_error(Errc::config_error, "need 1..256 threads, 1..100000 devices, seconds > 0");
  }
  o.devices = std::max(o.devices, o.threads);
  return o;
}

Result<std::string> read_credential(const std::string& path) {
  PAW_TRY(Bytes data, read_file(path, 4096));
  std::string v(data.begin(), data.end());
  const std::string prefix = "admin credential:";
  if (auto p = v.find(prefix); p != std::string::npos) v = v.substr(p + prefix.size());
  v.erase(0, v.find_first_not_of(" \t\r\n"));
  v.erase(v.find_last_not_of(" \t\r\n") + 1);
  if (v.empty()) return make_error(Errc::config_error, "empty admin credential in " + path);
  return v;
}

// cpu_of reads a process's CPU time, or -1 when there is no process to read.
double cpu_of(int pid) {
  if (pid <= 0) return -1;
  auto c = process_cpu_seconds(pid);
  return c.ok() ? *c : -1;
}

// |verifier_pid| (self: the verifier it started; 0 otherwise) lets the run
// account for the verifier's CPU per attestation and per lightest request.
int bench(const Target& target, const std::string& admin, const std::string& ek_ca_dir, const Options& o,
          int verifier_pid = 0) {
  auto fleet = load_fleet(ek_ca_dir);
  if (!fleet.ok()) {
    std::cerr << "paw-bench: " << fleet.error().what() << "\n";
    return 1;
  }
  std::printf("paw-bench: %zu devices, %zu client threads, %.0f s of attestations, %u cores\n", o.devices, o.threads,
              o.seconds, std::thread::hardware_concurrency());
  // The bound runs one thread per verifier CPU when the machine is split, else
  // one per CPU: more threads than cores would only add lock contention in
  // OpenSSL and understate it.
  const std::size_t bound_threads =
      o.server_cpus.empty() ? std::max(1u, std::thread::hardware_concurrency()) : o.server_cpus.size();
  if (!o.server_cpus.empty()) {
    std::printf("            verifier pinned to CPU %s, load generator to CPU %s, bound: %zu thread(s) on CPU %s\n",
                cpu_list(o.server_cpus).c_str(), cpu_list(o.client_cpus).c_str(), bound_threads,
                cpu_list(o.server_cpus).c_str());
  }
  Stats enroll;
  auto devices = enroll_devices(target, admin, *fleet, o.devices, o.threads, enroll);
  print_stats("enrollment", enroll);
  if (!devices.ok()) {
    std::cerr << "paw-bench: " << devices.error().what() << "\n";
    return 1;
  }
  // The machine is shared: measure the bound before and after the load phase
  // and compare with their mean, so a load change in between shows up.
  auto before = crypto_bound(*fleet, "paw.example", bound_threads, o.crypto_seconds / 2, o.server_cpus);
  if (!before.ok()) {
    std::cerr << "paw-bench: " << before.error().what() << "\n";
    return 1;
  }
  const double vcpu0 = cpu_of(verifier_pid);
  const Stats att = attest_loop(target, *devices, o.threads, o.seconds);
  const double vcpu1 = cpu_of(verifier_pid);
  print_stats("attestation", att);
  const double service_rate = att.seconds > 0 ? static_cast<double>(att.ok) / att.seconds : 0;
  std::printf("             client (simulated TPM + FIDO2 signing, HTTPS) used %.2f CPU s = %.0f%% of one core\n",
              att.client_cpu_seconds, 100.0 * att.client_cpu_seconds / att.seconds);
  auto after = crypto_bound(*fleet, "paw.example", bound_threads, o.crypto_seconds / 2, o.server_cpus);
  if (!after.ok()) {
    std::cerr << "paw-bench: " << after.error().what() << "\n";
    return 1;
  }
  std::printf("             crypto-only bound before %.1f /s, after %.1f /s\n", before->crypto, after->crypto);
  Bounds mean{(before->crypto + after->crypto) / 2, (before->pipeline + after->pipeline) / 2};
  const Bounds* bound = &mean;
  std::printf("crypto-only  %8.1f /s  (SHA-256 body, ECDSA quote verify, FIDO2 ES256 verify, ES256 token sign; %zu threads, CPU %s)\n",
              bound->crypto, bound_threads, cpu_list(o.server_cpus).c_str());
  std::printf("pipeline     %8.1f /s  (appraise() + token, no HTTP/storage; %zu threads)\n", bound->pipeline, bound_threads);
  std::printf("ratio        %5.1f%% of the crypto-only bound (goal >= 60%%); pipeline %.1f%% of it\n",
              100.0 * service_rate / bound->crypto, 100.0 * bound->pipeline / bound->crypto);
  if (vcpu0 >= 0 && vcpu1 > vcpu0 && att.ok > 0) {
    // Where the verifier's CPU goes, per attestation (one challenge + one
    // evidence request), against the same work measured apart on its cores.
    const double floor_cpu0 = cpu_of(verifier_pid);
    const Stats fl = floor_loop(target, o.threads, 2.0);
    const double floor_cpu1 = cpu_of(verifier_pid);
    const double per_att = 1e6 * (vcpu1 - vcpu0) / static_cast<double>(att.ok);
    const double crypto_us = 1e6 * static_cast<double>(bound_threads) / bound->crypto;
    const double pipeline_us = 1e6 * static_cast<double>(bound_threads) / bound->pipeline;
    std::printf("verifier CPU %6.0f us per attestation (%.2f CPUs busy)\n", per_att, (vcpu1 - vcpu0) / att.seconds);
    std::printf("             crypto (the bound) %.0f us; appraise() + token (pipeline) %.0f us\n", crypto_us, pipeline_us);
    if (fl.ok > 0 && fl.errors == 0 && floor_cpu1 > floor_cpu0) {
      const double per_req = 1e6 * (floor_cpu1 - floor_cpu0) / static_cast<double>(fl.ok);
      const double rest = per_att - pipeline_us - 2 * per_req;
      std::printf("             lightest HTTPS request (GET /healthz, %.0f /s) %.0f us, x2 per attestation = %.0f us\n",
                  static_cast<double>(fl.ok) / fl.seconds, per_req, 2 * per_req);
      std::printf("             the rest (evidence JSON, storage, records, answers) %.0f us\n", rest);
      std::printf("ceiling      %5.1f%% of the bound for a verifier that did only the pipeline and two lightest requests\n",
                  100.0 * crypto_us / (pipeline_us + 2 * per_req));
    } else {
      std::printf("             (lightest-request floor not measured: %s)\n",
                  fl.first_error.empty() ? "no CPU time seen" : fl.first_error.c_str());
    }
  }
  const bool ok = att.errors == 0 && att.ok > 0 && att.unhealthy == 0 && enroll.errors == 0;
  if (!ok) std::printf("paw-bench: FAILED (errors or unhealthy verdicts above)\n");
  return ok ? 0 : 2;
}

int cmd_run(const std::vector<std::string>& words) {
  auto a = Args::parse(words, {"verifier", "ca-file", "credential-file", "ek-ca-dir", "devices", "threads", "seconds",
                               "crypto-seconds"});
  if (!a.ok()) return std::cerr << "paw-bench: " << a.error().what() << "\n", 64;
  auto o = common(*a);
  auto target = parse_target(a->get_or("verifier", ""), a->get_or("ca-file", ""));
  auto cred = read_credential(a->get_or("credential-file", ""));
  if (!o.ok() || !target.ok() || !cred.ok() || !a->has("ek-ca-dir")) {
    std::cerr << "paw-bench run: " << (!o.ok() ? o.error().what() : !target.ok() ? target.error().what()
                                       : !cred.ok() ? cred.error().what() : std::string("--ek-ca-dir is required"))
              << "\n";
    return 64;
  }
  return bench(*target, *cred, *a->get("ek-ca-dir"), *o);
}

std::uint16_t free_port() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  return s.address().port();
}

int cmd_self(const std::vector<std::string>& words) {
  auto a = Args::parse(words, {"verifier-bin", "devices", "threads", "seconds", "crypto-seconds", "keep", "state-dir"},
                       {"no-pin"});
  if (!a.ok()) return std::cerr << "paw-bench: " << a.error().what() << "\n", 64;
  auto o = common(*a);
  if (!o.ok() || !a->has("verifier-bin")) {
    std::cerr << "paw-bench self: " << (o.ok() ? "--verifier-bin is required" : o.error().what()) << "\n";
    return 64;
  }
  const std::string bin = *a->get("verifier-bin");
  // --state-dir picks the disk under test (default: the temp folder, $TMPDIR).
  const fs::path base = a->has("state-dir") ? fs::path(*a->get("state-dir")) : fs::temp_directory_path();
  const fs::path dir = a->has("keep") ? fs::path(*a->get("keep")) : base / ("paw-bench-" + std::to_string(::getpid()));
  Options opts = *o;
  const int ncpu = static_cast<int>(std::thread::hardware_concurrency());
  if (!a->has("no-pin") && ncpu >= 2) {
    for (int c = 0; c < ncpu; ++c) (c < ncpu / 2 ? opts.server_cpus : opts.client_cpus).push_back(c);
  }
  fs::create_directories(dir);
  if (auto s = write_ca((dir / "ek-ca").string()); !s.ok()) return std::cerr << s.error().what() << "\n", 1;
  const std::string init = "'" + bin + "' init --state '" + (dir / "state").string() + "' > '" +
                           (dir / "init.txt").string() + "' 2>&1";
  if (std::system(init.c_str()) != 0) {
    std::cerr << "paw-bench: paw-verifier init failed; see " << (dir / "init.txt") << "\n";
    return 1;
  }
  auto cred = read_credential((dir / "init.txt").string());
  if (!cred.ok()) return std::cerr << cred.error().what() << "\n", 1;
  const std::uint16_t port = free_port();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  const std::string run = "exec '" + bin + "' run --state '" + (dir / "state").string() + "' --listen " + listen +
                          " --ek-ca-dir '" + (dir / "ek-ca").string() + "' --fido-ca-dir '" +
                          (dir / "ek-ca").string() + "' --rate-per-address 1000000 --rate-per-device 1000000 > '" +
                          (dir / "verifier.log").string() + "' 2>&1";
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!pin_to(opts.server_cpus).ok()) ::_exit(126);
    ::execl("/bin/sh", "sh", "-c", run.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // The load generator (this process and every thread it starts) on the other half.
  if (auto p = pin_to(opts.client_cpus); !p.ok()) std::cerr << "paw-bench: " << p.error().what() << "\n";
  auto target = parse_target("https://" + listen, (dir / "state" / "tls" / "cert.pem").string());
  int rc = 1;
  if (target.ok()) {
    Client probe(*target);
    bool up = false;
    for (int i = 0; i < 300 && !up; ++i) {
      auto r = probe.call("GET", "/healthz", "");
      up = r.ok() && r->status == 200;
      if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (up) {
      rc = bench(*target, *cred, (dir / "ek-ca").string(), opts, static_cast<int>(pid));
    } else {
      std::cerr << "paw-bench: the verifier did not come up; see " << (dir / "verifier.log") << "\n";
    }
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!a->has("keep")) fs::remove_all(dir);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "help" || words[0] == "--help") {
    std::cout << "usage: paw-bench ca --dir DIR\n"
                 "       paw-bench run --verifier https://HOST:PORT --ca-file TLS.pem --credential-file ADMIN\n"
                 "                     --ek-ca-dir DIR [--devices N] [--threads K] [--seconds S] [--crypto-seconds S]\n"
                 "       paw-bench self --verifier-bin PATH [--devices N] [--threads K] [--seconds S]\n"
                 "                     [--crypto-seconds S] [--keep DIR] [--state-dir DIR] [--no-pin]\n";
    return words.empty() ? 64 : 0;
  }
  const std::string cmd = words[0];
  words.erase(words.begin());
  if (cmd == "ca") {
    auto a = Args::parse(words, {"dir"});
    if (!a.ok() || !a->has("dir")) return std::cerr << "paw-bench ca --dir DIR\n", 64;
    auto s = write_ca(*a->get("dir"));
    if (!s.ok()) return std::cerr << "paw-bench: " << s.error().what() << "\n", 1;
    std::cout << "EK CA written to " << *a->get("dir") << "; start paw-verifier with --ek-ca-dir " << *a->get("dir")
              << "\n";
    return 0;
  }
  if (cmd == "run") return cmd_run(words);
  if (cmd == "self") return cmd_self(words);
  std::cerr << "paw-bench: unknown command " << cmd << " (see paw-bench help)\n";
  return 64;
}
