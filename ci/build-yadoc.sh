#!/usr/bin/env bash
# The workflows' build of yadoc (nightly.yml, lessons.yml): on the toolchain that Cargo.toml's
# rust-version names (the one the project promises to build on; clippy's incompatible_msrv lint
# holds the code to it) and with --locked, so a workflow runs the dependencies Cargo.lock pins,
# never a fresh resolution.
set -euo pipefail
cd "$(dirname "$0")/.."
toolchain=$(sed -n 's/^rust-version = "\([0-9.]*\)"$/\1/p' Cargo.toml | head -1)
[ -n "$toolchain" ] || { echo "build-yadoc: no rust-version in Cargo.toml" >&2; exit 1; }
rustup toolchain install "$toolchain" --profile minimal --no-self-update
cargo "+$toolchain" build --release --locked -p yadoc
"${CARGO_TARGET_DIR:-target}/release/yadoc" --version
