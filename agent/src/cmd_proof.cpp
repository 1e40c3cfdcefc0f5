// paw-agent proof / paw-agent curl: DPoP proofs (RFC 9449) signed by the
// TPM login key, so a person can present the result token from a shell. The
// token (the daemon's token file) is bound to that key (cnf.jkt): a site whose
// policy says "pop" admits it only with a fresh proof for the very request.
#include <unistd.h>

#include <iostream>
#include <optional>
#include <set>

#include "agent_commands.h"
#include "paw/attest/dpop.h"
#include "paw/attest/secure.h"
#include "paw/attest/tpm.h"
#include "paw/platform/login_key.h"
#include "paw/platform/tpm.h"
#include "settings.h"

namespace paw::agent {
namespace {

// read_token reads the result token the daemon keeps (one line).
Result<std::string> read_token(const AgentSettings& s) {
  auto raw = read_file(s.token_file.string(), 64u << 10);
  if (!raw.ok()) {
    return make_error(Errc::config_error, "no result token in " + s.token_file.string() +
                                              " (is the device healthy and the daemon running?): " + raw.error().detail);
  }
  std::string t(raw->begin(), raw->end());
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  if (t.empty()) return make_error(Errc::config_error, "the token file " + s.token_file.string() + " is empty");
  return t;
}

// to_raw_rs turns the TPM's TPMT_SIGNATURE (ECDSA) into JOSE r||s.
Result<Bytes> to_raw_rs(ByteView tpmt_signature) {
  PAW_TRY(Signature sig, parse_signature(tpmt_signature));
  if (sig.ecc_r.size() > 32 || sig.ecc_s.size() > 32) return make_error(Errc::unsupported, "not a P-256 ECDSA signature");
  Bytes raw(64, 0);
  std::copy(sig.ecc_r.begin(), sig.ecc_r.end(), raw.begin() + static_cast<std::ptrdiff_t>(32 - sig.ecc_r.size()));
  std::copy(sig.ecc_s.begin(), sig.ecc_s.end(), raw.begin() + static_cast<std::ptrdiff_t>(64 - sig.ecc_s.size()));
  return raw;
}

// make_proof signs a DPoP proof for |method| |url| with the TPM login key.
Result<std::string> make_proof(const AgentSettings& s, const std::string& method, const std::string& url,
                               const std::string& token) {
  PAW_TRY(std::string normalized, normalize_htu(url));
  (void)normalized;  // refuse a URL the verifier could never match before touching the TPM
  PAW_TRY(auto blob, platform::load_login_key_file(s.state_dir));
  if (!blob) {
    return make_error(Errc::config_error, "no login key in " + s.state_dir.string() +
                                              " (paw-agent enroll --add-login-key creates one)");
  }
  PAW_TRY(const TpmPublic pub, parse_public(blob->public_tpm2b));
  PAW_TRY(const EvpPkeyPtr key, to_evp_pkey(pub));
  PAW_TRY(Bytes id, random_bytes(16));
  DpopClaims c{method, url, token, now_unix(), base64url(id)};
  PAW_TRY(std::string input, dpop_signing_input(key.get(), c));
  auto tpm = platform::Tpm::open(s.tcti);
  if (!tpm.ok()) return make_error(Errc::tpm_error, "cannot open the TPM at '" + s.tcti + "': " + tpm.error().detail);
  auto loaded = platform::load_login_key(*tpm, *blob);
  if (!loaded.ok()) {
    return make_error(Errc::tpm_error, "the login key does not load in this TPM: " + loaded.error().detail);
  }
  PAW_TRY(Bytes tpmt, platform::sign_with_login_key(*tpm, *loaded, as_bytes(input)));
  PAW_TRY(Bytes raw, to_raw_rs(tpmt));
  return dpop_assemble(input, raw);
}

int report(const Error& e) {
  std::cerr << "paw-agent: " << e.what() << "\n";
  return 2;
}

}  // namespace

int cmd_proof(const std::vector<std::string>& words) {
  auto ls = load_settings(words, {"method", "url"});
  if (!ls.ok()) return report(ls.error());
  const auto url = ls->args.get("url");
  if (!url) return report(make_error(Errc::config_error, "--url URL is required"));
  const std::string method = ls->args.get_or("method", "GET");
  auto token = read_token(ls->settings);
  if (!token.ok()) return report(token.error());
  auto proof = make_proof(ls->settings, method, *url, *token);
  if (!proof.ok()) return report(proof.error());
  std::cout << *proof << "\n";
  return 0;
}

int cmd_curl(const std::vector<std::string>& words) {
  // Agent options come first; the first word that is not one is the URL and
  // everything after it goes to curl unchanged.
  static const std::set<std::string> kWithValue = {"config", "verifier", "ca-file", "tcti", "fido-device", "state-dir",
                                                   "interval", "token-file", "event-log", "ima-log", "retry-min",
                                                   "retry-max", "fido-timeout", "ek", "ak-alg"};
  std::vector<std::string> ours;
  std::size_t i = 0;
  for (; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.rfind("--", 0) != 0) break;
    const std::string name = w.substr(2, w.find('=') == std::string::npos ? std::string::npos : w.find('=') - 2);
    if (!kWithValue.contains(name)) break;
    ours.push_back(w);
    if (w.find('=') == std::string::npos && i + 1 < words.size()) ours.push_back(words[++i]);
  }
  if (i >= words.size()) return report(make_error(Errc::config_error, "usage: paw-agent curl [agent options] URL [curl arguments…]"));
  const std::string url = words[i];
  std::vector<std::string> rest(words.begin() + static_cast<std::ptrdiff_t>(i + 1), words.end());
  std::string method = "GET";
  for (std::size_t k = 0; k < rest.size(); ++k) {
    if ((rest[k] == "-X" || rest[k] == "--request") && k + 1 < rest.size()) method = rest[k + 1];
    else if (rest[k].rfind("-X", 0) == 0 && rest[k].size() > 2) method = rest[k].substr(2);
    else if (rest[k].rfind("--request=", 0) == 0) method = rest[k].substr(10);
    else if (rest[k] == "-I" || rest[k] == "--head") method = "HEAD";
  }
  auto ls = load_settings(ours, {});
  if (!ls.ok()) return report(ls.error());
  auto token = read_token(ls->settings);
  if (!token.ok()) return report(token.error());
  auto proof = make_proof(ls->settings, method, url, *token);
  if (!proof.ok()) return report(proof.error());
  // The token and the proof reach curl through a pipe (-H @file), never its
  // command line: another local user could read that in /proc and spend the
  // proof first.
  int fds[2];
  if (::pipe(fds) != 0) return report(make_error(Errc::io_error, "pipe failed"));
  const std::string headers = "Authorization: DPoP " + *token + "\nDPoP: " + *proof + "\n";
  if (headers.size() > 60000 || ::write(fds[1], headers.data(), headers.size()) != static_cast<ssize_t>(headers.size())) {
    return report(make_error(Errc::io_error, "cannot hand the headers to curl"));
  }
  ::close(fds[1]);
  std::vector<std::string> argv = {"curl", "-H", "@/dev/fd/" + std::to_string(fds[0])};
  argv.insert(argv.end(), rest.begin(), rest.end());
  argv.push_back("--url");
  argv.push_back(url);
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::cout.flush();
  ::execvp("curl", cargv.data());
  return report(make_error(Errc::io_error, "cannot run curl (is it installed?)"));
}

}  // namespace paw::agent
