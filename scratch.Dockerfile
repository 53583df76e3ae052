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
#   (linux/arm64: add --build-arg RUST_TARGET=aarch64-unknown-linux-musl)
#
# Lambda rejects multi-platform image indexes and images with attestation manifests: build
# one platform at a time, and with buildx pass --provenance=false (and no --sbom).

# The prebuilt bootstrap, relative to the build context.
ARG BOOTSTRAP=target/x86_64-unknown-linux-musl/release/bootstrap

# ---- from source: compile in a Rust image, then the same scratch image ----
FROM docker.io/library/rust:1-slim-bookworm AS build
# x86_64-unknown-linux-musl or aarch64-unknown-linux-musl (the latter needs a cross linker
# when the build machine is x86_64: see the README's arm64 section).
ARG RUST_TARGET=x86_64-unknown-linux-musl
RUN if [ "$RUST_TARGET" = aarch64-unknown-linux-musl ] && [ "$(uname -m)" != aarch64 ]; then \
        apt-get update -qq && apt-get install -y -qq gcc-aarch64-linux-gnu >/dev/null; \
    fi
WORKDIR /src
COPY . .
RUN rustup target add "$RUST_TARGET" \
 && cargo build --release --locked --bin bootstrap --target "$RUST_TARGET" \
 && cp "target/$RUST_TARGET/release/bootstrap" /bootstrap

FROM scratch AS from-source
COPY --from=build --chmod=0755 /bootstrap /bootstrap
EXPOSE 8080
ENTRYPOINT ["/bootstrap"]

# ---- from a prebuilt binary (the default) ----
FROM scratch AS prebuilt
ARG BOOTSTRAP
COPY --chmod=0755 ${BOOTSTRAP} /bootstrap
EXPOSE 8080
ENTRYPOINT ["/bootstrap"]
