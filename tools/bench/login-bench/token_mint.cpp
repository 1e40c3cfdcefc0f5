// paw-login-bench-mint — the login benchmark's helper (tools/bench/login-bench).
// A developer tool that reads a verifier's database directly: never installed.
//
//   paw-login-bench-mint tokens  --database URL --token FILE --count N [--ttl SECONDS]
//       prints N result tokens, one a line: the claims of the token in FILE
//       (a real one the verifier issued) with a fresh jti and iat = now, signed
//       with the database's current signing key — what "a new token for every
//       login" looks like to /v1/authz, without a hidden route in the verifier.
//   paw-login-bench-mint devices --database URL --like DEVICE_ID --count N
//       inserts N copies of the device row DEVICE_ID (new ids and EK hashes)
//       through paw/verifier/seed.h, so login throughput can be measured
//       against a large fleet.
#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "paw/attest/bytes.h"
#include "paw/attest/cli.h"
#include "paw/attest/result_token.h"
#include "paw/verifier/seed.h"

using namespace paw;
using namespace paw::verifier;

namespace {

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string random_hex(std::size_t n) {
  Bytes b(n);
  if (RAND_bytes(b.data(), static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes");
  return hex(b);
}

Status tokens(SeedDatabase& db, const Args& a) {
  std::ifstream in(a.get_or("token", ""));
  std::string tmpl;
  if (!in || !std::getline(in, tmpl)) return make_error(Errc::config_error, "--token FILE: cannot read a token");
  PAW_TRY(ResultClaims claims, decode_result_token(tmpl));
  const long count = std::stol(a.get_or("count", "1000"));
  const std::int64_t ttl = std::stoll(a.get_or("ttl", "600"));
  PAW_TRY(std::string pem, db.current_signing_key_pem());
  PAW_TRY(SigningKey key, signing_key_from_pem(as_bytes(pem)));
  std::string out;
  for (long i = 0; i < count; ++i) {
    claims.iat = now_s();
    claims.exp = claims.iat + ttl;
    claims.jti = random_hex(16);
    PAW_TRY(std::string t, sign_result_token(claims, key));
    out += t;
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return ok_status();
}

Status devices(SeedDatabase& db, const Args& a) {
  PAW_CHECK(db.use_template(a.get_or("like", "")));  // Errc::not_found: "no device ID"
  const long count = std::stol(a.get_or("count", "10000"));
  for (long i = 0; i < count; ++i) {
    PAW_CHECK(db.add_copy(random_hex(16), "", random_hex(32)));
  }
  return ok_status();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  auto args = Args::parse(words, {"database", "token", "count", "ttl", "like"});
  if (!args.ok() || args->positional().size() != 1 || !args->has("database")) {
    std::cerr << "usage: paw-login-bench-mint tokens|devices --database URL [--token FILE --count N --ttl S] "
                 "[--like DEVICE_ID --count N]\n";
    return 2;
  }
  try {
    auto db = SeedDatabase::open(*args->get("database"));
    if (!db.ok()) {
      std::cerr << "paw-login-bench-mint: " << db.error().what() << "\n";
      return 1;
    }
    const std::string& cmd = args->positional()[0];
    Status st = cmd == "tokens"    ? tokens(**db, *args)
                : cmd == "devices" ? devices(**db, *args)
                                   : Status(make_error(Errc::config_error, "unknown command " + cmd));
    if (!st.ok()) {
      std::cerr << "paw-login-bench-mint: " << st.error().what() << "\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "paw-login-bench-mint: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
