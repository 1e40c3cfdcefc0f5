#include "state.h"

#include <sys/stat.h>

#include <filesystem>

#include "clock.h"
#include "device_ca.h"
#include "keys.h"
#include "paw/attest/policy.h"
#include "store/store.h"
#include "tls.h"
#include "util.h"

namespace paw::verifier {
namespace {

Status make_private_dir(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return make_error(Errc::io_error, "cannot create " + path + ": " + ec.message());
  if (::chmod(path.c_str(), 0700) != 0) return make_error(Errc::io_error, "cannot chmod " + path);
  return ok_status();
}

Status copy_pem(const std::string& from, const std::string& to, unsigned mode) {
  PAW_TRY(Bytes data, read_file(from, 1u << 20));
  return write_private_file(to, std::string_view(reinterpret_cast<const char*>(data.data()), data.size()), mode);
}

}  // namespace

Result<std::string> create_admin_credential(const std::string& database_url, const std::string& label,
                                            std::int64_t expires_in, AdminScope scope) {
  PAW_TRY(auto store, open_store(database_url));
  PAW_TRY(std::string id, random_hex(8));
  PAW_TRY(std::string secret, random_hex(32));
  const std::string credential = "pawadm_" + secret;
  const std::int64_t now_s = system_unix_now();  // a command, not the service: the host's clock
  PAW_CHECK(store->add_credential({"admin-" + id, CredentialKind::admin, sha256_hex(credential), label, now_s,
                                   expires_in > 0 ? now_s + expires_in : 0, 0, scope}));
  return credential;
}

Result<std::string> init_state(const InitOptions& opts) {
  if (opts.state_dir.empty()) return make_error(Errc::config_error, "--state DIR is required");
  if (opts.tls_cert.empty() != opts.tls_key.empty()) {
    return make_error(Errc::config_error, "--tls-cert and --tls-key go together");
  }
  PAW_CHECK(make_private_dir(opts.state_dir));
  PAW_CHECK(make_private_dir(opts.state_dir + "/tls"));
  const std::string url = opts.database.empty() ? "sqlite:" + opts.state_dir + "/paw.db" : opts.database;
  PAW_TRY(auto store, open_store(url));
  PAW_TRY(auto keys, store->list_signing_keys());
  if (!keys.empty()) return make_error(Errc::conflict, "state is already initialized (" + url + ")");

  const std::string cert = opts.state_dir + "/tls/cert.pem";
  const std::string key = opts.state_dir + "/tls/key.pem";
  if (!opts.tls_cert.empty()) {
    PAW_CHECK(copy_pem(opts.tls_cert, cert, 0644));
    PAW_CHECK(copy_pem(opts.tls_key, key, 0600));
  } else {
    PAW_CHECK(write_self_signed_cert(cert, key, opts.tls_dns));
  }
  const std::int64_t now_s = system_unix_now();  // a command, not the service: the host's clock
  Policy def = default_policy();
  PAW_CHECK(store->put_policy({def.name, def.version, serialize_policy(def), now_s}));
  Keyring ring(*store);
  PAW_CHECK(ring.ensure_key(now_s));
  PAW_CHECK(DeviceCa(*store).ensure(now_s));
  store.reset();
  return create_admin_credential(url, "initial");
}

}  // namespace paw::verifier
