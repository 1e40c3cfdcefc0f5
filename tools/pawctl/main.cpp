// pawctl — the paw admin tool. Subcommands live in command_*.cpp.
#include <algorithm>
#include <exception>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "command.h"
#include "paw/attest/json.h"
#include "paw/version.h"
#ifdef PAW_VIRTUAL_FIDO
#include "paw/platform/fido.h"
#include "paw/virtual_fido.h"
#endif

namespace pawctl {
namespace {
std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}
}  // namespace

bool register_command(const Command& cmd) {
  registry().push_back(cmd);
  std::sort(registry().begin(), registry().end(),
            [](const Command& a, const Command& b) { return std::string(a.name) < b.name; });
  return true;
}

const std::vector<Command>& commands() { return registry(); }

namespace {
bool json_errors = false;
}  // namespace

void set_json_errors(bool on) { json_errors = on; }

int fail_named(const std::string& name, const std::string& message, int code) {
  if (json_errors) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object();
    o->set("error", name);
    o->set("exit", code);
    o->set("message", message);
    std::cerr << paw::json::stringify(o) << std::endl;
  } else {
    std::cerr << "pawctl: " << message << "\n";
  }
  return code;
}

int fail(const std::string& message, int code) { return fail_named(code == 2 ? "usage" : "failed", message, code); }

}  // namespace pawctl

namespace {

// Global options may come before the command as well as after it (the man
// page shows them before): main moves them after the command's own words, so
// every command parses them as it always did. --json, --yes and the
// connection options are the global ones; anything else before the command
// belongs to a command and is refused with a message saying where it goes.
const std::set<std::string> kGlobalOptions = {"verifier", "ca-file", "credential-file", "rp-credential-file"};
const std::set<std::string> kGlobalSwitches = {"json", "yes"};

int usage(std::ostream& out) {
  out << "usage: pawctl [GLOBAL OPTIONS] COMMAND [ARGS] [OPTIONS]\n\n"
         "global options (before or after the command): --verifier URL, --ca-file PEM, --credential-file FILE,\n"
         "  --rp-credential-file FILE, --json, --yes (confirm a destructive command without asking)\n\ncommands:\n";
  for (const auto& c : pawctl::commands()) out << "  " << c.usage << "\n";
  return 2;
}

// option_name is "verifier" for "--verifier" and "--verifier=URL"; "" for a non-option.
std::string option_name(const std::string& w) {
  if (w.size() < 3 || w.rfind("--", 0) != 0) return {};
  return w.substr(2, w.find('=') == std::string::npos ? std::string::npos : w.find('=') - 2);
}

// split_globals takes the global options off the front of |words| into
// |globals| and returns the index of the command word; -1 with a message
// printed (exit 2) on a word that is not a global option.
int split_globals(const std::vector<std::string>& words, std::vector<std::string>& globals) {
  std::size_t i = 0;
  for (; i < words.size(); ++i) {
    const std::string& w = words[i];
    const std::string name = option_name(w);
    if (name.empty()) break;
    if (name == "help" || name == "version") break;
    if (kGlobalSwitches.count(name) != 0 && w.find('=') == std::string::npos) {
      globals.push_back(w);
    } else if (kGlobalOptions.count(name) != 0) {
      globals.push_back(w);
      if (w.find('=') == std::string::npos) {
        if (i + 1 >= words.size()) {
          pawctl::fail("--" + name + " needs a value", 2);
          return -1;
        }
        globals.push_back(words[++i]);
      }
    } else {
      pawctl::set_json_errors(std::find(words.begin(), words.end(), "--json") != words.end());
      std::string msg = "--" + name + " is not a global option: put it after the command (pawctl COMMAND --" + name +
                        " …); before the command only --verifier, --ca-file, --credential-file, "
                        "--rp-credential-file, --json and --yes";
      if (name == "credential" || name == "rp-credential") {
        msg = "credentials are never taken on the command line: use --credential-file FILE or the "
              "PAW_ADMIN_CREDENTIAL environment variable";
      }
      pawctl::fail(msg, 2);
      return -1;
    }
  }
  return static_cast<int>(i);
}

bool has_option(const std::vector<std::string>& args, const std::string& name) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& a) { return option_name(a) == name; });
}

// append_globals puts |globals| after the command's words: a switch given in
// both places counts once; an option with a value given in both places is
// refused (which one was meant?): its name is returned ("" when all is well).
std::string append_globals(const std::vector<std::string>& globals, std::vector<std::string>& args) {
  std::vector<std::string> moved;
  for (std::size_t i = 0; i < globals.size(); ++i) {
    const std::string name = option_name(globals[i]);
    const bool takes_value = kGlobalOptions.count(name) != 0 && globals[i].find('=') == std::string::npos;
    if (has_option(args, name)) {
      if (kGlobalOptions.count(name) != 0) return name;
    } else {
      moved.push_back(globals[i]);
      if (takes_value) moved.push_back(globals[i + 1]);
    }
    if (takes_value) ++i;
  }
  args.insert(args.end(), moved.begin(), moved.end());
  return {};
}

}  // namespace

int main(int argc, char** argv) {
#ifdef PAW_VIRTUAL_FIDO
  paw::platform::register_virtual_fido(&paw::vfido::install);
#endif
  const std::vector<std::string> words(argv + 1, argv + argc);
  std::vector<std::string> globals;
  const int at = split_globals(words, globals);
  if (at < 0) return 2;
  const auto cmd = static_cast<std::size_t>(at);
  if (cmd >= words.size()) return usage(std::cerr);
  const std::string& name = words[cmd];
  if (name == "help" || name == "--help" || name == "-h") {
    usage(std::cout);
    return 0;
  }
  if (name == "--version" || name == "version") {
    std::cout << "pawctl " << paw::kVersion << "\n";
    return 0;
  }
  std::vector<std::string> args(words.begin() + static_cast<std::ptrdiff_t>(cmd) + 1, words.end());
  const std::string twice = append_globals(globals, args);
  pawctl::set_json_errors(std::find(args.begin(), args.end(), "--json") != args.end());
  if (!twice.empty()) return pawctl::fail("--" + twice + " given both before and after the command", 2);
  for (const auto& c : pawctl::commands()) {
    if (name == c.name) {
      // COMMAND --help: that command's usage on stdout, exit 0.
      if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
        std::cout << "usage: pawctl " << c.usage << "\n";
        return 0;
      }
      try {
        return c.run(args);
      } catch (const std::exception& e) {
        return pawctl::fail(std::string("unexpected error: ") + e.what(), 2);
      }
    }
  }
  pawctl::fail("unknown command '" + name + "'", 2);
  return usage(std::cerr);
}
