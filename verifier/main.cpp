// paw-verifier: the verifier service (see docs/verifier.md). Thin: all logic lives in verifier/src.
#include "cli.h"

int main(int argc, char** argv) { return paw::verifier::verifier_main(argc, argv); }
