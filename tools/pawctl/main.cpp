// pawctl — the paw admin tool. Subcommands live in command_*.cpp.
#include <algorithm>
#include <exception>
#include <iostream>
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

static int usage(std::ostream& out) {
  out << "usage: pawctl COMMAND [ARGS]\n\ncommands:\n";
  for (const auto& c : pawctl::commands()) out << "  " << c.usage << "\n";
  return 2;
}

int main(int argc, char** argv) {
#ifdef PAW_VIRTUAL_FIDO
  paw::platform::register_virtual_fido(&paw::vfido::install);
#endif
  if (argc < 2) return usage(std::cerr);
  const std::string name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") {
    usage(std::cout);
    return 0;
  }
  if (name == "--version" || name == "version") {
    std::cout << "pawctl " << paw::kVersion << "\n";
    return 0;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  pawctl::set_json_errors(std::find(args.begin(), args.end(), "--json") != args.end());
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
  std::cerr << "pawctl: unknown command '" << name << "'\n";
  return usage(std::cerr);
}
