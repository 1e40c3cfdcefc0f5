// paw/attest/cli.h — a small argument parser shared by paw's programs.
//
// Grammar: positional words and `--name value` / `--name=value` options;
// names listed as switches take no value. Unknown options are errors so a
// typo never silently changes what a security tool does.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "paw/attest/error.h"

namespace paw {

class Args {
 public:
  // parse reads argv-style words. |options| take a value, |switches| do not.
  static Result<Args> parse(const std::vector<std::string>& words, const std::set<std::string>& options,
                            const std::set<std::string>& switches = {});

  [[nodiscard]] const std::vector<std::string>& positional() const noexcept { return positional_; }
  [[nodiscard]] std::optional<std::string> get(const std::string& name) const;
  [[nodiscard]] std::string get_or(const std::string& name, const std::string& fallback) const;
  [[nodiscard]] bool has(const std::string& name) const { return values_.count(name) != 0; }

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
};

// ConfigLine is one `name = value` line of a config file, in file order.
struct ConfigLine {
  int line = 0;
  std::string name;
  std::string value;
};

// parse_config_lines reads the config-file grammar every paw program uses:
// `name = value` lines, blanks and spaces around both trimmed, '#' starting a
// comment line, blank lines ignored; repeats kept in order (a list such as
// the verifier's webhook = ... takes several). Errc::config_error
// "<where>:<line>: expected name = value" for any other line.
Result<std::vector<ConfigLine>> parse_config_lines(std::string_view text, std::string_view where);

// parse_duration reads "90", "90s", "15m", "1h", "2d" as seconds, at most ten
// years (Errc::config_error).
Result<std::int64_t> parse_duration(const std::string& text);

// ---------------------------------------------------------------------------
// One subcommand dispatcher for paw-agent, paw-verifier and pawctl, so the
// three programs share one set of conventions (docs/pawctl.md, "Conventions"):
//   PROGRAM                       usage on stderr, exit 2
//   PROGRAM help|--help|-h        usage on stdout, exit 0
//   PROGRAM version|--version     "PROGRAM VERSION", exit 0
//   PROGRAM COMMAND --help|-h     that command's usage line(s), exit 0
//   PROGRAM unknown               error + usage, exit 2
//   an exception out of a command: "unexpected error", exit 70 (EX_SOFTWARE)
// Global options (Program::global_options / global_switches) may stand before
// the command as well as after it: the dispatcher moves them to the side of
// the command's words that Program::globals_first names, so each command
// parses them as its own. Any other option before the command is a usage error.
namespace cli {

inline constexpr int kExitUsage = 2;
inline constexpr int kExitSoftware = 70;

struct Subcommand {
  std::string name;
  std::string usage;  // one line (or several), without "usage: PROGRAM "
  std::function<int(const std::vector<std::string>& words)> run;
};

struct Program {
  std::string name;                         // "pawctl"
  std::string version;
  std::vector<Subcommand> commands;         // in --help order
  std::string globals_help;                 // printed under the synopsis; "" when there are none
  std::string footer;                       // printed after the command list ("see docs/verifier.md")
  std::set<std::string> global_options;     // take a value
  std::set<std::string> global_switches;
  bool globals_first = false;               // true: moved globals go before the command's words, else after
  std::map<std::string, std::string> refused_before;  // option name → the message when it stands before the command
  // fail prints an error (the program's own format: text, or JSON with
  // --json) and returns |code|; |kind| is "usage" or "failed".
  std::function<int(const std::string& kind, const std::string& message, int code,
                    const std::vector<std::string>& words)>
      fail;
};

// usage_text is the synopsis, the global options and one line per command.
std::string usage_text(const Program& p);

// dispatch runs |words| (argv without argv[0]) against |p|.
int dispatch(const Program& p, const std::vector<std::string>& words);

}  // namespace cli

}  // namespace paw
