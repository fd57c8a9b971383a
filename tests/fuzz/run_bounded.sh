#!/usr/bin/env bash
# Builds gguf_fuzz with clang (ASan + UBSan + libFuzzer) in its own tree, then
# fuzzes GgufFile::parse for a bounded time from the committed seed corpus.
# Exits non-zero on any crash, sanitizer report, timeout or out-of-memory.
# Usage: run_bounded.sh SOURCE_DIR FUZZ_BUILD_DIR [SECONDS]
set -euo pipefail
src=$1
build=$2
seconds=${3:-60}
cxx=${ROCMFORGE_FUZZ_CXX:-clang++-14}

mkdir -p "$build"
exec 9>"$build/.lock"
flock 9  # two test runs sharing the tree take turns

cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="${cxx/clang++/clang}" -DCMAKE_CXX_COMPILER="$cxx" \
  -DROCMFORGE_FUZZ=ON -DROCMFORGE_SANITIZE=ON -DROCMFORGE_TESTS=OFF -DROCMFORGE_BENCH=OFF \
  "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all" \
  >"$build/configure.log" || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" --target gguf_fuzz -j 2

# New inputs go to a scratch directory, so the committed corpus stays as it is.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$build/bin/gguf_fuzz" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$build/" "$scratch" "$src/tests/fuzz/corpus/gguf"
