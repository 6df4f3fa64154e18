#!/usr/bin/env bash
# Builds a local stand-in for the lessons' base images (python:3.9, python:3.9-alpine) where no
# container registry can be reached: a Debian bullseye rootfs (Python 3.9, pip, a `python` command)
# made with debootstrap from Debian's packages, trusting this machine's CA bundle for pip.
#
# It carries the label org.yadoc.stands-in-for=python:3.9,python:3.9-alpine: where the lesson's base
# image is absent and cannot be pulled, the image tier builds FROM it by itself and says so in every
# report (YADOC_BASE_IMAGES stays as an override). Idempotent: an existing image with that label is
# kept (pass --rebuild to replace it).
set -euo pipefail

IMAGE=${YADOC_STANDIN_IMAGE:-yadoc/python:3.9-bullseye}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CA=/etc/ssl/certs/ca-certificates.crt

LABEL_KEY=org.yadoc.stands-in-for
STANDS_IN_FOR=python:3.9,python:3.9-alpine
if [[ "${1:-}" != "--rebuild" ]] &&
  [[ "$(docker image inspect --format "{{index .Config.Labels \"$LABEL_KEY\"}}" "$IMAGE" 2>/dev/null)" == "$STANDS_IN_FOR" ]]; then
  echo "base-images: $IMAGE already present"
  exit 0
fi
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }

work=$(mktemp -d /tmp/yadoc-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "base-images: debootstrap bullseye into $work (about a minute)"
debootstrap --variant=minbase --include=python3,python3-pip,python3-venv,ca-certificates \
  bullseye "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -30 "$work/debootstrap.log"; exit 1; }

root="$work/rootfs"
# python:3.9 provides `python` and `pip`; Debian names them python3 and pip3.
ln -sf python3 "$root/usr/bin/python"
[[ -e "$root/usr/bin/pip" ]] || ln -sf pip3 "$root/usr/bin/pip"
# pip inside the container reaches PyPI only if it trusts this machine's CA bundle.
if [[ -f "$CA" ]]; then
  cp "$CA" "$root/etc/ssl/certs/ca-certificates.crt"
fi
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV LANG=C.UTF-8' \
  --change "LABEL $LABEL_KEY=$STANDS_IN_FOR" \
  --change 'CMD ["python3"]' \
  - "$IMAGE" >/dev/null
docker run --rm "$IMAGE" python --version
echo "base-images: built $IMAGE (stands in for python:3.9 and python:3.9-alpine)"
