// crypto_bound.cpp — the upper bound a verifier on these cores could reach if
// it did nothing but the cryptography of an attestation.
#include <sched.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "bench.h"
#include "paw/attest/fido_roots.h"
#include "paw/attest/fido.h"
#include "paw/attest/quote.h"
#include "paw/attest/result_token.h"

namespace paw::bench {

namespace {

// run_for runs |body| on |threads| threads for |seconds|; iterations per second,
// or Errc::internal if any iteration failed.
template <class F>
Result<double> run_for(std::size_t threads, double seconds, const std::vector<int>& cpus, F body) {
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> total{0};
  std::atomic<std::size_t> failures{0};
  std::vector<std::thread> pool;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      if (!pin_to(cpus).ok()) failures.fetch_add(1);
      std::size_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (!body()) failures.fetch_add(1);
        ++n;
      }
      total.fetch_add(n);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failures.load() != 0) return make_error(Errc::internal, "bound: a verification failed in the loop");
  return static_cast<double>(total.load()) / elapsed;
}

}  // namespace

Status pin_to(const std::vector<int>& cpus) {
  if (cpus.empty()) return ok_status();
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  if (::sched_setaffinity(0, sizeof(set), &set) != 0) return make_error(Errc::config_error, "cannot pin to the CPU set");
  return ok_status();
}

Result<Bounds> crypto_bound(const Fleet& fleet, const std::string& rp_id, std::size_t threads, double seconds,
                            const std::vector<int>& cpus) {
  // One genuine enrolled device and one genuine attestation, verified the real way first.
  PAW_TRY(soft::SoftDevice dev, soft::SoftDevice::create(rp_id, &fleet.ek_ca, &fleet.fido_ca));
  PAW_CHECK(dev.use_event_log(soft::make_event_log(soft::BootConfig{})));
  PAW_TRY(auto trust, EkTrust::from_der({fleet.ek_ca.cert_der}));
  PAW_TRY(EnrollmentRequest req, dev.enrollment_request("bench-token"));
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  // The key attests with the fleet's FIDO2 CA, which the verifier trusts too (--fido-ca-dir).
  PAW_TRY(auto fido_roots, attest::FidoAttestationRoots::from_certificates({fleet.fido_ca.cert_der}, {}));
  PAW_TRY(VerifiedEnrollment v,
          verify_enrollment(req, EnrollmentContext{trust.get(), rp_id, now, fido_roots.get()}, default_policy()));
  DeviceRecord rec = v.record();
  rec.device_id = dev.device_id = "bench-device";
  const Bytes nonce(32, 0x42);
  PAW_TRY(Envelope env, dev.attest(nonce));
  PAW_TRY(Appraisal a, appraise(rec, DeviceState{}, env, AppraisalContext{nonce, rp_id, now}, default_policy()));
  if (!a.healthy()) return make_error(Errc::internal, "crypto bound: the reference attestation is not healthy");
  PAW_TRY(SigningKey key, generate_signing_key());
  const ResultClaims claims = a.claims("paw-bench", "0123456789abcdef");

  PAW_TRY(TpmPublic ak, parse_public(rec.ak_public));
  attest::FidoStoredCredential cred;
  cred.credential_id = rec.fido->credential_id;
  cred.algorithm = static_cast<int>(rec.fido->algorithm);
  cred.public_key = rec.fido->public_key;
  cred.aaguid = rec.fido->aaguid;
  cred.sign_count = 0;
  attest::FidoAssertionEvidence fev{a.body().fido->credential_id, a.body().fido->auth_data, a.body().fido->signature, {}};
  const Bytes cdh = presence_client_data_hash(nonce, rec.device_id);
  attest::FidoPresencePolicy fp;
  fp.rp_id = rp_id;

  Bounds b;
  PAW_TRY(b.crypto, run_for(threads, seconds, cpus, [&] {
    bool ok = qualifying_data(env.body).size() == 32;
    auto sig = parse_signature(env.signature);
    ok = ok && sig.ok() && verify_signature(ak, env.attest, *sig).ok();
    ok = ok && attest::verify_fido_presence(cred, fev, cdh, fp).ok();
    return ok && sign_result_token(claims, key).ok();
  }));
  // The whole pure pipeline (appraise + token), still without HTTP and storage.
  const Policy policy = default_policy();
  PAW_TRY(b.pipeline, run_for(threads, seconds / 2, cpus, [&] {
    auto x = appraise(rec, DeviceState{}, env, AppraisalContext{nonce, rp_id, now}, policy);
    return x.ok() && x->healthy() && sign_result_token(x->claims("paw-bench", "0123456789abcdef"), key).ok();
  }));
  return b;
}

}  // namespace paw::bench
