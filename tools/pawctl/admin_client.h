// admin_client.h — how pawctl's admin commands reach the verifier: common
// options (--verifier, --ca-file, --credential-file, --json), one HTTPS call
// per request, and errors that say what to do next.
//
// The admin credential comes from --credential-file FILE or the
// PAW_ADMIN_CREDENTIAL environment variable, never from the command line
// (argv is visible to every local user through /proc).
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "paw/attest/cli.h"
#include "paw/attest/error.h"
#include "paw/attest/json.h"

namespace pawctl {

// Connection is where and how to reach the verifier.
struct Connection {
  std::string verifier;     // https://host:port (no path)
  std::string ca_file;      // PEM file with the CA (or the self-signed certificate) of the verifier
  std::string credential;   // bearer credential (admin or relying party); secret, not printed
  bool json = false;        // --json: print the verifier's JSON instead of tables
};

// kCommonOptions / kCommonSwitches are accepted by every admin command
// (--yes among them, so a script may pass it to any admin command).
extern const std::set<std::string> kCommonOptions;
extern const std::set<std::string> kCommonSwitches;

// parse_admin_args parses |words| with the common options plus |options| /
// |switches| of one command. Errc::config_error with a usage hint on a bad word.
paw::Result<paw::Args> parse_admin_args(const std::vector<std::string>& words, std::set<std::string> options,
                                        std::set<std::string> switches = {});

// CredentialSource names where the bearer credential comes from.
struct CredentialSource {
  const char* file_option;  // "credential-file" or "rp-credential-file"
  const char* env_var;      // "PAW_ADMIN_CREDENTIAL" or "PAW_RP_CREDENTIAL"
  const char* what;         // "admin credential"
};
inline constexpr CredentialSource kAdminCredential{"credential-file", "PAW_ADMIN_CREDENTIAL", "admin credential"};
inline constexpr CredentialSource kRpCredential{"rp-credential-file", "PAW_RP_CREDENTIAL",
                                                "relying-party credential"};

// connection_from builds the Connection: --verifier (or PAW_VERIFIER), --ca-file
// (or PAW_CA_FILE), the credential from |source|. Errc::config_error saying
// which setting is missing and how to give it.
paw::Result<Connection> connection_from(const paw::Args& args, const CredentialSource& source = kAdminCredential);
// public_connection is the Connection for public endpoints (the CA bundles):
// --verifier and --ca-file as above, no credential (the TLS certificate of
// the verifier is still checked).
paw::Result<Connection> public_connection(const paw::Args& args);

// confirm asks before a destructive command (delete, revoke, remove,
// rotate): with --yes it returns 0 at once; on a terminal (stdin and stderr
// TTYs) it asks "pawctl: <question> [y/N] " and returns 0 on "y"/"yes", else
// prints "cancelled" and returns 1; without a terminal (a script) it refuses
// with exit 2 and says to pass --yes. Anything non-zero is the exit code:
// nothing was sent to the verifier.
int confirm(const paw::Args& args, const std::string& question);

// HttpAnswer is the verifier's answer: status and body.
struct HttpAnswer {
  int status = 0;
  std::string body;
};

// call sends one request (|body| as JSON when non-empty) and returns the
// answer, whatever its status. Errc::network_error (with what to check) when
// the verifier cannot be reached or its TLS certificate does not verify
// against the CA file (the host name is checked too). |timeout_seconds|
// bounds each socket operation.
// |if_match|, when not empty, is sent as If-Match: "<if_match>" (a PUT that
// replaces only the version it read).
paw::Result<HttpAnswer> call(const Connection& c, const std::string& method, const std::string& path,
                             const std::string& body = "", int timeout_seconds = 15, const std::string& if_match = "");

// call_ok is call() that turns any status outside 200..299 into an Error
// carrying the verifier's message and a hint for the usual causes (401: the
// credential, 404: the id, 409: the state).
paw::Result<HttpAnswer> call_ok(const Connection& c, const std::string& method, const std::string& path,
                                const std::string& body = "", int timeout_seconds = 15,
                                const std::string& if_match = "");

// answer_ok is call_ok's second half, for a caller that first looks at a
// refusal's body itself (policy set prints the findings of a 400).
paw::Result<HttpAnswer> answer_ok(const std::string& method, const std::string& path, HttpAnswer a);

// parse_answer parses a JSON object answer (Errc::malformed if it is not one).
paw::Result<paw::json::ObjectPtr> parse_answer(const HttpAnswer& a);

// report prints |e| as "pawctl: <detail>" and returns the exit code for it:
// 2 for usage/config errors, 1 otherwise.
int report(const paw::Error& e);

// Render prints a verifier's answer (a JSON object) for people and returns
// the exit code.
using Render = std::function<int(const paw::json::ObjectPtr&)>;

// show_answer is how an admin command ends: a refused or failed call |a| is
// reported (report: exit 1, or 2 for usage and configuration); with --json
// the answer's body is printed as it is (and exit 0); else the body is parsed
// (parse_answer: a body that is not a JSON object is reported) and |render|
// prints it and says the exit code.
int show_answer(const Connection& c, const paw::Result<HttpAnswer>& a, const Render& render);
int show_answer(const Connection& c, const HttpAnswer& a, const Render& render);

// call_show is call_ok(|method|, |path|, |body|) and then show_answer: one
// request of an admin command, printed.
int call_show(const Connection& c, const std::string& method, const std::string& path,
              const std::string& body, const Render& render);

// Row makes the cells of one table row from one object of an answer's array.
using Row = std::function<std::vector<std::string>(const paw::json::ObjectPtr&)>;

// print_rows prints the array |key| of |o| as a Table: |header|, then one row
// by |row| for each element that is an object. When the array is absent or
// empty it prints the line |empty| instead. Returns 0 (a Render's exit code).
int print_rows(const paw::json::ObjectPtr& o, const std::string& key, const std::string& empty,
               std::vector<std::string> header, const Row& row);

// post_rotation is every `… rotate` command: confirm (|what|, e.g. "rotate
// the result-token signing key"), POST |path| with the admin credential, then the answer as it is (--json) or "<before><kid><after>".
int post_rotation(const paw::Args& args, const std::string& what, const std::string& path, const std::string& before,
                  const std::string& after);

// revoke is every `… revoke ID` command (tokens, credentials, invitations):
// |id| checked as a path segment, confirm ("revoke <what> <id>"), then POST
// |base|/<id>/revoke; prints the answer as it is (--json) or "<what> <id>
// revoked at <time>".
int revoke(const paw::Args& args, const Connection& c, const std::string& base, const std::string& id,
           const std::string& what);

// url_segment checks that |id| is a plain path segment ([A-Za-z0-9._-]{1,128}).
paw::Status check_segment(const std::string& id, const std::string& what);

// Table prints aligned columns for people.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// Times for people (docs/pawctl.md "Times"): every time pawctl prints in
// text is RFC 3339 UTC; --json keeps the verifier's unix-seconds numbers.
// format_time renders unix seconds as "2026-11-29T02:30:44Z", 0 as "never".
std::string format_time(std::int64_t unix_seconds);
// format_age renders a past time with how long ago it was:
// "2026-11-29T02:30:44Z (3m ago)", 0 as "never".
std::string format_age(std::int64_t unix_seconds);
// is_time_field says whether a JSON member holds a time in unix seconds:
// its name is "time", "exp", "iat", "nbf" or ends in "_at" or "until".
bool is_time_field(const std::string& name);
// human_json is |o| as compact JSON with every integer time member
// (is_time_field, at any depth) rendered by format_time: the text form of a
// JSON detail (pawctl events).
std::string human_json(const paw::json::ObjectPtr& o);
using paw::parse_duration;  // paw/attest/cli.h
// printable is the verifier's text (paths and labels come from a
// workstation's logs) without control characters (each becomes '?'), at most
// |max| bytes ("..." after a cut), so no terminal escape gets through.
std::string printable(const std::string& s, std::size_t max);

// reasons_text joins a reasons array ([{code, message}]) as "code: message; …" ("-" if empty).
std::string reasons_text(const paw::json::ArrayPtr& reasons);

}  // namespace pawctl
