// cli.h — paw-verifier's command line: `init`, `run`, `admin-credential`.
#pragma once

namespace paw::verifier {

// verifier_main runs the program; returns the process exit status.
int verifier_main(int argc, char** argv);

}  // namespace paw::verifier
