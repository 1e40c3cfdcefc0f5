// paw/attest/tpm.h — TPM 2.0 wire structures paw reads: public areas,
// attestation structures (quote, certify) and signatures.
//
// Every parser unmarshals with tss2-mu (never by casting bytes onto structs),
// then validates; each refuses short input (Errc::malformed) and bytes left
// over after the structure (Errc::trailing_data).
#pragma once

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "paw/attest/bytes.h"
#include "paw/attest/digest.h"
#include "paw/attest/error.h"
#include "paw/attest/pcr.h"
#include "paw/attest/secure.h"
#include "paw/attest/ossl.h"

namespace paw {

// TpmPublic is a parsed TPMT_PUBLIC (TPM 2.0 Part 2, 12.2.4). |marshalled|
// holds the exact TPMT_PUBLIC bytes as received (without the TPM2B size), the
// bytes a TPM hashes for the object name; |pub| is their decoding.
struct TpmPublic {
  Bytes marshalled;
  TPMT_PUBLIC pub{};

  [[nodiscard]] bool is_rsa() const noexcept { return pub.type == TPM2_ALG_RSA; }
  [[nodiscard]] bool is_ecc() const noexcept { return pub.type == TPM2_ALG_ECC; }
  // name_alg returns the object's nameAlg, nullopt if it is not a hash paw knows.
  [[nodiscard]] std::optional<HashAlg> name_alg() const noexcept;
};

// parse_public reads a TPM2B_PUBLIC (what `tpm2_createak -u` writes). Errc::malformed,
// Errc::trailing_data (inside the TPM2B or after it).
Result<TpmPublic> parse_public(ByteView tpm2b_public);
// parse_tpmt_public reads a bare TPMT_PUBLIC (go-tpm-tools, WebAuthn pubArea).
Result<TpmPublic> parse_tpmt_public(ByteView tpmt_public);

// object_name returns nameAlg (2 bytes, big endian) || H_nameAlg(TPMT_PUBLIC)
// (TPM 2.0 Part 1, 16 "Names"). Errc::unsupported for an unknown nameAlg.
Result<Bytes> object_name(const TpmPublic& pub);

// to_evp_pkey converts an RSA or ECC (NIST P-256/384/521) public area into an
// OpenSSL key (caller owns). Errc::unsupported for other types/curves,
// Errc::malformed when the point or modulus is invalid.
Result<EvpPkeyPtr> to_evp_pkey(const TpmPublic& pub);
// parse_pem_public_key reads a "-----BEGIN PUBLIC KEY-----" block (`tpm2_createak -f pem`).
Result<EvpPkeyPtr> parse_pem_public_key(ByteView pem);
// same_public_key compares two keys (type and parameters), false if either is null.
bool same_public_key(const EVP_PKEY* a, const EVP_PKEY* b) noexcept;
// public_matches tells whether |pub|'s key is |key|; Errc from to_evp_pkey on failure.
Result<bool> public_matches(const TpmPublic& pub, const EVP_PKEY* key);

// ClockInfo is TPMS_CLOCK_INFO (Part 2, 10.11.1): for freshness and reboot checks.
struct ClockInfo {
  std::uint64_t clock = 0;          // ms the TPM has been powered (since clear)
  std::uint32_t reset_count = 0;    // TPM Resets (reboots) since clear
  std::uint32_t restart_count = 0;  // TPM Restarts/Resumes since the last reset
  bool safe = false;                // clock was not set back since last reported
};

// PcrSelectionEntry is one TPMS_PCR_SELECTION: a bank and its selected indices (ascending).
struct PcrSelectionEntry {
  HashAlg bank = HashAlg::sha256;
  std::vector<std::uint32_t> indices;
  bool operator==(const PcrSelectionEntry&) const = default;
};
// PcrSelection keeps the TPM's order: the quote digest concatenates PCRs in it.
using PcrSelection = std::vector<PcrSelectionEntry>;

// Attest is a decoded TPMS_ATTEST (Part 2, 10.12.8). Quote fields are set for
// TPM_ST_ATTEST_QUOTE, certify fields for TPM_ST_ATTEST_CERTIFY.
struct Attest {
  std::uint32_t magic = 0;   // TPM_GENERATED_VALUE for a genuine TPM structure
  std::uint16_t type = 0;    // TPM_ST_ATTEST_*
  Bytes qualified_signer;    // TPM2B_NAME of the signing key's qualified name
  Bytes extra_data;          // qualifying data (the verifier's nonce)
  ClockInfo clock_info;
  std::uint64_t firmware_version = 0;
  // TPMS_QUOTE_INFO
  PcrSelection pcr_select;
  Bytes pcr_digest;
  // TPMS_CERTIFY_INFO
  Bytes certified_name;
  Bytes certified_qualified_name;
};

// kTpmGeneratedValue is TPM_GENERATED_VALUE (Part 2, 6.2): "\xffTCG".
inline constexpr std::uint32_t kTpmGeneratedValue = 0xff544347;
// kStAttestQuote / kStAttestCertify are TPM_ST values (Part 2, 6.9).
inline constexpr std::uint16_t kStAttestQuote = 0x8018;
inline constexpr std::uint16_t kStAttestCertify = 0x8017;

// parse_attest decodes TPMS_ATTEST bytes (the signed message). It does NOT check
// magic or type (the verifier does, in order). Errc::malformed, trailing_data,
// unsupported (a PCR bank paw does not know).
Result<Attest> parse_attest(ByteView attest);

// SigScheme is the TPMT_SIGNATURE sigAlg paw accepts (Part 2, 11.3.4).
enum class SigScheme : std::uint16_t {
  rsassa = TPM2_ALG_RSASSA,
  rsapss = TPM2_ALG_RSAPSS,
  ecdsa = TPM2_ALG_ECDSA,
};
std::string_view sig_scheme_name(SigScheme s) noexcept;

// Signature is a decoded TPMT_SIGNATURE.
struct Signature {
  SigScheme scheme = SigScheme::rsassa;
  HashAlg hash = HashAlg::sha256;
  Bytes rsa;   // RSASSA / RSAPSS signature (modulus-sized)
  Bytes ecc_r; // ECDSA r
  Bytes ecc_s; // ECDSA s
};

// parse_signature decodes TPMT_SIGNATURE bytes (what `tpm2_quote -s` writes).
// Errc::unsupported for other schemes or hashes (HMAC, SM2, ECSCHNORR, NULL).
Result<Signature> parse_signature(ByteView signature);

// verify_signature checks |sig| over |message| with |key| (hashing |message| with sig.hash).
// RSAPSS accepts any salt length the signature carries (RSA_PSS_SALTLEN_AUTO).
// Errc::bad_signature when it does not verify or the key type does not fit the scheme.
Status verify_signature(const EVP_PKEY* key, ByteView message, const Signature& sig);
// verify_signature with a TPM key also requires the key's own scheme (if not
// TPM_ALG_NULL) to be the signature's scheme and hash — a restricted key only
// signs with its scheme. Errc::bad_signature otherwise.
Status verify_signature(const TpmPublic& key, ByteView message, const Signature& sig);

}  // namespace paw
