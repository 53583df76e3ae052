# A FROM scratch image holding only the bootstrap: Lambda runs it as the entrypoint, and
# `docker run -p 9000:8080 IMAGE` runs it locally (local mode, port 8080). docs/packaging.md.
#
# From a prebuilt binary (the default, last stage), with the repository as context
# (.dockerignore keeps target/ out of it, except the two bootstraps):
#   cargo build --release
#   docker buildx build --provenance=false --platform linux/amd64 -f scratch.Dockerfile -t lambda-bootstrap .
#   podman build -f scratch.Dockerfile -t lambda-bootstrap .
# arm64 (Graviton):
#   cargo build --release --target aarch64-unknown-linux-musl
#   docker buildx build --provenance=false --platform linux/arm64 -f scratch.Dockerfile \
#     --build-arg BOOTSTRAP=target/aarch64-unknown-linux-musl/release/bootstrap -t lambda-bootstrap:arm64 .
#
# From source, in a Rust image (needs that image from a registry):
#   docker buildx build --provenance=false --platform linux/amd64 -f scratch.Dockerfile \
#     --target from-source -t lambda-bootstrap .
#   (--platform linux/arm64 for Graviton; podman build takes the same options)
#
# Exec mode (docs/exec.md): the `exec` stage holds bootstrap-exec as /bootstrap, an image that
# others copy the runtime from (COPY --from=lambda-bootstrap-exec /bootstrap /var/runtime/bootstrap):
#   cargo build --release --bin bootstrap-exec
#   podman build -f scratch.Dockerfile --target exec -t lambda-bootstrap-exec .
#   (arm64: --build-arg BOOTSTRAP_EXEC=target/aarch64-unknown-linux-musl/release/bootstrap-exec)
#
# Lambda rejects multi-platform image indexes and images with attestation manifests: build
# one platform at a time, and with buildx pass --provenance=false (and no --sbom).

# The prebuilt bootstrap, relative to the build context.
ARG BOOTSTRAP=target/x86_64-unknown-linux-musl/release/bootstrap
# The prebuilt exec-mode bootstrap, for the `exec` stage.
ARG BOOTSTRAP_EXEC=target/x86_64-unknown-linux-musl/release/bootstrap-exec

# ---- from source: compile in a Rust image, then the same scratch image ----
# The compiler runs on the build machine's platform and cross-compiles for the target's
# (TARGETARCH, from --platform; else the build machine's): no emulation.
FROM --platform=$BUILDPLATFORM docker.io/library/rust:1-slim-bookworm AS build
ARG TARGETARCH
WORKDIR /src
COPY . .
# rust-toolchain.toml picks the toolchain; .cargo/config.toml names aarch64-linux-gnu-gcc as
# the arm64 linker. A cross build needs the other architecture's gcc.
RUN set -eu; \
    arch="${TARGETARCH:-$(dpkg --print-architecture)}"; \
    case "$arch" in \
        amd64) target=x86_64-unknown-linux-musl; gcc=gcc-x86-64-linux-gnu; machine=x86_64 ;; \
        arm64) target=aarch64-unknown-linux-musl; gcc=gcc-aarch64-linux-gnu; machine=aarch64 ;; \
        *) echo "Lambda runs amd64 or arm64, not $arch" >&2; exit 1 ;; \
    esac; \
    if [ "$(uname -m)" != "$machine" ]; then \
        apt-get update -qq && apt-get install -y -qq "$gcc" >/dev/null; \
        export CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=x86_64-linux-gnu-gcc; \
    fi; \
    rustup target add "$target"; \
    cargo build --release --locked --bin bootstrap --target "$target"; \
    cp "target/$target/release/bootstrap" /bootstrap

FROM scratch AS from-source
COPY --from=build --chmod=0755 /bootstrap /bootstrap
EXPOSE 8080
ENTRYPOINT ["/bootstrap"]

# ---- exec mode, prebuilt: an image to copy /bootstrap from ----
FROM scratch AS exec
ARG BOOTSTRAP_EXEC
COPY --chmod=0755 ${BOOTSTRAP_EXEC} /bootstrap
EXPOSE 8080
ENTRYPOINT ["/bootstrap"]

# ---- from a prebuilt binary (the default) ----
FROM scratch AS prebuilt
ARG BOOTSTRAP
COPY --chmod=0755 ${BOOTSTRAP} /bootstrap
EXPOSE 8080
ENTRYPOINT ["/bootstrap"]
