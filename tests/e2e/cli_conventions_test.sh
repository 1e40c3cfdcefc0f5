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
#   - every option a usage shows is in the program's man page;
#   - pawctl: global options (--verifier, --ca-file, --credential-file, --json, …)
#     before the command give the same answer as after it; a command's own option
#     before the command is a usage error that says where it goes;
#   - pawctl: every destructive command (delete, revoke, remove, rotate) without
#     --yes and without a terminal refuses with exit 2 before it contacts the
#     verifier (here one that does not exist: contacting it would exit 1).
# No TPM, verifier or network is needed: every case fails or answers before.
# pawctl_show_test.sh checks the same against a real verifier (and the
# question asked on a terminal).
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
  # One dispatcher (paw/attest/cli.h): every program lists its commands alike.
  commands=$(sed -n 's/^  \([a-z][a-z0-9-]*\)\b.*/\1/p' "$WORK/help" | sort -u)
  [ "$(echo "$commands" | wc -w)" -ge 3 ] || die "$prog --help lists too few commands: $commands"
  cp "$WORK/help" "$WORK/all-help"
  for c in $commands; do
    run 0 "$prog" "$c" --help
    grep -q "$prog.*\b$c\b" "$WORK/out" || die "$prog $c --help does not show the usage of $c: $(cat "$WORK/out")"
    cat "$WORK/out" >>"$WORK/all-help"
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
  # Every option a usage shows is in the man page (installer/man/PROGRAM.8).
  man_text=$(sed 's/\\-/-/g' "$PAW_SOURCE_DIR/installer/man/$prog.8")
  missing=""
  for o in $(grep -oE -- '--[a-z][a-z0-9-]+' "$WORK/all-help" | sort -u); do
    grep -q -- "$o" <<<"$man_text" || missing="$missing $o"
  done
  [ -z "$missing" ] || die "$prog: options in --help missing from installer/man/$prog.8:$missing"
  ok "$prog: its man page names every option its usages show"
done

# --- pawctl: global options before or after the command
printf 'pawadm_x\n' >"$WORK/cred"; chmod 600 "$WORK/cred"
nowhere=https://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
G=(--verifier "$nowhere" --ca-file /etc/ssl/certs/ca-certificates.crt --credential-file "$WORK/cred")
for c in "devices list" "devices show 0123456789abcdef" "events --limit 5" "policy show" "credentials list" \
  "admin list" "admin invitations" "token list" "ca export" "ssh-ca export"; do
  # shellcheck disable=SC2086
  run 1 pawctl $c "${G[@]}" --json
  cp "$WORK/err" "$WORK/err.after"
  # shellcheck disable=SC2086
  run 1 pawctl --json "${G[@]}" $c
  cmp -s "$WORK/err" "$WORK/err.after" || die "pawctl --json … $c: $(cat "$WORK/err") differs from $(cat "$WORK/err.after")"
  grep -q '"error":"network_error"' "$WORK/err" || die "pawctl $c: $(cat "$WORK/err")"
  cases=$((cases + 1))
done
run 2 pawctl --follow events "${G[@]}"
grep -q -- "--follow is not a global option: put it after the command" "$WORK/err" || die "--follow first: $(cat "$WORK/err")"
run 2 pawctl --json --scope read credentials create "${G[@]}"
python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["exit"] == 2 and "--scope is not a global option" in o["message"]' \
  "$WORK/err" || die "--scope first with --json: $(cat "$WORK/err")"
run 2 pawctl --credential secret devices list
grep -q "never taken on the command line" "$WORK/err" || die "--credential first: $(cat "$WORK/err")"
run 2 pawctl --verifier
grep -q -- "--verifier needs a value" "$WORK/err" || die "--verifier alone: $(cat "$WORK/err")"
run 0 pawctl --json devices --help
grep -q "usage: pawctl devices" "$WORK/out" || die "pawctl --json devices --help"
ok "pawctl: global options before the command = after it; a command's option before it is refused"

# --- paw-agent and paw-verifier: their global options before the command = after it
same_both_ways() {  # same_both_ways WANT PROG OPTION VALUE COMMAND: before and after give one answer
  local want=$1 prog=$2 opt=$3 val=$4 cmd=$5
  run "$want" "$prog" "$cmd" "$opt" "$val"
  cp "$WORK/err" "$WORK/err.after"
  [ -s "$WORK/err" ] || die "$prog $cmd $opt: nothing on stderr"
  run "$want" "$prog" "$opt" "$val" "$cmd"
  cmp -s "$WORK/err" "$WORK/err.after" || die "$prog $opt … $cmd: $(cat "$WORK/err") differs from $(cat "$WORK/err.after")"
}
printf 'no_such_setting = 1\n' >"$WORK/agent.conf"
same_both_ways 2 paw-agent --config "$WORK/agent.conf" status
grep -q "no_such_setting" "$WORK/err" || die "paw-agent --config first: $(cat "$WORK/err")"
same_both_ways 1 paw-verifier --state "$WORK/no-such-state" admin-credential
grep -q "no-such-state" "$WORK/err" || die "paw-verifier --state first: $(cat "$WORK/err")"
run 2 paw-agent --tcti swtpm status
grep -q -- "--tcti is not a global option: put it after the command" "$WORK/err" || die "agent --tcti first: $(cat "$WORK/err")"
run 2 paw-verifier --listen 127.0.0.1:1 run
grep -q -- "--listen is not a global option" "$WORK/err" || die "verifier --listen first: $(cat "$WORK/err")"
ok "paw-agent and paw-verifier: --config/--state-dir and --state/--database before the command = after it"

# --- pawctl: destructive commands refuse without --yes when nobody can be asked
destructive=("devices delete 0123456789abcdef" "devices revoke 0123456789abcdef" "credentials revoke rp-0123456789abcdef"
  "token revoke 0123456789abcdef" "admin remove alice" "admin invitations revoke 0123456789abcdef" "keys rotate"
  "ca rotate" "ssh-ca rotate")
for c in "${destructive[@]}"; do
  # shellcheck disable=SC2086
  run 2 pawctl $c "${G[@]}"
  grep -q "pass --yes to confirm" "$WORK/err" || die "pawctl $c without --yes: $(cat "$WORK/err")"
  [ ! -s "$WORK/out" ] || die "pawctl $c without --yes printed on stdout"
  # shellcheck disable=SC2086
  run 2 pawctl --json $c "${G[@]}"
  python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["error"] == "confirmation_required" and o["exit"] == 2' \
    "$WORK/err" || die "pawctl --json $c: $(cat "$WORK/err")"
  # With --yes (before or after) it goes ahead: here it cannot reach the verifier (exit 1).
  # shellcheck disable=SC2086
  run 1 pawctl $c --yes "${G[@]}"
  grep -q "cannot reach the verifier" "$WORK/err" || die "pawctl $c --yes: $(cat "$WORK/err")"
  # shellcheck disable=SC2086
  run 1 pawctl --yes $c "${G[@]}"
  cases=$((cases + 4))
done
ok "pawctl: ${#destructive[@]} destructive commands refuse (exit 2, nothing sent) without --yes or a terminal"
# --- pawctl devices show prints a fix for every reason code docs/policy.md lists
codes=$(sed -n '/^## Reasons/,/^Notes never change/p' "$PAW_SOURCE_DIR/docs/policy.md" | sed -n 's/^| `\([a-z_]*\)` |.*/\1/p')
[ "$(echo "$codes" | wc -w)" -ge 20 ] || die "too few reason codes in docs/policy.md: $codes"
for code in $codes; do
  grep -q "{\"$code\"," "$PAW_SOURCE_DIR/tools/pawctl/reason_fixes.cpp" ||
    die "docs/policy.md lists reason $code, tools/pawctl/reason_fixes.cpp has no fix for it"
done
ok "pawctl: a fix for each of the $(echo "$codes" | wc -w) reason codes of docs/policy.md"
[ "$cases" -ge 40 ] || die "only $cases subcommand cases ran"
ok "$cases subcommand cases"
