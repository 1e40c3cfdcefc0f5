// paw/attest/ekcert.h — endorsement key certificates (TCG EK Credential
// Profile 2.x) checked against a folder of trusted TPM manufacturer CAs.
//
// Real EK certificates break generic X.509 expectations: the subject is empty,
// the subjectAltName is critical and holds a directoryName with the TPM
// manufacturer/model/version (2.23.133.2.1/2/3), and certificates read from NV
// carry 0xFF padding after the DER. All of that is handled here, deliberately.
#pragma once

#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/secure.h"
#include "paw/attest/tpm.h"

namespace paw {

// EkCaStore holds trusted manufacturer CA certificates. Every certificate in it
// is a trust anchor (roots and intermediates alike: vendors ship intermediates
// whose roots are not public, e.g. STMicro's ECC chain), so a chain is accepted
// once it reaches any of them. Move-only; immutable after loading, so one store
// may be shared read-only between threads.
class EkCaStore {
 public:
  // load_dir reads every regular file of |dir|: PEM (one or more CERTIFICATE
  // blocks; other PEM blocks such as keys are ignored) or DER (NV padding
  // allowed); files with or without a trailing newline. Files that hold no
  // certificate are skipped. Errc::io_error (folder unreadable),
  // Errc::config_error (no certificate at all).
  static Result<EkCaStore> load_dir(const std::string& dir);
  // from_certificates builds a store from certificate files' contents (PEM or DER).
  // Errc::config_error if one does not parse or none is given.
  static Result<EkCaStore> from_certificates(const std::vector<Bytes>& certs);

  EkCaStore(EkCaStore&&) noexcept;
  EkCaStore& operator=(EkCaStore&&) noexcept;
  ~EkCaStore();

  [[nodiscard]] std::size_t size() const noexcept;
  // store is the OpenSSL view (owned by this object).
  [[nodiscard]] X509_STORE* store() const noexcept;

 private:
  EkCaStore();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// TpmDeviceInfo is the TPM identity from the EK certificate's subjectAltName
// (TCG EK Credential Profile, 3.2.9; OIDs 2.23.133.2.1/2/3).
struct TpmDeviceInfo {
  std::string manufacturer;  // e.g. "id:53544D20" (STM)
  std::string model;         // e.g. "ST33HTPHAHB4"
  std::string version;       // e.g. "id:00490004"
};

// EkCertificate is a validated EK certificate.
struct EkCertificate {
  Bytes der;                         // the certificate, NV padding removed
  std::vector<std::string> chain;    // subjects (RFC 2253; "" for the leaf's empty subject), leaf first
  TpmDeviceInfo tpm;                 // from the SAN (empty strings if the SAN lacks them)
  Bytes public_key_der;              // SubjectPublicKeyInfo (DER) of the EK
  bool reaches_self_signed_root = false;  // false: chain ends at a folder intermediate
};

// der_sequence_length is the size (header and contents) of the DER SEQUENCE
// at the start of |data|, definite length of at most 3 length bytes — the
// bound of anything read from TPM NV. Errc::malformed if |data| does not
// start with a complete one.
Result<std::size_t> der_sequence_length(ByteView data);

// trim_der_padding returns the DER certificate at the start of |nv| (the outer
// SEQUENCE's length decides), dropping NV padding; only 0xFF or 0x00 padding is
// allowed after it. Errc::malformed / Errc::trailing_data.
Result<Bytes> trim_der_padding(ByteView nv);

// parse_certificate reads one certificate, PEM or DER (NV padding allowed).
using X509Ptr = UniquePtr<X509, X509_free>;
Result<X509Ptr> parse_certificate(ByteView data);

// verify_ek_certificate checks |cert| (DER from NV, padded or not, or PEM):
// a chain to a certificate of |cas| (intermediates may come from |cas| too;
// the full chain to a self-signed root when the folder has it, else the chain
// up to the nearest folder certificate),
// validity at |at| (unix seconds; nullopt = now) for every certificate,
// EKU 2.23.133.8.1 (tcg-kp-EKCertificate) when the leaf has an EKU, and the
// critical TCG subjectAltName accepted on purpose (see ekcert.cpp).
// Errc::malformed (not a certificate), Errc::untrusted_chain (no path to a
// trusted CA, bad signature), Errc::cert_invalid (dates, EKU, extensions).
Result<EkCertificate> verify_ek_certificate(ByteView cert, const EkCaStore& cas,
                                            std::optional<std::int64_t> at = std::nullopt);

// ek_matches_public tells whether the certificate's key is the EK |ek| (the
// public area the TPM reports). Ok, or Errc::cert_invalid if the keys differ.
Status ek_matches_public(const EkCertificate& cert, const TpmPublic& ek);
// ek_matches_public on raw certificate bytes (no chain check).
Status ek_matches_public(ByteView cert, const TpmPublic& ek);

}  // namespace paw
