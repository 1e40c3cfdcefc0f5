// command_token_verify.cpp — `pawctl token verify FILE|-`: check result
// tokens offline, as a relying party does, against the verifier's JWKS
// (fetched once from --verifier, or read from --jwks FILE) — one process
// for any number of tokens, not one per token. One token a line; a verdict
// line per token (JSON Lines with --json); exit 0 only if every token
// verifies and says healthy, 1 otherwise, 2 when it could not check at all.
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "admin_client.h"
#include "command.h"
#include "paw/attest/result_token.h"

namespace pawctl {
namespace {

using paw::Errc;
using paw::make_error;

constexpr const char* kUsage =
    "usage: pawctl token verify FILE|- (--verifier URL --ca-file PEM | --jwks FILE) [--issuer NAME] [--json]";

paw::Result<paw::Jwks> load_jwks(const paw::Args& args) {
  if (auto path = args.get("jwks")) {
    auto text = paw::read_file(*path, paw::kMaxJwksSize);
    if (!text.ok()) return make_error(Errc::config_error, *path + ": " + text.error().detail);
    auto set = paw::parse_jwks(std::string_view(reinterpret_cast<const char*>(text->data()), text->size()));
    if (!set.ok()) return make_error(Errc::config_error, *path + ": not a JWKS: " + set.error().detail);
    return set;
  }
  Connection c;
  c.verifier = args.get_or("verifier", std::getenv("PAW_VERIFIER") ? std::getenv("PAW_VERIFIER") : "");
  c.ca_file = args.get_or("ca-file", std::getenv("PAW_CA_FILE") ? std::getenv("PAW_CA_FILE") : "");
  while (!c.verifier.empty() && c.verifier.back() == '/') c.verifier.pop_back();
  if (c.verifier.empty()) return make_error(Errc::config_error, "give --verifier URL or --jwks FILE");
  // The JWKS is public: no credential is sent.
  PAW_TRY(HttpAnswer a, call_ok(c, "GET", "/.well-known/jwks.json"));
  auto set = paw::parse_jwks(a.body);
  if (!set.ok()) return make_error(Errc::malformed, "the verifier's JWKS does not parse: " + set.error().detail);
  return set;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

int token_verify(const std::vector<std::string>& words) {
  auto args = paw::Args::parse(std::vector<std::string>(words.begin() + 1, words.end()),
                               {"verifier", "ca-file", "jwks", "issuer"}, {"json"});
  if (!args.ok() || args->positional().size() != 1) return fail(kUsage, 2);
  const bool json = args->has("json");
  const std::string issuer = args->get_or("issuer", "paw-verifier");
  auto jwks = load_jwks(*args);
  if (!jwks.ok()) return fail(jwks.error().detail, 2);
  if (jwks->keys.empty()) return fail("the JWKS holds no ES256 key", 2);

  const std::string& src = args->positional()[0];
  std::ifstream file;
  if (src != "-") {
    file.open(src);
    if (!file) return fail("cannot read " + src, 2);
  }
  std::istream& in = src == "-" ? std::cin : file;
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::size_t line_no = 0, checked = 0, refused = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string token = trimmed(line);
    if (token.empty()) continue;
    ++checked;
    // No leeway: the same window as the verifier's /v1/authz.
    auto claims = paw::verify_result_token(token, *jwks, now, issuer, 0);
    // A token admits login when healthy, or warning before its grace_until (exp <= it).
    const bool healthy = claims.ok() && (claims->verdict == "healthy" ||
                                         (claims->verdict == "warning" && now < claims->grace_until));
    if (!healthy) ++refused;
    if (json) {
      Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
      o->set("line", line_no);
      o->set("valid", healthy);
      if (claims.ok()) {
        o->set("sub", claims->sub);
        o->set("verdict", claims->verdict);
        o->set("iat", claims->iat);
        o->set("exp", claims->exp);
        o->set("policy", claims->policy);
        if (claims->grace_until != 0) o->set("grace_until", claims->grace_until);
      } else {
        o->set("error", std::string(paw::errc_name(claims.error().code)));
        o->set("detail", claims.error().detail);
      }
      std::cout << paw::json::stringify(o) << "\n";
    } else if (claims.ok()) {
      std::cout << line_no << (healthy ? " valid " : " unhealthy ") << "device " << claims->sub << " verdict "
                << claims->verdict << " expires " << format_time(claims->exp) << "\n";
    } else {
      std::cout << line_no << " invalid " << paw::errc_name(claims.error().code) << ": " << claims.error().detail
                << "\n";
    }
  }
  if (checked == 0) return fail("no token in " + src, 1);
  if (!json) std::cerr << checked << " token(s), " << (checked - refused) << " valid and admitting login\n";
  return refused == 0 ? 0 : 1;
}

}  // namespace pawctl
