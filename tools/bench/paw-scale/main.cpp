// paw-scale — scale figures for docs/scale-out.md.
//
//   paw-scale seed --database URL --from DEVICE_ID --devices N [--threads K]
//       copies the enrolled device DEVICE_ID N times (new ids "seed-<i>") into
//       the database (paw/verifier/seed.h: fast, no enrollment protocol)
//   paw-scale health --verifier https://HOST:PORT --ca-file PEM --credential RP
//       --database URL [--threads K] [--seconds S]
//       GET /v1/devices/{id}/health for random devices of the database over
//       keep-alive HTTPS with K threads; prints queries per second.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/URI.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "paw/attest/log.h"
#include "paw/verifier/seed.h"

using namespace paw;
using namespace paw::verifier;

namespace {

std::string arg(const std::vector<std::string>& a, const std::string& name, const std::string& def = "") {
  for (std::size_t i = 0; i + 1 < a.size(); ++i) {
    if (a[i] == "--" + name) return a[i + 1];
  }
  return def;
}

int seed(const std::vector<std::string>& a) {
  auto db = SeedDatabase::open(arg(a, "database"));
  if (!db.ok()) return std::cerr << db.error().what() << "\n", 1;
  if (!(*db)->use_template(arg(a, "from")).ok()) {
    return std::cerr << "no device " << arg(a, "from") << "\n", 1;
  }
  const long n = std::stol(arg(a, "devices", "100000"));
  const long threads = std::stol(arg(a, "threads", "8"));
  std::atomic<long> next{0}, failed{0};
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (long t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (long i = next++; i < n; i = next++) {
        if (!(*db)->add_copy("seed-" + std::to_string(i), "seed").ok()) ++failed;
      }
    });
  }
  for (auto& t : pool) t.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("seeded %ld devices in %.1f s (%.0f/s), %ld failed\n", n, s, static_cast<double>(n) / s, failed.load());
  return failed == 0 ? 0 : 1;
}

int health(const std::vector<std::string>& a) {
  auto db = SeedDatabase::open(arg(a, "database"));
  if (!db.ok()) return std::cerr << db.error().what() << "\n", 1;
  const auto l0 = std::chrono::steady_clock::now();
  auto listed = (*db)->device_ids();
  if (!listed.ok() || listed->empty()) return std::cerr << "no devices\n", 1;
  // The fleet watcher reads the same list every --monitor-interval seconds.
  std::printf("list_devices (what a fleet-watcher pass reads): %zu devices in %.2f s\n", listed->size(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - l0).count());
  const std::vector<std::string> ids = std::move(*listed);
  const Poco::URI uri(arg(a, "verifier"));
  const std::string cred = arg(a, "credential");
  const int threads = std::stoi(arg(a, "threads", "4"));
  const double seconds = std::stod(arg(a, "seconds", "5"));
  Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", arg(a, "ca-file"),
                                                       Poco::Net::Context::VERIFY_RELAXED, 9, false);
  std::atomic<bool> stop{false};
  std::atomic<long> ok{0}, bad{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<unsigned long>(t) * 7919u + 1u);
      std::uniform_int_distribution<std::size_t> pick(0, ids.size() - 1);
      std::unique_ptr<Poco::Net::HTTPSClientSession> s;
      while (!stop) {
        try {
          if (!s) {
            s = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), ctx);
            s->setKeepAlive(true);
          }
          Poco::Net::HTTPRequest req("GET", "/v1/devices/" + ids[pick(rng)] + "/health", "HTTP/1.1");
          req.set("Authorization", "Bearer " + cred);
          req.setKeepAlive(true);
          s->sendRequest(req);
          Poco::Net::HTTPResponse resp;
          std::istream& body = s->receiveResponse(resp);
          std::string sink((std::istreambuf_iterator<char>(body)), std::istreambuf_iterator<char>());
          if (resp.getStatus() == 200) ++ok;
          else ++bad;
        } catch (const std::exception&) {
          ++bad;
          s.reset();
        }
      }
    });
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : pool) t.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("health queries: %zu devices, %d threads, %.1f s: %.0f/s (%ld ok, %ld not 200)\n", ids.size(), threads, s,
              static_cast<double>(ok.load()) / s, ok.load(), bad.load());
  return bad == 0 && ok > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.empty()) return std::cerr << "usage: paw-scale seed|health … (see the source header)\n", 64;
  auto quiet = log::current();  // the store's info lines would drown the figures
  quiet.level = log::Level::warning;
  log::configure(quiet);
  if (a[0] == "seed") return seed(a);
  if (a[0] == "health") return health(a);
  std::cerr << "unknown command " << a[0] << "\n";
  return 64;
}
