#!/usr/bin/env bash
# Builds everything the benchmark needs and runs it: our bootstrap, echo and typed handlers
# (the product's own release build), our std-mode echo and typed handlers (peers/ours-std),
# the lambda_runtime peers (release and size-optimised), the floor and
# the harness, then the measurements. Prints Markdown tables; writes benches/results.json.
#
#   benches/run.sh            the full run (about 5 minutes once built)
#   benches/run.sh --quick    two repetitions of shorter runs (under a minute)
#   benches/run.sh --only ours,floor    just these runtimes (ids as in results.json)
#   benches/run.sh --concurrency        only Managed Instances workers and isolation
#                                       (about a minute; writes benches/results-concurrency.json)
#
# Needs cargo with the x86_64-unknown-linux-musl target, and bash, curl, strace and strip
# (binutils). The first run downloads the peers' crates from crates.io and compiles them.
set -euo pipefail

# `--out FILE` is relative to where run.sh was started, not to benches/ where the harness runs.
args=()
while (($#)); do
    if [[ $1 == --out && $# -ge 2 ]]; then args+=(--out "$(realpath -m -- "$2")"); shift 2; else args+=("$1"); shift; fi
done
set -- ${args[@]+"${args[@]}"}

benches="$(cd "$(dirname "$0")" && pwd)"
main="$(dirname "$benches")"
musl=x86_64-unknown-linux-musl
host="$(rustc -vV | sed -n 's/^host: //p')"
ours_target="${CARGO_TARGET_DIR:-$main/target}/$musl"
bench_target="${CARGO_TARGET_DIR:-$benches/target}"

for tool in curl strace strip; do
    if ! command -v "$tool" >/dev/null; then
        echo "run.sh: $tool is missing (Debian: apt-get install curl strace binutils)" >&2
        exit 1
    fi
done

echo "building our bootstrap and echo (the product's release profile)" >&2
(cd "$main" && cargo build --release --quiet --target "$musl" --bin bootstrap --bin echo --bin bootstrap-exec)

if [[ " $* " == *" --concurrency "* ]]; then
    echo "building the probe and probe-isolated, and the harness" >&2
    (cd "$main" && cargo build --release --quiet --target "$musl" --bin probe --bin probe-isolated)
    (cd "$benches" && cargo build --release --quiet --target "$host" -p harness)
    exec "$bench_target/$host/release/harness" \
        --main "$main" --benches "$benches" \
        --ours-target "$ours_target" --peers-target "$bench_target/$musl" "$@"
fi

echo "building our typed handlers (a separate build: the features must not reach the bootstrap above)" >&2
(cd "$main" && cargo build --release --quiet --target "$musl" --features events --bin typed-bench --bin typed-bench-http)

echo "building the floor and the lambda_runtime peers (release and size profiles)" >&2
cd "$benches"
cargo build --release --quiet --target "$musl" -p floor -p lambda-runtime-echo -p lambda-runtime-typed
cargo build --profile size --quiet --target "$musl" -p lambda-runtime-echo

echo "building our std-mode bootstraps (peers/ours-std: feature std, the size profile)" >&2
cargo build --profile size --quiet --target "$musl" -p ours-std

echo "building the harness" >&2
cargo build --release --quiet --target "$host" -p harness

exec "$bench_target/$host/release/harness" \
    --main "$main" --benches "$benches" \
    --ours-target "$ours_target" --peers-target "$bench_target/$musl" "$@"
