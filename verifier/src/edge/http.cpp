#include "http.h"

#include <Poco/JSON/Object.h>
#include <Poco/URI.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "paw/attest/protocol.h"

namespace paw::verifier {

Response json_response(int status, const json::ObjectPtr& obj) { return json_response(status, json::stringify(obj)); }

Response json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
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
  return json_response(http_status(e.code), protocol::encode(protocol::error_answer(e)));
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

namespace {

// address_bytes parses an IPv4 (dotted quad) or IPv6 address (no port, no
// brackets, no zone) to its bytes (inet_pton: strict, no short forms).
std::optional<std::vector<std::uint8_t>> address_bytes(const std::string& text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::uint8_t buf[16];
  if (::inet_pton(AF_INET, text.c_str(), buf) == 1) return std::vector<std::uint8_t>(buf, buf + 4);
  if (::inet_pton(AF_INET6, text.c_str(), buf) == 1) return std::vector<std::uint8_t>(buf, buf + 16);
  return std::nullopt;
}


bool in_range(const std::vector<std::uint8_t>& ip, const ProxyRange& r) {
  if (ip.size() != r.net.size()) return false;
  unsigned left = r.bits;
  for (std::size_t i = 0; i < ip.size() && left > 0; ++i) {
    const unsigned take = left >= 8 ? 8 : left;
    const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - take));
    if ((ip[i] & mask) != (r.net[i] & mask)) return false;
    left -= take;
  }
  return true;
}

bool trusted_address(const std::vector<std::uint8_t>& ip, const std::vector<ProxyRange>& trusted) {
  for (const auto& r : trusted) {
    if (in_range(ip, r)) return true;
  }
  return false;
}

std::string trim_spaces(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

std::string canonical_address(ByteView ip) {
  if (ip.size() != 4 && ip.size() != 16) return {};
  char buf[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(ip.size() == 4 ? AF_INET : AF_INET6, ip.data(), buf, sizeof buf) == nullptr) return {};
  return buf;
}

std::optional<ProxyRange> parse_proxy_range(const std::string& text) {
  const auto slash = text.find('/');
  auto net = address_bytes(text.substr(0, slash));
  if (!net) return std::nullopt;
  ProxyRange r{*net, static_cast<unsigned>(net->size() * 8)};
  if (slash != std::string::npos) {
    const std::string bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    const unsigned b = static_cast<unsigned>(std::stoul(bits));
    if (b > r.bits) return std::nullopt;
    r.bits = b;
  }
  return r;
}

bool is_trusted_proxy(const std::string& peer, const std::vector<ProxyRange>& trusted) {
  auto ip = address_bytes(peer);
  return ip && trusted_address(*ip, trusted);
}

std::string client_address(const std::string& peer, const std::string& forwarded_for,
                           const std::vector<ProxyRange>& trusted) {
  if (trusted.empty() || forwarded_for.empty()) return peer;
  auto peer_ip = address_bytes(peer);
  if (!peer_ip || !trusted_address(*peer_ip, trusted)) return peer;
  std::string candidate = peer;
  std::size_t end = forwarded_for.size();
  for (int hops = 0; hops < 32 && end > 0; ++hops) {
    const auto comma = forwarded_for.rfind(',', end - 1);
    const std::size_t begin = comma == std::string::npos ? 0 : comma + 1;
    const std::string entry = trim_spaces(forwarded_for.substr(begin, end - begin));
    auto ip = address_bytes(entry);
    if (!ip) return candidate;
    candidate = canonical_address(*ip);
    if (!trusted_address(*ip, trusted)) return candidate;
    if (comma == std::string::npos) break;
    end = comma;
  }
  return candidate;
}

}  // namespace paw::verifier
