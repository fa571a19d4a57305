#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for SECONDS each, from the seed corpus in
# tests/fuzz/corpus/<name>/ (new inputs go to BUILD/fuzz-corpus/<name>/). A crash, leak or
# sanitizer report fails it: libFuzzer exits non-zero and leaves the input as BUILD/crash-*.
#   tests/fuzz/run.sh build/fuzz 60
set -euo pipefail
build=$(cd "${1:?usage: tests/fuzz/run.sh BUILD_DIR SECONDS}" && pwd)
seconds=${2:?usage: tests/fuzz/run.sh BUILD_DIR SECONDS}
source_dir="$(cd "$(dirname "$0")" && pwd)"
for name in job npy expression; do
  corpus="$build/fuzz-corpus/$name"
  log="$build/fuzz_$name.log"
  mkdir -p "$corpus"
  echo "== fuzz_$name for ${seconds} s"
  if ! (cd "$build" && "./tests/fuzz/fuzz_$name" -max_total_time="$seconds" -print_final_stats=1 \
          "$corpus" "$source_dir/corpus/$name" > "$log" 2>&1); then
    tail -n 60 "$log"
    echo "fuzz_$name failed: see $log and $build/crash-*"
    exit 1
  fi
  grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done)' "$log" || true
done
