#!/usr/bin/env bash
# Builds launch as it ships in a container: a static release binary, with
# musl when its Rust target can be had (the smallest), else with glibc's
# static libraries. Prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."
if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl ||
  rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1; then
  cargo build --quiet --release --target x86_64-unknown-linux-musl
  echo "$PWD/target/x86_64-unknown-linux-musl/release/launch"
else
  RUSTFLAGS="-C target-feature=+crt-static" cargo build --quiet --release --target x86_64-unknown-linux-gnu
  echo "$PWD/target/x86_64-unknown-linux-gnu/release/launch"
fi
