// seed.h — the one thing a program outside paw-verifier may do to a verifier
// database directly: fill it, for a benchmark. paw-scale copies an enrolled
// device 100 000 times and paw-login-bench-mint signs result tokens with the
// verifier's key, so the login path and the health query are measured at
// fleet sizes no enrollment run reaches in minutes (docs/scale-out.md,
// docs/verifier.md "Performance").
//
// Everything else about the database stays behind the verifier's private
// Store (verifier/src/store/store.h): its schema, its rows and its other
// writes can change without a program outside the verifier noticing. No
// shipped program uses this header; a running verifier caches devices and
// keys, so seed a database before its verifier starts.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "paw/attest/error.h"

namespace paw::verifier {

class Store;
struct StoredDevice;

class SeedDatabase {
 public:
  // open opens (creating and migrating as needed) the database named by
  // |url|, as paw-verifier's --database: "sqlite:PATH" or "postgresql://…".
  static Result<std::unique_ptr<SeedDatabase>> open(const std::string& url);
  ~SeedDatabase();
  SeedDatabase(const SeedDatabase&) = delete;
  SeedDatabase& operator=(const SeedDatabase&) = delete;

  // device_ids lists every device's id. It reads the whole device table, as
  // one pass of the fleet watcher does (so its time is that pass's time).
  Result<std::vector<std::string>> device_ids();

  // current_signing_key_pem returns the private key (PKCS#8 PEM) of the
  // newest current result-token signing key; Errc::not_found if there is none.
  Result<std::string> current_signing_key_pem();

  // use_template reads device |id| once as the template of add_copy
  // (Errc::not_found if there is no such device).
  Status use_template(const std::string& id);

  // add_copy adds the template as a new device |id|; |label| and |ek_hash|
  // replace the template's own unless empty. Safe from several threads at
  // once after use_template has returned.
  Status add_copy(const std::string& id, const std::string& label = "", const std::string& ek_hash = "");

 private:
  explicit SeedDatabase(std::unique_ptr<Store> store);
  std::unique_ptr<Store> store_;
  std::unique_ptr<const StoredDevice> template_;
};

}  // namespace paw::verifier
