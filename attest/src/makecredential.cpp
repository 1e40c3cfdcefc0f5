// makecredential.cpp — software TPM2_MakeCredential (TPM 2.0 Part 1, 24;
// Part 3, 12.6; Part 1, 11.4.10 KDFa/KDFe; Annex B.10.3 / C.6.4 secret sharing).
#include "paw/attest/makecredential.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include <cstring>

#include "paw/attest/digest.h"
#include "paw/attest/secure.h"
#include "paw/attest/ossl.h"
#include "tpm_internal.h"

namespace paw {
namespace {

// Labels (Part 1, 24.4 and B.10.3): the NUL terminator is part of each label.
constexpr std::string_view kIdentity = "IDENTITY";
constexpr std::string_view kStorage = "STORAGE";
constexpr std::string_view kIntegrity = "INTEGRITY";

const EVP_MD* md_for(HashAlg alg) noexcept {
  switch (alg) {
    case HashAlg::sha1: return EVP_sha1();
    case HashAlg::sha256: return EVP_sha256();
    case HashAlg::sha384: return EVP_sha384();
    case HashAlg::sha512: return EVP_sha512();
    default: return nullptr;
  }
}

void put_u32(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}
void put_2b(Bytes& out, ByteView b) {
  out.push_back(static_cast<std::uint8_t>(b.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(b.size() & 0xff));
  out.insert(out.end(), b.begin(), b.end());
}

struct EkParams {
  HashAlg name_alg;
  const EVP_CIPHER* cipher;
  std::size_t sym_bits;
};

// ek_params checks the EK is a restricted decryption key with AES-CFB (Part 1, 24.1:
// the credential is protected with the EK's symmetric algorithm and nameAlg).
Result<EkParams> ek_params(const TpmPublic& ek) {
  const auto attrs = ek.pub.objectAttributes;
  if ((attrs & TPMA_OBJECT_RESTRICTED) == 0 || (attrs & TPMA_OBJECT_DECRYPT) == 0) {
    return make_error(Errc::unsupported, "EK is not a restricted decryption key");
  }
  const auto alg = ek.name_alg();
  if (!alg || md_for(*alg) == nullptr) return make_error(Errc::unsupported, "EK nameAlg");
  if (!ek.is_rsa() && !ek.is_ecc()) return make_error(Errc::unsupported, "EK is neither RSA nor ECC");
  const TPMT_SYM_DEF_OBJECT& sym =
      ek.is_rsa() ? ek.pub.parameters.rsaDetail.symmetric : ek.pub.parameters.eccDetail.symmetric;
  if (sym.algorithm != TPM2_ALG_AES || sym.mode.aes != TPM2_ALG_CFB) {
    return make_error(Errc::unsupported, "EK symmetric algorithm is not AES-CFB");
  }
  switch (sym.keyBits.aes) {
    case 128: return EkParams{*alg, EVP_aes_128_cfb128(), 128};
    case 192: return EkParams{*alg, EVP_aes_192_cfb128(), 192};
    case 256: return EkParams{*alg, EVP_aes_256_cfb128(), 256};
    default: return make_error(Errc::unsupported, "EK AES key size");
  }
}

// rsa_secret wraps |seed| with RSA-OAEP(nameAlg, label "IDENTITY\0") (Part 1, B.10.3).
Result<Bytes> rsa_secret(const TpmPublic& ek, HashAlg alg, ByteView seed) {
  PAW_TRY(EvpPkeyPtr key, to_evp_pkey(ek));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md_for(alg)) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md_for(alg)) != 1) {
    return ossl_error(Errc::internal, "OAEP setup");
  }
  auto* label = static_cast<unsigned char*>(OPENSSL_malloc(kIdentity.size() + 1));
  if (label == nullptr) return make_error(Errc::internal, "out of memory");
  std::memcpy(label, kIdentity.data(), kIdentity.size());
  label[kIdentity.size()] = 0;
  if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label, static_cast<int>(kIdentity.size() + 1)) != 1) {
    OPENSSL_free(label);
    return ossl_error(Errc::internal, "OAEP label");
  }
  std::size_t len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, seed.data(), seed.size()) != 1) {
    return ossl_error(Errc::internal, "OAEP size");
  }
  Bytes out(len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, seed.data(), seed.size()) != 1) {
    return ossl_error(Errc::internal, "OAEP encrypt");
  }
  out.resize(len);
  return out;
}

struct EccShared {
  SecretBytes seed;
  Bytes encrypted_secret;  // marshalled TPMS_ECC_POINT of the ephemeral key
};

Result<int> ecc_nid(TPMI_ECC_CURVE curve) {
  switch (curve) {
    case TPM2_ECC_NIST_P256: return NID_X9_62_prime256v1;
    case TPM2_ECC_NIST_P384: return NID_secp384r1;
    default: return make_error(Errc::unsupported, "EK curve is not NIST P-256 or P-384");
  }
}

Bytes bn_bytes(const BIGNUM* bn, std::size_t size) {
  Bytes out(size);
  BN_bn2binpad(bn, out.data(), static_cast<int>(size));
  return out;
}

// ecc_secret does one-pass ECDH with an ephemeral key and derives the seed
// with KDFe(nameAlg, Z, "IDENTITY\0", ephemeral.x, ek.x) (Part 1, C.6.4).
Result<EccShared> ecc_secret(const TpmPublic& ek, HashAlg alg, ByteView scalar) {
  PAW_TRY(const int nid, ecc_nid(ek.pub.parameters.eccDetail.curveID));
  EcGroupPtr group(EC_GROUP_new_by_curve_name(nid));
  BnCtxPtr bctx(BN_CTX_new());
  if (!group || !bctx) return ossl_error(Errc::internal, "EC group");
  const std::size_t field = static_cast<std::size_t>((EC_GROUP_get_degree(group.get()) + 7) / 8);
  const auto& ux = ek.pub.unique.ecc.x;
  const auto& uy = ek.pub.unique.ecc.y;
  BnPtr ekx(BN_bin2bn(ux.buffer, ux.size, nullptr));
  BnPtr eky(BN_bin2bn(uy.buffer, uy.size, nullptr));
  EcPointPtr ek_point(EC_POINT_new(group.get()));
  // EC_POINT_set_affine_coordinates refuses points that are not on the curve.
  if (!ekx || !eky || !ek_point ||
      EC_POINT_set_affine_coordinates(group.get(), ek_point.get(), ekx.get(), eky.get(), bctx.get()) != 1) {
    return ossl_error(Errc::malformed, "EK point is not on its curve");
  }
  BnPtr d(BN_new());
  if (!d) return make_error(Errc::internal, "BN_new");
  if (scalar.empty()) {
    if (BN_priv_rand_range(d.get(), EC_GROUP_get0_order(group.get())) != 1) {
      return ossl_error(Errc::internal, "ephemeral scalar");
    }
  } else if (BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), d.get()) == nullptr) {
    return ossl_error(Errc::internal, "ephemeral scalar");
  }
  if (BN_is_zero(d.get()) || BN_cmp(d.get(), EC_GROUP_get0_order(group.get())) >= 0) {
    return make_error(Errc::malformed, "ephemeral scalar out of range");
  }
  EcPointPtr q(EC_POINT_new(group.get()));
  EcPointPtr z(EC_POINT_new(group.get()));
  BnPtr qx(BN_new()), qy(BN_new()), zx(BN_new());
  if (!q || !z || !qx || !qy || !zx || EC_POINT_mul(group.get(), q.get(), d.get(), nullptr, nullptr, bctx.get()) != 1 ||
      EC_POINT_mul(group.get(), z.get(), nullptr, ek_point.get(), d.get(), bctx.get()) != 1 ||
      EC_POINT_get_affine_coordinates(group.get(), q.get(), qx.get(), qy.get(), bctx.get()) != 1 ||
      EC_POINT_get_affine_coordinates(group.get(), z.get(), zx.get(), nullptr, bctx.get()) != 1) {
    BN_clear(d.get());
    return ossl_error(Errc::internal, "ECDH");
  }
  BN_clear(d.get());
  const SecretBytes zbytes(bn_bytes(zx.get(), field));
  const Bytes qxb = bn_bytes(qx.get(), field);
  PAW_TRY(Bytes seed, detail::kdfe(alg, zbytes.view(), kIdentity, qxb, ByteView(ux.buffer, ux.size),
                                   hash_size(alg) * 8));
  EccShared out{SecretBytes(std::move(seed)), {}};
  put_2b(out.encrypted_secret, qxb);  // TPM 2.0 Part 2, 11.2.5.2 TPMS_ECC_POINT
  put_2b(out.encrypted_secret, bn_bytes(qy.get(), field));
  return out;
}

Result<Bytes> aes_cfb(const EVP_CIPHER* cipher, ByteView key, ByteView plain) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  const std::uint8_t iv[16] = {};  // Part 1, 24.4: the IV is zero (the key is single-use)
  Bytes out(plain.size() + 16);
  int len = 0;
  int fin = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, key.data(), iv) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, plain.data(), static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1) {
    return ossl_error(Errc::internal, "AES-CFB");
  }
  out.resize(static_cast<std::size_t>(len + fin));
  return out;
}


// protect builds TPM2B_ID_OBJECT from the seed (Part 1, 24.4 and 24.5).
Result<Bytes> protect(const EkParams& p, ByteView seed, ByteView credential, ByteView name) {
  PAW_TRY(Bytes sym_raw, detail::kdfa(p.name_alg, seed, kStorage, name, {}, p.sym_bits));
  const SecretBytes sym(std::move(sym_raw));
  Bytes plain;
  put_2b(plain, credential);  // the credential is a marshalled TPM2B_DIGEST
  const SecretBytes plain_secret(std::move(plain));
  PAW_TRY(const Bytes enc, aes_cfb(p.cipher, sym.view(), plain_secret.view()));
  PAW_TRY(Bytes hkey_raw, detail::kdfa(p.name_alg, seed, kIntegrity, {}, {}, hash_size(p.name_alg) * 8));
  const SecretBytes hkey(std::move(hkey_raw));
  Bytes mac_input = enc;
  mac_input.insert(mac_input.end(), name.begin(), name.end());
  PAW_TRY(const Bytes outer, hmac(p.name_alg, hkey.view(), mac_input));
  Bytes inner;
  put_2b(inner, outer);
  inner.insert(inner.end(), enc.begin(), enc.end());
  Bytes id_object;
  put_2b(id_object, inner);  // TPM 2.0 Part 2, 12.4.3 TPM2B_ID_OBJECT
  return id_object;
}

}  // namespace

namespace detail {

Result<Bytes> kdfa(HashAlg alg, ByteView key, std::string_view label, ByteView context_u, ByteView context_v,
                   std::size_t bits) {
  if (md_for(alg) == nullptr || bits == 0 || bits % 8 != 0) return make_error(Errc::unsupported, "KDFa parameters");
  Bytes out;
  for (std::uint32_t counter = 1; out.size() < bits / 8; ++counter) {
    Bytes msg;
    put_u32(msg, counter);
    msg.insert(msg.end(), label.begin(), label.end());
    msg.push_back(0);
    msg.insert(msg.end(), context_u.begin(), context_u.end());
    msg.insert(msg.end(), context_v.begin(), context_v.end());
    put_u32(msg, static_cast<std::uint32_t>(bits));
    PAW_TRY(const Bytes block, hmac(alg, key, msg));
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(bits / 8);
  return out;
}

Result<Bytes> kdfe(HashAlg alg, ByteView z, std::string_view label, ByteView party_u, ByteView party_v,
                   std::size_t bits) {
  if (md_for(alg) == nullptr || bits == 0 || bits % 8 != 0) return make_error(Errc::unsupported, "KDFe parameters");
  Bytes out;
  for (std::uint32_t counter = 1; out.size() < bits / 8; ++counter) {
    Bytes msg;
    put_u32(msg, counter);
    msg.insert(msg.end(), z.begin(), z.end());
    msg.insert(msg.end(), label.begin(), label.end());
    msg.push_back(0);
    msg.insert(msg.end(), party_u.begin(), party_u.end());
    msg.insert(msg.end(), party_v.begin(), party_v.end());
    PAW_TRY(const Bytes block, digest(alg, msg));
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(bits / 8);
  return out;
}

Result<CredentialBlob> make_credential_with(const TpmPublic& ek, ByteView credential, ByteView ak_name,
                                            ByteView randomness) {
  PAW_TRY(const EkParams p, ek_params(ek));
  const std::size_t hlen = hash_size(p.name_alg);
  if (credential.empty() || credential.size() > hlen) {
    return make_error(Errc::malformed, "credential must be 1.." + std::to_string(hlen) + " bytes");
  }
  if (ak_name.size() < 2 || ak_name.size() > sizeof(TPMU_NAME)) return make_error(Errc::malformed, "AK name size");
  CredentialBlob out;
  Bytes secret;
  if (ek.is_rsa()) {
    SecretBytes seed;
    if (randomness.empty()) {
      PAW_TRY(Bytes r, random_bytes(hlen));
      seed = SecretBytes(std::move(r));
    } else {
      seed = SecretBytes(randomness);
    }
    PAW_TRY(secret, rsa_secret(ek, p.name_alg, seed.view()));
    PAW_TRY(out.credential_blob, protect(p, seed.view(), credential, ak_name));
  } else {
    PAW_TRY(EccShared shared, ecc_secret(ek, p.name_alg, randomness));
    secret = std::move(shared.encrypted_secret);
    PAW_TRY(out.credential_blob, protect(p, shared.seed.view(), credential, ak_name));
  }
  put_2b(out.encrypted_secret, secret);  // TPM 2.0 Part 2, 11.4.33 TPM2B_ENCRYPTED_SECRET
  return out;
}

}  // namespace detail

Result<CredentialBlob> make_credential(const TpmPublic& ek, ByteView credential, ByteView ak_name) {
  return detail::make_credential_with(ek, credential, ak_name, {});
}

Bytes tpm2_tools_credential_file(const CredentialBlob& blob) {
  Bytes out;
  put_u32(out, 0xBADCC0DE);  // tpm2-tools file header magic, big-endian
  put_u32(out, 1);           // version
  out.insert(out.end(), blob.credential_blob.begin(), blob.credential_blob.end());
  out.insert(out.end(), blob.encrypted_secret.begin(), blob.encrypted_secret.end());
  return out;
}

Result<CredentialBlob> parse_tpm2_tools_credential_file(ByteView file) {
  Reader r(file);
  std::uint32_t magic = 0;
  std::uint32_t version = 0;
  ByteView id;
  ByteView secret;
  if (!r.u32be(magic) || !r.u32be(version)) return make_error(Errc::malformed, "credential file header");
  if (magic != 0xBADCC0DE || version != 1) return make_error(Errc::malformed, "credential file magic/version");
  const std::size_t id_start = r.offset();
  if (!r.u16be_prefixed(id)) return make_error(Errc::malformed, "TPM2B_ID_OBJECT");
  const std::size_t secret_start = r.offset();
  if (!r.u16be_prefixed(secret)) return make_error(Errc::malformed, "TPM2B_ENCRYPTED_SECRET");
  if (!r.done()) return make_error(Errc::trailing_data, "bytes after the credential");
  return CredentialBlob{Bytes(file.begin() + static_cast<std::ptrdiff_t>(id_start),
                              file.begin() + static_cast<std::ptrdiff_t>(secret_start)),
                        Bytes(file.begin() + static_cast<std::ptrdiff_t>(secret_start), file.end())};
}

}  // namespace paw
