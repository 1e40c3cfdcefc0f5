// command.h — pawctl's subcommand registry. Each command_*.cpp registers its
// commands with PAWCTL_COMMAND; main.cpp dispatches on the first word.
#pragma once

#include <string>
#include <vector>

namespace pawctl {

// A Command runs with the words after its name and returns the process exit code.
struct Command {
  const char* name;
  const char* usage;  // one line: "verify-quote --ak FILE --message FILE --signature FILE …"
  int (*run)(const std::vector<std::string>& args);
};

// register_command adds |cmd|; called from static initialisers.
bool register_command(const Command& cmd);
// commands lists every registered command, sorted by name.
const std::vector<Command>& commands();

// fail prints "pawctl: <message>" to stderr and returns |code|. With --json
// anywhere on the command line it prints one JSON object instead,
// {"error": <name>, "exit": <code>, "message": <message>}: <name> is the
// error code (report) or "usage" (exit 2) / "failed".
int fail(const std::string& message, int code = 1);
int fail_named(const std::string& name, const std::string& message, int code);
// set_json_errors: main() turns JSON errors on when --json was given.
void set_json_errors(bool on);

}  // namespace pawctl

#define PAWCTL_CONCAT_INNER(a, b) a##b
#define PAWCTL_CONCAT(a, b) PAWCTL_CONCAT_INNER(a, b)
// __COUNTER__, not __LINE__: unique also where a unity build compiles several
// command files as one.
#define PAWCTL_COMMAND(name, usage, fn) \
  static const bool PAWCTL_CONCAT(pawctl_registered_, __COUNTER__) = ::pawctl::register_command({name, usage, fn})
