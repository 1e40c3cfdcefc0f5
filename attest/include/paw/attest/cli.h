// paw/attest/cli.h — a small argument parser shared by paw's programs.
//
// Grammar: positional words and `--name value` / `--name=value` options;
// names listed as switches take no value. Unknown options are errors so a
// typo never silently changes what a security tool does.
#pragma once

#include <cstdint>
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

}  // namespace paw
