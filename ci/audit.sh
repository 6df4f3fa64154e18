#!/usr/bin/env bash
# Supply chain: `cargo audit` of Cargo.lock. Beside this project's CI the offline RustSec database
# is at ../shared/advisory-db (or YADOC_ADVISORY_DB): it is used with --no-fetch --stale (no network;
# an old copy still counts). Elsewhere (a user's clone) cargo-audit fetches the database as it
# normally does. Installs cargo-audit with `cargo install --locked` when it is missing. An advisory
# for a crate of Cargo.lock fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${YADOC_ADVISORY_DB:-../shared/advisory-db}
if ! cargo audit --version >/dev/null 2>&1; then
  echo "audit: cargo install --locked cargo-audit"
  cargo install --locked --quiet cargo-audit
fi
if [ -d "$db" ]; then
  cargo audit --db "$db" --no-fetch --stale
elif [ -n "${YADOC_ADVISORY_DB:-}" ]; then
  echo "audit: YADOC_ADVISORY_DB=$db is not a directory" >&2
  exit 1
else
  echo "audit: no offline advisory database at $db: cargo audit fetches it"
  cargo audit
fi
