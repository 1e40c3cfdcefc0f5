#!/usr/bin/env bash
# tools/demo.sh — the main job: installs what is missing, builds, and runs the
# end-to-end demo (see tests/e2e/demo.sh for the steps it shows).
set -euo pipefail
cd "$(dirname "$0")/.."
bash installer/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAW_BUILD_TESTS=ON -DPAW_VIRTUAL_FIDO=ON \
  -DPAW_SANITIZE=OFF -DPAW_FUZZ=OFF -DPAW_UNIT_ONLY=OFF >/dev/null
cmake --build build -j"${PAW_JOBS:-2}"
exec bash tests/e2e/demo.sh build
