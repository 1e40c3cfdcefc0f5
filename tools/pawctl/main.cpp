// pawctl — the paw admin tool. Subcommands live in command_*.cpp.
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "command.h"
#include "paw/attest/cli.h"
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
// page shows them before): the dispatcher moves them after the command's own
// words, so every command parses them as it always did.
paw::cli::Program program() {
  paw::cli::Program p;
  p.name = "pawctl";
  p.version = paw::kVersion;
  for (const auto& c : pawctl::commands()) p.commands.push_back({c.name, c.usage, c.run});
  p.globals_help =
      "global options (before or after the command): --verifier URL, --ca-file PEM, --credential-file FILE,\n"
      "  --rp-credential-file FILE, --json, --yes (confirm a destructive command without asking)\n";
  p.global_options = {"verifier", "ca-file", "credential-file", "rp-credential-file"};
  p.global_switches = {"json", "yes"};
  const std::string never = "credentials are never taken on the command line: use --credential-file FILE or the "
                            "PAW_ADMIN_CREDENTIAL environment variable";
  p.refused_before = {{"credential", never}, {"rp-credential", never}};
  p.fail = [](const std::string& kind, const std::string& message, int code, const std::vector<std::string>&) {
    return pawctl::fail_named(kind, message, code);
  };
  return p;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef PAW_VIRTUAL_FIDO
  paw::platform::register_virtual_fido(&paw::vfido::install);
#endif
  const std::vector<std::string> words(argv + 1, argv + argc);
  // --json anywhere (before or after the command) makes every error one JSON object.
  pawctl::set_json_errors(std::find(words.begin(), words.end(), "--json") != words.end());
  return paw::cli::dispatch(program(), words);
}
