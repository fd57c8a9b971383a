#!/usr/bin/env bash
# A/B of several builds' speed in one device call: pp512 and tg128 (as
# gpu-check measures them) of every rocmforge-* program in
# .deps/ab.tar.xz, the builds taking turns in each round so that drift on the
# machine falls on all of them alike. Results go to $OUT/ab.txt.
#
#   here:   mkdir -p AB/bin && cp build-gpu/bin/rocmforge AB/bin/rocmforge-NAME  (one per build;
#           for TESTS, also its bin/gpu_backend_test as AB/bin/gpu_backend_test-NAME)
#           scripts/stage-deps.sh && rm -rf .deps/src .deps/include .deps/bin .deps/lib/cmake \
#             .deps/lib/pkgconfig .deps/lib/libpcre2-8.a  (nothing is built there: the shared
#             libraries are all it needs, and the tracked tree already takes 46 of the 64 MiB a call carries)
#           XZ_OPT="-9 -T2" tar -cJf .deps/ab.tar.xz -C AB bin
#   device: scripts/gpu-ab.sh   (carry .deps)
#
# TYPES: weight types to synthesise at Llama-3-8B's shape (default "q4_0 q4_k
# q8_0 f16"); ROUNDS (default 2); BENCH_ARGS: more `rocmforge bench`
# arguments for every run (say "-c 8192"); BATCH: also aggregate decode at
# `-b BATCH` (say 8,16,32) of every type, each round, after a prompt of PROMPT
# tokens a sequence (default 512); PPTG=0: BATCH alone, no pp512 / tg128;
# TESTS: a gtest filter run first with each gpu_backend_test-NAME the tar holds.
# BUILDS: the NAMEs to run, of those the tar holds (default: all), so one tar
# of several builds serves calls that compare different subsets.
# BUDGET_S: start no further run past this many seconds (the device call's
# limit kills a call whole; rounds left out are named in ab.txt).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:?OUT must name the directory for the results}
export LD_LIBRARY_PATH=$root/.deps/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export ROCMFORGE_SOURCE_DIR=$root  # the test programs' data, wherever they were built
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
tar -xJf "$root/.deps/ab.tar.xz" -C "$dir"
if [[ -n ${BUILDS:-} ]]; then
  read -r -a names <<< "$BUILDS"
  bins=()
  for n in "${names[@]}"; do
    [[ -x $dir/bin/rocmforge-$n ]] || { echo "gpu-ab: no rocmforge-$n in the tar" >&2; exit 1; }
    bins+=("$dir/bin/rocmforge-$n")
  done
else
  bins=("$dir"/bin/rocmforge-*)
fi
read -r -a types <<< "${TYPES:-q4_0 q4_k q8_0 f16}"
read -r -a extra <<< "${BENCH_ARGS:-}"

for t in "${types[@]}"; do "${bins[0]}" synth "$dir/$t.gguf" --shape llama3-8b --type "$t" > /dev/null & done
wait
speeds() {  # program model: each test's name and tokens/s
  "$1" bench -m "$2" --device gpu -p 512 -n 128 -r 3 "${extra[@]}" --json 2>> "$out/ab.log" |
    python3 -c 'import json, sys; print(" ".join("%s %.1f" % (r["test"], r["avg_ts"]) for r in json.load(sys.stdin)))'
}
decode() {  # program model: aggregate decode at each batch size
  "$1" bench -m "$2" --device gpu -p "${PROMPT:-512}" -n 128 -r 1 -b "$BATCH" "${extra[@]}" 2>> "$out/ab.log" |
    grep ' x[0-9]' | awk -F'|' '{gsub(/ +/, " "); printf "%s%s", $7, $8}'
}
if [[ -n ${TESTS:-} ]]; then
  for test in "$dir"/bin/gpu_backend_test-*; do
    [[ -e $test ]] || continue
    [[ -z ${BUILDS:-} || " $BUILDS " == *" ${test##*/gpu_backend_test-} "* ]] || continue
    echo "$(basename "$test"): $("$test" --gtest_filter="$TESTS" 2>&1 | grep -E '^\[  (PASSED|FAILED)  \]' | tr '\n' ' ')" |
      tee -a "$out/ab.txt"
  done
fi
over_budget() {  # what: true (and noted) once BUDGET_S has passed
  [[ -n ${BUDGET_S:-} && $SECONDS -ge $BUDGET_S ]] || return 1
  echo "left out past BUDGET_S=$BUDGET_S: $1" | tee -a "$out/ab.txt"
}
for t in "${types[@]}"; do
  for round in $(seq "${ROUNDS:-2}"); do
    for b in "${bins[@]}"; do
      over_budget "$t round $round $(basename "$b")" && continue
      if [[ ${PPTG:-1} != 0 ]]; then
        echo "$t round $round $(basename "$b") ${extra[*]}: $(speeds "$b" "$dir/$t.gguf")" | tee -a "$out/ab.txt"
      fi
      if [[ -n ${BATCH:-} ]]; then
        echo "$t round $round $(basename "$b") -b $BATCH:$(decode "$b" "$dir/$t.gguf")" | tee -a "$out/ab.txt"
      fi
    done
  done
done
