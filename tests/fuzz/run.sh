#!/usr/bin/env bash
# The fuzzers' landing gate. For each libFuzzer target of the asan build:
#   1. replay: every input of its corpus, tests/fuzz/corpus/<name>/, once (-runs=0);
#   2. fuzz: from that corpus with a fixed seed for a fixed number of runs.
# Both run the same on every run and machine: the corpus is handed over in the order of the file
# names (not of the directory), address-space randomisation is off (libFuzzer mutates with values
# that the code compares, pointers among them) and so is libFuzzer's timed reload of its corpus.
# New inputs go to BUILD/fuzz-gate/<name>/ (emptied first), never into the source tree. A crash,
# leak, timeout or sanitizer report fails it and leaves the input as BUILD/fuzz-gate/crash-*.
# Open-ended fuzzing with a random seed is tests/fuzz/explore.sh.
#   tests/fuzz/run.sh build/asan
set -euo pipefail
build=$(cd "${1:?usage: tests/fuzz/run.sh BUILD_DIR}" && pwd)
source "$(dirname "$0")/fuzz_target.sh"
# name:seed:runs, the runs chosen for 2 to 3 minutes in all on a 2-core machine.
targets="job:1:1200000 npy:2:3000000 expression:3:1000000 command_line:4:100000 celery_message:5:200000"
no_aslr=(setarch "$(uname -m)" -R)

gate="$build/fuzz-gate"
rm -rf "$gate"
mkdir -p "$gate"
for target in $targets; do
  IFS=: read -r name seed runs <<< "$target"
  fuzz_target "$build" "$name" "$gate"
  echo "== fuzz_$name: replay $(find "$corpus" -type f | wc -l) inputs, seed $seed for $runs runs"
  find "$corpus" -type f | LC_ALL=C sort | paste -sd, - > "$gate/$name.seeds"
  fuzz_options+=(-seed="$seed" -seed_inputs=@"$gate/$name.seeds" -reload=0)
  fuzz_options+=(-artifact_prefix="$gate/")
  start=$SECONDS
  if ! "${no_aslr[@]}" "$fuzzer" "${fuzz_options[@]}" -runs=0 "$gate/$name" > "$log" 2>&1 ||
     ! "${no_aslr[@]}" "$fuzzer" "${fuzz_options[@]}" -runs="$runs" "$gate/$name" >> "$log" 2>&1
  then
    tail -n 40 "$log"
    fuzz_finding "$build" "$name" "$gate"
    exit 1
  fi
  echo "$(fuzz_stats "$log") ($((SECONDS - start)) s)"
done
