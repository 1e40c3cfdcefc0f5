// tpm_signature.cpp — TPMT_SIGNATURE decoding and verification with OpenSSL EVP.
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <string>

#include "paw/attest/tpm.h"
#include "paw/attest/ossl.h"
#include "tpm_internal.h"

namespace paw {
namespace {

const EVP_MD* md_for(HashAlg alg) noexcept {
  switch (alg) {
    case HashAlg::sha1: return EVP_sha1();
    case HashAlg::sha256: return EVP_sha256();
    case HashAlg::sha384: return EVP_sha384();
    case HashAlg::sha512: return EVP_sha512();
    default: return nullptr;
  }
}

// ecdsa_der re-encodes TPMS_SIGNATURE_ECDSA (r, s) as the DER ECDSA-Sig-Value OpenSSL verifies.
Result<Bytes> ecdsa_der(const Signature& sig) {
  EcdsaSigPtr es(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(sig.ecc_r.data(), static_cast<int>(sig.ecc_r.size()), nullptr);
  BIGNUM* s = BN_bin2bn(sig.ecc_s.data(), static_cast<int>(sig.ecc_s.size()), nullptr);
  if (!es || r == nullptr || s == nullptr || ECDSA_SIG_set0(es.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return ossl_error(Errc::internal, "building ECDSA signature");
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(es.get(), &der);
  if (len <= 0) return ossl_error(Errc::internal, "encoding ECDSA signature");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// allowed_scheme is the scheme a TPM key's public area fixes, TPM_ALG_NULL if any.
TPM2_ALG_ID key_scheme(const TPMT_PUBLIC& p, TPM2_ALG_ID& hash) {
  if (p.type == TPM2_ALG_RSA) {
    hash = p.parameters.rsaDetail.scheme.details.anySig.hashAlg;
    return p.parameters.rsaDetail.scheme.scheme;
  }
  if (p.type == TPM2_ALG_ECC) {
    hash = p.parameters.eccDetail.scheme.details.anySig.hashAlg;
    return p.parameters.eccDetail.scheme.scheme;
  }
  hash = TPM2_ALG_NULL;
  return TPM2_ALG_NULL;
}

}  // namespace

std::string_view sig_scheme_name(SigScheme s) noexcept {
  switch (s) {
    case SigScheme::rsassa: return "rsassa";
    case SigScheme::rsapss: return "rsapss";
    case SigScheme::ecdsa: return "ecdsa";
  }
  return "unknown";
}

Result<Signature> parse_signature(ByteView signature) {
  TPMT_SIGNATURE t{};
  std::size_t offset = 0;
  // TPM 2.0 Part 2, 11.3.4 TPMT_SIGNATURE
  if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(signature.data(), signature.size(), &offset, &t) != TSS2_RC_SUCCESS) {
    return make_error(Errc::malformed, "TPMT_SIGNATURE does not unmarshal");
  }
  if (offset != signature.size()) return make_error(Errc::trailing_data, "bytes after TPMT_SIGNATURE");
  Signature out;
  switch (t.sigAlg) {
    case TPM2_ALG_RSASSA:
    case TPM2_ALG_RSAPSS: {
      const auto& rsa = t.signature.rsassa;  // same layout for rsapss (TPMS_SIGNATURE_RSA)
      const auto hash = hash_from_id(rsa.hash);
      if (!hash || md_for(*hash) == nullptr) return make_error(Errc::unsupported, "signature hash");
      out.scheme = t.sigAlg == TPM2_ALG_RSASSA ? SigScheme::rsassa : SigScheme::rsapss;
      out.hash = *hash;
      if (rsa.sig.size == 0) return make_error(Errc::malformed, "empty RSA signature");
      out.rsa.assign(rsa.sig.buffer, rsa.sig.buffer + rsa.sig.size);
      return out;
    }
    case TPM2_ALG_ECDSA: {
      const auto& ec = t.signature.ecdsa;
      const auto hash = hash_from_id(ec.hash);
      if (!hash || md_for(*hash) == nullptr) return make_error(Errc::unsupported, "signature hash");
      out.scheme = SigScheme::ecdsa;
      out.hash = *hash;
      if (ec.signatureR.size == 0 || ec.signatureS.size == 0) return make_error(Errc::malformed, "empty ECDSA r/s");
      out.ecc_r.assign(ec.signatureR.buffer, ec.signatureR.buffer + ec.signatureR.size);
      out.ecc_s.assign(ec.signatureS.buffer, ec.signatureS.buffer + ec.signatureS.size);
      return out;
    }
    default:
      return make_error(Errc::unsupported, "signature scheme is not RSASSA, RSAPSS or ECDSA");
  }
}

Status verify_signature(const EVP_PKEY* key, ByteView message, const Signature& sig) {
  if (key == nullptr) return make_error(Errc::bad_signature, "no key");
  const bool rsa_key = EVP_PKEY_is_a(key, "RSA") == 1;
  const bool ec_key = EVP_PKEY_is_a(key, "EC") == 1;
  if ((sig.scheme == SigScheme::ecdsa && !ec_key) || (sig.scheme != SigScheme::ecdsa && !rsa_key)) {
    return make_error(Errc::bad_signature, "key type does not fit the " + std::string(sig_scheme_name(sig.scheme)) +
                                               " signature");
  }
  Bytes der;
  ByteView sig_bytes = sig.rsa;
  if (sig.scheme == SigScheme::ecdsa) {
    PAW_TRY(der, ecdsa_der(sig));
    sig_bytes = der;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, md_for(sig.hash), nullptr, const_cast<EVP_PKEY*>(key)) != 1) {
    return ossl_error(Errc::internal, "EVP_DigestVerifyInit");
  }
  if (sig.scheme == SigScheme::rsapss) {
    // TPM 2.0 Part 1, B.7: the TPM uses the largest salt that fits (hash length for
    // RSA-2048); the verifier recovers whatever salt the signature carries.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md_for(sig.hash)) != 1) {
      return ossl_error(Errc::internal, "PSS parameters");
    }
  } else if (sig.scheme == SigScheme::rsassa) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
      return ossl_error(Errc::internal, "PKCS#1 v1.5 padding");
    }
  }
  const int rc = EVP_DigestVerify(ctx.get(), sig_bytes.data(), sig_bytes.size(), message.data(), message.size());
  ERR_clear_error();
  if (rc != 1) {
    return make_error(Errc::bad_signature, std::string(sig_scheme_name(sig.scheme)) + "/" +
                                               std::string(hash_name(sig.hash)) + " signature does not verify");
  }
  return ok_status();
}

Status verify_signature(const TpmPublic& key, ByteView message, const Signature& sig) {
  TPM2_ALG_ID want_hash = TPM2_ALG_NULL;
  const TPM2_ALG_ID want = key_scheme(key.pub, want_hash);
  if (want != TPM2_ALG_NULL &&
      (want != static_cast<TPM2_ALG_ID>(sig.scheme) || want_hash != static_cast<TPM2_ALG_ID>(sig.hash))) {
    return make_error(Errc::bad_signature, "signature scheme " + std::string(sig_scheme_name(sig.scheme)) + "/" +
                                               std::string(hash_name(sig.hash)) + " is not the key's scheme");
  }
  PAW_TRY(EvpPkeyPtr pkey, to_evp_pkey(key));
  return verify_signature(pkey.get(), message, sig);
}

}  // namespace paw
