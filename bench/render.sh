#!/usr/bin/env bash
# Time to render a 200 KB sys.config holding 3,000 placeholders: launch against
# envsubst (Debian's gettext-base) on the same file and environment, whole
# processes, interleaved runs. Prints medians and ratios (envsubst = 1.00x).
# Two references: `cat` of the same file, and bench/floor.rs built the way
# launch is (static, optimised), which reads the file, copies it into a second
# buffer and writes that: the floor of any renderer that must hold its whole
# output before writing. `cat` is dynamically linked, so it starts slower.
#
#   bench/render.sh [RUNS]        (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}

command -v envsubst >/dev/null || { echo "needs envsubst: apt-get install gettext-base" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3" >&2; exit 1; }

# The binary as it ships: release profile, statically linked.
launch=$(bench/build-static.sh)

work=$(mktemp -d)
target=$(basename "$(dirname "$(dirname "$launch")")")
flags=()
[ "$target" = x86_64-unknown-linux-gnu ] && flags=(-C target-feature=+crt-static)
shm=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$work" "$shm"' EXIT
bench/gen-sys-config.sh 3000 > "$work/sys.config"
rustc --edition 2021 -C opt-level=3 -C panic=abort --target "$target" "${flags[@]}" \
  -o "$work/floor" bench/floor.rs

# 100 distinct variables, each used 30 times, as values of a real release.
env_json="{"
for i in $(seq 0 99); do
  env_json+="\"VAR_$i\": \"value-$i with \\\"quotes\\\" and \\\\ backslash\","
done
env_json="${env_json%,}}"

echo "input: $(wc -c < "$work/sys.config") bytes, $(grep -o '\${' "$work/sys.config" | wc -l) placeholders; $runs runs each"
echo "launch: $(stat -c %s "$launch") bytes, $(file -b "$launch" | cut -d, -f2 | xargs)"
mkdir -p "$work/out"
python3 bench/timing.py "$runs" \
  "launch render --out-dir"="{\"argv\": [\"$launch\", \"render\", \"-q\", \"--sys-config\", \"$work/sys.config\", \"--out-dir\", \"$work/out\"], \"env\": $env_json}" \
  "launch render --stdout"="{\"argv\": [\"$launch\", \"render\", \"-q\", \"--stdout\", \"--sys-config\", \"$work/sys.config\"], \"env\": $env_json}" \
  "launch render --out-dir tmpfs"="{\"argv\": [\"$launch\", \"render\", \"-q\", \"--sys-config\", \"$work/sys.config\", \"--out-dir\", \"$shm\"], \"env\": $env_json}" \
  "floor (bench/floor.rs)"="{\"argv\": [\"$work/floor\", \"$work/sys.config\"]}" \
  "cat"="{\"argv\": [\"$(command -v cat)\", \"$work/sys.config\"]}" \
  "envsubst"="{\"argv\": [\"$(command -v envsubst)\"], \"stdin\": \"$work/sys.config\", \"env\": $env_json}"
