#!/usr/bin/env bash
# Benchmark: yadoc's load generator vs wrk, in one run, against the same lesson 2 app (the corrected
# course's gunicorn serving the 10 MB test.txt) on 127.0.0.1. Both are bounded in time.
# Usage: ci/bench-load.sh [seconds=10] [connections=8]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}; conns=${2:-8}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q
yadoc=target/release/yadoc

work=$(mktemp -d /tmp/yadoc-bench-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
$yadoc extract lesson2 --lessons fixtures/corrected --out "$work/app" >/dev/null
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q -r "$work/app/requirements.txt"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$work/app" && exec "$work/venv/bin/gunicorn" --workers 2 --bind "127.0.0.1:$port" app:app) >"$work/gunicorn.log" 2>&1 &
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; app: gunicorn --workers 2, 10 MiB body"
echo "== wrk -t2 -c$conns -d${secs}s"
wrk -t2 -c"$conns" -d"${secs}s" "http://127.0.0.1:$port/" | tee "$work/wrk.txt"
echo "== yadoc load --concurrency $conns --duration $secs"
$yadoc load "http://127.0.0.1:$port/" --requests 1000000 --concurrency "$conns" --duration "$secs" | tee "$work/yadoc.txt"
wrk_rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")
yadoc_rps=$(sed -E 's/.* ([0-9.]+) req\/s.*/\1/' "$work/yadoc.txt")
echo "== ratio yadoc/wrk requests per second: $(python3 -c "print(round($yadoc_rps/$wrk_rps, 2))")"
