// paw/attest/quote.h — TPM2_Quote verification.
//
// Order (fixed, each failure names its check):
//   sizes → signing hash SHA-256 or stronger → signature over the raw
//   TPMS_ATTEST bytes with the AK (the scheme must be one the AK allows) → parse → magic → type → qualifying data →
//   PCR selection == reported set (both ways) → PCR digest recomputed from the
//   reported values with the SIGNING scheme's hash (TPM 2.0 Part 3, 18.4
//   TPM2_Quote: the digest uses the signing hash, not the bank's).
#pragma once

#include <cstdint>

#include "paw/attest/bytes.h"
#include "paw/attest/error.h"
#include "paw/attest/pcr.h"
#include "paw/attest/tpm.h"

namespace paw {

// kMaxAttestSize / kMaxSignatureSize bound the inputs before any parsing.
inline constexpr std::size_t kMaxAttestSize = sizeof(TPMS_ATTEST) + 64;
inline constexpr std::size_t kMaxSignatureSize = sizeof(TPMT_SIGNATURE) + 64;

// VerifiedQuote is a quote whose every check passed. Only verify_quote makes one,
// so code that holds a VerifiedQuote knows the PCR values in it were proven.
class VerifiedQuote {
 public:
  [[nodiscard]] const ClockInfo& clock_info() const noexcept { return clock_info_; }
  [[nodiscard]] std::uint64_t firmware_version() const noexcept { return firmware_version_; }
  [[nodiscard]] const PcrSelection& selection() const noexcept { return selection_; }
  // pcrs are the reported values the quote's digest proved.
  [[nodiscard]] const PcrValues& pcrs() const noexcept { return pcrs_; }
  [[nodiscard]] const Bytes& qualifying_data() const noexcept { return qualifying_data_; }
  [[nodiscard]] const Bytes& qualified_signer() const noexcept { return qualified_signer_; }
  [[nodiscard]] SigScheme scheme() const noexcept { return scheme_; }
  [[nodiscard]] HashAlg signing_hash() const noexcept { return signing_hash_; }

 private:
  VerifiedQuote() = default;
  friend Result<VerifiedQuote> verify_quote_with(const EVP_PKEY*, const TpmPublic*, ByteView, ByteView, ByteView,
                                                 const PcrValues&);
  ClockInfo clock_info_;
  std::uint64_t firmware_version_ = 0;
  PcrSelection selection_;
  PcrValues pcrs_;
  Bytes qualifying_data_;
  Bytes qualified_signer_;
  SigScheme scheme_ = SigScheme::rsassa;
  HashAlg signing_hash_ = HashAlg::sha256;
};

// verify_quote checks a TPM2_Quote made by |ak| (the order above).
// |attest| = TPMS_ATTEST bytes (`tpm2_quote -m`), |signature| = TPMT_SIGNATURE
// (`tpm2_quote -s`), |expected_qualifying_data| = the nonce the verifier issued,
// |reported| = the PCR values the attester claims; they must be exactly the quoted
// selection. Errc: too_large, unsupported (signing hash below SHA-256), bad_signature, malformed, trailing_data, unsupported,
// bad_magic, bad_type, nonce_mismatch, pcr_selection_mismatch, pcr_digest_mismatch.
Result<VerifiedQuote> verify_quote(const TpmPublic& ak, ByteView attest, ByteView signature,
                                   ByteView expected_qualifying_data, const PcrValues& reported);
// verify_quote with only an OpenSSL key (a PEM AK from `tpm2_createak -f pem`): the
// AK's scheme restriction cannot be checked, everything else is the same.
Result<VerifiedQuote> verify_quote(const EVP_PKEY* ak, ByteView attest, ByteView signature,
                                   ByteView expected_qualifying_data, const PcrValues& reported);

// verify_quote_with is the shared implementation (|ak_public| may be null). Prefer verify_quote.
Result<VerifiedQuote> verify_quote_with(const EVP_PKEY* ak_key, const TpmPublic* ak_public, ByteView attest,
                                        ByteView signature, ByteView expected_qualifying_data,
                                        const PcrValues& reported);

// check_quote_hash refuses a quote signed with a hash weaker than SHA-256
// (Errc::unsupported), whatever scheme the AK declares: an AK with a NULL or
// SHA-1 scheme lets whoever drives the TPM choose SHA-1, and the PCR digest
// is then SHA-1 too (collisions are practical). sha256/384/512 pass.
Status check_quote_hash(HashAlg signing_hash);

// quote_pcr_digest is H_alg(PCR values in |selection| order) as TPM2_Quote computes it.
// Errc::pcr_selection_mismatch when |values| lacks a selected PCR.
Result<Bytes> quote_pcr_digest(HashAlg alg, const PcrSelection& selection, const PcrValues& values);

// check_pcr_selection requires |quoted| and the (bank, index) pairs of |reported|
// to be the same set: a PCR reported but not quoted is unproven, one quoted but
// not reported cannot be checked. Errc::pcr_selection_mismatch naming the PCR.
Status check_pcr_selection(const PcrSelection& quoted, const PcrValues& reported);

// parse_tpm2_tools_pcrs reads the file `tpm2_quote -o` / `tpm2_pcrread -o` write in
// their default "serialized" format (tpm2-tools 5.x, little-endian host dump):
// TPML_PCR_SELECTION (4 + 16 × 8 bytes), UINT32 count, count × TPML_DIGEST
// (4 + 8 × (2 + 64) bytes). Values are assigned in selection order, index ascending.
// Errc::malformed / trailing_data / unsupported; bounds-checked throughout.
Result<PcrValues> parse_tpm2_tools_pcrs(ByteView file);

}  // namespace paw
