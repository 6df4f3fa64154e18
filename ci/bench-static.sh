#!/usr/bin/env bash
# Benchmark: the static tier over the whole course, and how its time grows with lesson size
# (a synthetic lesson made of lesson 2's text repeated 10× and 100×). Needs hyperfine.
# The synthetic lessons have no known-drift register, so they exit 1 (their findings are real): -i.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
cargo build --release -q
yadoc=$PWD/target/release/yadoc
work=$(mktemp -d /tmp/yadoc-bench-static-XXXXXX)
trap 'rm -rf "$work"' EXIT
for n in 1 10 100; do
  mkdir -p "$work/x$n"
  for _ in $(seq "$n"); do cat lessons/lesson2.md; echo; done > "$work/x$n/lesson2.md"
done
echo "== $(nproc) cores; lesson 2 is $(wc -l < lessons/lesson2.md) lines"
hyperfine -N -i --warmup 3 \
  "$yadoc check --tier static" \
  "$yadoc check --tier static --lessons $work/x1" \
  "$yadoc check --tier static --lessons $work/x10" \
  "$yadoc check --tier static --lessons $work/x100"
