#include "paw/attest/digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "paw/attest/ossl.h"
#include "paw/attest/secure.h"

namespace paw {
namespace {

const EVP_MD* evp_md(HashAlg alg) noexcept {
  switch (alg) {
    case HashAlg::sha1: return EVP_sha1();
    case HashAlg::sha256: return EVP_sha256();
    case HashAlg::sha384: return EVP_sha384();
    case HashAlg::sha512: return EVP_sha512();
    case HashAlg::sm3_256: return nullptr;  // Debian's OpenSSL 3 has no SM3 in the default provider
  }
  return nullptr;
}

}  // namespace

std::size_t hash_size(HashAlg alg) noexcept {
  switch (alg) {
    case HashAlg::sha1: return 20;
    case HashAlg::sha256: return 32;
    case HashAlg::sha384: return 48;
    case HashAlg::sha512: return 64;
    case HashAlg::sm3_256: return 32;
  }
  return 0;
}

std::string_view hash_name(HashAlg alg) noexcept {
  switch (alg) {
    case HashAlg::sha1: return "sha1";
    case HashAlg::sha256: return "sha256";
    case HashAlg::sha384: return "sha384";
    case HashAlg::sha512: return "sha512";
    case HashAlg::sm3_256: return "sm3_256";
  }
  return "unknown";
}

std::optional<HashAlg> hash_from_name(std::string_view name) noexcept {
  for (HashAlg a : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha384, HashAlg::sha512, HashAlg::sm3_256}) {
    if (hash_name(a) == name) return a;
  }
  return std::nullopt;
}

std::optional<HashAlg> hash_from_id(std::uint16_t id) noexcept {
  switch (id) {
    case 0x0004: return HashAlg::sha1;
    case 0x000B: return HashAlg::sha256;
    case 0x000C: return HashAlg::sha384;
    case 0x000D: return HashAlg::sha512;
    case 0x0012: return HashAlg::sm3_256;
    default: return std::nullopt;
  }
}

Result<Bytes> digest(HashAlg alg, ByteView data) {
  const EVP_MD* md = evp_md(alg);
  if (md == nullptr) return make_error(Errc::unsupported, std::string("hash ") + std::string(hash_name(alg)));
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) {
    return make_error(Errc::internal, "EVP_Digest failed");
  }
  out.resize(len);
  return out;
}

Result<Bytes> digest_parts(HashAlg alg, std::span<const ByteView> parts) {
  const EVP_MD* md = evp_md(alg);
  if (md == nullptr) return make_error(Errc::unsupported, std::string("hash ") + std::string(hash_name(alg)));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) return ossl_error(Errc::internal, "EVP_DigestInit_ex");
  for (const ByteView p : parts) {
    if (EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) return ossl_error(Errc::internal, "EVP_DigestUpdate");
  }
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1) return ossl_error(Errc::internal, "EVP_DigestFinal_ex");
  out.resize(len);
  return out;
}

Bytes sha256(ByteView data) {
  auto r = digest(HashAlg::sha256, data);
  return r.ok() ? std::move(r).value() : Bytes{};
}

Result<Bytes> hmac(HashAlg alg, ByteView key, ByteView data) {
  const EVP_MD* md = evp_md(alg);
  if (md == nullptr) return make_error(Errc::unsupported, std::string("HMAC with ") + std::string(hash_name(alg)));
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len) == nullptr) {
    return make_error(Errc::internal, "HMAC failed");
  }
  out.resize(len);
  return out;
}

}  // namespace paw
