// paw/attest/fido_roots.h — the trusted FIDO2 attestation roots (--fido-ca-dir).
//
// A "basic" (x5c) attestation proves the key model only if its chain ends at
// a root the verifier trusts *for that model*: anybody can mint a certificate
// with any AAGUID extension. The folder layout (docs/fido2.md):
//   <dir>/<aaguid>.pem  (dashed lowercase UUID)  roots of that model only —
//                       what `pawctl fido roots import` writes from the FIDO
//                       Metadata Service BLOB;
//   <dir>/<other name>  any other certificate file: roots for every model
//                       (a vendor CA you trust for all its keys).
#pragma once

#include <openssl/x509.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"

namespace paw::attest {

class FidoAttestationRoots {
 public:
  // load_dir reads |dir| as above. Files that hold no certificate are
  // skipped. Errc::io_error (folder unreadable), Errc::config_error (no
  // certificate at all, or a <aaguid>.pem file that does not parse).
  static Result<std::shared_ptr<const FidoAttestationRoots>> load_dir(const std::string& dir);
  // from_certificates builds the set from certificate file contents (PEM or
  // DER): |any_model| for every AAGUID, |per_aaguid| (16-byte key) for one.
  static Result<std::shared_ptr<const FidoAttestationRoots>> from_certificates(
      const std::vector<Bytes>& any_model, const std::map<Bytes, std::vector<Bytes>>& per_aaguid);

  FidoAttestationRoots(const FidoAttestationRoots&) = delete;
  FidoAttestationRoots& operator=(const FidoAttestationRoots&) = delete;
  ~FidoAttestationRoots();

  // store_for is the anchor set for a key of model |aaguid| (its own roots
  // and the any-model roots); nullptr when no root covers that model.
  [[nodiscard]] X509_STORE* store_for(ByteView aaguid) const;
  [[nodiscard]] bool covers(ByteView aaguid) const { return store_for(aaguid) != nullptr; }
  // models is the number of AAGUIDs with roots of their own.
  [[nodiscard]] std::size_t models() const noexcept;

  struct Impl;

 private:
  explicit FidoAttestationRoots(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// check_aaguid_allowlist_roots is the rule a policy must pass when it is set:
// an AAGUID allowlist means "keys of these models", which only a chain to a
// configured root proves, so every listed AAGUID must be covered by |roots|
// (null = no --fido-ca-dir). Errc::config_error (HTTP 400) naming what is missing.
Status check_aaguid_allowlist_roots(const ByteSet& allowlist, const FidoAttestationRoots* roots);

// aaguid_file_name is "<dashed lowercase uuid>.pem", the per-model file name.
std::string aaguid_file_name(ByteView aaguid);

}  // namespace paw::attest
