#include "webhook_signing.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>

#include "paw/attest/text.h"

namespace paw::verifier {
namespace {
constexpr std::string_view kPrefix = "whsec_";
constexpr std::size_t kMinSecret = 24;
constexpr std::size_t kMaxSecret = 64;
constexpr std::size_t kMaxSecretFile = 4096;

std::string_view trim(std::string_view s) { return paw::trim(s, " \t\r\n"); }
}  // namespace

Result<SecretBytes> parse_webhook_secret(std::string_view text) {
  text = trim(text);
  if (text.substr(0, kPrefix.size()) != kPrefix) {
    return make_error(Errc::config_error, "a webhook secret starts with whsec_ (whsec_ + base64 of 24 to 64 random bytes)");
  }
  auto raw = unbase64(text.substr(kPrefix.size()));
  if (!raw.ok()) return make_error(Errc::config_error, "a webhook secret is whsec_ + base64 (with padding)");
  if (raw->size() < kMinSecret || raw->size() > kMaxSecret) {
    return make_error(Errc::config_error, "a webhook secret holds 24 to 64 bytes, not " + std::to_string(raw->size()));
  }
  return SecretBytes(std::move(*raw));
}

Result<WebhookTarget> parse_webhook_spec(const std::string& spec) {
  std::istringstream in(spec);
  WebhookTarget t;
  in >> t.url;
  std::string attr;
  while (in >> attr) {
    constexpr std::string_view kFile = "secret-file=";
    if (attr.rfind(kFile, 0) != 0) {
      return make_error(Errc::config_error, "webhook: unknown attribute '" + attr + "' (only secret-file=PATH)");
    }
    const std::string path = attr.substr(kFile.size());
    std::ifstream f(path, std::ios::binary);
    if (!f) return make_error(Errc::config_error, "webhook: cannot read the secret file " + path);
    std::string text(kMaxSecretFile + 1, '\0');
    f.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(f.gcount()));
    if (text.size() > kMaxSecretFile) return make_error(Errc::config_error, "webhook: secret file too large: " + path);
    auto secret = parse_webhook_secret(text);
    if (!secret.ok()) return make_error(Errc::config_error, "webhook " + path + ": " + secret.error().detail);
    t.secret = std::move(*secret);
  }
  if (t.url.empty()) return make_error(Errc::config_error, "webhook: empty URL");
  return t;
}

std::string webhook_signature(ByteView secret, std::string_view id, std::int64_t timestamp, std::string_view body) {
  std::string content;
  content.reserve(id.size() + body.size() + 24);
  content.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &len);
  return "v1," + base64(ByteView(mac, len));
}

}  // namespace paw::verifier
