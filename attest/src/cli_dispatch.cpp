// The one subcommand dispatcher of paw's programs (cli.h).
#include <algorithm>
#include <cstdio>
#include <exception>

#include "paw/attest/cli.h"

namespace paw::cli {
namespace {

// option_name is "verifier" for "--verifier" and "--verifier=URL"; "" for a non-option.
std::string option_name(const std::string& w) {
  if (w.size() < 3 || w.rfind("--", 0) != 0) return {};
  const auto eq = w.find('=');
  return w.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
}

bool takes_value(const Program& p, const std::string& word) {
  return p.global_options.count(option_name(word)) != 0 && word.find('=') == std::string::npos;
}

// split_globals takes the global options off the front of |words| into
// |globals|; returns the index of the command word, or an error message.
Result<std::size_t> split_globals(const Program& p, const std::vector<std::string>& words,
                                  std::vector<std::string>& globals) {
  std::size_t i = 0;
  for (; i < words.size(); ++i) {
    const std::string& w = words[i];
    const std::string name = option_name(w);
    if (name.empty() || name == "help" || name == "version") break;
    if (p.global_switches.count(name) != 0 && w.find('=') == std::string::npos) {
      globals.push_back(w);
    } else if (p.global_options.count(name) != 0) {
      globals.push_back(w);
      if (w.find('=') == std::string::npos) {
        if (i + 1 >= words.size()) return make_error(Errc::config_error, "--" + name + " needs a value");
        globals.push_back(words[++i]);
      }
    } else if (auto why = p.refused_before.find(name); why != p.refused_before.end()) {
      return make_error(Errc::config_error, why->second);
    } else {
      std::string allowed;
      for (const auto* set : {&p.global_options, &p.global_switches}) {
        for (const auto& g : *set) allowed += (allowed.empty() ? "--" : ", --") + g;
      }
      return make_error(Errc::config_error, "--" + name + " is not a global option: put it after the command (" +
                                                p.name + " COMMAND --" + name + " …)" +
                                                (allowed.empty() ? std::string() : "; before the command only " + allowed));
    }
  }
  return i;
}

bool has_option(const std::vector<std::string>& args, const std::string& name) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& a) { return option_name(a) == name; });
}

// place_globals puts |globals| beside the command's words: a switch given in
// both places counts once; an option with a value given in both places is
// refused (which one was meant?): its name is returned ("" when all is well).
std::string place_globals(const Program& p, const std::vector<std::string>& globals, std::vector<std::string>& args) {
  std::vector<std::string> moved;
  for (std::size_t i = 0; i < globals.size(); ++i) {
    const std::string name = option_name(globals[i]);
    const bool value = takes_value(p, globals[i]);
    if (has_option(args, name)) {
      if (p.global_options.count(name) != 0) return name;
    } else {
      moved.push_back(globals[i]);
      if (value) moved.push_back(globals[i + 1]);
    }
    if (value) ++i;
  }
  args.insert(p.globals_first ? args.begin() : args.end(), moved.begin(), moved.end());
  return {};
}

}  // namespace

std::string usage_text(const Program& p) {
  std::string out = "usage: " + p.name + (p.globals_help.empty() ? "" : " [GLOBAL OPTIONS]") +
                    " COMMAND [ARGS] [OPTIONS]\n\n";
  if (!p.globals_help.empty()) out += p.globals_help + "\n";
  out += "commands:\n";
  for (const auto& c : p.commands) out += "  " + c.usage + "\n";
  if (!p.footer.empty()) out += p.footer + "\n";
  return out;
}

int dispatch(const Program& p, const std::vector<std::string>& words) {
  std::vector<std::string> globals;
  auto at = split_globals(p, words, globals);
  if (!at.ok()) return p.fail("usage", at.error().detail, kExitUsage, words);
  if (*at >= words.size()) {
    std::fputs(usage_text(p).c_str(), stderr);
    return kExitUsage;
  }
  const std::string& name = words[*at];
  if (name == "help" || name == "--help" || name == "-h") {
    std::fputs(usage_text(p).c_str(), stdout);
    return 0;
  }
  if (name == "version" || name == "--version") {
    std::printf("%s %s\n", p.name.c_str(), p.version.c_str());
    return 0;
  }
  std::vector<std::string> args(words.begin() + static_cast<std::ptrdiff_t>(*at) + 1, words.end());
  for (const auto& c : p.commands) {
    if (name != c.name) continue;
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
      std::printf("usage: %s %s\n", p.name.c_str(), c.usage.c_str());
      return 0;
    }
    if (const std::string twice = place_globals(p, globals, args); !twice.empty()) {
      return p.fail("usage", "--" + twice + " given both before and after the command", kExitUsage, words);
    }
    try {
      return c.run(args);
    } catch (const std::exception& e) {
      return p.fail("failed", std::string("unexpected error: ") + e.what(), kExitSoftware, words);
    }
  }
  std::fputs(usage_text(p).c_str(), stderr);
  return p.fail("usage", "unknown command '" + name + "'", kExitUsage, words);
}

}  // namespace paw::cli
