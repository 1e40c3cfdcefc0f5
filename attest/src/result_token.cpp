// Attestation-result tokens: ES256 JWS with raw r||s signatures (RFC 7515,
// RFC 7518 3.4), JWK/JWKS for P-256 keys (RFC 7517, RFC 7518 6.2), key ids
// as RFC 7638 thumbprints. OpenSSL is used directly because JOSE needs the
// fixed-size r||s encoding, not DER.
#include "paw/attest/reasons.h"
#include "paw/attest/result_token.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "paw/attest/digest.h"
#include "paw/attest/json.h"
#include "paw/attest/ossl.h"

namespace paw {
namespace {

constexpr std::size_t kCoord = 32;  // P-256 field element / scalar size

bool is_p256(const EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
  char name[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1) return false;
  return std::string_view(name, len) == "prime256v1" || std::string_view(name, len) == "P-256";
}

struct Point {
  Bytes x, y;
};

Result<Point> public_point(const EVP_PKEY* key) {
  BIGNUM* bx = nullptr;
  BIGNUM* by = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &bx) != 1) return ossl_error(Errc::internal, "EC x");
  BnPtr x(bx);
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &by) != 1) return ossl_error(Errc::internal, "EC y");
  BnPtr y(by);
  Point p{Bytes(kCoord), Bytes(kCoord)};
  if (BN_bn2binpad(x.get(), p.x.data(), kCoord) != static_cast<int>(kCoord) ||
      BN_bn2binpad(y.get(), p.y.data(), kCoord) != static_cast<int>(kCoord)) {
    return make_error(Errc::internal, "EC coordinate does not fit 32 bytes");
  }
  return p;
}

// thumbprint is the RFC 7638 JWK thumbprint: SHA-256 over the required
// members in lexicographic order, no whitespace.
std::string thumbprint(const Point& p) {
  const std::string canon = R"({"crv":"P-256","kty":"EC","x":")" + base64url(p.x) + R"(","y":")" +
                            base64url(p.y) + R"("})";
  return base64url(sha256(as_bytes(canon)));
}

Result<EvpPkeyPtr> key_from_point(ByteView x, ByteView y) {
  if (x.size() != kCoord || y.size() != kCoord) return make_error(Errc::malformed, "JWK x/y must be 32 bytes");
  Bytes pub{0x04};
  pub.insert(pub.end(), x.begin(), x.end());
  pub.insert(pub.end(), y.begin(), y.end());
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size()) != 1) {
    return ossl_error(Errc::internal, "building EC parameters");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return ossl_error(Errc::internal, "EC fromdata");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return ossl_error(Errc::malformed, "JWK point is not on P-256");
  }
  EvpPkeyPtr key(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return ossl_error(Errc::malformed, "JWK point is invalid");
  return key;
}

Result<std::string> b64url_json(std::string_view part, Bytes& out) {
  auto r = unbase64url(part);
  if (!r.ok()) return make_error(Errc::malformed, "token part is not base64url");
  out = std::move(r.value());
  return std::string(out.begin(), out.end());
}

Result<Bytes> es256_sign(const EVP_PKEY* key, std::string_view message) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, const_cast<EVP_PKEY*>(key)) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, as_bytes(message).data(), message.size()) != 1) {
    return ossl_error(Errc::internal, "ES256 sign init");
  }
  Bytes der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, as_bytes(message).data(), message.size()) != 1) {
    return ossl_error(Errc::internal, "ES256 sign");
  }
  const unsigned char* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!sig) return ossl_error(Errc::internal, "ES256 signature decode");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  Bytes raw(2 * kCoord);
  if (BN_bn2binpad(r, raw.data(), kCoord) != static_cast<int>(kCoord) ||
      BN_bn2binpad(s, raw.data() + kCoord, kCoord) != static_cast<int>(kCoord)) {
    return make_error(Errc::internal, "ES256 r/s too large");
  }
  return raw;
}

Status es256_verify(const EVP_PKEY* key, std::string_view message, ByteView raw) {
  if (raw.size() != 2 * kCoord) return make_error(Errc::bad_signature, "ES256 signature must be 64 bytes");
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BnPtr r(BN_bin2bn(raw.data(), kCoord, nullptr));
  BnPtr s(BN_bin2bn(raw.data() + kCoord, kCoord, nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return ossl_error(Errc::internal, "ES256 signature object");
  }
  (void)r.release();  // owned by sig now
  (void)s.release();
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return ossl_error(Errc::internal, "ES256 signature encode");
  std::unique_ptr<unsigned char, OpenSslFree> guard(der);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, const_cast<EVP_PKEY*>(key)) != 1) {
    return ossl_error(Errc::internal, "ES256 verify init");
  }
  const int rc = EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_len), as_bytes(message).data(),
                                  message.size());
  ERR_clear_error();
  if (rc != 1) return make_error(Errc::bad_signature, "ES256 signature does not verify");
  return ok_status();
}

json::ObjectPtr claims_to_json(const ResultClaims& c) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("iss", c.iss);
  o->set("sub", c.sub);
  o->set("iat", c.iat);
  o->set("exp", c.exp);
  if (!c.jti.empty()) o->set("jti", c.jti);
  o->set("verdict", c.verdict);
  o->set("reasons", reasons_to_json(c.reasons));
  json::ObjectPtr trust = new Poco::JSON::Object();
  for (const auto& [k, v] : c.trust) trust->set(k, v);
  o->set("trust", trust);
  if (!c.policy.empty()) o->set("policy", c.policy);
  if (c.grace_until != 0) o->set("grace_until", c.grace_until);
  if (!c.cnf_jkt.empty()) {
    json::ObjectPtr cnf = new Poco::JSON::Object();
    cnf->set("jkt", c.cnf_jkt);
    o->set("cnf", cnf);
  }
  if (!c.aud.empty()) o->set("aud", c.aud);
  if (!c.owner.empty()) o->set("owner", c.owner);
  return o;
}

Result<ResultClaims> claims_from_json(const json::ObjectPtr& o) {
  ResultClaims c;
  PAW_TRY(c.iss, json::get_string(o, "iss"));
  PAW_TRY(c.sub, json::get_string(o, "sub"));
  PAW_TRY(c.iat, json::get_int(o, "iat"));
  PAW_TRY(c.exp, json::get_int(o, "exp"));
  PAW_TRY(c.verdict, json::get_string(o, "verdict"));
  PAW_TRY(auto jti, json::opt_string(o, "jti"));
  c.jti = jti.value_or("");
  PAW_TRY(auto policy, json::opt_string(o, "policy"));
  c.policy = policy.value_or("");
  if (o->has("grace_until")) {
    PAW_TRY(c.grace_until, json::get_int(o, "grace_until"));
  }
  PAW_TRY(auto aud, json::opt_string(o, "aud"));
  c.aud = aud.value_or("");
  PAW_TRY(auto owner, json::opt_string(o, "owner"));
  c.owner = owner.value_or("");
  if (o->has("cnf")) {
    PAW_TRY(json::ObjectPtr cnf, json::get_object(o, "cnf"));
    PAW_TRY(c.cnf_jkt, json::get_string(cnf, "jkt"));
    if (c.cnf_jkt.empty()) return make_error(Errc::malformed, "cnf.jkt is empty");
  }
  PAW_TRY(json::ArrayPtr reasons, json::get_array(o, "reasons"));
  PAW_TRY(c.reasons, reasons_from_json(reasons, "reasons"));
  PAW_TRY(json::ObjectPtr trust, json::get_object(o, "trust"));
  for (const auto& [k, v] : *trust) {
    PAW_TRY(std::int64_t tier, json::get_int(trust, k));
    c.trust[k] = tier;
  }
  return c;
}

struct Parts {
  std::string_view header, payload, signature, signing_input;
};

Result<Parts> split(std::string_view token) {
  if (token.size() > kMaxResultTokenSize) return make_error(Errc::too_large, "token exceeds size limit");
  const auto d1 = token.find('.');
  if (d1 == std::string_view::npos) return make_error(Errc::malformed, "token has no '.'");
  const auto d2 = token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return make_error(Errc::malformed, "token must have exactly three parts");
  }
  return Parts{token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1), token.substr(0, d2)};
}

struct Header {
  std::string alg, kid;
};

Result<Header> parse_header(std::string_view part) {
  Bytes raw;
  PAW_TRY(std::string text, b64url_json(part, raw));
  PAW_TRY(json::ObjectPtr h, json::parse_object(text, 4096, 4));
  PAW_CHECK(json::only_keys(h, {"alg", "typ", "kid"}, "token header"));
  Header out;
  PAW_TRY(out.alg, json::get_string(h, "alg"));
  PAW_TRY(out.kid, json::get_string(h, "kid"));
  return out;
}

Result<ResultClaims> parse_payload(std::string_view part) {
  Bytes raw;
  PAW_TRY(std::string text, b64url_json(part, raw));
  PAW_TRY(json::ObjectPtr o, json::parse_object(text, kMaxResultTokenSize, 6));
  return claims_from_json(o);
}

}  // namespace

Result<Bytes> es256_sign_raw(const EVP_PKEY* key, std::string_view message) {
  if (!is_p256(key)) return make_error(Errc::unsupported, "ES256 needs an EC P-256 key");
  return es256_sign(key, message);
}

Status es256_verify_raw(const EVP_PKEY* key, std::string_view message, ByteView raw) {
  if (!is_p256(key)) return make_error(Errc::unsupported, "ES256 needs an EC P-256 key");
  return es256_verify(key, message, raw);
}

Result<EvpPkeyPtr> ec_p256_public_key(ByteView x, ByteView y) { return key_from_point(x, y); }

Result<std::string> ec_p256_public_jwk(const EVP_PKEY* key) {
  if (key == nullptr || !is_p256(key)) return make_error(Errc::unsupported, "JWK: key is not EC P-256");
  PAW_TRY(Point p, public_point(key));
  return R"({"crv":"P-256","kty":"EC","x":")" + base64url(p.x) + R"(","y":")" + base64url(p.y) + R"("})";
}

Result<SigningKey> generate_signing_key() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return ossl_error(Errc::internal, "P-256 key generation");
  PAW_TRY(Point p, public_point(key.get()));
  return SigningKey{thumbprint(p), std::move(key)};
}

Result<SecretBytes> signing_key_to_pem(const SigningKey& key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return ossl_error(Errc::internal, "writing private key PEM");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0) return make_error(Errc::internal, "empty PEM");
  SecretBytes out(ByteView(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(len)));
  OPENSSL_cleanse(data, static_cast<std::size_t>(len));
  return out;
}

Result<SigningKey> signing_key_from_pem(ByteView pem) {
  if (pem.size() > 16384) return make_error(Errc::too_large, "PEM too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return ossl_error(Errc::internal, "BIO");
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return ossl_error(Errc::malformed, "not a PEM private key");
  if (!is_p256(key.get())) return make_error(Errc::unsupported, "signing key is not EC P-256");
  PAW_TRY(Point p, public_point(key.get()));
  return SigningKey{thumbprint(p), std::move(key)};
}

Result<std::string> jwk_thumbprint(const EVP_PKEY* key) {
  if (key == nullptr || !is_p256(key)) return make_error(Errc::unsupported, "JWK thumbprint: key is not EC P-256");
  PAW_TRY(Point p, public_point(key));
  return thumbprint(p);
}

Result<std::string> public_jwk(const SigningKey& key) {
  PAW_TRY(Point p, public_point(key.key.get()));
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("kty", "EC");
  o->set("crv", "P-256");
  o->set("x", base64url(p.x));
  o->set("y", base64url(p.y));
  o->set("kid", key.kid);
  o->set("alg", "ES256");
  o->set("use", "sig");
  return json::stringify(o);
}

Result<std::string> sign_result_token(const ResultClaims& claims, const SigningKey& key) {
  if (!is_p256(key.key.get())) return make_error(Errc::unsupported, "signing key is not EC P-256");
  json::ObjectPtr h = new Poco::JSON::Object();
  h->set("alg", "ES256");
  h->set("typ", "JWT");
  h->set("kid", key.kid);
  std::string input = base64url(as_bytes(json::stringify(h))) + "." +
                      base64url(as_bytes(json::stringify(claims_to_json(claims))));
  PAW_TRY(Bytes sig, es256_sign(key.key.get(), input));
  return input + "." + base64url(sig);
}

Result<SigningKey> jwk_to_key(std::string_view jwk_json) {
  PAW_TRY(json::ObjectPtr o, json::parse_object(jwk_json, 8192, 4));
  PAW_TRY(std::string kty, json::get_string(o, "kty"));
  PAW_TRY(std::string crv, json::get_string(o, "crv"));
  if (kty != "EC" || crv != "P-256") return make_error(Errc::unsupported, "JWK is not EC P-256");
  PAW_TRY(std::string kid, json::get_string(o, "kid"));
  PAW_TRY(std::string xs, json::get_string(o, "x"));
  PAW_TRY(std::string ys, json::get_string(o, "y"));
  auto x = unbase64url(xs);
  auto y = unbase64url(ys);
  if (!x.ok() || !y.ok()) return make_error(Errc::malformed, "JWK x/y are not base64url");
  PAW_TRY(EvpPkeyPtr key, key_from_point(*x, *y));
  return SigningKey{std::move(kid), std::move(key)};
}

std::string build_jwks(const std::vector<std::string>& public_jwks) {
  std::string out = R"({"keys":[)";
  for (std::size_t i = 0; i < public_jwks.size(); ++i) {
    if (i != 0) out += ",";
    out += public_jwks[i];
  }
  return out + "]}";
}

Result<Jwks> parse_jwks(std::string_view json_text) {
  PAW_TRY(json::ObjectPtr o, json::parse_object(json_text, kMaxJwksSize, 4));
  PAW_TRY(json::ArrayPtr keys, json::get_array(o, "keys"));
  Jwks out;
  for (std::size_t i = 0; i < keys->size(); ++i) {
    json::ObjectPtr k = keys->getObject(static_cast<unsigned>(i));
    if (k.isNull()) return make_error(Errc::malformed, "JWKS entry is not an object");
    PAW_TRY(auto kty, json::opt_string(k, "kty"));
    PAW_TRY(auto crv, json::opt_string(k, "crv"));
    PAW_TRY(auto alg, json::opt_string(k, "alg"));
    PAW_TRY(auto use, json::opt_string(k, "use"));
    if (kty != "EC" || crv != "P-256" || (alg && *alg != "ES256") || (use && *use != "sig")) continue;
    PAW_TRY(SigningKey key, jwk_to_key(json::stringify(k)));
    if (!out.keys.emplace(key.kid, std::move(key.key)).second) {
      return make_error(Errc::malformed, "duplicate kid in JWKS");
    }
  }
  return out;
}

Result<ResultClaims> decode_result_token(std::string_view token) {
  PAW_TRY(Parts parts, split(token));
  PAW_TRY(Header header, parse_header(parts.header));
  (void)header;
  return parse_payload(parts.payload);
}

Result<ResultClaims> verify_result_token(std::string_view token, const Jwks& jwks, std::int64_t now,
                                         std::string_view issuer, std::int64_t leeway_seconds) {
  PAW_TRY(Parts parts, split(token));
  PAW_TRY(Header header, parse_header(parts.header));
  // The algorithm is fixed, never taken from the token ("alg":"none" and HS256
  // key confusion are refused here).
  if (header.alg != "ES256") return make_error(Errc::token_invalid, "token alg is not ES256");
  const auto it = jwks.keys.find(header.kid);
  if (it == jwks.keys.end()) return make_error(Errc::token_invalid, "token kid is not in the JWKS");
  auto sig = unbase64url(parts.signature);
  if (!sig.ok()) return make_error(Errc::malformed, "token signature is not base64url");
  // Signature first, then the claims it covers.
  PAW_CHECK(es256_verify(it->second.get(), parts.signing_input, *sig));
  PAW_TRY(ResultClaims claims, parse_payload(parts.payload));
  if (!issuer.empty() && claims.iss != issuer) return make_error(Errc::token_invalid, "token issuer differs");
  if (now + leeway_seconds < claims.iat) return make_error(Errc::token_expired, "token issued in the future");
  if (now >= claims.exp + leeway_seconds) return make_error(Errc::token_expired, "token expired");
  return claims;
}

}  // namespace paw
