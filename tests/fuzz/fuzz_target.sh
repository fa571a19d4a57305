# Sourced by run.sh and explore.sh.
#   fuzz_target BUILD NAME OUT  sets, for the libFuzzer target fuzz_NAME of the asan build: fuzzer
#     (its path), corpus (its seeds, tests/fuzz/corpus/NAME/), log (OUT/fuzz_NAME.log) and
#     fuzz_options (a 60 s timeout per input, final statistics, and tests/fuzz/NAME.dict where it
#     exists); it makes OUT/NAME/, where libFuzzer writes the new inputs it finds.
#   fuzz_stats LOG  prints the seed, the runs and the new inputs of the last libFuzzer run in LOG.
#   fuzz_finding BUILD NAME OUT  after fuzz_target, when the fuzzer failed: what it found, and how
#     to reproduce and minimise it, and where its input goes.
fuzz_source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

fuzz_target() {
  fuzzer="$1/tests/fuzz/fuzz_$2"
  corpus="$fuzz_source_dir/corpus/$2"
  log="$3/fuzz_$2.log"
  fuzz_options=(-timeout=60 -print_final_stats=1)
  if [[ -f "$fuzz_source_dir/$2.dict" ]]; then fuzz_options+=(-dict="$fuzz_source_dir/$2.dict"); fi
  mkdir -p "$3/$2"
}

fuzz_stats() {
  awk '/^INFO: Seed:/ { seed = $3 } /^stat::number_of_executed_units:/ { runs = $2 }
       /^stat::new_units_added:/ { added = $2 }
       END { printf "seed %s, %s runs, %s new inputs", seed, runs, added }' "$1"
}

fuzz_finding() {
  local crash
  crash=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
  grep -E '^INFO: Seed:|ERROR|runtime error|Assertion|SUMMARY' "$log" | head -n 10 || true
  cat <<END
fuzz_$2 found a bug: ${crash:-see $log}
  reproduce:  $fuzzer ${crash:-CRASH}
  minimise:   $fuzzer -minimize_crash=1 -runs=100000 -exact_artifact_path=$3/$2-min ${crash:-CRASH}
  then fix it, copy the minimised input to $corpus/<what-it-is> and run tests/fuzz/run.sh $1
END
}
