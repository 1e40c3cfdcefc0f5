#!/usr/bin/env bash
# cli_conventions_test.sh — the command-line conventions every paw program
# keeps (issue 19), table-driven over every subcommand each program lists in
# its own --help, so a new subcommand is covered without editing this file:
#   - PROGRAM --version: exit 0, "PROGRAM X.Y.Z" (the project's version) on stdout;
#   - PROGRAM --help: exit 0, usage on stdout; no arguments: exit 2, usage on stderr;
#   - PROGRAM no-such-command: exit 2, a message on stderr, nothing on stdout;
#   - PROGRAM COMMAND --help: exit 0, that command's usage on stdout;
#   - PROGRAM COMMAND --no-such-option: exit 2 (usage error), a message on stderr;
#     pawctl with --json: that message as one JSON object {"error", "exit", "message"}.
# No TPM, verifier or network is needed: every case fails or answers before.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
paw_setup

version=$(sed -n 's/^project(paw VERSION \([0-9][0-9.]*\).*/\1/p' "$PAW_SOURCE_DIR/CMakeLists.txt")
[ -n "$version" ] || die "no project version in CMakeLists.txt"
declare -A bin=([paw-agent]=$PAW_AGENT_BIN [paw-verifier]=$PAW_VERIFIER_BIN [pawctl]=$PAWCTL_BIN)
# Subcommands whose arguments after the first word belong to another program.
declare -A passthrough=([paw-agent/curl]=1)

# run WANT_RC PROGRAM ARGS...: run it with a 10 s limit; stdout in $WORK/out, stderr in $WORK/err.
run() {
  local want=$1 prog=$2 rc=0
  shift 2
  timeout 10 "${bin[$prog]}" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || rc=$?
  [ "$rc" = "$want" ] || die "$prog $*: exit $rc, expected $want (stderr: $(head -c 300 "$WORK/err"))"
}

cases=0
for prog in paw-agent paw-verifier pawctl; do
  run 0 "$prog" --version
  [ "$(cat "$WORK/out")" = "$prog $version" ] || die "$prog --version printed '$(cat "$WORK/out")', expected '$prog $version'"
  run 0 "$prog" --help
  grep -q "^usage: $prog" "$WORK/out" || die "$prog --help: no usage on stdout"
  cp "$WORK/out" "$WORK/help"
  run 2 "$prog"
  grep -q "usage: $prog" "$WORK/err" "$WORK/out" || die "$prog without arguments: no usage"
  run 2 "$prog" no-such-command
  [ -s "$WORK/err" ] || die "$prog no-such-command: nothing on stderr"
  if [ "$prog" = paw-verifier ]; then
    commands=$(sed -n 's/^ *\(usage: \)\{0,1\}paw-verifier \([a-z][a-z-]*\) .*/\2/p' "$WORK/help" | sort -u)
  else
    commands=$(sed -n 's/^  \([a-z][a-z0-9-]*\)\b.*/\1/p' "$WORK/help" | sort -u)
  fi
  [ "$(echo "$commands" | wc -w)" -ge 3 ] || die "$prog --help lists too few commands: $commands"
  for c in $commands; do
    run 0 "$prog" "$c" --help
    grep -q "$prog.*\b$c\b" "$WORK/out" || die "$prog $c --help does not show the usage of $c: $(cat "$WORK/out")"
    cases=$((cases + 1))
    [ -z "${passthrough[$prog/$c]:-}" ] || continue
    run 2 "$prog" "$c" --no-such-option
    [ -s "$WORK/err" ] || die "$prog $c --no-such-option: nothing on stderr"
    cases=$((cases + 1))
    if [ "$prog" = pawctl ]; then
      # --json: the error is one JSON object on stderr (error, exit, message).
      run 2 "$prog" "$c" --no-such-option --json
      python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["error"] and o["message"] and o["exit"] == 2' \
        "$WORK/err" || die "pawctl $c --json: the error is not one JSON object: $(cat "$WORK/err")"
      cases=$((cases + 1))
    fi
  done
  ok "$prog: --version, --help, no arguments, unknown command, and for each of $(echo "$commands" | wc -w) commands --help and an unknown option"
done
[ "$cases" -ge 40 ] || die "only $cases subcommand cases ran"
ok "$cases subcommand cases"
