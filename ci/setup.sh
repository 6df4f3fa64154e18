#!/usr/bin/env bash
# Set-up for a Debian machine (what a newcomer runs once, and what .ci/run runs on a fresh CI machine):
#   - python3 with venv and pip, for the app tier
#   - check-jsonschema and zizmor in a venv of yadoc's cache, for the workflow tests
#   - debootstrap, and the local stand-in for the lessons' base images (python:3.9, python:3.9-alpine),
#     for the image tier on machines that cannot pull from a container registry
# Idempotent: it installs only what is missing. The docker engine itself is expected to be running.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv python3-pip)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)   # certificates for the kubeconfig connector test
if ((${#need[@]})); then
  echo "setup: apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# the tools tests/workflows.rs checks .github/workflows with
bash ci/workflow-tools.sh

if docker version >/dev/null 2>&1; then
  bash ci/base-images.sh
else
  echo "setup: no docker engine answers; the image tier will be skipped (or fail under YADOC_REQUIRE=image)"
fi
