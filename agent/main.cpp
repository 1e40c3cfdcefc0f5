// paw-agent — the workstation side of paw. All logic lives in agent/src
// (paw_agent_core); see dispatch.h for the subcommands.
#include "dispatch.h"

int main(int argc, char** argv) { return paw::agent::run_agent(argc, argv); }
