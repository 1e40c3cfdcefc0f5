// device_ca.h — the device CA: the verifier's own certificate authority that
// issues each healthy device a short-lived X.509 client certificate for its
// TPM login key (docs/protocol.md, "Login certificate"). Relying parties
// (nginx `ssl_verify_client`) trust the bundle at
// GET /.well-known/paw-device-ca.pem and still ask /v1/authz per request, so
// a revoked device is refused at once although its certificate is unexpired.
//
// The CA key lives in the Store (table ca_keys, kind "x509-device"), so every
// replica issues under the same CA; rotation keeps the previous CA in the
// bundle for the overlap period, like the result-token keys (keys.h).
#pragma once

#include <openssl/x509.h>

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/client_cert.h"
#include "paw/attest/result_token.h"
#include "store/store.h"

namespace paw::verifier {

inline constexpr const char* kDeviceCaKind = "x509-device";
// kDeviceCertExtensionOid names the private, non-critical extension of a
// login certificate: a DER UTF8String holding the JSON
// {"verdict":…,"policy":…,"policy_version":…}. UUID-based OID (ITU-T X.667,
// 2.25.<UUID as an integer>) of UUID c3f4c740-7fb5-43dd-8026-791bd38a452b.
inline constexpr const char* kDeviceCertExtensionOid = "2.25.260470420921178353058115854759914784043";
// kDeviceCaValidity: the CA certificate's life (rotation is by hand, `pawctl ca rotate`).
inline constexpr std::int64_t kDeviceCaValidity = 10LL * 365 * 86400;
// kCertClockSkew: notBefore is this much before issuance, for relying parties whose clock is behind.
inline constexpr std::int64_t kCertClockSkew = 300;

// DeviceCertProfile is what a login certificate says.
struct DeviceCertProfile {
  std::string device_id;             // subject CN and SAN URI urn:paw:device:<id>
  const EVP_PKEY* login_key = nullptr;  // the certified TPM login key (EC P-256)
  std::int64_t now = 0;
  std::int64_t not_after = 0;        // the result token's exp
  std::string verdict;               // "healthy" (only healthy devices get one)
  std::string policy;                // policy name
  std::int64_t policy_version = 0;
  // extra_san_uris / extra_san_emails: more subjectAltName entries after the
  // device URI. Hook for the device owner (e.g. email alice@example).
  std::vector<std::string> extra_san_uris;
  std::vector<std::string> extra_san_emails;
};

// make_device_ca_cert self-signs a CA certificate for |key| (P-256), valid
// from now - kCertClockSkew for kDeviceCaValidity. Errc::internal.
Result<std::string> make_device_ca_cert(const SigningKey& key, std::int64_t now);
// issue_device_cert signs the login certificate of |p| with the CA |ca_key|
// whose certificate is |ca_cert|; returns it as PEM. Errc::malformed for a bad
// device id or SAN entry, Errc::internal when OpenSSL fails.
Result<std::string> issue_device_cert(const DeviceCertProfile& p, X509* ca_cert, EVP_PKEY* ca_key);

class DeviceCa {
 public:
  explicit DeviceCa(Store& store) : store_(store) {}

  // ensure creates and stores a first CA when the store has no current one
  // (at init and at the first start after the upgrade that added it).
  Status ensure(std::int64_t now);
  // load reads the CA keys from the store (current = newest not retired).
  Status load();
  // issue signs a login certificate with the current CA (PEM).
  Result<std::string> issue(const DeviceCertProfile& p) const;
  // bundle is the PEM of every live CA certificate (current first, then the
  // retired ones still in their overlap): what relying parties trust.
  std::string bundle() const;
  // rotate makes a new current CA, retires the old one at |now| and drops
  // CAs retired before now - overlap. Returns the new kid.
  Result<std::string> rotate(std::int64_t now, std::int64_t overlap);
  std::string current_kid() const;
  // client_cert_jkt checks a certificate a proxy forwarded (nginx
  // $ssl_client_escaped_cert: verify_client_cert's rules and errors) against
  // the live CA certificates and returns the jkt of its key and its device
  // id: RFC 8705 proof that the TLS client holds the login key.
  Result<ClientCertIdentity> client_cert_jkt(std::string_view forwarded, std::int64_t now) const;

 private:
  struct Loaded;
  Store& store_;
  mutable std::shared_mutex mu_;
  std::shared_ptr<const Loaded> loaded_;
};

}  // namespace paw::verifier
