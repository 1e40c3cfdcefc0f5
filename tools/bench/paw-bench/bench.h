// bench.h — paw-bench's parts: simulated workstations against a running
// verifier, and the crypto-only bound of the same work.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "https_client.h"
#include "soft_device.h"

namespace paw::bench {

// Fleet is the test EK CA (the verifier trusts it through --ek-ca-dir) and the
// FIDO2 attestation CA of the simulated keys.
struct Fleet {
  soft::SoftCa ek_ca;
  soft::SoftCa fido_ca;
};

// write_ca creates a fresh EK CA in |dir| (ek-ca.pem, ek-ca.key); load_fleet reads it back.
Status write_ca(const std::string& dir);
Result<Fleet> load_fleet(const std::string& dir);

// Stats of one phase.
struct Stats {
  std::size_t ok = 0, healthy = 0, unhealthy = 0, errors = 0;
  std::vector<double> latencies_ms;
  double seconds = 0;
  double client_cpu_seconds = 0;
  std::string first_error;
};

// enroll_devices enrolls |n| simulated workstations with |threads| clients:
// token (admin API) → POST /v1/enrollments → ActivateCredential in software →
// POST …/activation (→ approve if pending). Failures are counted and the first named.
Result<std::vector<soft::SoftDevice>> enroll_devices(const Target& target, const std::string& admin_credential,
                                                     const Fleet& fleet, std::size_t n, std::size_t threads,
                                                     Stats& stats);

// attest_loop runs full attestations (challenge + attestation) for |seconds|
// with |threads| clients, each owning every threads-th device.
Stats attest_loop(const Target& target, std::vector<soft::SoftDevice>& devices, std::size_t threads, double seconds);

// floor_loop sends GET /healthz (the lightest request: one indexed read and a
// small JSON answer) over |threads| kept-alive HTTPS connections for
// |seconds|: what one HTTPS request costs the verifier before any work.
Stats floor_loop(const Target& target, std::size_t threads, double seconds);

// process_cpu_seconds is the user + system CPU time process |pid| has used
// so far (/proc/PID/stat; resolution one clock tick).
Result<double> process_cpu_seconds(int pid);

// crypto_bound runs, in a tight loop on |threads| threads for |seconds|, the
// cryptography the verifier does per attestation: SHA-256 of the body, the AK's
// ECDSA quote signature, the FIDO2 assertion (libfido2), and signing the ES256
// result token (|crypto|, iterations per second); then, for half as long, the
// whole pure pipeline appraise() + token signing (|pipeline|), which shows what
// HTTP and storage cost on top.
struct Bounds {
  double crypto = 0;
  double pipeline = 0;
};
// |cpus|, when not empty, pins every loop thread to that CPU set (the
// verifier's cores when paw-bench splits the machine, see `self`).
Result<Bounds> crypto_bound(const Fleet& fleet, const std::string& rp_id, std::size_t threads, double seconds,
                            const std::vector<int>& cpus = {});

// pin_to restricts the calling thread to |cpus| (sched_setaffinity); a
// process started afterwards inherits the set. Empty: no change.
Status pin_to(const std::vector<int>& cpus);

// print_stats writes count, throughput and latency percentiles.
void print_stats(const std::string& name, const Stats& s);

}  // namespace paw::bench
