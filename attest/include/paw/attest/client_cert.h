// paw/attest/client_cert.h — the TLS client certificate a reverse proxy
// forwards for a login (RFC 8705 certificate-bound proof of possession):
// nginx verified the TLS handshake against the device CA and passes
// $ssl_client_escaped_cert (the PEM, URL-escaped) to the verifier, which
// checks it again here before it believes a byte of it (the header may come
// from anyone who can reach the verifier directly). Pure: no I/O.
#pragma once

#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "paw/attest/error.h"

namespace paw {

// kMaxForwardedClientCertSize bounds the escaped header value: a device
// certificate is ~700 bytes of DER, ~1 KiB of PEM, ~1.4 KiB escaped.
inline constexpr std::size_t kMaxForwardedClientCertSize = 8192;
// kDeviceUriPrefix starts the SAN URI that names the device (urn:paw:device:<id>).
inline constexpr std::string_view kDeviceUriPrefix = "urn:paw:device:";
// kOwnerUriPrefix starts the SAN URI naming the device's owner when the owner
// is not e-mail-like (an e-mail-like owner is an rfc822Name instead).
inline constexpr std::string_view kOwnerUriPrefix = "urn:paw:owner:";

// ClientCertIdentity is what a verified device certificate says.
struct ClientCertIdentity {
  std::string device_id;     // from the one SAN URI urn:paw:device:<id>
  std::string jkt;           // RFC 7638 thumbprint of the certificate's public key (the login key)
  std::string x5t_s256;      // RFC 8705: base64url SHA-256 of the certificate's DER
  std::int64_t not_after = 0;  // unix seconds
};

// url_unescape decodes %XX escapes (nginx's $ssl_client_escaped_cert); every
// other byte stays as it is ('+' too). Errc::malformed on a bad escape.
Result<std::string> url_unescape(std::string_view text);

// verify_client_cert checks |forwarded| (URL-escaped PEM of exactly one
// certificate, at most kMaxForwardedClientCertSize bytes: Errc::too_large)
// and returns its identity:
//  - Errc::malformed: not one PEM certificate;
//  - Errc::untrusted_chain: not issued by a CA certificate in |roots|;
//  - Errc::token_expired: past its notAfter at |now|;
//  - Errc::cert_invalid: not yet valid, no clientAuth EKU, not exactly one
//    urn:paw:device: SAN URI with a well-formed device id;
//  - Errc::unsupported: its key is not EC P-256.
// |roots| holds only the live device CA certificates (they are the anchors).
Result<ClientCertIdentity> verify_client_cert(std::string_view forwarded, X509_STORE* roots, std::int64_t now);

}  // namespace paw
