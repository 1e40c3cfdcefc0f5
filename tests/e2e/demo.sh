#!/usr/bin/env bash
# The end-to-end demo. Until the agent and verifier exist it shows what does:
# a private swtpm with EK certificates from its local CA.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/tests/support/swtpm.sh"
work=$(mktemp -d); trap 'swtpm_stop; rm -rf "$work"' EXIT
echo "step 1: start swtpm (EK certificate from its local CA)"
swtpm_start "$work/tpm"
echo "  swtpm pid $SWTPM_PID on $SWTPM_TCTI"
tpm2_nvreadpublic -T "$SWTPM_TCTI" | grep -E '^0x' | sed 's/^/  NV index /'
echo "demo: ok"
