#!/bin/sh
# Builds exec mode's example image with podman (docs/exec.md):
#   examples/exec/build.sh [TAG]         (default tag: lambda-bootstrap-exec)
# Needs the release build of bootstrap-exec (made here with cargo), Debian's busybox-static
# (/bin/busybox; `apt-get install busybox-static`) and podman (`apt-get install podman`).
set -eu
tag=${1:-lambda-bootstrap-exec}
cd "$(dirname "$0")/../.."

cargo build --release --bin bootstrap-exec
target=${CARGO_TARGET_DIR:-target}
busybox=/bin/busybox
# A dynamically linked busybox names its loader; a scratch image has none.
if [ ! -x "$busybox" ] || grep -q '/lib64/ld-linux' "$busybox"; then
    echo "build.sh: $busybox is missing or not static: apt-get install busybox-static" >&2
    exit 1
fi

context=$target/exec-image
rm -rf "$context"
mkdir -p "$context/rootfs/bin" "$context/rootfs/var/task"
cp "$target/x86_64-unknown-linux-musl/release/bootstrap-exec" "$context/rootfs/bootstrap"
cp "$busybox" "$context/rootfs/bin/busybox"
ln -s busybox "$context/rootfs/bin/sh"
cp examples/exec/handler.sh "$context/rootfs/var/task/handler.sh"
cp examples/exec/Containerfile "$context/Containerfile"

podman build --quiet -t "$tag" "$context" >/dev/null
echo "image $tag: $(podman image inspect --format '{{.Size}}' "$tag") bytes"
