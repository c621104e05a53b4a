#!/usr/bin/env bash
# Time to render a 200 KB sys.config holding 3,000 placeholders: launch against
# envsubst (Debian's gettext-base) on the same file and environment, whole
# processes, interleaved runs. Prints medians and ratios (envsubst = 1.00x,
# writing to /dev/null; "envsubst > file in tmpfs" is what producing the same
# file in tmpfs costs it, to set beside launch's render into tmpfs).
# Two references: `cat` of the same file, and bench/floor.rs built the way
# launch is (static, optimised), which reads the file, copies it into a second
# buffer and writes that: the floor of any renderer that must hold its whole
# output before writing. `cat` is dynamically linked, so it starts slower.
#
# Then check and vars beside render (render = 1.00x) on how mix writes a
# sys.config: all on one line, here with 100,000 placeholders, half of them
# unset so that check has 50,000 problems to place on that line. Each of
# the three runs under `sh -c` (check exits 78), so all pay the same start.
#
#   bench/render.sh [RUNS]        (default 300; the second table runs RUNS/10)
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
  "envsubst > file in tmpfs"="{\"argv\": [\"$(command -v envsubst)\"], \"stdin\": \"$work/sys.config\", \"stdout\": \"$shm/envsubst.out\", \"env\": $env_json}" \
  "envsubst"="{\"argv\": [\"$(command -v envsubst)\"], \"stdin\": \"$work/sys.config\", \"env\": $env_json}"

# check and vars against render on one line of 100,000 placeholders.
bench/gen-sys-config.sh 100000 --one-line > "$work/one-line.config"
half_json="{"
for i in $(seq 0 49); do half_json+="\"VAR_$i\": \"value-$i\","; done
half_json="${half_json%,}}"
sh=$(command -v sh)
expect() { # CODE ARGS...: a spec that runs launch ARGS and wants exit CODE
  local code=$1
  shift
  printf '{"argv": ["%s", "-c", "\\"$0\\" \\"$@\\" 2>/dev/null; test $? = %s", "%s"' "$sh" "$code" "$launch"
  printf ', "%s"' "$@"
  printf ']'
}
echo
echo "one line, $(wc -c < "$work/one-line.config") bytes, 100000 placeholders, 50 of 100 variables set; $((runs / 10)) runs each"
python3 bench/timing.py $((runs / 10)) \
  "launch check (50,000 problems)"="$(expect 78 check -q --sys-config "$work/one-line.config"), \"env\": $half_json}" \
  "launch vars --json"="$(expect 0 vars --json --sys-config "$work/one-line.config")}" \
  "launch render --stdout"="$(expect 0 render -q --stdout --sys-config "$work/one-line.config"), \"env\": $env_json}"
