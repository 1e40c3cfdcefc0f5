#include "admin_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <istream>
#include <mutex>
#include <sstream>

#include "command.h"
#include "paw/attest/bytes.h"

namespace pawctl {

using paw::Errc;
using paw::make_error;

const std::set<std::string> kCommonOptions = {"verifier", "ca-file", "credential-file"};
const std::set<std::string> kCommonSwitches = {"json"};

namespace {

constexpr std::size_t kMaxAnswer = 64u << 20;

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string env_or(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

paw::Result<std::string> read_credential_file(const std::string& path, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return make_error(Errc::config_error, std::string("cannot read the ") + what + " file " + path);
  }
  if ((st.st_mode & 0077) != 0) {
    std::cerr << "pawctl: warning: " << path << " is readable by other users; chmod 600 it\n";
  }
  auto data = paw::read_file(path, 4096);
  if (!data.ok()) return make_error(Errc::config_error, std::string("cannot read the ") + what + " file " + path +
                                                            ": " + data.error().detail);
  std::string v = trim(std::string(data->begin(), data->end()));
  // `paw-verifier init` prints "admin credential: <value>"; accept the line as is.
  const std::string prefix = "admin credential:";
  if (v.rfind(prefix, 0) == 0) v = trim(v.substr(prefix.size()));
  if (v.empty()) return make_error(Errc::config_error, std::string("the ") + what + " file " + path + " is empty");
  return v;
}

void init_ssl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    Poco::Net::initializeSSL();
    // No Poco::Util::Application here: give SSLManager its handlers so a bad
    // certificate is refused (RejectCertificateHandler), never accepted.
    Poco::SharedPtr<Poco::Net::InvalidCertificateHandler> reject = new Poco::Net::RejectCertificateHandler(false);
    Poco::Net::Context::Ptr unused = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                                            Poco::Net::Context::VERIFY_RELAXED, 9, false);
    Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, unused);
  });
}

// pin_host makes the TLS handshake fail unless the certificate names |host|
// (a DNS name, or an IP address in an iPAddress entry).
bool pin_host(const Poco::Net::Context::Ptr& ctx, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx->sslContext());
  if (param == nullptr) return false;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  if (ip != nullptr) {
    ASN1_OCTET_STRING_free(ip);
    return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  }
  return X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
}

bool is_loopback(const std::string& host) { return host == "localhost" || host == "127.0.0.1" || host == "::1"; }

std::string hint_for(int status) {
  switch (status) {
    case 401:
      return " — the credential was refused: check --credential-file / PAW_ADMIN_CREDENTIAL "
             "(on the verifier host, `paw-verifier admin-credential --state DIR` makes a new one)";
    case 403: return " — the verifier forbids this";
    case 404: return " — check the id (`pawctl devices list`)";
    case 409: return " — the object is not in a state that allows this";
    case 429: return " — rate limited: wait a little and retry";
    default: return status >= 500 ? " — the verifier failed; see its log (journalctl -u paw-verifier)" : "";
  }
}

}  // namespace

paw::Result<paw::Args> parse_admin_args(const std::vector<std::string>& words, std::set<std::string> options,
                                        std::set<std::string> switches) {
  options.insert(kCommonOptions.begin(), kCommonOptions.end());
  switches.insert(kCommonSwitches.begin(), kCommonSwitches.end());
  for (const auto& w : words) {
    if (w == "--credential" || w.rfind("--credential=", 0) == 0 || w == "--rp-credential" ||
        w.rfind("--rp-credential=", 0) == 0) {
      return make_error(Errc::config_error,
                        "credentials are never taken on the command line: use --credential-file FILE "
                        "or the PAW_ADMIN_CREDENTIAL environment variable");
    }
  }
  auto args = paw::Args::parse(words, options, switches);
  if (!args.ok()) return make_error(Errc::config_error, args.error().detail + " (see `pawctl help`)");
  return args;
}

paw::Result<Connection> connection_from(const paw::Args& args, const CredentialSource& source) {
  Connection c;
  c.json = args.has("json");
  c.verifier = args.get_or("verifier", env_or("PAW_VERIFIER"));
  c.ca_file = args.get_or("ca-file", env_or("PAW_CA_FILE"));
  while (!c.verifier.empty() && c.verifier.back() == '/') c.verifier.pop_back();
  if (c.verifier.empty()) {
    return make_error(Errc::config_error,
                      "no verifier: give --verifier https://HOST:PORT (or set PAW_VERIFIER)");
  }
  if (auto cf = args.get(source.file_option)) {
    PAW_TRY(c.credential, read_credential_file(*cf, source.what));
  } else {
    c.credential = trim(env_or(source.env_var));
  }
  if (c.credential.empty()) {
    return make_error(Errc::config_error, std::string("no ") + source.what + ": give --" + source.file_option +
                                              " FILE or set " + source.env_var);
  }
  return c;
}

paw::Result<HttpAnswer> call(const Connection& c, const std::string& method, const std::string& path,
                             const std::string& body, int timeout_seconds) {
  try {
    const Poco::URI uri(c.verifier);
    const std::string scheme = uri.getScheme();
    if (scheme != "https" && !(scheme == "http" && is_loopback(uri.getHost()))) {
      return make_error(Errc::config_error, "--verifier must be an https:// URL (plain http only on loopback): " +
                                                c.verifier);
    }
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (scheme == "https") {
      init_ssl_once();
      if (c.ca_file.empty()) {
        return make_error(Errc::config_error,
                          "no CA file: give --ca-file PEM (the verifier's CA, e.g. a copy of its tls/cert.pem)");
      }
      Poco::Net::Context::Params params;
      params.caLocation = c.ca_file;
      params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;  // client: verify the server's chain
      params.loadDefaultCAs = false;
      Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
      // Poco's own host check accepts any name that resolves to an address in
      // the certificate; have OpenSSL match the URL's host name or IP exactly
      // (RFC 6125) while it verifies the chain.
      if (!pin_host(ctx, uri.getHost())) {
        return make_error(Errc::config_error, "cannot set the expected TLS host name " + uri.getHost());
      }
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), ctx);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    session->setTimeout(Poco::Timespan(timeout_seconds, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", "Bearer " + c.credential);
    req.set("Accept", "application/json");
    if (!body.empty() || method == "POST" || method == "PUT") {
      req.setContentType("application/json");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::ostream& out = session->sendRequest(req);
    out << body;
    Poco::Net::HTTPResponse resp;
    std::istream& in = session->receiveResponse(resp);
    HttpAnswer a;
    a.status = static_cast<int>(resp.getStatus());
    char buf[8192];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      a.body.append(buf, static_cast<std::size_t>(in.gcount()));
      if (a.body.size() > kMaxAnswer) return make_error(Errc::too_large, "the verifier's answer is too large");
    }
    return a;
  } catch (const Poco::Net::SSLException& e) {
    return make_error(Errc::network_error, "TLS with " + c.verifier + " failed: " + e.displayText() +
                                               " — check that --ca-file is the CA that signed the verifier's "
                                               "certificate and that the URL's host name is in it");
  } catch (const Poco::TimeoutException&) {
    return make_error(Errc::network_error, "the verifier at " + c.verifier + " did not answer in time");
  } catch (const Poco::Exception& e) {
    return make_error(Errc::network_error, "cannot reach the verifier at " + c.verifier + ": " + e.displayText() +
                                               " — check --verifier and that paw-verifier is running");
  } catch (const std::exception& e) {
    return make_error(Errc::network_error, "cannot reach the verifier at " + c.verifier + ": " + e.what());
  }
}

paw::Result<HttpAnswer> call_ok(const Connection& c, const std::string& method, const std::string& path,
                                const std::string& body, int timeout_seconds) {
  PAW_TRY(HttpAnswer a, call(c, method, path, body, timeout_seconds));
  if (a.status >= 200 && a.status < 300) return a;
  std::string message = "HTTP " + std::to_string(a.status);
  if (auto o = paw::json::parse_object(a.body, 1u << 20); o.ok()) {
    const std::string err = (*o)->optValue<std::string>("error", "");
    const std::string msg = (*o)->optValue<std::string>("message", "");
    if (!err.empty()) message += " " + err;
    if (!msg.empty()) message += ": " + msg;
  }
  const Errc code = a.status == 401 ? Errc::unauthorized
                    : a.status == 404 ? Errc::not_found
                    : a.status == 409 ? Errc::conflict
                    : a.status == 403 ? Errc::forbidden
                                      : Errc::malformed;
  return make_error(code, "verifier refused " + method + " " + path + ": " + message + hint_for(a.status));
}

paw::Result<paw::json::ObjectPtr> parse_answer(const HttpAnswer& a) {
  auto o = paw::json::parse_object(a.body, kMaxAnswer, 64);
  if (!o.ok()) return make_error(Errc::malformed, "the verifier's answer is not a JSON object: " + o.error().detail);
  return o;
}

int report(const paw::Error& e) { return fail(e.detail, e.code == Errc::config_error ? 2 : 1); }

paw::Status check_segment(const std::string& id, const std::string& what) {
  const bool ok = !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
           ch == '_' || ch == '.';
  });
  if (!ok) return make_error(Errc::config_error, "bad " + what + " '" + id + "' (letters, digits, . _ - only)");
  return paw::ok_status();
}

void Table::print() const {
  std::vector<std::size_t> width;
  for (const auto& r : rows_) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (const auto& r : rows_) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

std::string format_time(std::int64_t unix_seconds) {
  if (unix_seconds <= 0) return "never";
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

std::string format_age(std::int64_t unix_seconds) {
  if (unix_seconds <= 0) return "never";
  const std::int64_t d = static_cast<std::int64_t>(std::time(nullptr)) - unix_seconds;
  if (d < 0) return "in the future";
  if (d < 120) return std::to_string(d) + "s ago";
  if (d < 7200) return std::to_string(d / 60) + "m ago";
  if (d < 172800) return std::to_string(d / 3600) + "h ago";
  return std::to_string(d / 86400) + "d ago";
}

paw::Result<std::int64_t> parse_duration(const std::string& text) {
  std::int64_t v = 0;
  const char* b = text.data();
  const char* e = text.data() + text.size();
  const auto [end, ec] = std::from_chars(b, e, v);
  std::int64_t unit = 1;
  if (ec == std::errc() && end + 1 == e) {
    switch (*end) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: unit = 0;
    }
  } else if (ec != std::errc() || end != e) {
    unit = 0;
  }
  if (unit == 0 || v < 0 || v > 10 * 365 * 86400LL) {
    return make_error(Errc::config_error, "bad duration '" + text + "' (examples: 90s, 15m, 1h, 2d)");
  }
  return v * unit;
}

std::string reasons_text(const paw::json::ArrayPtr& reasons) {
  if (reasons.isNull() || reasons->size() == 0) return "-";
  std::string out;
  for (std::size_t i = 0; i < reasons->size(); ++i) {
    auto o = reasons->getObject(static_cast<unsigned>(i));
    if (o.isNull()) continue;
    if (!out.empty()) out += "; ";
    out += o->optValue<std::string>("code", "?");
    const std::string m = o->optValue<std::string>("message", "");
    if (!m.empty()) out += ": " + m;
  }
  return out.empty() ? "-" : out;
}

}  // namespace pawctl
