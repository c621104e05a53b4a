#!/usr/bin/env bash
# Builds launch as it ships in a container: a static release binary, with
# musl when its Rust target can be had (the smallest), else with glibc's
# static libraries. Prints the binary's path. Honours CARGO_TARGET_DIR, so a
# test run can build here without waiting for the lock `cargo test` holds on
# the main target directory.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir=$PWD/$target_dir ;; esac
if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl ||
  rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1; then
  cargo build --quiet --release --target x86_64-unknown-linux-musl
  echo "$target_dir/x86_64-unknown-linux-musl/release/launch"
else
  RUSTFLAGS="-C target-feature=+crt-static" cargo build --quiet --release --target x86_64-unknown-linux-gnu
  echo "$target_dir/x86_64-unknown-linux-gnu/release/launch"
fi
