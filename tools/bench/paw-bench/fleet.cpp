// fleet.cpp — simulated workstations talking to a running paw-verifier exactly
// as paw-agent does (docs/protocol.md).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "bench.h"
#include "paw/attest/json.h"
#include "paw/attest/protocol.h"

namespace paw::bench {
namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

Status write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) return make_error(Errc::io_error, "cannot write " + p.string());
  return ok_status();
}

// expected: the body of a reply with |status|, or the failure naming |what|.
Result<std::string> expected(const Result<Reply>& r, int status, const std::string& what) {
  if (!r.ok()) return r.error();
  if (r->status != status) {
    return make_error(Errc::network_error, what + ": HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 300));
  }
  return r->body;
}

Result<json::ObjectPtr> expect(const Result<Reply>& r, int status, const std::string& what) {
  PAW_TRY(std::string body, expected(r, status, what));
  return json::parse_object(body, protocol::kMaxAnswerSize);
}

Result<soft::SoftDevice> enroll_one(Client& c, const std::string& admin, const std::string& rp, const Fleet& fleet) {
  PAW_TRY(json::ObjectPtr tok, expect(c.call("POST", "/v1/admin/tokens", R"({"ttl_seconds":3600,"label":"paw-bench"})", admin),
                                      201, "token"));
  PAW_TRY(std::string token, json::get_string(tok, "token"));
  PAW_TRY(soft::SoftDevice dev, soft::SoftDevice::create(rp, &fleet.ek_ca, &fleet.fido_ca));
  PAW_CHECK(dev.use_event_log(soft::make_event_log(soft::BootConfig{})));
  PAW_TRY(EnrollmentRequest req, dev.enrollment_request(token));
  PAW_TRY(std::string asked, expected(c.call("POST", "/v1/enrollments", serialize_enrollment_request(req)), 201,
                                      "enrollment"));
  PAW_TRY(const protocol::EnrollmentAnswer chal, protocol::decode_enrollment_answer(asked));
  PAW_TRY(SecretBytes secret, dev.tpm.activate_credential(chal.credential_blob, chal.encrypted_secret));
  const std::string act = protocol::encode(protocol::ActivationRequest{Bytes(secret.view().begin(), secret.view().end())});
  PAW_TRY(std::string activated, expected(c.call("POST", "/v1/enrollments/" + chal.enrollment_id + "/activation", act),
                                          200, "activation"));
  PAW_TRY(const protocol::ActivationAnswer done, protocol::decode_activation_answer(activated));
  dev.device_id = done.device_id;
  if (done.status == "pending") {
    auto r = c.call("POST", "/v1/admin/devices/" + dev.device_id + "/approve", "{}", admin);
    if (!r.ok() || r->status / 100 != 2) return make_error(Errc::network_error, "approve failed");
  }
  return dev;
}

// attest_once: challenge, evidence, attestation. Returns the verdict.
Result<std::string> attest_once(Client& c, soft::SoftDevice& dev) {
  PAW_TRY(std::string asked, expected(c.call("POST", "/v1/challenges",
                                             protocol::encode(protocol::ChallengeRequest{dev.device_id})),
                                      201, "challenge"));
  PAW_TRY(const protocol::Challenge chal, protocol::decode_challenge(asked));
  PAW_TRY(Envelope env, dev.attest(chal.nonce));
  PAW_TRY(std::string judged, expected(c.call("POST", "/v1/attestations", serialize_envelope(env)), 200, "attestation"));
  PAW_TRY(const protocol::AttestationAnswer res, protocol::decode_attestation_answer(judged));
  return res.verdict;
}

}  // namespace

Status write_ca(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(Errc::io_error, "cannot create " + dir + ": " + ec.message());
  PAW_TRY(soft::SoftCa ca, soft::SoftCa::generate("paw-bench EK CA"));
  PAW_CHECK(write_text(std::filesystem::path(dir) / "ek-ca.pem", ca.cert_pem()));
  PAW_CHECK(write_text(std::filesystem::path(dir) / "ek-ca.key", ca.key_pem()));
  std::filesystem::permissions(std::filesystem::path(dir) / "ek-ca.key", std::filesystem::perms::owner_read |
                                                                             std::filesystem::perms::owner_write,
                               ec);
  return ok_status();
}

Result<Fleet> load_fleet(const std::string& dir) {
  PAW_TRY(Bytes cert, read_file((std::filesystem::path(dir) / "ek-ca.pem").string(), 1u << 20));
  PAW_TRY(Bytes key, read_file((std::filesystem::path(dir) / "ek-ca.key").string(), 1u << 20));
  PAW_TRY(soft::SoftCa ek, soft::SoftCa::load(cert, key));
  // The same CA issues the keys' FIDO2 attestation certificates: the
  // verifier trusts it with --fido-ca-dir DIR too (an x5c no root vouches
  // for is self attestation, which the default policy refuses).
  PAW_TRY(soft::SoftCa fido, soft::SoftCa::load(cert, key));
  return Fleet{std::move(ek), std::move(fido)};
}

Result<std::vector<soft::SoftDevice>> enroll_devices(const Target& target, const std::string& admin,
                                                     const Fleet& fleet, std::size_t n, std::size_t threads,
                                                     Stats& stats) {
  Client probe(target);
  PAW_TRY(std::string info_text, expected(probe.call("GET", "/v1/info", ""), 200, "info"));
  PAW_TRY(const protocol::Info info, protocol::decode_info(info_text));
  const std::string& rp = info.rp_id;
  std::vector<std::optional<soft::SoftDevice>> slots(n);
  std::mutex mu;
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      Client c(target);
      for (std::size_t i = next++; i < n; i = next++) {
        const auto t0 = std::chrono::steady_clock::now();
        auto dev = enroll_one(c, admin, rp, fleet);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        std::lock_guard lock(mu);
        if (dev.ok()) {
          ++stats.ok;
          stats.latencies_ms.push_back(ms);
          slots[i] = std::move(dev).value();
        } else {
          ++stats.errors;
          if (stats.first_error.empty()) stats.first_error = dev.error().what();
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<soft::SoftDevice> out;
  for (auto& s : slots) {
    if (s) out.push_back(std::move(*s));
  }
  if (out.empty()) return make_error(Errc::network_error, "no device enrolled: " + stats.first_error);
  return out;
}

namespace {

// drive runs |one|(client, thread, round) on |threads| clients for |seconds|;
// one answers the verdict ("healthy"/"unhealthy"), or "" for a plain success.
template <class F>
Stats drive(const Target& target, std::size_t threads, double seconds, F one) {
  Stats stats;
  std::mutex mu;
  std::atomic<bool> stop{false};
  std::vector<std::thread> pool;
  const double cpu0 = cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      Client c(target);
      Stats mine;
      for (std::size_t round = 0; !stop.load(std::memory_order_relaxed); ++round) {
        const auto t0 = std::chrono::steady_clock::now();
        Result<std::string> r = one(c, t, round);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (r.ok()) {
          ++mine.ok;
          mine.latencies_ms.push_back(ms);
          if (*r == "healthy") ++mine.healthy;
          if (*r == "unhealthy") ++mine.unhealthy;
        } else {
          ++mine.errors;
          if (mine.first_error.empty()) mine.first_error = r.error().what();
        }
      }
      std::lock_guard lock(mu);
      stats.ok += mine.ok;
      stats.healthy += mine.healthy;
      stats.unhealthy += mine.unhealthy;
      stats.errors += mine.errors;
      stats.latencies_ms.insert(stats.latencies_ms.end(), mine.latencies_ms.begin(), mine.latencies_ms.end());
      if (stats.first_error.empty()) stats.first_error = mine.first_error;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats.client_cpu_seconds = cpu_seconds() - cpu0;
  return stats;
}

}  // namespace

Stats attest_loop(const Target& target, std::vector<soft::SoftDevice>& devices, std::size_t threads, double seconds) {
  // Thread t owns devices t, t + threads, …: one appraisal per device at a time.
  const std::size_t owners = std::min(threads, devices.size());
  return drive(target, owners, seconds, [&](Client& c, std::size_t t, std::size_t round) -> Result<std::string> {
    const std::size_t mine = (devices.size() - t + owners - 1) / owners;  // devices of thread t
    return attest_once(c, devices[t + (round % mine) * owners]);
  });
}

Stats floor_loop(const Target& target, std::size_t threads, double seconds) {
  return drive(target, threads, seconds, [](Client& c, std::size_t, std::size_t) -> Result<std::string> {
    PAW_TRY(Reply r, c.call("GET", "/healthz", ""));
    if (r.status != 200) return make_error(Errc::network_error, "GET /healthz answered " + std::to_string(r.status));
    return std::string();
  });
}

Result<double> process_cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (in parentheses, may hold spaces): state is
  // field 3, utime 14, stime 15.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return make_error(Errc::not_found, "no such process: " + std::to_string(pid));
  std::istringstream rest(stat.substr(close + 2));
  std::vector<std::string> f;
  for (std::string w; rest >> w && f.size() < 13;) f.push_back(w);
  if (f.size() < 13) return make_error(Errc::malformed, "unexpected /proc stat of " + std::to_string(pid));
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return (std::stod(f[11]) + std::stod(f[12])) / ticks;
}

void print_stats(const std::string& name, const Stats& s) {
  std::vector<double> l = s.latencies_ms;
  std::sort(l.begin(), l.end());
  auto pct = [&](double p) {
    if (l.empty()) return 0.0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(l.size() - 1) + 0.5);
    return l[std::min(k, l.size() - 1)];
  };
  std::printf("%-12s %6zu ok %4zu errors in %6.2f s = %8.1f /s   latency ms p50 %7.2f  p95 %7.2f  p99 %7.2f\n",
              name.c_str(), s.ok, s.errors, s.seconds, s.seconds > 0 ? static_cast<double>(s.ok) / s.seconds : 0.0,
              pct(0.50), pct(0.95), pct(0.99));
  if (s.healthy + s.unhealthy > 0) std::printf("             verdicts: %zu healthy, %zu unhealthy\n", s.healthy, s.unhealthy);
  if (!s.first_error.empty()) std::printf("             first error: %s\n", s.first_error.c_str());
}

}  // namespace paw::bench
