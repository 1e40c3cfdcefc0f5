#include "http.h"

#include <Poco/JSON/Object.h>
#include <Poco/URI.h>

namespace paw::verifier {

Response json_response(int status, const json::ObjectPtr& obj) {
  Response r;
  r.status = status;
  r.body = json::stringify(obj);
  return r;
}

int http_status(Errc code) noexcept {
  switch (code) {
    case Errc::malformed:
    case Errc::trailing_data:
    case Errc::config_error:
      return 400;
    case Errc::too_large: return 413;
    case Errc::unauthorized:
    case Errc::token_invalid:
    case Errc::token_expired:
      return 401;
    case Errc::forbidden:
    case Errc::revoked:
    case Errc::policy_violation:
      return 403;
    case Errc::not_found: return 404;
    case Errc::nonce_unknown:
    case Errc::nonce_expired:
    case Errc::nonce_reused:
    case Errc::conflict:
      return 409;
    case Errc::rate_limited: return 429;
    case Errc::storage_error: return 503;
    case Errc::internal:
    case Errc::io_error:
    case Errc::network_error:
    case Errc::tpm_error:
    case Errc::device_error:
      return 500;
    default:
      return 422;  // every cryptographic / evidence / FIDO2 check
  }
}

Response error_response(const Error& e) {
  json::ObjectPtr o = new Poco::JSON::Object();
  o->set("error", std::string(errc_name(e.code)));
  o->set("message", e.detail);
  return json_response(http_status(e.code), o);
}

namespace {
bool segment_ok(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return false;
  }
  return s != "." && s != "..";
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 1;
  while (i <= path.size()) {
    const auto j = path.find('/', i);
    out.push_back(path.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return out;
}
}  // namespace

const Route* Router::match(const std::string& method, const std::string& path, std::vector<std::string>& params,
                           bool& path_known) const {
  path_known = false;
  if (path.empty() || path[0] != '/') return nullptr;
  const auto segs = split_path(path);
  for (const auto& r : routes_) {
    const auto pats = split_path(r.pattern);
    if (pats.size() != segs.size()) continue;
    std::vector<std::string> got;
    bool ok = true;
    for (std::size_t i = 0; i < pats.size() && ok; ++i) {
      if (pats[i] == "{}") {
        ok = segment_ok(segs[i]);
        got.push_back(segs[i]);
      } else {
        ok = pats[i] == segs[i];
      }
    }
    if (!ok) continue;
    path_known = true;
    if (r.method != method) continue;
    params = std::move(got);
    return &r;
  }
  return nullptr;
}

std::map<std::string, std::string> parse_query(const std::string& query) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < query.size() && out.size() < 32) {
    auto j = query.find('&', i);
    if (j == std::string::npos) j = query.size();
    const std::string pair = query.substr(i, j - i);
    const auto eq = pair.find('=');
    std::string k, v;
    try {
      Poco::URI::decode(pair.substr(0, eq), k);
      if (eq != std::string::npos) Poco::URI::decode(pair.substr(eq + 1), v);
    } catch (...) {
      k.clear();
    }
    if (!k.empty()) out[k] = v;
    i = j + 1;
  }
  return out;
}

std::string bearer(const std::string& authorization) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (authorization.size() <= kPrefix.size() || authorization.compare(0, kPrefix.size(), kPrefix) != 0) return {};
  return authorization.substr(kPrefix.size());
}

}  // namespace paw::verifier
