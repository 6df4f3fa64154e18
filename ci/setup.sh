#!/usr/bin/env bash
# Installs what the tests need on a Debian machine (idempotent; safe to re-run).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "yadoc set-up: nothing to install for the static tier"
