// quote.cpp — TPM2_Quote verification in the fixed order of quote.h.
#include "paw/attest/quote.h"

#include <set>
#include <string>
#include <utility>

#include "tpm_internal.h"

namespace paw {
namespace {

using PcrKey = std::pair<HashAlg, std::uint32_t>;

std::string pcr_label(const PcrKey& k) { return std::string(hash_name(k.first)) + ":" + std::to_string(k.second); }


}  // namespace

Status check_pcr_selection(const PcrSelection& quoted, const PcrValues& reported) {
  std::set<PcrKey> q;
  for (const auto& e : quoted) {
    for (auto i : e.indices) q.emplace(e.bank, i);
  }
  std::set<PcrKey> r;
  for (const auto& [bank, values] : reported) {
    for (const auto& [index, value] : values) r.emplace(bank, index);
  }
  for (const auto& k : q) {
    if (r.count(k) == 0) return make_error(Errc::pcr_selection_mismatch, "quoted PCR " + pcr_label(k) + " not reported");
  }
  for (const auto& k : r) {
    if (q.count(k) == 0) return make_error(Errc::pcr_selection_mismatch, "reported PCR " + pcr_label(k) + " not quoted");
  }
  return ok_status();
}

Status check_quote_hash(HashAlg signing_hash) {
  switch (signing_hash) {
    case HashAlg::sha256:
    case HashAlg::sha384:
    case HashAlg::sha512:
      return ok_status();
    default:
      return make_error(Errc::unsupported, "signature: quote signed with " + std::string(hash_name(signing_hash)) +
                                               ", weaker than SHA-256");
  }
}

Result<Bytes> quote_pcr_digest(HashAlg alg, const PcrSelection& selection, const PcrValues& values) {
  Bytes concat;
  for (const auto& e : selection) {
    const auto bank = values.find(e.bank);
    for (auto i : e.indices) {
      if (bank == values.end() || bank->second.count(i) == 0) {
        return make_error(Errc::pcr_selection_mismatch, "no value for PCR " + pcr_label({e.bank, i}));
      }
      const Bytes& v = bank->second.at(i);
      concat.insert(concat.end(), v.begin(), v.end());
    }
  }
  return digest(alg, concat);
}

namespace detail {
Result<SignedAttest> verify_signed_attest(const EVP_PKEY* ak_key, const TpmPublic* ak_public, ByteView attest,
                                          ByteView signature, std::uint16_t type) {
  // 1. sizes
  if (attest.size() > kMaxAttestSize) return make_error(Errc::too_large, "sizes: TPMS_ATTEST too large");
  if (signature.size() > kMaxSignatureSize) return make_error(Errc::too_large, "sizes: TPMT_SIGNATURE too large");
  // 2. signature over the raw bytes, before anything inside them is trusted
  PAW_TRY(Signature sig, parse_signature(signature));
  PAW_CHECK(check_quote_hash(sig.hash));
  if (ak_public != nullptr) {
    PAW_CHECK(verify_signature(*ak_public, attest, sig));
  } else {
    PAW_CHECK(verify_signature(ak_key, attest, sig));
  }
  // 3. parse
  PAW_TRY(Attest a, parse_attest(attest));
  // 4. magic: TPM 2.0 Part 2, 6.2 TPM_GENERATED_VALUE — the TPM made this structure
  if (a.magic != kTpmGeneratedValue) return make_error(Errc::bad_magic, "magic: not TPM_GENERATED_VALUE");
  // 5. type: TPM 2.0 Part 2, 6.9 TPM_ST_ATTEST_QUOTE / TPM_ST_ATTEST_CERTIFY
  if (a.type != type) {
    return make_error(Errc::bad_type, type == kStAttestQuote ? "type: not TPM_ST_ATTEST_QUOTE"
                                                             : "type: not TPM_ST_ATTEST_CERTIFY");
  }
  return SignedAttest{std::move(a), std::move(sig)};
}
}  // namespace detail

Result<VerifiedQuote> verify_quote_with(const EVP_PKEY* ak_key, const TpmPublic* ak_public, ByteView attest,
                                        ByteView signature, ByteView expected_qualifying_data,
                                        const PcrValues& reported) {
  PAW_CHECK(validate_pcr_values(reported));
  // 1-5. sizes, signature, parse, magic, type
  PAW_TRY(detail::SignedAttest signed_attest,
          detail::verify_signed_attest(ak_key, ak_public, attest, signature, kStAttestQuote));
  Attest& a = signed_attest.attest;
  const Signature& sig = signed_attest.signature;
  // 6. qualifying data: the verifier's nonce, so the quote is fresh
  if (!ct_equal(a.extra_data, expected_qualifying_data)) {
    return make_error(Errc::nonce_mismatch, "qualifying data: extraData differs from the expected nonce");
  }
  // 7. PCR selection, both ways
  PAW_CHECK(check_pcr_selection(a.pcr_select, reported));
  // 8. PCR digest with the signing scheme's hash (not the bank's)
  PAW_TRY(const Bytes want, quote_pcr_digest(sig.hash, a.pcr_select, reported));
  if (!ct_equal(want, a.pcr_digest)) {
    return make_error(Errc::pcr_digest_mismatch, "PCR digest: quoted digest differs from " +
                                                     std::string(hash_name(sig.hash)) + " of the reported PCRs");
  }
  VerifiedQuote v;
  v.clock_info_ = a.clock_info;
  v.firmware_version_ = a.firmware_version;
  v.selection_ = std::move(a.pcr_select);
  v.pcrs_ = reported;
  v.qualifying_data_ = std::move(a.extra_data);
  v.qualified_signer_ = std::move(a.qualified_signer);
  v.scheme_ = sig.scheme;
  v.signing_hash_ = sig.hash;
  return v;
}

Result<VerifiedQuote> verify_quote(const TpmPublic& ak, ByteView attest, ByteView signature,
                                   ByteView expected_qualifying_data, const PcrValues& reported) {
  return verify_quote_with(nullptr, &ak, attest, signature, expected_qualifying_data, reported);
}

Result<VerifiedQuote> verify_quote(const EVP_PKEY* ak, ByteView attest, ByteView signature,
                                   ByteView expected_qualifying_data, const PcrValues& reported) {
  return verify_quote_with(ak, nullptr, attest, signature, expected_qualifying_data, reported);
}

}  // namespace paw
