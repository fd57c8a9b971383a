#!/usr/bin/env bash
# One device call: build the CUDA backend, run the gpu tests, run the
# benchmarks, and leave a summary table plus logs under $OUT.
#
#   scripts/gpu-check.sh [--tests-only] [--bench-only] [--no-kernel-bench] [--types "q4_0 q8_0 f16"]
#                        [--profile] [--serve | --serve-only]
#
# --profile also times every kernel of three decode steps of the first type
# with Nsight Compute (ncu.txt). --serve also runs the serving benchmark:
# `rocmforge serve --device gpu` on a llama3-8b Q4_0 model and `rocmforge
# bench-serve` against it, 512 requests of 512 prompt and 128 generated
# tokens at concurrency 64, once batch-invariant (serve's default) and once
# with --no-batch-invariant (serve-*.json, serve.log).
#
# Dependencies come from .deps (scripts/stage-deps.sh, carried to the device
# machine). A build already made for this source (.deps/prebuilt.tar.xz
# holding bin/rocmforge, bin/gpu_backend_test and bin/gpu_kernel_bench, or
# ROCMFORGE_PREBUILT=<build dir>) is used when its programs start there;
# otherwise the script builds in /tmp. A prebuilt bin/rocmforge-base (another
# commit's build, `scripts/stage-deps.sh BUILD_DIR BASE_BUILD_DIR`) is
# benchmarked beside it, pp512 and tg128 of each type, rows "(base build)".
# Benchmark models are synthesised on the spot (rocmforge synth --shape
# llama3-8b) in /tmp and deleted after use.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-/tmp/gpu-check-out}
mkdir -p "$out"
run_tests=1
run_bench=1
profile=0
serve=0
kernel_bench=1
types="q4_0 q8_0 f16"
while (($#)); do
  case $1 in
    --tests-only) run_bench=0 ;;
    --bench-only) run_tests=0 ;;
    --types) types=$2; shift ;;
    --profile) profile=1 ;;
    --serve) serve=1 ;;
    --serve-only) serve=1 run_tests=0 run_bench=0 ;;
    --no-kernel-bench) kernel_bench=0 ;;
    *) echo "gpu-check: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

summary=$out/summary.md
log() { echo "$*" | tee -a "$summary"; }
: > "$summary"
commit=$(git -C "$root" rev-parse --short HEAD 2> /dev/null || echo unknown)
[[ -f $root/.deps/prebuilt-commit && -f $root/.deps/prebuilt.tar.xz ]] &&
  commit="$(tr '\n' ' ' < "$root/.deps/prebuilt-commit")(prebuilt)"
log "# gpu-check $(date -u +%FT%TZ) commit $commit"
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,clocks.max.mem,driver_version --format=csv,noheader \
  2>&1 | sed 's/^/gpu: /' | tee -a "$summary"

deps=$root/.deps
export PATH=$deps/bin:/usr/local/cuda/bin:$PATH
# cuBLAS comes from the toolkit there.
export LD_LIBRARY_PATH=$deps/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export PKG_CONFIG_PATH=$deps/lib/pkgconfig PKG_CONFIG_LIBDIR=$deps/lib/pkgconfig

# The tests find their data under $ROCMFORGE_SOURCE_DIR (a prebuilt one's
# compiled-in path is another machine's).
export ROCMFORGE_SOURCE_DIR=$root
bin=""
if [[ -z ${ROCMFORGE_PREBUILT:-} && -f $deps/prebuilt.tar.xz ]]; then
  ROCMFORGE_PREBUILT=/tmp/rocmforge-prebuilt
  mkdir -p "$ROCMFORGE_PREBUILT" && tar -xJf "$deps/prebuilt.tar.xz" -C "$ROCMFORGE_PREBUILT"
fi
if [[ -n ${ROCMFORGE_PREBUILT:-} && -x ${ROCMFORGE_PREBUILT}/bin/rocmforge ]]; then
  if "$ROCMFORGE_PREBUILT/bin/rocmforge" --help > /dev/null 2>> "$out/build.log"; then
    bin=$ROCMFORGE_PREBUILT/bin
    log "build: prebuilt $bin"
  else
    log "build: the prebuilt programs do not start here; building"
  fi
fi
if [[ -z $bin ]]; then
  build=/tmp/rocmforge-build
  start=$(date +%s)
  if cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DROCMFORGE_CUDA=ON -DROCMFORGE_BENCH=OFF \
      -DCMAKE_CUDA_ARCHITECTURES=90-real -DCMAKE_PREFIX_PATH="$deps" >> "$out/build.log" 2>&1 &&
     cmake --build "$build" -j "$(nproc)" --target rocmforge gpu_backend_test gpu_kernel_bench \
       >> "$out/build.log" 2>&1; then
    bin=$build/bin
    log "build: ok in $(($(date +%s) - start)) s"
  else
    log "build: FAILED (build.log)"
    tail -40 "$out/build.log"
    exit 1
  fi
fi

status=0
if ((run_tests)); then
  start=$(date +%s)
  timeout 400 "$bin/gpu_backend_test" > "$out/tests.log" 2>&1
  rc=$?
  log "tests: exit $rc, $(grep -c '^\[       OK \]' "$out/tests.log") passed," \
    "$(grep -E '^\[  FAILED  \] [A-Za-z]' "$out/tests.log" | sort -u | wc -l) failed, $(($(date +%s) - start)) s"
  grep -E '^\[  FAILED  \] [A-Za-z]' "$out/tests.log" | sort -u | head -60 | tee -a "$summary"
  ((rc == 0)) || status=1
fi

if ((run_bench && kernel_bench)) && [[ -x $bin/gpu_kernel_bench ]]; then
  log ""
  timeout 240 "$bin/gpu_kernel_bench" 2>&1 | tee -a "$summary"
fi

if ((run_bench)); then
  log ""
  log "| model | test | t/s | ceiling t/s | of ceiling |"
  log "| --- | --- | ---: | ---: | ---: |"
  for type in $types; do
    model=/tmp/llama3-8b-$type.gguf
    start=$(date +%s)
    if ! "$bin/rocmforge" synth "$model" --shape llama3-8b --type "$type" >> "$out/bench.log" 2>&1; then
      log "| llama3-8b $type | synth FAILED | | | |"
      status=1
      continue
    fi
    bytes=$(stat -c %s "$model")
    echo "synth $type: $(($(date +%s) - start)) s, $bytes bytes" >> "$out/bench.log"
    extra=()
    [[ $type == q4_0 ]] && extra=(-b 1,8,32,64)
    "$bin/rocmforge" bench -m "$model" --device gpu -p 512 -n 128 -r 3 "${extra[@]}" --json \
      > "$out/bench-$type.json" 2>> "$out/bench.log" || { log "| llama3-8b $type | bench FAILED | | | |"; status=1; }
    if [[ $type == q4_0 ]]; then
      # serve's kernels, rows marked "invariant": a bench process is sized,
      # like a server of --parallel B, for its largest -b, which picks the
      # generated rows' kernel: up to 32, then 64 sequences.
      for b in 1,8,32 64; do
        "$bin/rocmforge" bench -m "$model" --device gpu -p 512 -n 128 -r 3 -b "$b" --batch-invariant --json \
          > "$out/bench-$type-invariant-${b##*,}.json" 2>> "$out/bench.log" ||
          { log "| invariant bench FAILED | | | | |"; status=1; }
      done
    fi
    # The base build beside it (stage-deps.sh's second build directory), in the same call.
    if [[ -x $bin/rocmforge-base ]]; then
      "$bin/rocmforge-base" bench -m "$model" --device gpu -p 512 -n 128 -r 3 --json \
        > "$out/bench-$type-base.json" 2>> "$out/bench.log" || log "| llama3-8b $type | base bench FAILED | | | |"
    fi
    # Decode reads every weight once per token: 4.27 TB/s over the file's bytes is its ceiling.
    python3 - "$bytes" "$type" "$out/bench-$type.json" "$out"/bench-"$type"-invariant-*.json \
      "$out/bench-$type-base.json" <<'EOF' | tee -a "$summary"
import json, os, sys
size, t = int(sys.argv[1]), sys.argv[2]
rows = []
for path in sys.argv[3:]:
    if os.path.exists(path) and open(path).read().strip():
        sized = path.rsplit("-", 1)[1][:-len(".json")] if "invariant" in path else ""
        rows += [dict(r, sized=sized, base=path.endswith("-base.json")) for r in json.load(open(path))]
for r in rows:
    label = r["test"] + (f" invariant (sized for {r['sized']})" if r.get("batch_invariant") else "")
    label += " (base build)" if r["base"] else ""
    test = r["test"]
    if test.startswith("tg"):
        ceiling = 4.27e12 / size
    elif " x" in test:  # B sequences share each weight read
        ceiling = int(test.rsplit("x", 1)[1]) * 4.27e12 / size
    else:
        ceiling = 790e12 / (2 * r["model_n_params"])
    print(f"| llama3-8b {t} | {label} | {r['avg_ts']:.1f} | {ceiling:.0f} | {r['avg_ts'] / ceiling:.0%} |")
EOF
    if ((profile)); then
      profile=0
      ncu_bin=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2> /dev/null | head -1)
      ncu_args=(--clock-control none --metrics gpu__time_duration.sum --print-kernel-base function)
      timeout 240 "$ncu_bin" "${ncu_args[@]}" --print-summary per-kernel -c 2000 \
        "$bin/rocmforge" bench -m "$model" --device gpu -p 0 -n 2 -r 1 > "$out/ncu.txt" 2>&1 ||
        log "profile: ncu failed (ncu.txt)"
      # One prompt step of 512 tokens (after its warm-up), and two decode
      # steps of 64 sequences after 512-token prompts (eight per prompt step,
      # so that ncu, some ms a launch, gets through): every launch, then the
      # last steps' kernels summed by name (a step starts at embed_kernel).
      profile_steps() {
        local name=$1 steps=$2
        shift 2
        timeout 300 "$ncu_bin" "${ncu_args[@]}" --csv --print-units base \
          "$bin/rocmforge" bench -m "$model" --device gpu "$@" > "$out/ncu-$name.csv" 2>> "$out/bench.log" ||
          log "profile: ncu $name failed"
        python3 "$root/scripts/ncu-steps.py" "$out/ncu-$name.csv" "$steps" > "$out/ncu-$name.txt" 2>&1
        rm -f "$out/ncu-$name.csv"
      }
      profile_steps pp512 1 -p 512 -n 0 -r 1
      profile_steps b64 2 -p 512 -n 2 -r 1 -b 64 --ubatch-size 4096
    fi
    rm -f "$model"
  done
fi

if ((serve)); then
  model=/tmp/llama3-8b-serve-q4_0.gguf
  "$bin/rocmforge" synth "$model" --shape llama3-8b --type q4_0 >> "$out/serve.log" 2>&1
  # serve's default (batch-invariant), then the kernels the step's size picks.
  serve_bench() {
    local name=$1 port=$2
    shift 2
    "$bin/rocmforge" serve -m "$model" --device gpu --port "$port" --parallel 64 --max-queue 1024 -c 1024 "$@" \
      >> "$out/serve.log" 2>&1 &
    local server=$!
    for _ in $(seq 120); do
      python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/health', timeout=2)" 2> /dev/null && break
      sleep 1
    done
    log ""
    log "serving ($name): llama3-8b q4_0, 512 requests, 512 in / 128 out, concurrency 64"
    timeout 400 "$bin/rocmforge" bench-serve --url "http://127.0.0.1:$port" -n 512 --concurrency 64 \
      --input-len 512 --output-len 128 --warmup 8 --seed 1 --json "$out/serve-$name.json" 2>> "$out/serve.log" |
      tee -a "$summary" || { log "serve bench FAILED (serve.log)"; status=1; }
    kill -INT $server
    wait $server
    log "server exit: $?"
  }
  serve_bench invariant 18080
  serve_bench variant 18081 --no-batch-invariant
  rm -f "$model"
fi
# The device tool brings back a few files: the summary and the test log as
# they are, everything else in one archive.
(cd "$out" && find . -maxdepth 1 -type f ! -name summary.md ! -name tests.log ! -name logs.tar.gz -printf '%P\n' |
  tar -czf logs.tar.gz --remove-files -T -) || log "gpu-check: could not archive the logs"
exit $status
