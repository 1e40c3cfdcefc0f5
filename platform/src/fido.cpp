// fido.cpp — FIDO2 enrollment and presence proof through libfido2.
#include "paw/platform/fido.h"

#include <fido.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>

#include "paw/attest/secure.h"

namespace paw::platform {
namespace {

constexpr std::string_view kVirtualScheme = "virtual:";
constexpr std::size_t kMaxDevices = 16;
std::atomic<VirtualFidoInstaller> g_virtual_installer{nullptr};

void free_dev(fido_dev_t* p) { fido_dev_free(&p); }
void free_cred(fido_cred_t* p) { fido_cred_free(&p); }
void free_assert(fido_assert_t* p) { fido_assert_free(&p); }
using Dev = UniquePtr<fido_dev_t, free_dev>;
using Cred = UniquePtr<fido_cred_t, free_cred>;
using Assert = UniquePtr<fido_assert_t, free_assert>;

void init_once() {
  static std::once_flag once;
  // Without this flag a key whose getInfo fails is silently driven as U2F.
  std::call_once(once, [] { fido_init(FIDO_DISABLE_U2F_FALLBACK); });
}

int clamp_timeout(int ms) { return std::clamp(ms, 100, 120000); }

// timed_error maps |rc| like fido_error, except that a receive failure after the
// whole timeout has passed is what a key that never answered looks like.
Error timed_error(int rc, const std::string& what, std::chrono::steady_clock::time_point start, int timeout_ms) {
  const auto waited =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  if (rc == FIDO_ERR_RX && waited >= timeout_ms)
    return make_error(Errc::fido_timeout, what + ": no answer within " + std::to_string(timeout_ms) + " ms");
  return fido_error(rc, what);
}

Bytes copy(const unsigned char* p, std::size_t n) { return p == nullptr ? Bytes{} : Bytes(p, p + n); }

// OpenDev closes the device before freeing it.
struct OpenDev {
  Dev dev;
  std::string path;
  ~OpenDev() {
    if (dev) (void)fido_dev_close(dev.get());
  }
  OpenDev() = default;
  OpenDev(OpenDev&&) = default;
};

}  // namespace

void register_virtual_fido(VirtualFidoInstaller install) { g_virtual_installer.store(install); }

namespace {

Result<OpenDev> open_device(const std::string& path, int timeout_ms) {
  OpenDev d;
  d.path = path;
  Dev dev(fido_dev_new());
  if (!dev) return make_error(Errc::internal, "fido_dev_new");
  std::string open_path = path;
  if (path.rfind(kVirtualScheme, 0) == 0) {
    const VirtualFidoInstaller install = g_virtual_installer.load();
    if (install == nullptr) {
      return make_error(Errc::config_error,
                        "the virtual: FIDO2 authenticator is for development and tests only; this build has "
                        "PAW_VIRTUAL_FIDO=OFF");
    }
    open_path = path.substr(kVirtualScheme.size());
    if (open_path.empty()) return make_error(Errc::config_error, "virtual: needs a state file path");
    if (int r = install(dev.get()); r != FIDO_OK) return fido_error(r, "install virtual authenticator");
  } else {
    struct stat sb {};
    if (::stat(path.c_str(), &sb) != 0) return make_error(Errc::fido_no_device, "no FIDO2 device at " + path);
  }
  // The timeout bounds the CTAPHID handshake and getInfo of fido_dev_open too.
  const int ms = clamp_timeout(timeout_ms);
  if (int r = fido_dev_set_timeout(dev.get(), ms); r != FIDO_OK) return fido_error(r, "set timeout");
  const auto start = std::chrono::steady_clock::now();
  if (int r = fido_dev_open(dev.get(), open_path.c_str()); r != FIDO_OK)
    return timed_error(r, "open " + path, start, ms);
  d.dev = std::move(dev);
  if (!fido_dev_is_fido2(d.dev.get())) return make_error(Errc::fido_device_error, path + " does not speak CTAP2");
  return d;
}

// candidates lists the configured device, or every discovered one.
Result<std::vector<std::string>> candidates(const FidoDeviceConfig& config) {
  if (!config.device.empty()) return std::vector<std::string>{config.device};
  PAW_TRY(std::vector<std::string> found, fido_list_devices());
  if (found.empty()) return make_error(Errc::fido_no_device, "no FIDO2 authenticator plugged in");
  return found;
}

Status check_cdh(const Bytes& cdh) {
  if (cdh.size() != 32) return make_error(Errc::config_error, "client data hash must be 32 bytes");
  return ok_status();
}

}  // namespace

Error fido_error(int rc, const std::string& what) {
  std::string detail = what + ": " + fido_strerr(rc);
  switch (rc) {
    case FIDO_ERR_NO_CREDENTIALS: return make_error(Errc::fido_no_credentials, detail);
    case FIDO_ERR_OPERATION_DENIED: return make_error(Errc::fido_touch_denied, detail);
    case FIDO_ERR_USER_ACTION_TIMEOUT:
    case FIDO_ERR_ACTION_TIMEOUT:
    case FIDO_ERR_TIMEOUT: return make_error(Errc::fido_timeout, detail);
    case FIDO_ERR_PIN_REQUIRED:
    case FIDO_ERR_PIN_NOT_SET:
    case FIDO_ERR_PIN_INVALID:
    case FIDO_ERR_PIN_BLOCKED:
    case FIDO_ERR_PIN_AUTH_INVALID:
    case FIDO_ERR_PIN_AUTH_BLOCKED:
    case FIDO_ERR_UV_BLOCKED:
    case FIDO_ERR_UV_INVALID: return make_error(Errc::fido_pin_required, detail);
    default: return make_error(Errc::fido_device_error, detail);
  }
}

Result<std::vector<std::string>> fido_list_devices() {
  init_once();
  fido_dev_info_t* list = fido_dev_info_new(kMaxDevices);
  if (list == nullptr) return make_error(Errc::internal, "fido_dev_info_new");
  std::size_t n = 0;
  const int r = fido_dev_info_manifest(list, kMaxDevices, &n);
  std::vector<std::string> out;
  for (std::size_t i = 0; r == FIDO_OK && i < n; ++i) {
    const char* p = fido_dev_info_path(fido_dev_info_ptr(list, i));
    if (p != nullptr) out.emplace_back(p);
  }
  fido_dev_info_free(&list, kMaxDevices);
  if (r != FIDO_OK) return fido_error(r, "fido_dev_info_manifest");
  return out;
}

Result<FidoEnrollment> fido_enroll(const FidoDeviceConfig& config, const FidoEnrollOptions& opt) {
  init_once();
  PAW_CHECK(check_cdh(opt.client_data_hash));
  if (opt.rp_id.empty()) return make_error(Errc::config_error, "rp id is empty");
  if (opt.algorithm != attest::kCoseEs256 && opt.algorithm != attest::kCoseEdDsa)
    return make_error(Errc::config_error, "algorithm must be ES256 (-7) or EdDSA (-8)");
  Bytes user_id = opt.user_id;
  if (user_id.empty()) {
    PAW_TRY(user_id, random_bytes(16));
  }
  const std::string rp_name = opt.rp_name.empty() ? opt.rp_id : opt.rp_name;

  PAW_TRY(std::vector<std::string> paths, candidates(config));
  PAW_TRY(OpenDev d, open_device(paths.front(), config.timeout_ms));
  Cred cred(fido_cred_new());
  if (!cred || fido_cred_set_type(cred.get(), opt.algorithm) != FIDO_OK ||
      fido_cred_set_clientdata_hash(cred.get(), opt.client_data_hash.data(), opt.client_data_hash.size()) != FIDO_OK ||
      fido_cred_set_rp(cred.get(), opt.rp_id.c_str(), rp_name.c_str()) != FIDO_OK ||
      fido_cred_set_user(cred.get(), user_id.data(), user_id.size(), opt.user_name.c_str(), nullptr, nullptr) !=
          FIDO_OK)
    return make_error(Errc::config_error, "libfido2 refused the credential parameters");
  const auto start = std::chrono::steady_clock::now();
  if (int r = fido_dev_make_cred(d.dev.get(), cred.get(), nullptr); r != FIDO_OK)
    return timed_error(r, "make credential on " + d.path, start, clamp_timeout(config.timeout_ms));

  FidoEnrollment e;
  e.device = d.path;
  e.algorithm = opt.algorithm;
  e.credential_id = copy(fido_cred_id_ptr(cred.get()), fido_cred_id_len(cred.get()));
  e.aaguid = copy(fido_cred_aaguid_ptr(cred.get()), fido_cred_aaguid_len(cred.get()));
  e.fmt = fido_cred_fmt(cred.get()) != nullptr ? fido_cred_fmt(cred.get()) : "";
  e.auth_data = copy(fido_cred_authdata_raw_ptr(cred.get()), fido_cred_authdata_raw_len(cred.get()));
  e.attestation_cbor = copy(fido_cred_attstmt_ptr(cred.get()), fido_cred_attstmt_len(cred.get()));
  auto ad = attest::parse_fido_auth_data(e.auth_data);
  if (!ad.ok() || !ad->attested) return make_error(Errc::fido_device_error, "authenticator sent bad authData");
  auto att = attest::parse_fido_attestation_statement(e.attestation_cbor);
  if (!att.ok()) return make_error(Errc::fido_device_error, "attestation statement: " + att.error().what());
  e.attestation = std::move(att).value();
  e.public_key_cose = ad->public_key_cose;
  auto spki = attest::fido_cose_key_to_spki(e.public_key_cose);
  if (!spki.ok()) return make_error(Errc::fido_device_error, "credential public key: " + spki.error().what());
  e.public_key_spki = std::move(spki).value();
  return e;
}

namespace {

Result<FidoAssertion> assert_on(const std::string& path, const FidoDeviceConfig& config,
                                const FidoPresenceOptions& opt) {
  PAW_TRY(OpenDev d, open_device(path, config.timeout_ms));
  Assert a(fido_assert_new());
  if (!a || fido_assert_set_rp(a.get(), opt.rp_id.c_str()) != FIDO_OK ||
      fido_assert_set_clientdata_hash(a.get(), opt.client_data_hash.data(), opt.client_data_hash.size()) !=
          FIDO_OK ||
      fido_assert_allow_cred(a.get(), opt.credential_id.data(), opt.credential_id.size()) != FIDO_OK ||
      fido_assert_set_up(a.get(), opt.user_presence ? FIDO_OPT_TRUE : FIDO_OPT_FALSE) != FIDO_OK)
    return make_error(Errc::config_error, "libfido2 refused the assertion parameters");
  const auto start = std::chrono::steady_clock::now();
  if (int r = fido_dev_get_assert(d.dev.get(), a.get(), nullptr); r != FIDO_OK)
    return timed_error(r, "get assertion on " + path, start, clamp_timeout(config.timeout_ms));
  if (fido_assert_count(a.get()) != 1) return make_error(Errc::fido_device_error, "expected one assertion");
  FidoAssertion out;
  out.device = path;
  out.credential_id = copy(fido_assert_id_ptr(a.get(), 0), fido_assert_id_len(a.get(), 0));
  if (out.credential_id.empty()) out.credential_id = opt.credential_id;  // CTAP2 may omit it for a single allowList entry
  if (!ct_equal(out.credential_id, opt.credential_id))
    return make_error(Errc::fido_device_error, "authenticator answered with another credential");
  // libfido2 1.12 hands authData back CBOR-wrapped (a byte string).
  auto raw = attest::unwrap_fido_cbor_bytes(
      ByteView(fido_assert_authdata_ptr(a.get(), 0), fido_assert_authdata_len(a.get(), 0)));
  if (!raw.ok()) return make_error(Errc::fido_device_error, "authData: " + raw.error().what());
  out.auth_data = std::move(raw).value();
  out.signature = copy(fido_assert_sig_ptr(a.get(), 0), fido_assert_sig_len(a.get(), 0));
  out.client_data_hash = opt.client_data_hash;
  out.sign_count = fido_assert_sigcount(a.get(), 0);
  out.flags = fido_assert_flags(a.get(), 0);
  return out;
}

}  // namespace

Result<FidoAssertion> fido_prove_presence(const FidoDeviceConfig& config, const FidoPresenceOptions& opt) {
  init_once();
  PAW_CHECK(check_cdh(opt.client_data_hash));
  if (opt.rp_id.empty() || opt.credential_id.empty())
    return make_error(Errc::config_error, "rp id and credential id are required");
  PAW_TRY(std::vector<std::string> paths, candidates(config));
  Error last = make_error(Errc::fido_no_credentials, "enrolled credential is on no plugged key");
  for (const std::string& path : paths) {
    auto r = assert_on(path, config, opt);
    if (r.ok() || r.code() != Errc::fido_no_credentials) return r;
    last = std::move(r).error();
  }
  return last;
}

}  // namespace paw::platform
