#!/usr/bin/env bash
# installer_test.sh — the Debian packages, built, inspected, installed, upgraded,
# removed and purged for real (issue 9). It:
#   1. configures a separate release build (Release with Debian's -O2 -g, or the
#      flags in PAW_RELEASE_FLAGS: tools/test.sh passes its main build's, so
#      ccache serves the objects;
#      PAW_VIRTUAL_FIDO=OFF, no tests) and builds only the packaged programs:
#      paw-agent, paw-verifier, pawctl;
#   2. packages them with cpack twice: the current version and the same binaries
#      as an older version (PAW_DEB_VERSION) to exercise an upgrade;
#   3. inspects each .deb with dpkg-deb: exact file list, owners and modes,
#      conffiles, maintainer scripts, and that Depends names the package of every
#      shared library the program needs (computed by dpkg-shlibdeps);
#   4. runs lintian (accepted tags listed below with the reason) and
#      `systemd-analyze security --offline=true` (each unit "OK" or better) and
#      `systemd-analyze verify`;
#   5. installs the older packages on this machine with dpkg, checks users,
#      groups, folders, modes, statoverride, enabled units; initialises the
#      verifier the documented way and serves /healthz with the shipped config;
#      upgrades, checks that data and a locally edited conffile survived;
#   6. removes (data and config stay) and purges (they go; system users stay).
# Needs root (CI runs as root on a throw-away machine). Refuses to run when a paw
# package is already installed, and purges what it installed on exit.
# All three programs must exist: a missing one is reported by name and fails
# the test, after the checks that can run on the others.
set -euo pipefail

src=${PAW_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build_root=${PAW_BUILD_DIR:-$src/build}
bdir=${PAW_INSTALLER_BUILD_DIR:-$build_root/installer-release}
jobs=${PAW_JOBS:-2}
prev_version=0.0.1          # upstream part of the "older" package's version

# lintian tags accepted, with the reason (anything else at E: or W: fails):
#   initial-upload-closes-no-bugs — the changelog has no ITP bug number: these
#     packages are built from the paw tree, not uploaded to the Debian archive.
lintian_accepted=(initial-upload-closes-no-bugs)

programs=(paw-agent paw-verifier pawctl)
declare -A component=([paw-agent]=agent [paw-verifier]=verifier [pawctl]=pawctl)

failures=0
step() { echo; echo "== $* =="; }
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
check() {  # check "what" command… : ok/FAIL line, never aborts
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}
die() { echo "FATAL $*"; exit 1; }
mode_of() { stat -c '%a %U:%G' "$1" 2>/dev/null || echo missing; }
expect_mode() {  # expect_mode PATH "MODE USER:GROUP"
  local got; got=$(mode_of "$1")
  if [ "$got" = "$2" ]; then ok "$1 is $2"; else fail "$1 is '$got', expected '$2'"; fi
}

[ "$(id -u)" -eq 0 ] || die "needs root: it installs and purges .deb packages with dpkg (CI runs as root)"
for tool in cmake cpack dpkg dpkg-deb dpkg-shlibdeps readelf nm lintian systemd-analyze udevadm runuser curl openssl python3; do
  command -v "$tool" >/dev/null || die "$tool missing: run installer/install-deps.sh"
done
for p in "${programs[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv 'not-installed'; then
    die "$p is already installed on this machine; purge it first (dpkg -P $p)"
  fi
done

installed=()
verifier_pid=""
work=$(mktemp -d)
cleanup() {
  if [ -n "$verifier_pid" ]; then kill "$verifier_pid" 2>/dev/null || true; fi
  if [ ${#installed[@]} -gt 0 ]; then dpkg -P "${installed[@]}" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step "release build in $bdir"
# PAW_RELEASE_FLAGS / PAW_WERROR / PAW_UNITY_BUILD: tools/test.sh passes its main build's flags,
# so that ccache serves every object but paw-agent's (the only sources that
# PAW_VIRTUAL_FIDO changes) instead of compiling the programs a second time.
release_flags=${PAW_RELEASE_FLAGS:--O2 -g -DNDEBUG}
cmake -S "$src" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_C_FLAGS_RELEASE=$release_flags" \
  "-DCMAKE_CXX_FLAGS_RELEASE=$release_flags" -DPAW_WERROR="${PAW_WERROR:-OFF}" \
  -DCMAKE_UNITY_BUILD="${PAW_UNITY_BUILD:-OFF}" -DPAW_VIRTUAL_FIDO=OFF -DPAW_BUILD_TESTS=OFF >/dev/null \
  || die "configure of the release build failed"
targets=$(cmake --build "$bdir" --target help)
present=(); missing=()
for p in "${programs[@]}"; do
  if grep -qE "^$p: " <<<"$targets"; then present+=("$p"); else missing+=("$p"); fi
done
for p in "${missing[@]}"; do fail "program $p has no build target yet (its folder has no sources): no ${p} package"; done
[ ${#present[@]} -gt 0 ] || die "none of ${programs[*]} can be built"
cmake --build "$bdir" -j"$jobs" --target "${present[@]}" || die "release build of ${present[*]} failed"

step "packages"
rm -rf "$bdir/packages" "$bdir/packages-prev"
(cd "$bdir" && cpack -G DEB -B "$bdir/packages" >/dev/null)
(cd "$bdir" && PAW_DEB_VERSION=$prev_version cpack -G DEB -B "$bdir/packages-prev" >/dev/null)
declare -A deb prev_deb
for p in "${present[@]}"; do
  deb[$p]=$(ls "$bdir"/packages/"${p}"_*_amd64.deb 2>/dev/null | head -1 || true)
  prev_deb[$p]=$(ls "$bdir"/packages-prev/"${p}"_"${prev_version}"-*_amd64.deb 2>/dev/null | head -1 || true)
  [ -n "${deb[$p]}" ] && [ -n "${prev_deb[$p]}" ] || die "cpack made no package for $p (component ${component[$p]})"
  ok "package $(basename "${deb[$p]}") and $(basename "${prev_deb[$p]}")"
done

# The software authenticator's state-file magic (tests/support/virtual_fido/state.cpp):
# a program that links it carries this string, stripped or not. Control: the
# main build's paw-agent, when that build has PAW_VIRTUAL_FIDO=ON (CI's), must
# carry it, or the check on the packages below could not fail.
vfido_magic="paw-virtual-fido 1"
if grep -qx 'PAW_VIRTUAL_FIDO:BOOL=ON' "$build_root/CMakeCache.txt" 2>/dev/null && [ -x "$build_root/agent/paw-agent" ]; then
  check "control: the development build's paw-agent carries '$vfido_magic'" grep -aqF "$vfido_magic" "$build_root/agent/paw-agent"
fi

step "contents, modes, conffiles, maintainer scripts"
# Every regular file each package ships, with mode and owner (directories are
# checked to be root-owned 0755 separately).
declare -A expect_files=(
  [paw-agent]="644 /etc/paw/agent.conf
644 /lib/systemd/system/paw-agent.service
644 /lib/udev/rules.d/70-paw-agent.rules
755 /usr/bin/paw-agent
755 /usr/libexec/paw-agent/grant-measurement-logs
644 /usr/share/paw-agent/openssl-tpm2.cnf
644 /usr/share/doc/paw-agent/README.Debian
644 /usr/share/doc/paw-agent/agent.md
644 /usr/share/doc/paw-agent/fido2.md
644 /usr/share/doc/paw-agent/login-integration.md
644 /usr/share/doc/paw-agent/tpm.md
644 /usr/share/doc/paw-agent/changelog.Debian.gz
644 /usr/share/doc/paw-agent/copyright
644 /usr/share/man/man8/paw-agent.8.gz"
  [paw-verifier]="644 /etc/paw/verifier.conf
644 /lib/systemd/system/paw-verifier.service
755 /usr/bin/paw-verifier
644 /usr/share/doc/paw-verifier/README.Debian
644 /usr/share/doc/paw-verifier/appraisal.md
644 /usr/share/doc/paw-verifier/console.md
644 /usr/share/doc/paw-verifier/login-integration.md
644 /usr/share/doc/paw-verifier/nginx-auth-request-location.conf
644 /usr/share/doc/paw-verifier/nginx-auth-request.conf
644 /usr/share/doc/paw-verifier/nginx-mtls.conf
644 /usr/share/doc/paw-verifier/nginx-replicas.conf
644 /usr/share/doc/paw-verifier/operations.md
644 /usr/share/doc/paw-verifier/protocol.md
644 /usr/share/doc/paw-verifier/scale-out.md
644 /usr/share/doc/paw-verifier/security.md
644 /usr/share/doc/paw-verifier/verifier.md
644 /usr/share/doc/paw-verifier/changelog.Debian.gz
644 /usr/share/doc/paw-verifier/copyright
644 /usr/share/man/man8/paw-verifier.8.gz"
  [pawctl]="755 /usr/bin/pawctl
755 /usr/libexec/paw/paw-ssh-principals
644 /usr/share/doc/pawctl/appraisal.md
644 /usr/share/doc/pawctl/login-integration.md
644 /usr/share/doc/pawctl/pawctl.md
644 /usr/share/doc/pawctl/changelog.Debian.gz
644 /usr/share/doc/pawctl/copyright
644 /usr/share/man/man8/pawctl.8.gz"
)
declare -A expect_conffiles=([paw-agent]=/etc/paw/agent.conf [paw-verifier]=/etc/paw/verifier.conf [pawctl]="")
declare -A extra_depends=([paw-agent]="adduser tpm-udev udev" [paw-verifier]="adduser" [pawctl]="")
# Recommends, exactly: pawctl refs import-deb --release runs gpgv.
declare -A expect_recommends=([paw-agent]="" [paw-verifier]="" [pawctl]="gpgv")
perm_to_octal() {  # -rwxr-xr-x → 755
  local s=${1:1} o="" i d
  for i in 0 3 6; do
    d=0
    [ "${s:i:1}" = r ] && d=$((d + 4)); [ "${s:i+1:1}" = w ] && d=$((d + 2)); [ "${s:i+2:1}" = x ] && d=$((d + 1))
    o+=$d
  done
  echo "$o"
}
for p in "${present[@]}"; do
  f=${deb[$p]}
  check "$p: Package field" test "$(dpkg-deb -f "$f" Package)" = "$p"
  check "$p: Architecture amd64" test "$(dpkg-deb -f "$f" Architecture)" = amd64
  listing=$(dpkg-deb -c "$f")
  files=$(awk '$1 ~ /^-/ {sub(/^\./, "", $6); print $1, $2, $6}' <<<"$listing" | while read -r perm owner path; do
    echo "$(perm_to_octal "$perm") $path $owner"; done | sort)
  want=$(sed 's/$/ root\/root/' <<<"${expect_files[$p]}" | sort)
  if [ "$files" = "$want" ]; then ok "$p: file list, modes and owners"; else
    fail "$p: file list, modes and owners differ:"; diff <(echo "$want") <(echo "$files") | sed 's/^/     /' || true; fi
  # Every document the man page sends the reader to is in the package.
  man_page=$(dpkg-deb --fsys-tarfile "$f" | tar -xOf - "./usr/share/man/man8/$p.8.gz" | gzip -dc)
  cited=$(grep -oE '/usr/share/doc/[A-Za-z0-9._/-]+' <<<"$man_page" | sort -u)
  missing=""
  for d in $cited; do grep -qF " $d " <<<"$files" || missing+=" $d"; done
  check "$p: the man page cites $(wc -w <<<"$cited") documents, all shipped${missing:+ (missing:$missing)}" test -z "$missing"
  bad_dirs=$(awk '$1 ~ /^d/ && ($1 != "drwxr-xr-x" || $2 != "root/root")' <<<"$listing")
  check "$p: directories root-owned 0755" test -z "$bad_dirs"
  check "$p: nothing shipped in /var/lib (state is made by postinst)" bash -c "! grep -q ' ./var/lib' <<<\"\$1\"" _ "$listing"
  conf=$(dpkg-deb --ctrl-tarfile "$f" | tar -xOf - ./conffiles 2>/dev/null || true)
  check "$p: conffiles = '${expect_conffiles[$p]}'" test "$conf" = "${expect_conffiles[$p]}"
  ctrl=$(dpkg-deb --ctrl-tarfile "$f" | tar -tvf -)
  if [ "$p" != pawctl ]; then
    for s in postinst prerm postrm; do
      check "$p: $s is 0755 and valid sh" bash -c \
        "grep -qE '^-rwxr-xr-x .* \\./$s\$' <<<\"\$1\" && dpkg-deb --ctrl-tarfile '$f' | tar -xOf - ./$s | sh -n" _ "$ctrl"
    done
  fi
  # Depends: the hand-named ones, and the package of every shared library the
  # program needs (so the list is computed, not guessed).
  depends=$(dpkg-deb -f "$f" Depends)
  dep_names=$(tr ',' '\n' <<<"$depends" | sed -E 's/^ *//; s/[ (].*//' | sort -u)
  for d in ${extra_depends[$p]}; do check "$p: Depends names $d" grep -qx "$d" <<<"$dep_names"; done
  check "$p: Recommends = '${expect_recommends[$p]}'" test "$(dpkg-deb -f "$f" Recommends)" = "${expect_recommends[$p]}"
  bin="$bdir/$(cd "$bdir" && find . -type f -name "$p" -perm -u+x | head -1)"
  # Release packages carry no software FIDO2 authenticator (PAW_VIRTUAL_FIDO=OFF):
  # neither its symbols in the built program nor its state-file magic in the
  # program the .deb ships (a string survives stripping; see the control below).
  check "$p: no software FIDO2 authenticator (paw::vfido) inside" bash -c "! nm -C '$bin' | grep -q 'paw::vfido'"
  rm -rf "$work/deb-$p"; dpkg-deb -x "${deb[$p]}" "$work/deb-$p"
  if [ -f "$work/deb-$p/usr/bin/$p" ]; then
    check "$p: the .deb's /usr/bin/$p has no '$vfido_magic'" bash -c "! grep -aqF '$vfido_magic' '$work/deb-$p/usr/bin/$p'"
  else
    fail "$p: the .deb ships no /usr/bin/$p"
  fi
  # The libraries the program itself names (DT_NEEDED), where the loader finds them.
  needed=$(readelf -d "$bin" | sed -nE 's/.*\(NEEDED\).*\[(.*)\]/\1/p')
  [ -n "$needed" ] || fail "$p: readelf found no DT_NEEDED entries in $bin"
  for so in $needed; do
    lib=$(ldd "$bin" | awk -v so="$so" '$1 == so && $3 ~ /^\// {print $3}')
    if [ -z "$lib" ]; then fail "$p: the loader cannot find $so"; continue; fi
    real=$(readlink -f "$lib")
    owner=$(dpkg -S "$real" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null || true)
    owner=${owner%%:*}
    if [ -z "$owner" ]; then fail "$p: no package owns $lib"; continue; fi
    if grep -qx "$owner" <<<"$dep_names"; then ok "$p: Depends names $owner ($(basename "$lib"))"
    else fail "$p: $(basename "$lib") comes from $owner, which Depends ($depends) does not name"; fi
  done
done

step "lintian"
suppress=$(IFS=,; echo "${lintian_accepted[*]}")
for p in "${present[@]}"; do
  out=$(lintian --suppress-tags "$suppress" "${deb[$p]}" 2>&1 | grep -E '^[EW]: ' || true)
  if [ -z "$out" ]; then ok "$p: lintian clean (accepted: ${lintian_accepted[*]})"; else
    fail "$p: lintian:"; sed 's/^/     /' <<<"$out"; fi
done

step "systemd-analyze security --offline=true (each unit OK or better)"
units=()
for p in paw-agent paw-verifier; do
  [ -n "${deb[$p]:-}" ] || continue
  dpkg-deb -x "${deb[$p]}" "$work/$p"
  units+=("$p")
  u="$work/$p/lib/systemd/system/$p.service"
  check "$p.service shipped unchanged" cmp "$u" "$src/installer/systemd/$p.service"
  line=$(cd "$work" && systemd-analyze security --offline=true --no-pager "$u" 2>&1 | grep 'Overall exposure level' || true)
  exposure=$(sed -nE 's/.*: ([0-9]+\.[0-9]+) .*/\1/p' <<<"$line")
  level=$(grep -oE '(PERFECT|SAFE|OK|MEDIUM|EXPOSED|UNSAFE|DANGEROUS)' <<<"$line" || true)
  if [[ "$level" =~ ^(PERFECT|SAFE|OK)$ ]] && awk -v e="$exposure" 'BEGIN { exit !(e <= 4.9) }'; then
    ok "$p.service exposure $exposure $level"
  else fail "$p.service exposure '$exposure' '$level' (need OK: ≤ 4.9): $line"; fi
  check "$p.service passes --threshold=49" systemd-analyze security --offline=true --threshold=49 --no-pager "$u"
done

step "install the older version ($prev_version)"
inst=()
for p in "${present[@]}"; do inst+=("${prev_deb[$p]}"); done
installed=("${present[@]}")
if ! dpkg -i "${inst[@]}" >"$work/dpkg-prev.log" 2>&1; then
  cat "$work/dpkg-prev.log"; die "dpkg -i of the older packages failed"
fi
for p in "${present[@]}"; do
  check "$p $prev_version installed" test "$(dpkg-query -W -f='${Status} ${Version}' "$p")" = "install ok installed ${prev_version}-1"
done

have() { [[ " ${present[*]} " == *" $1 "* ]]; }
in_group() { id -nG "$1" | tr ' ' '\n' | grep -qx "$2"; }
system_user() {  # system_user NAME HOME
  local e; e=$(getent passwd "$1") || return 1
  local uid home shell; uid=$(cut -d: -f3 <<<"$e"); home=$(cut -d: -f6 <<<"$e"); shell=$(cut -d: -f7 <<<"$e")
  [ "$uid" -lt 1000 ] && [ "$home" = "$2" ] && [ "$shell" = /usr/sbin/nologin ]
}
check_installed() {
  if have paw-verifier; then
    check "user paw-verifier: system uid, home /var/lib/paw-verifier, nologin" system_user paw-verifier /var/lib/paw-verifier
    expect_mode /var/lib/paw-verifier "700 paw-verifier:paw-verifier"
    expect_mode /etc/paw/verifier.conf "640 root:paw-verifier"
    check "statoverride for /etc/paw/verifier.conf" bash -c "dpkg-statoverride --list /etc/paw/verifier.conf | grep -qx 'root paw-verifier 0\\?640 /etc/paw/verifier.conf'"
    check "paw-verifier.service enabled" test -L /etc/systemd/system/multi-user.target.wants/paw-verifier.service
  fi
  if have paw-agent; then
    check "user paw-agent: system uid, home /var/lib/paw-agent, nologin" system_user paw-agent /var/lib/paw-agent
    check "paw-agent's primary group is paw" test "$(id -gn paw-agent)" = paw
    check "paw-agent is in tss (/dev/tpmrm0)" in_group paw-agent tss
    check "paw-agent is in paw-agent (FIDO2 hidraw)" in_group paw-agent paw-agent
    expect_mode /var/lib/paw-agent "700 paw-agent:paw"
    expect_mode /etc/paw/agent.conf "644 root:root"
    expect_mode /lib/udev/rules.d/70-paw-agent.rules "644 root:root"
    # udevadm test reads every rules file and names each line it cannot parse.
    dev=$(ls -d /sys/class/mem/null /sys/class/net/lo 2>/dev/null | head -1 || true)
    if [ -n "$dev" ]; then
      udev_out=$(udevadm test --action=change "$dev" 2>&1 || true)
      check "udev reads 70-paw-agent.rules" grep -qE 'Reading rules file: .*/70-paw-agent\.rules' <<<"$udev_out"
      check "udev parses 70-paw-agent.rules without errors" bash -c "! grep -E '70-paw-agent\.rules:[0-9]+' <<<\"\$1\"" _ "$udev_out"
    else
      fail "no sysfs device to run udevadm test with"
    fi
    if [ "${1:-}" = agent-disabled ]; then
      check "paw-agent.service stays disabled (the admin's choice)" test ! -e /etc/systemd/system/multi-user.target.wants/paw-agent.service
    else
      check "paw-agent.service enabled" test -L /etc/systemd/system/multi-user.target.wants/paw-agent.service
    fi
  fi
  if have pawctl; then expect_mode /usr/bin/pawctl "755 root:root"; fi
  [ -d /etc/paw ] && expect_mode /etc/paw "755 root:root"
  for u in "${units[@]}"; do
    check "systemd-analyze verify $u.service (installed)" bash -c \
      "out=\$(systemd-analyze verify /lib/systemd/system/$u.service 2>&1) && [ -z \"\$out\" ] || { echo \"\$out\"; false; }"
  done
}
check_installed
for u in "${units[@]}"; do  # show the verify output once when it is not clean
  systemd-analyze verify "/lib/systemd/system/$u.service" 2>&1 | sed 's/^/     verify: /' || true
done

if have paw-verifier; then
  step "verifier: initialise as documented, serve with the shipped config"
  if runuser -u paw-verifier -- paw-verifier init --state /var/lib/paw-verifier >"$work/init.out" 2>"$work/init.err"; then
    check "init printed the admin credential once" test "$(grep -c '^admin credential: ' "$work/init.out")" = 1
    check "state files belong to paw-verifier" test -z "$(find /var/lib/paw-verifier ! -user paw-verifier)"
    # Only the TLS certificate is public; keys and the database are owner-only.
    check "keys and database owner-only (all but tls/cert.pem)" \
      test -z "$(find /var/lib/paw-verifier -type f -perm /077 ! -path /var/lib/paw-verifier/tls/cert.pem)"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    runuser -u paw-verifier -- paw-verifier run --state /var/lib/paw-verifier --config /etc/paw/verifier.conf \
      --listen "127.0.0.1:$port" >"$work/run.log" 2>&1 &
    verifier_pid=$!
    up=no
    for _ in $(seq 1 50); do
      if curl -fsk "https://127.0.0.1:$port/healthz" >/dev/null 2>&1; then up=yes; break; fi
      kill -0 "$verifier_pid" 2>/dev/null || break
      sleep 0.2
    done
    if [ $up = yes ]; then ok "paw-verifier serves /healthz with /etc/paw/verifier.conf"; else
      fail "paw-verifier did not serve /healthz with /etc/paw/verifier.conf:"; sed 's/^/     /' "$work/run.log"; fi
    kill "$verifier_pid" 2>/dev/null || true; wait "$verifier_pid" 2>/dev/null || true; verifier_pid=""
    # Every setting the shipped file documents (commented out) is one the
    # verifier knows: uncomment them all (own port, a real CA folder) and serve.
    chmod 0755 "$work"; mkdir -m 0755 "$work/ekca"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=test-ek-ca -days 2 \
      -keyout /dev/null -out "$work/ekca/ca.pem" >/dev/null 2>&1 && chmod 0644 "$work/ekca/ca.pem"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    sed -E 's/^#([a-z-]+ = )/\1/' /etc/paw/verifier.conf |
      sed -E "s|^listen = .*|listen = 127.0.0.1:$port|; s|^ek-ca-dir = .*|ek-ca-dir = $work/ekca|; s|^fido-ca-dir = .*|fido-ca-dir = $work/ekca|" >"$work/verifier-all.conf"
    chmod 0644 "$work/verifier-all.conf"
    n=$(grep -cE '^[a-z-]+ = ' "$work/verifier-all.conf")
    runuser -u paw-verifier -- paw-verifier run --state /var/lib/paw-verifier --config "$work/verifier-all.conf" \
      >"$work/run-all.log" 2>&1 &
    verifier_pid=$!
    up=no
    for _ in $(seq 1 50); do
      if curl -fsk "https://127.0.0.1:$port/healthz" >/dev/null 2>&1; then up=yes; break; fi
      kill -0 "$verifier_pid" 2>/dev/null || break
      sleep 0.2
    done
    if [ $up = yes ]; then ok "paw-verifier knows every setting verifier.conf documents ($n settings)"; else
      fail "paw-verifier refused the documented settings of verifier.conf:"; sed 's/^/     /' "$work/run-all.log"; fi
    kill "$verifier_pid" 2>/dev/null || true; wait "$verifier_pid" 2>/dev/null || true; verifier_pid=""
  else
    fail "runuser -u paw-verifier -- paw-verifier init --state /var/lib/paw-verifier failed:"
    sed 's/^/     /' "$work/init.err"
  fi
fi

if have paw-agent; then
  step "agent: its user reads the shipped config and its state folder"
  # Not enrolled and no TPM here: status says so (exit 1); a config error would be exit 2.
  set +e
  out=$(runuser -u paw-agent -- paw-agent status --json --config /etc/paw/agent.conf 2>"$work/status.err"); rc=$?
  set -e
  check "paw-agent status accepts /etc/paw/agent.conf (exit $rc)" test "$rc" -ne 2
  check "status: not enrolled, state /var/lib/paw-agent" grep -q '"enrolled":false.*"state_dir":"/var/lib/paw-agent"' <<<"$out"
  # The root helper of ExecStartPre=+ lets group paw-agent read the securityfs
  # logs, and only those (a fake securityfs tree: there is none in CI).
  sfs="$work/securityfs"; mkdir -p "$sfs/tpm0" "$sfs/ima" "$sfs/other"
  for f in tpm0/binary_bios_measurements ima/binary_runtime_measurements other/secret; do
    echo log >"$sfs/$f"; chmod 0440 "$sfs/$f"
  done
  chmod 0400 "$sfs/ima/binary_runtime_measurements"   # as a kernel may make it
  PAW_SECURITYFS=$sfs /usr/libexec/paw-agent/grant-measurement-logs >/dev/null
  expect_mode "$sfs/tpm0/binary_bios_measurements" "440 root:paw-agent"
  expect_mode "$sfs/ima/binary_runtime_measurements" "440 root:paw-agent"
  expect_mode "$sfs/other/secret" "440 root:root"
  check "grant-measurement-logs: nothing to grant is not an error" env PAW_SECURITYFS="$work/none" /usr/libexec/paw-agent/grant-measurement-logs
  check "status: token file /run/paw-agent/token" grep -q '"token_file":"/run/paw-agent/token"' <<<"$out"
  [ "$rc" -ne 2 ] || sed 's/^/     /' "$work/status.err"
  # Every setting the shipped file documents (commented out) is one the agent knows.
  sed -E 's/^#([a-z-]+ = )/\1/' /etc/paw/agent.conf >"$work/agent-all.conf"
  chmod 0644 "$work/agent-all.conf"; chmod 0755 "$work"
  set +e
  runuser -u paw-agent -- paw-agent status --json --config "$work/agent-all.conf" >/dev/null 2>"$work/status-all.err"; rc=$?
  set -e
  check "paw-agent knows every setting agent.conf documents ($(grep -cE '^[a-z-]+ = ' "$work/agent-all.conf") settings)" test "$rc" -ne 2
  [ "$rc" -ne 2 ] || sed 's/^/     /' "$work/status-all.err"
fi

step "upgrade to the current version"
# What must survive: the verifier's state, a locally edited conffile; what the
# upgrade must repair: a loosened state-folder mode.
have paw-verifier && runuser -u paw-verifier -- sh -c 'echo kept >/var/lib/paw-verifier/upgrade-marker'
# An admin's `systemctl disable` must survive the upgrade too.
have paw-agent && { echo "# local edit" >>/etc/paw/agent.conf; chmod 0755 /var/lib/paw-agent;
  systemctl disable paw-agent.service >/dev/null 2>&1 || fail "systemctl disable paw-agent.service"; }
before_uid=$(id -u paw-verifier 2>/dev/null || echo none)
find /var/lib/paw-verifier -type f 2>/dev/null | sort >"$work/state-before" || true
cur=()
for p in "${present[@]}"; do cur+=("${deb[$p]}"); done
if ! dpkg -i --force-confold "${cur[@]}" >"$work/dpkg-cur.log" 2>&1; then
  cat "$work/dpkg-cur.log"; die "dpkg -i (upgrade) failed"
fi
for p in "${present[@]}"; do
  check "$p upgraded to $(dpkg-deb -f "${deb[$p]}" Version)" \
    test "$(dpkg-query -W -f='${Status} ${Version}' "$p")" = "install ok installed $(dpkg-deb -f "${deb[$p]}" Version)"
done
check_installed agent-disabled
if have paw-verifier; then
  check "upgrade kept every state file" bash -c "diff <(find /var/lib/paw-verifier -type f | sort) '$work/state-before'"
  check "upgrade kept /var/lib/paw-verifier/upgrade-marker" grep -qx kept /var/lib/paw-verifier/upgrade-marker
  check "upgrade kept the paw-verifier uid" test "$(id -u paw-verifier)" = "$before_uid"
fi
have paw-agent && check "upgrade kept the edited /etc/paw/agent.conf" grep -qx '# local edit' /etc/paw/agent.conf

step "remove: programs go, data and config stay"
dpkg -r "${present[@]}" >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log"; die "dpkg -r failed"; }
for p in "${present[@]}"; do
  if [ -n "${expect_conffiles[$p]}" ]; then
    check "$p is config-files only" test "$(dpkg-query -W -f='${Status}' "$p" 2>&1)" = "deinstall ok config-files"
  else
    check "$p (no conffiles) is gone entirely" bash -c "! dpkg-query -W $p"
  fi
  check "/usr/bin/$p is gone" test ! -e "/usr/bin/$p"
done
if have paw-verifier; then
  check "/var/lib/paw-verifier kept" test -f /var/lib/paw-verifier/upgrade-marker
  check "/etc/paw/verifier.conf kept" test -f /etc/paw/verifier.conf
  check "user paw-verifier kept" getent passwd paw-verifier
  check "paw-verifier.service masked while removed" test "$(readlink /etc/systemd/system/paw-verifier.service)" = /dev/null
fi
if have paw-agent; then
  check "/var/lib/paw-agent kept" test -d /var/lib/paw-agent
  check "/etc/paw/agent.conf kept with the local edit" grep -qx '# local edit' /etc/paw/agent.conf
  check "/lib/udev/rules.d/70-paw-agent.rules is gone" test ! -e /lib/udev/rules.d/70-paw-agent.rules
fi

step "purge: data and config go, system users stay"
dpkg -P "${present[@]}" >"$work/dpkg-p.log" 2>&1 || { cat "$work/dpkg-p.log"; die "dpkg -P failed"; }
installed=()
for p in "${present[@]}"; do
  check "$p is not installed" bash -c "! dpkg-query -W -f='\${Status}' $p 2>/dev/null | grep -q installed"
done
check "/etc/paw is gone" test ! -e /etc/paw
for u in "${units[@]}"; do
  check "/var/lib/$u is gone" test ! -e "/var/lib/$u"
  check "$u.service neither enabled nor masked" test ! -e "/etc/systemd/system/$u.service" -a ! -L "/etc/systemd/system/multi-user.target.wants/$u.service"
  check "user $u kept (its uid is never reused)" getent passwd "$u"
done
have paw-verifier && check "statoverride removed" bash -c "! dpkg-statoverride --list /etc/paw/verifier.conf"

echo
if [ ${#missing[@]} -gt 0 ]; then echo "missing programs (no package built): ${missing[*]}"; fi
if [ "$failures" -eq 0 ]; then echo "installer_test: all checks passed"; exit 0; fi
echo "installer_test: $failures check(s) failed"
exit 1
