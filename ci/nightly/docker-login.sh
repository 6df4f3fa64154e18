#!/usr/bin/env bash
# Optional Docker Hub login of the host's daemon (the `nightly` environment's secrets
# DOCKERHUB_USERNAME / DOCKERHUB_TOKEN): the lessons' own `docker build` pulls python:3.9 through it.
# The k3s nodes pull through their own containerd, which this login does not reach: yadoc gives them
# the same credentials with k3d's --registry-config (README, "Pull limits").
set -euo pipefail
if [ -n "${DOCKERHUB_USERNAME:-}" ] && [ -n "${DOCKERHUB_TOKEN:-}" ]; then
  printf '%s' "${DOCKERHUB_TOKEN}" | docker login --username "${DOCKERHUB_USERNAME}" --password-stdin
else
  echo "docker-login: no Docker Hub credentials: pulling anonymously"
fi
