#!/usr/bin/env bash
# The nightly's install: the pinned k3d and kubectl, each verified against the checksum its project
# publishes, then installed into BIN_DIR (default /usr/local/bin) with `sudo install`.
#   K3D_VERSION=v5.9.0 KUBECTL_VERSION=v1.33.5 bash ci/nightly/install-tools.sh
# Upstream formats (tests/nightly_scripts.rs serves assets in exactly these shapes):
#   - k3d's checksums.txt is `sha256sum _dist/*` (k3d Makefile, target gen-checksum; the release
#     workflow .github/workflows/release.yaml publishes `_dist/*`): lines `<sha256>  _dist/k3d-linux-amd64`.
#   - kubectl.sha256 holds the bare hash of the binary beside it (kubernetes/website
#     content/en/docs/tasks/tools/install-kubectl-linux.md: `echo "$(cat kubectl.sha256)  kubectl" | sha256sum --check`).
# Nothing is installed unless both downloads verify; the download dir is removed however it ends.
set -euo pipefail
: "${K3D_VERSION:?set K3D_VERSION (e.g. v5.9.0)}"
: "${KUBECTL_VERSION:?set KUBECTL_VERSION (e.g. v1.33.5)}"
BIN_DIR=${BIN_DIR:-/usr/local/bin}
K3D_BASE=${K3D_BASE:-https://github.com/k3d-io/k3d/releases/download}
KUBECTL_BASE=${KUBECTL_BASE:-https://dl.k8s.io/release}
artifact=k3d-linux-amd64

work=$(mktemp -d "${TMPDIR:-/tmp}/yadoc-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fetch() { # URL FILE
  if ! curl -fsSL --retry 3 -o "$2" "$1"; then
    echo "install-tools: cannot download $1" >&2
    exit 1
  fi
}

fetch "${K3D_BASE}/${K3D_VERSION}/${artifact}" "$artifact"
fetch "${K3D_BASE}/${K3D_VERSION}/checksums.txt" checksums.txt
want=$(awk -v f="_dist/${artifact}" '$2 == f || $2 == "*" f { print $1; exit }' checksums.txt)
if [[ ! $want =~ ^[0-9a-f]{64}$ ]]; then
  echo "install-tools: checksums.txt of k3d ${K3D_VERSION} has no line for _dist/${artifact}" >&2
  exit 1
fi
if ! echo "${want}  ${artifact}" | sha256sum -c --status -; then
  echo "install-tools: ${artifact} of k3d ${K3D_VERSION} does not match its checksum ${want}: refused" >&2
  exit 1
fi

fetch "${KUBECTL_BASE}/${KUBECTL_VERSION}/bin/linux/amd64/kubectl" kubectl
fetch "${KUBECTL_BASE}/${KUBECTL_VERSION}/bin/linux/amd64/kubectl.sha256" kubectl.sha256
want=$(tr -d ' \n\r' < kubectl.sha256)
if [[ ! $want =~ ^[0-9a-f]{64}$ ]]; then
  echo "install-tools: kubectl.sha256 of ${KUBECTL_VERSION} is not a bare sha256" >&2
  exit 1
fi
if ! echo "${want}  kubectl" | sha256sum -c --status -; then
  echo "install-tools: kubectl ${KUBECTL_VERSION} does not match its checksum ${want}: refused" >&2
  exit 1
fi

sudo install -m 0755 "$artifact" "${BIN_DIR}/k3d"
sudo install -m 0755 kubectl "${BIN_DIR}/kubectl"
"${BIN_DIR}/k3d" version
"${BIN_DIR}/kubectl" version --client
echo "install-tools: k3d ${K3D_VERSION} and kubectl ${KUBECTL_VERSION} verified and installed in ${BIN_DIR}"
