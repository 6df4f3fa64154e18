#!/usr/bin/env bash
# Supply chain: `cargo audit` against the offline RustSec database next to the project
# (../shared/advisory-db; --no-fetch --stale: no network, and an old copy is still used). Installs
# cargo-audit with `cargo install --locked` when it is missing. An advisory for a crate of
# Cargo.lock fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${YADOC_ADVISORY_DB:-../shared/advisory-db}
if [ ! -d "$db" ]; then
  echo "audit: no advisory database at $db (set YADOC_ADVISORY_DB)" >&2
  exit 1
fi
if ! cargo audit --version >/dev/null 2>&1; then
  echo "audit: cargo install --locked cargo-audit"
  cargo install --locked --quiet cargo-audit
fi
cargo audit --db "$db" --no-fetch --stale
