// tpm_public.cpp — TPMT_PUBLIC / TPM2B_PUBLIC: parsing, names, OpenSSL keys.
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <tss2/tss2_mu.h>

#include <cstring>

#include "paw/attest/tpm.h"
#include "paw/attest/ossl.h"
#include "tpm_internal.h"

namespace paw {
namespace {

// validate_public checks what tss2-mu cannot: a key type paw can reason about
// and sizes that fit the declared parameters.
Status validate_public(const TPMT_PUBLIC& p) {
  switch (p.type) {
    case TPM2_ALG_RSA: {
      const auto bits = p.parameters.rsaDetail.keyBits;
      if (bits == 0 || bits % 8 != 0 || p.unique.rsa.size != bits / 8) {
        return make_error(Errc::malformed, "RSA modulus size does not match keyBits");
      }
      return ok_status();
    }
    case TPM2_ALG_ECC:
    case TPM2_ALG_KEYEDHASH:
    case TPM2_ALG_SYMCIPHER:
      return ok_status();
    default:
      return make_error(Errc::unsupported, "public area type is not RSA, ECC, keyedhash or symcipher");
  }
}

Result<TpmPublic> unmarshal_tpmt(ByteView bytes) {
  TpmPublic out;
  std::size_t offset = 0;
  // TPM 2.0 Part 2, 12.2.4 TPMT_PUBLIC
  if (Tss2_MU_TPMT_PUBLIC_Unmarshal(bytes.data(), bytes.size(), &offset, &out.pub) != TSS2_RC_SUCCESS) {
    return make_error(Errc::malformed, "TPMT_PUBLIC does not unmarshal");
  }
  if (offset != bytes.size()) return make_error(Errc::trailing_data, "bytes after TPMT_PUBLIC");
  PAW_CHECK(validate_public(out.pub));
  out.marshalled.assign(bytes.begin(), bytes.end());
  return out;
}

Result<int> curve_nid(TPMI_ECC_CURVE curve, std::size_t& field_bytes) {
  switch (curve) {  // TPM 2.0 Part 2, 6.4 TPM_ECC_CURVE
    case TPM2_ECC_NIST_P256: field_bytes = 32; return NID_X9_62_prime256v1;
    case TPM2_ECC_NIST_P384: field_bytes = 48; return NID_secp384r1;
    case TPM2_ECC_NIST_P521: field_bytes = 66; return NID_secp521r1;
    default: return make_error(Errc::unsupported, "ECC curve is not NIST P-256/384/521");
  }
}

Result<EvpPkeyPtr> from_params(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return ossl_error(Errc::internal, "EVP_PKEY_fromdata_init");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1 || raw == nullptr) {
    return ossl_error(Errc::malformed, std::string("public key is not a valid ") + type + " key");
  }
  return EvpPkeyPtr(raw);
}

Result<EvpPkeyPtr> rsa_key(const TPMT_PUBLIC& p) {
  BnPtr n(BN_bin2bn(p.unique.rsa.buffer, p.unique.rsa.size, nullptr));
  // TPM 2.0 Part 2, 12.2.3.5 TPMS_RSA_PARMS: exponent 0 means 2^16 + 1.
  const std::uint32_t exp = p.parameters.rsaDetail.exponent == 0 ? 65537u : p.parameters.rsaDetail.exponent;
  BnPtr e(BN_new());
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || BN_set_word(e.get(), exp) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return ossl_error(Errc::internal, "building RSA parameters");
  }
  return from_params("RSA", bld.get());
}

Result<EvpPkeyPtr> ecc_key(const TPMT_PUBLIC& p) {
  std::size_t field = 0;
  PAW_TRY(const int nid, curve_nid(p.parameters.eccDetail.curveID, field));
  const auto& x = p.unique.ecc.x;
  const auto& y = p.unique.ecc.y;
  if (x.size > field || y.size > field) return make_error(Errc::malformed, "ECC coordinate longer than the field");
  // SEC 1, 2.3.3: uncompressed point 0x04 || X || Y, coordinates left-padded.
  Bytes point(1 + 2 * field, 0);
  point[0] = 0x04;
  std::memcpy(point.data() + 1 + (field - x.size), x.buffer, x.size);
  std::memcpy(point.data() + 1 + field + (field - y.size), y.buffer, y.size);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, OBJ_nid2sn(nid), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return ossl_error(Errc::internal, "building EC parameters");
  }
  return from_params("EC", bld.get());
}

}  // namespace

std::optional<HashAlg> TpmPublic::name_alg() const noexcept { return hash_from_id(pub.nameAlg); }

Result<TpmPublic> parse_public(ByteView tpm2b_public) {
  // TPM 2.0 Part 2, 12.2.5 TPM2B_PUBLIC: UINT16 size, then TPMT_PUBLIC.
  Reader r(tpm2b_public);
  ByteView inner;
  if (!r.u16be_prefixed(inner) || inner.empty()) return make_error(Errc::malformed, "TPM2B_PUBLIC size");
  if (!r.done()) return make_error(Errc::trailing_data, "bytes after TPM2B_PUBLIC");
  return unmarshal_tpmt(inner);
}

Result<TpmPublic> parse_tpmt_public(ByteView tpmt_public) { return unmarshal_tpmt(tpmt_public); }

Result<Bytes> object_name(const TpmPublic& pub) {
  const auto alg = pub.name_alg();
  if (!alg) return make_error(Errc::unsupported, "object nameAlg is not a known hash");
  PAW_TRY(Bytes h, digest(*alg, pub.marshalled));
  // TPM 2.0 Part 1, 16: Name = nameAlg || H_nameAlg(publicArea)
  Bytes name{static_cast<std::uint8_t>(pub.pub.nameAlg >> 8), static_cast<std::uint8_t>(pub.pub.nameAlg & 0xff)};
  name.insert(name.end(), h.begin(), h.end());
  return name;
}

Result<EvpPkeyPtr> to_evp_pkey(const TpmPublic& pub) {
  if (pub.is_rsa()) return rsa_key(pub.pub);
  if (pub.is_ecc()) return ecc_key(pub.pub);
  return make_error(Errc::unsupported, "public area is not an RSA or ECC key");
}

Result<EvpPkeyPtr> parse_pem_public_key(ByteView pem) {
  if (pem.size() > (1u << 16)) return make_error(Errc::too_large, "PEM public key larger than 64 KiB");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return ossl_error(Errc::internal, "BIO_new_mem_buf");
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) return ossl_error(Errc::malformed, "not a PEM public key");
  return EvpPkeyPtr(key);
}

bool same_public_key(const EVP_PKEY* a, const EVP_PKEY* b) noexcept {
  if (a == nullptr || b == nullptr) return false;
  return EVP_PKEY_eq(a, b) == 1;
}

Result<bool> public_matches(const TpmPublic& pub, const EVP_PKEY* key) {
  PAW_TRY(EvpPkeyPtr mine, to_evp_pkey(pub));
  return same_public_key(mine.get(), key);
}

}  // namespace paw
