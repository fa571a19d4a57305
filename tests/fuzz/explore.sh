#!/usr/bin/env bash
# Open-ended fuzzing, apart from the landing gate (tests/fuzz/run.sh): each libFuzzer target of a
# fuzz build (or only NAME: job, npy, expression or command_line) for SECONDS with a random seed,
# starting from tests/fuzz/corpus/<name>/ and from what earlier explorations found. New inputs
# accumulate in BUILD/fuzz-explore/<name>/, crashes in BUILD/fuzz-explore/crashes/. A finding is
# fixed, then minimised and added to tests/fuzz/corpus/<name>/, which the gate and the test suite
# replay.
#   tests/fuzz/explore.sh build/asan 1800 job
set -euo pipefail
usage="usage: tests/fuzz/explore.sh BUILD_DIR SECONDS [NAME]"
build=$(cd "${1:?$usage}" && pwd)
seconds=${2:?$usage}
names=${3:-job npy expression command_line}
source "$(dirname "$0")/fuzz_target.sh"
explore="$build/fuzz-explore"
mkdir -p "$explore/crashes"

failed=0
for name in $names; do
  fuzz_target "$build" "$name" "$explore"
  echo "== fuzz_$name for $seconds s (log: $log)"
  if "$fuzzer" "${fuzz_options[@]}" -max_total_time="$seconds" \
       -artifact_prefix="$explore/crashes/" "$explore/$name" "$corpus" > "$log" 2>&1; then
    echo "$(fuzz_stats "$log"), no crash"
    continue
  fi
  failed=1
  fuzz_finding "$build" "$name" "$explore"
done
exit "$failed"
