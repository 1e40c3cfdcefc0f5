#include "paw/attest/cli.h"

#include <charconv>

#include "paw/attest/text.h"

namespace paw {

Result<std::vector<ConfigLine>> parse_config_lines(std::string_view text, std::string_view where) {
  std::vector<ConfigLine> out;
  int n = 0;
  while (!text.empty()) {
    const std::string_view raw = next_line(text);
    ++n;
    const std::string_view t = trim(raw);
    if (t.empty() || t.front() == '#') continue;
    const auto eq = t.find('=');
    if (eq == std::string_view::npos) {
      return make_error(Errc::config_error, std::string(where) + ":" + std::to_string(n) + ": expected name = value");
    }
    out.push_back({n, std::string(trim(t.substr(0, eq))), std::string(trim(t.substr(eq + 1)))});
  }
  return out;
}

Result<Args> Args::parse(const std::vector<std::string>& words, const std::set<std::string>& options,
                         const std::set<std::string>& switches) {
  Args out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.size() < 3 || w.rfind("--", 0) != 0) {
      out.positional_.push_back(w);
      continue;
    }
    std::string name = w.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (switches.count(name) != 0) {
      if (inline_value) return make_error(Errc::config_error, "--" + name + " takes no value");
      out.values_[name] = "true";
    } else if (options.count(name) != 0) {
      if (inline_value) {
        out.values_[name] = *inline_value;
      } else if (i + 1 < words.size()) {
        out.values_[name] = words[++i];
      } else {
        return make_error(Errc::config_error, "--" + name + " needs a value");
      }
    } else {
      return make_error(Errc::config_error, "unknown option --" + name);
    }
  }
  return out;
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::get_or(const std::string& name, const std::string& fallback) const {
  return get(name).value_or(fallback);
}

Result<std::int64_t> parse_duration(const std::string& text) {
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

}  // namespace paw
