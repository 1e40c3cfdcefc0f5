// soft_tpm.cpp — the TPM half of the software device. Structures are built as
// TPM 2.0 Part 2 defines them and marshalled with tss2-mu, exactly what
// tpm2-tools writes for a real TPM.
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <tss2/tss2_mu.h>

#include <cstring>

#include "paw/attest/digest.h"
#include "paw/attest/quote.h"
#include "soft_internal.h"

namespace paw::soft {
namespace {

Error fail(const std::string& what) { return make_error(Errc::internal, "soft tpm: " + what); }

// TCG EK Credential Profile 2.x, B.3.3: the EK policy (PolicySecret(TPM_RH_ENDORSEMENT)).
constexpr std::uint8_t kEkAuthPolicy[32] = {0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
                                            0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
                                            0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};

void set_point(TPMS_ECC_POINT& p, const Bytes& x, const Bytes& y) {
  p.x.size = static_cast<UINT16>(x.size());
  std::memcpy(p.x.buffer, x.data(), x.size());
  p.y.size = static_cast<UINT16>(y.size());
  std::memcpy(p.y.buffer, y.data(), y.size());
}

Result<Bytes> marshal_public(const TPMT_PUBLIC& area) {
  TPM2B_PUBLIC pub{};
  pub.publicArea = area;
  std::uint8_t buf[sizeof(TPM2B_PUBLIC)];
  std::size_t off = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, buf, sizeof buf, &off) != TSS2_RC_SUCCESS) return fail("marshal public");
  return Bytes(buf, buf + off);
}

// ek_template: TCG EK Credential Profile 2.x, B.3.4 template L-2 (ECC NIST P-256).
Result<Bytes> ek_public_area(const EVP_PKEY* ek) {
  PAW_TRY(auto xy, ec_point(ek));
  TPMT_PUBLIC a{};
  a.type = TPM2_ALG_ECC;
  a.nameAlg = TPM2_ALG_SHA256;
  a.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
  a.authPolicy.size = sizeof kEkAuthPolicy;
  std::memcpy(a.authPolicy.buffer, kEkAuthPolicy, sizeof kEkAuthPolicy);
  a.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
  a.parameters.eccDetail.symmetric.keyBits.aes = 128;
  a.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
  a.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  a.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  a.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  set_point(a.unique.ecc, xy.first, xy.second);
  return marshal_public(a);
}

// ak_public_area: a restricted ECDSA-SHA256 signing key as `tpm2_createak -G ecc` makes.
Result<Bytes> ak_public_area(const EVP_PKEY* ak) {
  PAW_TRY(auto xy, ec_point(ak));
  TPMT_PUBLIC a{};
  a.type = TPM2_ALG_ECC;
  a.nameAlg = TPM2_ALG_SHA256;
  a.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
  a.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  a.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
  a.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  a.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  a.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  set_point(a.unique.ecc, xy.first, xy.second);
  return marshal_public(a);
}

Result<Bytes> hmac_sha256(ByteView key, ByteView data) {
  Bytes out(32);
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len) ==
          nullptr ||
      len != 32) {
    return fail("HMAC");
  }
  return out;
}

void put_u32be(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

// kdfa is KDFa with SHA-256 (TPM 2.0 Part 1, 11.4.10.2): counter-mode HMAC over
// [i]32 || label || 0x00 || contextU || contextV || [bits]32.
Result<Bytes> kdfa(ByteView key, std::string_view label, ByteView context_u, ByteView context_v, std::uint32_t bits) {
  Bytes out;
  for (std::uint32_t i = 1; out.size() * 8 < bits; ++i) {
    Bytes msg;
    put_u32be(msg, i);
    msg.insert(msg.end(), label.begin(), label.end());
    msg.push_back(0);
    msg.insert(msg.end(), context_u.begin(), context_u.end());
    msg.insert(msg.end(), context_v.begin(), context_v.end());
    put_u32be(msg, bits);
    PAW_TRY(Bytes block, hmac_sha256(key, msg));
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(bits / 8);
  return out;
}

// kdfe is KDFe with SHA-256 (TPM 2.0 Part 1, 11.4.10.3): H([i]32 || Z || label || 0x00 || partyU || partyV).
Bytes kdfe(ByteView z, std::string_view label, ByteView party_u, ByteView party_v, std::uint32_t bits) {
  Bytes out;
  for (std::uint32_t i = 1; out.size() * 8 < bits; ++i) {
    Bytes msg;
    put_u32be(msg, i);
    msg.insert(msg.end(), z.begin(), z.end());
    msg.insert(msg.end(), label.begin(), label.end());
    msg.push_back(0);
    msg.insert(msg.end(), party_u.begin(), party_u.end());
    msg.insert(msg.end(), party_v.begin(), party_v.end());
    const Bytes block = sha256(msg);
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(bits / 8);
  return out;
}

Result<EvpPkeyPtr> p256_public(ByteView x, ByteView y) {
  Bytes point = {0x04};
  point.insert(point.end(), x.begin(), x.end());
  point.insert(point.end(), y.begin(), y.end());
  UniquePtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("P-256"), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()), OSSL_PARAM_construct_end()};
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return make_error(Errc::malformed, "soft tpm: ephemeral point is not on P-256");
  }
  return EvpPkeyPtr(key);
}

Result<Bytes> ecdh_x(EVP_PKEY* priv, EVP_PKEY* peer) {
  UniquePtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free> ctx(EVP_PKEY_CTX_new(priv, nullptr));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 || EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return make_error(Errc::activation_failed, "soft tpm: ECDH failed");
  }
  Bytes z(len);
  if (EVP_PKEY_derive(ctx.get(), z.data(), &len) != 1) return make_error(Errc::activation_failed, "soft tpm: ECDH failed");
  z.resize(len);
  return z;
}

Result<Bytes> aes128_cfb_decrypt(ByteView key, ByteView data) {
  UniquePtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free> ctx(EVP_CIPHER_CTX_new());
  const std::uint8_t iv[16] = {};
  Bytes out(data.size() + 16);
  int n1 = 0;
  int n2 = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_cfb128(), nullptr, key.data(), iv) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &n1, data.data(), static_cast<int>(data.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out.data() + n1, &n2) != 1) {
    return fail("AES-CFB");
  }
  out.resize(static_cast<std::size_t>(n1 + n2));
  return out;
}

}  // namespace

Result<std::pair<Bytes, Bytes>> ec_point(const EVP_PKEY* key) {
  std::uint8_t buf[65];
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &len) != 1 || len != 65 ||
      buf[0] != 0x04) {
    return fail("EC point");
  }
  return std::pair<Bytes, Bytes>{Bytes(buf + 1, buf + 33), Bytes(buf + 33, buf + 65)};
}

Result<Bytes> ecdsa_sign_der(EVP_PKEY* key, ByteView message) {
  UniquePtr<EVP_MD_CTX, EVP_MD_CTX_free> ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return fail("ECDSA");
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) return fail("ECDSA");
  sig.resize(len);
  return sig;
}

Result<SoftTpm> SoftTpm::create(const SoftCa* ek_ca) {
  SoftTpm t;
  PAW_TRY(t.ek_, generate_p256());
  PAW_TRY(t.ak_, generate_p256());
  PAW_TRY(t.ek_public_, ek_public_area(t.ek_.get()));
  PAW_TRY(t.ak_public_, ak_public_area(t.ak_.get()));
  PAW_TRY(TpmPublic ak, parse_public(t.ak_public_));
  PAW_TRY(t.ak_name_, object_name(ak));
  if (ek_ca != nullptr) {
    PAW_TRY(Bytes cert, issue_ek_cert(*ek_ca, t.ek_.get()));
    t.ek_cert_ = std::move(cert);
  }
  t.reset_pcrs();
  t.clock_ = ClockInfo{123456789, 7, 0, true};
  return t;
}

void SoftTpm::reset_pcrs() {
  pcrs_.clear();
  for (HashAlg bank : {HashAlg::sha1, HashAlg::sha256}) {
    for (std::uint32_t i = 0; i < kPcrCount; ++i) {
      // PC Client: PCRs 17-22 (DRTM) reset to all ones, the others to zeros.
      pcrs_[bank][i] = Bytes(hash_size(bank), (i >= 17 && i <= 22) ? 0xff : 0x00);
    }
  }
}

void SoftTpm::extend(HashAlg bank, std::uint32_t index, ByteView d) {
  Bytes& v = pcrs_[bank][index];
  Bytes msg = v;
  msg.insert(msg.end(), d.begin(), d.end());
  auto r = digest(bank, msg);
  if (r.ok()) v = std::move(r).value();
}

void SoftTpm::set_pcrs(const PcrValues& values) {
  for (const auto& [bank, b] : values) {
    for (const auto& [i, v] : b) pcrs_[bank][i] = v;
  }
}

void SoftTpm::reboot() {
  clock_.reset_count += 1;
  clock_.restart_count = 0;
  clock_.clock += 1000;
  reset_pcrs();
}

PcrValues SoftTpm::select(const PcrValues& which) const {
  PcrValues out;
  for (const auto& [bank, b] : which) {
    const auto have = pcrs_.find(bank);
    for (const auto& [i, ignored] : b) {
      if (have != pcrs_.end() && have->second.count(i) != 0) out[bank][i] = have->second.at(i);
    }
  }
  return out;
}

Result<Bytes> SoftTpm::sign_raw(ByteView message) const {
  PAW_TRY(Bytes der, ecdsa_sign_der(ak_.get(), message));
  const unsigned char* p = der.data();
  UniquePtr<ECDSA_SIG, ECDSA_SIG_free> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return fail("ECDSA signature decode");
  TPMT_SIGNATURE s{};
  s.sigAlg = TPM2_ALG_ECDSA;
  s.signature.ecdsa.hash = TPM2_ALG_SHA256;
  s.signature.ecdsa.signatureR.size = 32;
  s.signature.ecdsa.signatureS.size = 32;
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), s.signature.ecdsa.signatureR.buffer, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), s.signature.ecdsa.signatureS.buffer, 32) != 32) {
    return fail("ECDSA r/s");
  }
  std::uint8_t buf[sizeof(TPMT_SIGNATURE)];
  std::size_t off = 0;
  if (Tss2_MU_TPMT_SIGNATURE_Marshal(&s, buf, sizeof buf, &off) != TSS2_RC_SUCCESS) return fail("marshal signature");
  return Bytes(buf, buf + off);
}

Result<std::pair<Bytes, Bytes>> SoftTpm::quote(ByteView qualifying_data, const PcrValues& which,
                                               void (*mutate)(TPMS_ATTEST&)) const {
  TPMS_ATTEST a{};
  a.magic = TPM2_GENERATED_VALUE;
  a.type = TPM2_ST_ATTEST_QUOTE;
  if (ak_name_.size() > sizeof a.qualifiedSigner.name || qualifying_data.size() > sizeof a.extraData.buffer) {
    return fail("quote inputs too large");
  }
  a.qualifiedSigner.size = static_cast<UINT16>(ak_name_.size());
  std::memcpy(a.qualifiedSigner.name, ak_name_.data(), ak_name_.size());
  a.extraData.size = static_cast<UINT16>(qualifying_data.size());
  std::memcpy(a.extraData.buffer, qualifying_data.data(), qualifying_data.size());
  a.clockInfo.clock = clock_.clock;
  a.clockInfo.resetCount = clock_.reset_count;
  a.clockInfo.restartCount = clock_.restart_count;
  a.clockInfo.safe = clock_.safe ? TPM2_YES : TPM2_NO;
  a.firmwareVersion = 0x0001000200030004ull;
  // TPML_PCR_SELECTION in bank order (TPM_ALG_ID ascending), as tpm2_quote -l sha1:..+sha256:.. sends.
  PcrSelection sel;
  TPML_PCR_SELECTION& ts = a.attested.quote.pcrSelect;
  for (const auto& [bank, b] : which) {
    if (b.empty()) continue;
    if (ts.count >= TPM2_NUM_PCR_BANKS) return fail("too many banks");
    TPMS_PCR_SELECTION& e = ts.pcrSelections[ts.count++];
    e.hash = static_cast<TPMI_ALG_HASH>(bank);
    e.sizeofSelect = 3;
    PcrSelectionEntry entry{bank, {}};
    for (const auto& [i, ignored] : b) {
      e.pcrSelect[i / 8] = static_cast<BYTE>(e.pcrSelect[i / 8] | (1u << (i % 8)));
      entry.indices.push_back(i);
    }
    sel.push_back(std::move(entry));
  }
  PAW_TRY(Bytes pcr_digest, quote_pcr_digest(HashAlg::sha256, sel, pcrs_));
  a.attested.quote.pcrDigest.size = static_cast<UINT16>(pcr_digest.size());
  std::memcpy(a.attested.quote.pcrDigest.buffer, pcr_digest.data(), pcr_digest.size());
  if (mutate != nullptr) mutate(a);
  std::uint8_t buf[sizeof(TPMS_ATTEST)];
  std::size_t off = 0;
  if (Tss2_MU_TPMS_ATTEST_Marshal(&a, buf, sizeof buf, &off) != TSS2_RC_SUCCESS) return fail("marshal attest");
  Bytes attest(buf, buf + off);
  PAW_TRY(Bytes sig, sign_raw(attest));
  return std::pair<Bytes, Bytes>{std::move(attest), std::move(sig)};
}

Result<SecretBytes> SoftTpm::activate_credential(ByteView credential_blob, ByteView encrypted_secret) const {
  // TPM 2.0 Part 1, 24.4 "Symmetric Encryption" / 24.5 "HMAC" and Part 3,
  // 12.5 TPM2_ActivateCredential, with an ECC EK: seed from ECDH + KDFe.
  TPM2B_ENCRYPTED_SECRET es{};
  std::size_t off = 0;
  if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(encrypted_secret.data(), encrypted_secret.size(), &off, &es) !=
          TSS2_RC_SUCCESS ||
      off != encrypted_secret.size()) {
    return make_error(Errc::malformed, "soft tpm: encrypted secret is not a TPM2B_ENCRYPTED_SECRET");
  }
  TPMS_ECC_POINT point{};
  off = 0;
  if (Tss2_MU_TPMS_ECC_POINT_Unmarshal(es.secret, es.size, &off, &point) != TSS2_RC_SUCCESS || off != es.size) {
    return make_error(Errc::malformed, "soft tpm: encrypted secret is not an ECC point");
  }
  const ByteView qx(point.x.buffer, point.x.size);
  PAW_TRY(EvpPkeyPtr eph, p256_public(qx, ByteView(point.y.buffer, point.y.size)));
  PAW_TRY(Bytes z, ecdh_x(ek_.get(), eph.get()));
  PAW_TRY(auto ek_xy, ec_point(ek_.get()));
  const Bytes seed = kdfe(z, "IDENTITY", qx, ek_xy.first, 256);

  TPM2B_ID_OBJECT id{};
  off = 0;
  if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(credential_blob.data(), credential_blob.size(), &off, &id) !=
          TSS2_RC_SUCCESS ||
      off != credential_blob.size()) {
    return make_error(Errc::malformed, "soft tpm: credential blob is not a TPM2B_ID_OBJECT");
  }
  TPM2B_DIGEST integrity{};
  off = 0;
  if (Tss2_MU_TPM2B_DIGEST_Unmarshal(id.credential, id.size, &off, &integrity) != TSS2_RC_SUCCESS) {
    return make_error(Errc::malformed, "soft tpm: credential blob has no integrity HMAC");
  }
  const ByteView enc_identity(id.credential + off, id.size - off);
  PAW_TRY(Bytes hmac_key, kdfa(seed, "INTEGRITY", {}, {}, 256));
  Bytes mac_input(enc_identity.begin(), enc_identity.end());
  mac_input.insert(mac_input.end(), ak_name_.begin(), ak_name_.end());
  PAW_TRY(Bytes mac, hmac_sha256(hmac_key, mac_input));
  if (!ct_equal(mac, ByteView(integrity.buffer, integrity.size))) {
    return make_error(Errc::activation_failed, "soft tpm: credential integrity check failed");
  }
  PAW_TRY(Bytes sym_key, kdfa(seed, "STORAGE", ak_name_, {}, 128));
  PAW_TRY(Bytes plain, aes128_cfb_decrypt(sym_key, enc_identity));
  TPM2B_DIGEST cred{};
  off = 0;
  if (Tss2_MU_TPM2B_DIGEST_Unmarshal(plain.data(), plain.size(), &off, &cred) != TSS2_RC_SUCCESS ||
      off != plain.size()) {
    return make_error(Errc::malformed, "soft tpm: decrypted credential is not a TPM2B_DIGEST");
  }
  SecretBytes out(ByteView(cred.buffer, cred.size));
  OPENSSL_cleanse(plain.data(), plain.size());
  OPENSSL_cleanse(&cred, sizeof cred);
  return out;
}

}  // namespace paw::soft
