# launch itself, as an image to copy the binary from:
#
#   docker build -t launch .            (or docker buildx build --platform linux/amd64,linux/arm64 ...)
#
# and then, in an application's Dockerfile:
#
#   COPY --from=launch /launch /usr/local/bin/launch
#
# The image holds nothing but the static binary at /launch. It is built for
# the platform asked for from the build machine's own platform: the arm64
# binary is cross-compiled (linked with rust-lld), never emulated.

FROM --platform=$BUILDPLATFORM rust:1.95-slim-bookworm AS build
ARG TARGETARCH
RUN rustup target add x86_64-unknown-linux-musl aarch64-unknown-linux-musl
WORKDIR /src
COPY . .
ENV CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld
RUN case "$TARGETARCH" in \
      amd64) target=x86_64-unknown-linux-musl ;; \
      arm64) target=aarch64-unknown-linux-musl ;; \
      *) echo "no launch for $TARGETARCH" >&2; exit 1 ;; \
    esac \
    && cargo build --release --locked -p beam-launch --target "$target" \
    && cp "target/$target/release/launch" /launch

FROM scratch
COPY --from=build /launch /launch
ENTRYPOINT ["/launch"]
