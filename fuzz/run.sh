#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each) with
# cargo-fuzz on the nightly toolchain. The corpus under fuzz/corpus is small
# and kept in the repository; what a run adds goes to a scratch copy.
#
#   fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install --quiet cargo-fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in lexer placeholder render duration signal env_file; do
  mkdir -p "$work/$target"
  cp corpus/"$target"/* "$work/$target/"
  echo "fuzzing $target for ${seconds}s"
  # A target that does not build, or a run that fails, fails the script
  # (its output shown); a crash also leaves an artifact, kept for a
  # regression test.
  if ! cargo +nightly fuzz run "$target" "$work/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1 \
    >"$work/$target.log" 2>&1; then
    tail -n 40 "$work/$target.log" >&2
    echo "fuzz/$target failed: see above and fuzz/artifacts/$target" >&2
    exit 1
  fi
  grep -E "^(stat::number_of_executed_units|Done|SUMMARY)" "$work/$target.log" || true
  if find artifacts/"$target" \( -name 'crash-*' -o -name 'timeout-*' \) 2>/dev/null | grep -q .; then
    echo "fuzz/$target found a problem: see fuzz/artifacts/$target" >&2
    exit 1
  fi
done
