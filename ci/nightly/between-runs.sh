#!/usr/bin/env bash
# Between the nightly's two runs of a lesson (as written, then corrected): whatever the first run
# left (a cluster whose delete failed, its images) is removed, the dangling layers of its builds
# pruned, and the disk shown. A hosted runner has about 16-20 GiB free on its 72 GiB disk and
# lesson 2's ~1 GB image lives in every node; the kubelet's image GC past its threshold removes the
# app image from idle nodes, and new replicas then fail with ErrImageNeverPull.
set -euo pipefail
yadoc=${YADOC:-target/release/yadoc}
"$yadoc" gc
docker image prune -f
df -h /
