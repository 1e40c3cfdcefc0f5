#!/usr/bin/env bash
# run_fuzzer.sh BINARY NAME SECONDS — runs one libFuzzer target on its seeds:
# tests/fuzz/corpus/NAME/* plus the real files listed in tests/fuzz/seeds/NAME.txt
# (paths relative to tests/data). Fails on any crash, leak, UB or an input
# that runs over 10 s.
set -euo pipefail
bin=$1; name=$2; secs=$3
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
src=${PAW_SOURCE_DIR}/tests/fuzz
if [ -d "$src/corpus/$name" ]; then cp -r "$src/corpus/$name/." "$work/corpus/"; fi
if [ -f "$src/seeds/$name.txt" ]; then
  while IFS= read -r rel; do
    [ -z "$rel" ] || [ "${rel#\#}" != "$rel" ] && continue
    f="$PAW_TEST_DATA_DIR/$rel"
    [ -f "$f" ] && cp "$f" "$work/corpus/seed-$(basename "$rel")-$RANDOM"
  done <"$src/seeds/$name.txt"
fi
seeds=$(ls "$work/corpus" | wc -l)
echo "fuzz $name: $seeds seeds, ${secs}s"
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 -print_final_stats=1 "$work/corpus" 2>&1 | tail -15
