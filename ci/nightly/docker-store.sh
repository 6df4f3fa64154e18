#!/usr/bin/env bash
# The nightly's docker image store: the classic (graph-driver) store, set before any docker use.
# With the containerd image store (the default of fresh Docker Engine 29 installs: docs.docker.com
# engine/storage/containerd), `k3d image import` fails in the nodes: k3d pipes `docker save` into
# `ctr image import --all-platforms` in both import modes (k3d pkg/client/tools.go, l.142 and
# l.242 at v5.9.0), which the containerd store's `docker save` output does not satisfy (k3d#1538).
# moby reports the containerd store as DriverStatus [["driver-type","io.containerd.snapshotter.v1"]]
# (daemon/containerd/service.go LayerStoreStatus). The setting merged into daemon.json is
# `"features": {"containerd-snapshotter": false}`; the file's other keys are kept.
# DOCKER_DAEMON_JSON names the file (default /etc/docker/daemon.json; the tests use a scratch one).
set -euo pipefail
conf=${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}

store() { docker info --format '{{json .DriverStatus}}'; }

if ! store | grep -q 'io.containerd.snapshotter'; then
  echo "docker-store: the classic image store is in use; nothing to change"
  exit 0
fi
echo "docker-store: the containerd image store is in use; switching to the classic store in ${conf}"
merged=$(python3 - "$conf" <<'PY'
import json, os, sys
path = sys.argv[1]
conf = {}
if os.path.exists(path) and os.path.getsize(path) > 0:
    with open(path) as f:
        conf = json.load(f)
conf.setdefault("features", {})["containerd-snapshotter"] = False
print(json.dumps(conf, indent=2, sort_keys=True))
PY
)
printf '%s\n' "$merged" | sudo tee "$conf" >/dev/null
sudo systemctl restart docker
for _ in $(seq 1 30); do
  docker info >/dev/null 2>&1 && break
  sleep 1
done
if store | grep -q 'io.containerd.snapshotter'; then
  echo "docker-store: docker still uses the containerd image store after the restart" >&2
  exit 1
fi
echo "docker-store: the classic image store is in use"
