#!/usr/bin/env bash
# What supervision costs: launch against Debian's tini (and dumb-init) in the
# same run.
#  1. Start cost: `launch -q -- true` vs `tini -s -- true` vs `dumb-init true`,
#     whole processes, interleaved (timing.py), in the environment of a
#     Kubernetes pod: 400 service variables (FOO_SERVICE_HOST, ..._PORT, ...),
#     which launch snapshots and its child inherits. Budget: launch at most
#     1.2x tini -s.
#  2. Memory while supervising a sleeping child, launch after rendering the
#     200 KB sys.config of bench/render.sh: VmRSS and RssAnon from /proc.
#
#   bench/supervise.sh [RUNS]     (default 500)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-500}
for tool in tini dumb-init python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install $tool)" >&2; exit 1; }
done

launch=$(bench/build-static.sh)
true_bin=$(command -v true)
tini=$(command -v tini)
dumb=$(command -v dumb-init)
echo "launch: $(stat -c %s "$launch") bytes, static; tini: $(stat -c %s "$tini") bytes; dumb-init: $(stat -c %s "$dumb") bytes"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"   # no release here: launch renders nothing for the start cost

# 100 services, four variables each, as the kubelet sets them.
for i in $(seq 0 99); do
  export "SVC${i}_SERVICE_HOST=10.96.$((i / 250)).$((i % 250))" "SVC${i}_SERVICE_PORT=8080" \
    "SVC${i}_PORT=tcp://10.96.0.$i:8080" "SVC${i}_PORT_8080_TCP_ADDR=10.96.0.$i"
done

echo
echo "start cost, $runs runs each, $(env | wc -l) variables in the environment (budget: launch <= 1.2x tini -s)"
python3 "$OLDPWD/bench/timing.py" "$runs" \
  "launch -- true"="{\"argv\": [\"$launch\", \"-q\", \"--\", \"$true_bin\"]}" \
  "dumb-init true"="{\"argv\": [\"$dumb\", \"$true_bin\"]}" \
  "tini -s -- true"="{\"argv\": [\"$tini\", \"-s\", \"--\", \"$true_bin\"]}"

echo
echo "memory while supervising \`sleep\` (kB)"
"$OLDPWD/bench/gen-sys-config.sh" 3000 > sys.config
for i in $(seq 0 99); do export "VAR_$i=value-$i"; done
measure() {
  local label=$1; shift
  "$@" &
  local pid=$!
  sleep 0.5
  local rss anon
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  anon=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")
  printf '%-40s VmRSS %6s  RssAnon %6s\n' "$label" "$rss" "$anon"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}
measure "launch (rendered 200 KB sys.config)" "$launch" -q --sys-config sys.config -- sleep 30
measure "launch (nothing to render)" "$launch" -q -- sleep 30
measure "tini -s" "$tini" -s -- sleep 30
measure "dumb-init" "$dumb" sleep 30
