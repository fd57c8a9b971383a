#!/usr/bin/env bash
# Runs every test through CTest and ends with one line of counts.
set -uo pipefail
build_dir=${1:-build}
shift || true
log=$(mktemp)
ctest --test-dir "$build_dir" --output-on-failure "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E '[0-9]+% tests passed' "$log" | tail -1)
rm -f "$log"
if [[ -n "$summary" ]]; then
  passed=$(sed -E 's/.*, ([0-9]+) tests failed out of ([0-9]+).*/\2 \1/' <<<"$summary" | awk '{print $1 - $2}')
  failed=$(sed -E 's/.*, ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$summary")
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$summary")
  echo "tests: ${passed} passed, ${failed} failed, ${total} total"
else
  echo "tests: ctest produced no summary (exit ${status})"
fi
exit "$status"
