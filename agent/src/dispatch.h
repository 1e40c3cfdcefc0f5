// dispatch.h — paw-agent's subcommand table. main.cpp calls run_agent; each
// subcommand lives in its own cmd_*.cpp and is listed once in dispatch.cpp
// (an explicit table: static registration would be dropped by the linker from
// the paw_agent_core static library).
#pragma once

#include <string>
#include <vector>

namespace paw::agent {

// AgentCommand is one subcommand: |run| gets the words after |name| and
// returns the process exit status.
struct AgentCommand {
  const char* name;
  const char* usage;   // one line, shown by --help
  int (*run)(const std::vector<std::string>& words);
};

// agent_commands lists every subcommand, in --help order.
const std::vector<AgentCommand>& agent_commands();

// run_agent dispatches argv[1] (the subcommand; "tpm info" is "tpm" + "info").
// The conventions of paw::cli::dispatch (paw/attest/cli.h): exit 2 for a usage
// error, 70 for an exception out of a command.
int run_agent(int argc, char** argv);

// fail prints "paw-agent: <message>" to stderr and returns |code|.
int fail(const std::string& message, int code = 2);

// Debug subcommands (cmd_tpm.cpp, cmd_ak_public.cpp, cmd_evidence.cpp).
int cmd_tpm(const std::vector<std::string>& words);
int cmd_ak_public(const std::vector<std::string>& words);
int cmd_evidence(const std::vector<std::string>& words);

}  // namespace paw::agent
