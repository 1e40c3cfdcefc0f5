// DPoP proofs (RFC 9449): the stateless checks of section 4.3 and the URL
// normalisation htu comparison needs. The order matters: nothing a proof
// claims is looked at before its signature verified with the key it carries,
// and that key is compared with the token's only then.
#include "paw/attest/dpop.h"

#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cctype>

#include "paw/attest/digest.h"
#include "paw/attest/json.h"
#include "paw/attest/result_token.h"

namespace paw {
namespace {

DpopCheck refuse(std::string_view reason, std::string detail) {
  DpopCheck c;
  c.reason = std::string(reason);
  c.detail = std::move(detail);
  return c;
}

bool unreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_' || c == '~';
}
bool sub_delim(char c) { return std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos; }
int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// remove_dot_segments is RFC 3986 5.2.4 on an absolute path.
std::string remove_dot_segments(std::string in) {
  std::string out;
  while (!in.empty()) {
    if (in.rfind("../", 0) == 0) {
      in.erase(0, 3);
    } else if (in.rfind("./", 0) == 0) {
      in.erase(0, 2);
    } else if (in.rfind("/./", 0) == 0) {
      in.replace(0, 3, "/");
    } else if (in == "/.") {
      in = "/";
    } else if (in.rfind("/../", 0) == 0 || in == "/..") {
      in = in == "/.." ? "/" : in.substr(3);
      const auto slash = out.rfind('/');
      out.erase(slash == std::string::npos ? 0 : slash);
    } else if (in == "." || in == "..") {
      in.clear();
    } else {
      const auto next = in.find('/', 1);
      out += in.substr(0, next);
      in.erase(0, next == std::string::npos ? in.size() : next);
    }
  }
  return out;
}

// normalize_path uppercases percent encodings, decodes unreserved ones and
// refuses characters a path may not hold.
Result<std::string> normalize_path(std::string_view p) {
  std::string out;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '%') {
      if (i + 2 >= p.size()) return make_error(Errc::malformed, "htu: truncated %-encoding");
      const int hi = hexval(p[i + 1]);
      const int lo = hexval(p[i + 2]);
      if (hi < 0 || lo < 0) return make_error(Errc::malformed, "htu: bad %-encoding");
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (unreserved(decoded)) {
        out += decoded;
      } else {
        static constexpr char kHex[] = "0123456789ABCDEF";
        out += '%';
        out += kHex[hi];
        out += kHex[lo];
      }
      i += 2;
    } else if (unreserved(c) || sub_delim(c) || c == ':' || c == '@' || c == '/') {
      out += c;
    } else {
      return make_error(Errc::malformed, "htu: character not allowed in a path");
    }
  }
  return remove_dot_segments(out.empty() ? std::string("/") : out);
}

// normalize_authority lowercases the host, drops a default or empty port and
// refuses userinfo.
Result<std::string> normalize_authority(std::string_view a, std::string_view scheme) {
  if (a.empty()) return make_error(Errc::malformed, "htu: no host");
  if (a.find('@') != std::string_view::npos) return make_error(Errc::malformed, "htu: userinfo is not allowed");
  std::string_view host;
  std::string_view port;
  if (a.front() == '[') {
    const auto close = a.find(']');
    if (close == std::string_view::npos) return make_error(Errc::malformed, "htu: unclosed IPv6 literal");
    host = a.substr(0, close + 1);
    const std::string_view rest = a.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return make_error(Errc::malformed, "htu: bytes after the IPv6 literal");
      port = rest.substr(1);
    }
    for (char c : host.substr(1, host.size() - 2)) {
      if (hexval(c) < 0 && c != ':' && c != '.') return make_error(Errc::malformed, "htu: bad IPv6 literal");
    }
    if (host.size() < 3) return make_error(Errc::malformed, "htu: empty IPv6 literal");
  } else {
    const auto colon = a.find(':');
    host = a.substr(0, colon);
    if (colon != std::string_view::npos) port = a.substr(colon + 1);
    if (host.empty()) return make_error(Errc::malformed, "htu: no host");
    for (char c : host) {
      if (!unreserved(c) && !sub_delim(c)) return make_error(Errc::malformed, "htu: character not allowed in a host");
    }
  }
  std::string out = lower(host);
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return make_error(Errc::malformed, "htu: bad port");
    }
    const long n = std::stol(std::string(port));
    if (n > 65535) return make_error(Errc::malformed, "htu: port out of range");
    const bool dflt = (scheme == "http" && n == 80) || (scheme == "https" && n == 443);
    if (!dflt) out += ":" + std::to_string(n);
  }
  return out;
}

struct Parts {
  std::string_view header, payload, signature, signing_input;
};

bool split(std::string_view jws, Parts& p) {
  const auto d1 = jws.find('.');
  if (d1 == std::string_view::npos) return false;
  const auto d2 = jws.find('.', d1 + 1);
  if (d2 == std::string_view::npos || jws.find('.', d2 + 1) != std::string_view::npos) return false;
  p = {jws.substr(0, d1), jws.substr(d1 + 1, d2 - d1 - 1), jws.substr(d2 + 1), jws.substr(0, d2)};
  return true;
}

Result<json::ObjectPtr> b64_json(std::string_view part, std::size_t depth) {
  auto raw = unbase64url(part);
  if (!raw.ok()) return make_error(Errc::malformed, "not base64url");
  return json::parse_object(std::string_view(reinterpret_cast<const char*>(raw->data()), raw->size()),
                            kMaxDpopProofSize, depth);
}

std::string b64_text(std::string_view s) { return base64url(ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())); }

}  // namespace

Result<std::string> normalize_htu(std::string_view url) {
  if (url.size() > kMaxHtuSize) return make_error(Errc::too_large, "htu too long");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return make_error(Errc::malformed, "htu: control, space or non-ASCII character");
    }
  }
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return make_error(Errc::malformed, "htu: no scheme");
  const std::string scheme = lower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") return make_error(Errc::malformed, "htu: scheme is not http(s)");
  std::string_view rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  const auto slash = rest.find('/');
  PAW_TRY(std::string authority, normalize_authority(rest.substr(0, slash), scheme));
  PAW_TRY(std::string path, normalize_path(slash == std::string_view::npos ? std::string_view() : rest.substr(slash)));
  return scheme + "://" + authority + path;
}

std::string dpop_ath(std::string_view access_token) { return base64url(sha256(as_bytes(access_token))); }

DpopCheck verify_dpop_proof(std::string_view proof, const DpopExpect& expect) {
  if (proof.empty()) return refuse(kDpopMissing, "no DPoP proof");
  if (proof.size() > kMaxDpopProofSize) return refuse(kDpopMalformed, "DPoP proof exceeds the size limit");
  Parts parts;
  if (!split(proof, parts)) return refuse(kDpopMalformed, "DPoP proof is not a compact JWS");
  auto header = b64_json(parts.header, 4);
  if (!header.ok()) return refuse(kDpopMalformed, "DPoP header: " + header.error().detail);
  const json::ObjectPtr& h = *header;
  if (auto keys = json::only_keys(h, {"typ", "alg", "jwk"}, "DPoP header"); !keys.ok()) {
    return refuse(kDpopMalformed, keys.error().detail);
  }
  auto typ = json::get_string(h, "typ");
  if (!typ.ok() || *typ != "dpop+jwt") return refuse(kDpopBadType, "DPoP header typ is not dpop+jwt");
  auto alg = json::get_string(h, "alg");
  if (!alg.ok() || *alg != "ES256") return refuse(kDpopBadAlg, "DPoP header alg is not ES256");
  auto jwk = json::get_object(h, "jwk");
  if (!jwk.ok()) return refuse(kDpopBadKey, "DPoP header has no jwk object");
  if ((*jwk)->has("d")) return refuse(kDpopBadKey, "DPoP jwk holds a private key");
  auto kty = json::get_string(*jwk, "kty");
  auto crv = json::get_string(*jwk, "crv");
  auto xs = json::get_string(*jwk, "x");
  auto ys = json::get_string(*jwk, "y");
  if (!kty.ok() || !crv.ok() || *kty != "EC" || *crv != "P-256" || !xs.ok() || !ys.ok()) {
    return refuse(kDpopBadKey, "DPoP jwk is not an EC P-256 public key");
  }
  auto x = unbase64url(*xs);
  auto y = unbase64url(*ys);
  if (!x.ok() || !y.ok()) return refuse(kDpopBadKey, "DPoP jwk x/y are not base64url");
  auto key = ec_p256_public_key(*x, *y);
  if (!key.ok()) return refuse(kDpopBadKey, "DPoP jwk: " + key.error().detail);
  auto sig = unbase64url(parts.signature);
  if (!sig.ok()) return refuse(kDpopMalformed, "DPoP signature is not base64url");
  if (auto v = es256_verify_raw(key->get(), parts.signing_input, *sig); !v.ok()) {
    return refuse(kDpopBadSignature, "DPoP signature: " + v.error().detail);
  }
  // Signed: now its claims mean something.
  auto payload = b64_json(parts.payload, 4);
  if (!payload.ok()) return refuse(kDpopMalformed, "DPoP claims: " + payload.error().detail);
  const json::ObjectPtr& c = *payload;
  auto jti = json::get_string(c, "jti");
  auto htm = json::get_string(c, "htm");
  auto htu = json::get_string(c, "htu");
  auto iat = json::get_int(c, "iat");
  if (!jti.ok() || !htm.ok() || !htu.ok() || !iat.ok()) {
    return refuse(kDpopMalformed, "DPoP claims need jti, htm, htu (strings) and iat (integer)");
  }
  if (jti->empty() || jti->size() > kMaxDpopJtiSize) return refuse(kDpopMalformed, "DPoP jti is empty or too long");
  DpopCheck out;
  auto jkt = jwk_thumbprint(key->get());
  if (!jkt.ok()) return refuse(kDpopBadKey, jkt.error().detail);
  out.proof = {*jkt, *jti, *iat};
  if (expect.jkt.empty() || *jkt != expect.jkt) {
    return refuse(kDpopKeyMismatch, "DPoP key " + *jkt + " is not the token's cnf key");
  }
  if (*htm != expect.method) return refuse(kDpopMethodMismatch, "DPoP htm " + *htm + " is not the request's method");
  auto theirs = normalize_htu(*htu);
  auto ours = normalize_htu(expect.url);
  if (!ours.ok()) return refuse(kDpopHtuMismatch, "the request's URL does not parse: " + ours.error().detail);
  if (!theirs.ok() || *theirs != *ours) {
    return refuse(kDpopHtuMismatch, "DPoP htu is not " + *ours);
  }
  if (*iat > expect.now + expect.skew) return refuse(kDpopFuture, "DPoP iat is in the future");
  if (expect.now - *iat > expect.window) return refuse(kDpopStale, "DPoP iat is older than the window");
  auto ath = json::opt_string(c, "ath");
  if (!expect.access_token.empty()) {
    if (!ath.ok() || !ath->has_value() || **ath != dpop_ath(expect.access_token)) {
      return refuse(kDpopAthMismatch, "DPoP ath is not the hash of the token presented");
    }
  }
  return out;
}

Result<std::string> dpop_signing_input(const EVP_PKEY* key, const DpopClaims& claims) {
  PAW_TRY(std::string jwk, ec_p256_public_jwk(key));
  // Header written by hand: Poco would sort the keys, which is fine, but the
  // jwk text is already canonical.
  const std::string header = R"({"typ":"dpop+jwt","alg":"ES256","jwk":)" + jwk + "}";
  json::ObjectPtr c = new Poco::JSON::Object();
  c->set("jti", claims.jti);
  c->set("htm", claims.method);
  const std::string url = claims.url.substr(0, claims.url.find_first_of("?#"));
  c->set("htu", url);
  c->set("iat", claims.iat);
  if (!claims.access_token.empty()) c->set("ath", dpop_ath(claims.access_token));
  return b64_text(header) + "." + b64_text(json::stringify(c));
}

Result<std::string> dpop_assemble(std::string_view signing_input, ByteView raw_signature) {
  if (raw_signature.size() != 64) return make_error(Errc::malformed, "ES256 signature must be 64 bytes (r||s)");
  return std::string(signing_input) + "." + base64url(raw_signature);
}

Result<std::string> sign_dpop_proof(const EVP_PKEY* key, const DpopClaims& claims) {
  PAW_TRY(std::string input, dpop_signing_input(key, claims));
  PAW_TRY(Bytes sig, es256_sign_raw(key, input));
  return dpop_assemble(input, sig);
}

}  // namespace paw
