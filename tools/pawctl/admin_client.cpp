#include "admin_client.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <sstream>

#include "admin_session.h"
#include "command.h"
#include "paw/attest/bytes.h"
#include "paw/attest/protocol.h"
#include "paw/https/client.h"

namespace pawctl {

using paw::Errc;
using paw::make_error;

const std::set<std::string> kCommonOptions = {"verifier", "ca-file", "credential-file"};
const std::set<std::string> kCommonSwitches = {"json", "yes"};

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

std::string hint_for(int status) {
  switch (status) {
    case 401:
      return " — the credential was refused: check --credential-file / PAW_ADMIN_CREDENTIAL, or sign in again "
             "(pawctl login NAME) if you use a session "
             "(on the verifier host, `paw-verifier admin-credential --state DIR` makes a new one)";
    case 403: return " — the verifier forbids this (insufficient_scope: the credential's scope does not cover this call)";
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

paw::Result<Connection> public_connection(const paw::Args& args) {
  Connection c;
  c.json = args.has("json");
  c.verifier = args.get_or("verifier", env_or("PAW_VERIFIER"));
  c.ca_file = args.get_or("ca-file", env_or("PAW_CA_FILE"));
  while (!c.verifier.empty() && c.verifier.back() == '/') c.verifier.pop_back();
  if (c.verifier.empty()) {
    return make_error(Errc::config_error,
                      "no verifier: give --verifier https://HOST:PORT (or set PAW_VERIFIER)");
  }
  return c;
}

paw::Result<Connection> connection_from(const paw::Args& args, const CredentialSource& source) {
  PAW_TRY(Connection c, public_connection(args));
  if (auto cf = args.get(source.file_option)) {
    PAW_TRY(c.credential, read_credential_file(*cf, source.what));
  } else {
    c.credential = trim(env_or(source.env_var));
  }
  const bool admin = std::string_view(source.file_option) == kAdminCredential.file_option;
  if (c.credential.empty() && admin) {
    // Neither given: the session of `pawctl login`, if there is one.
    PAW_TRY(std::string path, session_path(c.verifier));
    PAW_TRY(auto session, load_session(path, c.verifier));
    if (session) {
      if (session->expires_at <= static_cast<std::int64_t>(std::time(nullptr))) {
        return make_error(Errc::config_error, "the admin session of " + session->admin + " ended at " +
                                                  format_time(session->expires_at) + ": pawctl login " +
                                                  session->admin + " again");
      }
      c.credential = session->secret;
    }
  }
  if (c.credential.empty()) {
    return make_error(Errc::config_error, std::string("no ") + source.what + ": give --" + source.file_option +
                                              " FILE or set " + source.env_var +
                                              (admin ? " (or sign in with a FIDO2 key: pawctl login NAME)" : ""));
  }
  return c;
}

paw::Result<HttpAnswer> call(const Connection& c, const std::string& method, const std::string& path,
                             const std::string& body, int timeout_seconds, const std::string& if_match) {
  paw::https::Options opt;
  opt.ca_file = c.ca_file;
  opt.timeout_seconds = timeout_seconds;
  opt.max_body = kMaxAnswer;
  opt.peer = "the verifier";
  opt.ca_hint = "give --ca-file PEM (the verifier's CA, e.g. a copy of its tls/cert.pem)";
  opt.tls_hint = " — check that --ca-file is the CA that signed the verifier's certificate and that the URL's "
                 "host name is in it";
  opt.reach_hint = " — check --verifier and that paw-verifier is running";
  PAW_TRY(paw::https::Client client, paw::https::Client::open(c.verifier, std::move(opt), "--verifier"));
  std::vector<paw::https::Header> headers = {{"Authorization", "Bearer " + c.credential}};
  if (!if_match.empty()) headers.push_back({"If-Match", "\"" + if_match + "\""});
  PAW_TRY(paw::https::Reply r, client.request(method, path, body, headers));
  return HttpAnswer{r.status, std::move(r.body)};
}

paw::Result<HttpAnswer> call_ok(const Connection& c, const std::string& method, const std::string& path,
                                const std::string& body, int timeout_seconds, const std::string& if_match) {
  PAW_TRY(HttpAnswer a, call(c, method, path, body, timeout_seconds, if_match));
  return answer_ok(method, path, std::move(a));
}

paw::Result<HttpAnswer> answer_ok(const std::string& method, const std::string& path, HttpAnswer a) {
  if (a.status >= 200 && a.status < 300) return a;
  std::string message = "HTTP " + std::to_string(a.status);
  const paw::protocol::ErrorAnswer e = paw::protocol::decode_error_answer(a.body);
  if (!e.error.empty()) message += " " + e.error;
  if (!e.message.empty()) message += ": " + e.message;
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

int report(const paw::Error& e) {
  const int code = e.code == Errc::config_error ? 2 : 1;
  return fail_named(std::string(paw::errc_name(e.code)), e.detail, code);
}

int show_answer(const Connection& c, const paw::Result<HttpAnswer>& a, const Render& render) {
  if (!a.ok()) return report(a.error());
  return show_answer(c, *a, render);
}

int show_answer(const Connection& c, const HttpAnswer& a, const Render& render) {
  if (c.json) {
    std::cout << a.body << "\n";
    return 0;
  }
  auto o = parse_answer(a);
  if (!o.ok()) return report(o.error());
  return render(*o);
}

int call_show(const Connection& c, const std::string& method, const std::string& path,
              const std::string& body, const Render& render) {
  return show_answer(c, call_ok(c, method, path, body), render);
}

int confirm(const paw::Args& args, const std::string& question) {
  if (args.has("yes")) return 0;
  if (::isatty(STDIN_FILENO) != 1 || ::isatty(STDERR_FILENO) != 1) {
    return fail_named("confirmation_required",
                      "refusing to " + question + " without asking: no terminal to ask on; pass --yes to confirm", 2);
  }
  std::cerr << "pawctl: " << question << "? [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) answer.clear();
  answer = trim(answer);
  std::transform(answer.begin(), answer.end(), answer.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (answer == "y" || answer == "yes") return 0;
  return fail_named("cancelled", "cancelled: nothing was changed", 1);
}

int post_rotation(const paw::Args& args, const std::string& what, const std::string& path, const std::string& before,
                  const std::string& after) {
  auto conn = connection_from(args);
  if (!conn.ok()) return report(conn.error());
  if (int rc = confirm(args, what); rc != 0) return rc;
  return call_show(*conn, "POST", path, "{}", [&](const paw::json::ObjectPtr& o) {
    std::cout << before << o->optValue<std::string>("kid", "") << after << "\n";
    return 0;
  });
}

int print_rows(const paw::json::ObjectPtr& o, const std::string& key, const std::string& empty,
               std::vector<std::string> header, const Row& row) {
  auto arr = o->getArray(key);
  if (arr.isNull() || arr->size() == 0) {
    std::cout << empty << "\n";
    return 0;
  }
  Table t(std::move(header));
  for (std::size_t i = 0; i < arr->size(); ++i) {
    paw::json::ObjectPtr x = arr->getObject(static_cast<unsigned>(i));
    if (!x.isNull()) t.add(row(x));
  }
  t.print();
  return 0;
}

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
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string format_age(std::int64_t unix_seconds) {
  if (unix_seconds <= 0) return "never";
  const std::int64_t d = static_cast<std::int64_t>(std::time(nullptr)) - unix_seconds;
  std::string age;
  if (d < 0) age = "in the future";
  else if (d < 120) age = std::to_string(d) + "s ago";
  else if (d < 7200) age = std::to_string(d / 60) + "m ago";
  else if (d < 172800) age = std::to_string(d / 3600) + "h ago";
  else age = std::to_string(d / 86400) + "d ago";
  return format_time(unix_seconds) + " (" + age + ")";
}

bool is_time_field(const std::string& n) {
  const auto ends = [&](std::string_view suffix) {
    return n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return n == "time" || n == "exp" || n == "iat" || n == "nbf" || ends("_at") || ends("until");
}

namespace {
Poco::Dynamic::Var humanize(const Poco::Dynamic::Var& v, const std::string& name) {
  if (v.type() == typeid(paw::json::ObjectPtr)) {
    const auto& in = v.extract<paw::json::ObjectPtr>();
    paw::json::ObjectPtr out = new Poco::JSON::Object();
    for (const auto& k : in->getNames()) out->set(k, humanize(in->get(k), k));
    return out;
  }
  if (v.type() == typeid(paw::json::ArrayPtr)) {
    const auto& in = v.extract<paw::json::ArrayPtr>();
    paw::json::ArrayPtr out = new Poco::JSON::Array();
    for (std::size_t i = 0; i < in->size(); ++i) out->add(humanize(in->get(static_cast<unsigned>(i)), name));
    return out;
  }
  if (is_time_field(name) && v.isInteger()) return format_time(v.convert<std::int64_t>());
  return v;
}
}  // namespace

std::string human_json(const paw::json::ObjectPtr& o) {
  return paw::json::stringify(humanize(Poco::Dynamic::Var(o), "").extract<paw::json::ObjectPtr>());
}

std::string printable(const std::string& s, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && out.size() < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    out += c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c);
  }
  return s.size() > max ? out + "..." : out;
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

// revoke: after confirm, POST |base|/|id|/revoke; the answer as it is (--json) or one line.
int revoke(const paw::Args& args, const Connection& c, const std::string& base, const std::string& id,
           const std::string& what) {
  if (auto st = check_segment(id, what + " id"); !st.ok()) return report(st.error());
  if (int rc = confirm(args, "revoke " + what + " " + id); rc != 0) return rc;
  return call_show(c, "POST", base + "/" + id + "/revoke", "", [&](const paw::json::ObjectPtr& o) {
    std::cout << what << " " << id << " revoked at "
              << format_time(o->optValue<std::int64_t>("revoked_at", 0))
              << " (refused from now on by every replica)\n";
    return 0;
  });
}

}  // namespace pawctl
