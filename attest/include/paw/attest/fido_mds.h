// paw/attest/fido_mds.h — the FIDO Alliance Metadata Service (MDS3) BLOB:
// where the attestation roots of real FIDO2 key models come from.
//
// The BLOB is a JWS in compact serialization (FIDO Metadata Service v3.0,
// 3.1.7): header {"alg", "typ", "x5c": [base64 DER, signer first]}, payload
// {"legalHeader", "no", "nextUpdate", "entries": [...]}, each FIDO2 entry
// carrying "aaguid" and "metadataStatement.attestationRootCertificates"
// (base64 DER). The admin downloads it (https://mds3.fidoalliance.org/);
// `pawctl fido roots import` verifies it with verify_mds_blob and writes the
// roots per AAGUID where the verifier reads them (fido_roots.h).
#pragma once

#include <openssl/x509.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"

namespace paw::attest {

inline constexpr std::size_t kMdsMaxBlob = 32u << 20;       // the real BLOB is a few MB
inline constexpr std::size_t kMdsMaxHeaderCerts = 5;
inline constexpr std::size_t kMdsMaxCertificate = 16384;
inline constexpr std::size_t kMdsMaxEntries = 20000;
inline constexpr std::size_t kMdsMaxRootsPerEntry = 16;

// MdsEntry is one FIDO2 authenticator model of the BLOB.
struct MdsEntry {
  Bytes aaguid;                   // 16 bytes
  std::string description;        // metadataStatement.description ("" if absent)
  std::vector<Bytes> roots;       // attestationRootCertificates, DER
  std::vector<std::string> statuses;  // statusReports[].status, in BLOB order
};

// MdsBlob is the parsed (not yet verified) BLOB.
struct MdsBlob {
  std::string alg;                // JWS "alg"
  std::vector<Bytes> x5c;         // header chain, signer first (DER)
  std::string signing_input;      // BASE64URL(header) "." BASE64URL(payload): what the signature covers
  Bytes signature;
  std::int64_t no = 0;            // serial number: grows with every BLOB
  std::string next_update;        // "YYYY-MM-DD"
  std::vector<MdsEntry> entries;  // FIDO2 entries only (U2F/UAF entries have no aaguid and are left out)
};

// parse_mds_blob reads the JWS (surrounding whitespace allowed). Errc::too_large
// over the limits above, Errc::malformed (with where) for anything else that
// is not a BLOB. Certificates are checked to be one DER certificate each.
Result<MdsBlob> parse_mds_blob(std::string_view jws);

// verify_mds_blob checks that the header chain reaches a certificate of
// |trusted_roots| (a self-signed root; no partial chains), every certificate
// valid at |now|, and that the signer's key made the signature: RS256 (RSA
// ≥ 2048 bits) or ES256 (P-256). Errc::untrusted_chain, Errc::bad_signature,
// Errc::unsupported (alg). CRLs named by the chain are not fetched.
Status verify_mds_blob(const MdsBlob& blob, X509_STORE* trusted_roots, std::int64_t now);

// is_compromised_status: statuses after which no attestation of that model
// proves anything (REVOKED, *_COMPROMISE, USER_VERIFICATION_BYPASS).
bool is_compromised_status(std::string_view status);

}  // namespace paw::attest
