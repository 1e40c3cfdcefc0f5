#!/usr/bin/env bash
# install-deps.sh — installs exactly the Debian 12 packages that paw's build,
# tests and demo need. Idempotent: packages already present are skipped, and
# apt is only consulted when something is missing.
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config clang lld ccache
  libclang-rt-14-dev               # ASan/UBSan/libFuzzer runtimes for clang
  libssl-dev                       # OpenSSL 3
  libtss2-dev                      # tpm2-tss: esys, mu, rc, tctildr
  libfido2-dev libcbor-dev         # FIDO2 client + verify, CBOR for the test authenticator
  libpoco-dev                      # Net, NetSSL, JSON, Data (SQLite, PostgreSQL)
  libsqlite3-dev libpq-dev
  libsystemd-dev                   # sd_notify (Type=notify units, watchdog)
  libarchive-dev                   # .deb packages: pawctl refs import-deb (kernel and boot loader digests)
  doctest-dev
)
test_pkgs=(
  swtpm swtpm-tools                # software TPM with EK certificates from a local CA
  tpm2-tools                       # cross-checks: tpm2_checkquote, tpm2_makecredential …
  tpm2-openssl libtpm2-pkcs11-1    # the login key file through the tpm2 OpenSSL provider (and PKCS#11 for SSH)
  fido2-tools                      # cross-checks: fido2-cred -V, fido2-assert -V
  postgresql                       # real PostgreSQL server started by the tests (pg_dump/pg_restore: backup_restore_test.sh)
  sqlite3                          # the documented online backup of the SQLite store (backup_restore_test.sh)
  nginx-light                      # auth_request integration tests
  openssh-server openssh-client    # SSH logins with the paw certificate (tests/e2e/ssh_test.sh)
  wrk                              # login-path throughput measurements (docs/verifier.md)
  chromium chromium-driver python3-selenium python3-cryptography  # the web console in headless Chromium (tests/e2e/console_test.sh)
  openssl curl python3 procps iproute2
  dpkg-dev fakeroot lintian systemd   # installer test: cpack DEB + dpkg-shlibdeps, lintian, systemd-analyze
                                      #   (and dpkg-scanpackages: refs_import_test's Packages index)
  gpgv gnupg xz-utils              # pawctl refs import-deb --release runs gpgv; refs_import_test makes keys and a Packages.xz
)

# An argument picks one half: "build" (what configuring and compiling need)
# or "tests" (what the tests and the demo run); none installs both.
# tools/test.sh installs the tests' half while the build compiles.
case "${1:-all}" in
  build) want=("${build_pkgs[@]}") ;;
  tests) want=("${test_pkgs[@]}") ;;
  all) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: install-deps.sh [build|tests]" >&2; exit 2 ;;
esac
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
