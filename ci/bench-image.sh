#!/usr/bin/env bash
# Warm image tier benchmark (README, Benchmarks): lessons 1 and 2 of the corrected course, run N times
# after one warm-up, with the release binary; prints each wall time and the median.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-8}
cargo build --release -q -p yadoc
export YADOC_QUIET=1
target/release/yadoc check lesson1 lesson2 --lessons fixtures/corrected --tier image >/dev/null
times=()
for _ in $(seq "$N"); do
  t=$( { /usr/bin/time -f %e target/release/yadoc check lesson1 lesson2 --lessons fixtures/corrected --tier image >/dev/null; } 2>&1 | tail -1)
  times+=("$t")
done
printf '%s\n' "${times[@]}"
printf 'median %s s over %s runs\n' "$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')" "$N"
