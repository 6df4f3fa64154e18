#!/usr/bin/env bash
# The nightly's disk clean-up: a hosted ubuntu-24.04 runner ships toolchains the lessons never use;
# lesson 2's ~1 GB image imported into four k3s nodes needs the room (the kubelet's image GC
# otherwise removes the app image from idle nodes). Paths from actions/runner-images
# images/ubuntu/scripts/build: install-dotnetcore-sdk.sh (/usr/share/dotnet),
# install-android-sdk.sh (/usr/local/lib/android), install-haskell.sh (/usr/local/.ghcup),
# install-swift.sh (/usr/share/swift), install-codeql-bundle.sh ($AGENT_TOOLSDIRECTORY/CodeQL),
# install-google-chrome.sh (/usr/local/share/chromium).
# RUNNER_ROOT prefixes every path (the tests run it on a scratch tree).
set -euo pipefail
root=${RUNNER_ROOT:-}
df -h "${root:-/}"
removed=0
for d in /usr/share/dotnet /usr/local/lib/android /usr/local/.ghcup /usr/share/swift \
         /opt/hostedtoolcache/CodeQL /usr/local/share/chromium; do
  if [ -e "${root}${d}" ]; then
    sudo rm -rf "${root}${d}"
    echo "free-disk: removed ${d}"
    removed=$((removed + 1))
  fi
done
echo "free-disk: ${removed} toolchain dir(s) removed"
df -h "${root:-/}"
