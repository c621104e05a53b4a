#!/usr/bin/env bash
# launch against what it replaces, on the same inputs, in one run:
#  1. rendering a 200 KB sys.config with 3,000 placeholders: launch, envsubst,
#     and the substitution of the start script of a real rebar3-built release
#     (RELX_REPLACE_OS_VARS), taken from that script as it is;
#  2. start cost and memory against tini and dumb-init (bench/supervise.sh);
#  3. time to a first answer from a real mix release under launch against
#     the same release configured with config/runtime.exs.
#
#   bench/compare.sh [RUNS]     (default 200; the releases run RUNS/20 times)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
for tool in envsubst rebar3 mix python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
launch=$(bench/build-static.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== 1. rendering a 200 KB sys.config with 3,000 placeholders ($runs runs each)"
bench/gen-sys-config.sh 3000 > "$work/sys.config"
cp -r fixtures/rebar3_app "$work/rebar3_app"
(cd "$work/rebar3_app" && rebar3 release >/dev/null)
script="$work/rebar3_app/_build/default/rel/reporter/bin/reporter"
# The start script's own substitution function, exactly as relx wrote it.
sed -n '/^replace_os_vars()/,/^}/p' "$script" > "$work/relx_replace.sh"
grep -q awk "$work/relx_replace.sh" || { echo "no replace_os_vars in $script" >&2; exit 1; }
printf '. %s\nreplace_os_vars "$1" "$2"\n' "$work/relx_replace.sh" > "$work/relx_render.sh"
env_json="{"
for i in $(seq 0 99); do env_json+="\"VAR_$i\": \"value-$i\","; done
env_json="${env_json%,}}"
mkdir -p "$work/out"
python3 bench/timing.py "$runs" \
  "launch render"="{\"argv\": [\"$launch\", \"render\", \"-q\", \"--sys-config\", \"$work/sys.config\", \"--out-dir\", \"$work/out\"], \"env\": $env_json}" \
  "relx start script (awk)"="{\"argv\": [\"/bin/sh\", \"$work/relx_render.sh\", \"$work/sys.config\", \"$work/out/relx.config\"], \"env\": $env_json}" \
  "envsubst"="{\"argv\": [\"$(command -v envsubst)\"], \"stdin\": \"$work/sys.config\", \"env\": $env_json}"

echo
echo "== 2. start cost and memory"
bench/supervise.sh "$runs" | tail -n +2

echo
echo "== 3. time to a first answer from a mix release"
cp -r fixtures/mix_app "$work/placeholders"
cp -r fixtures/mix_app "$work/runtime"
rm -rf "$work/runtime/config" && cp -r fixtures/mix_app_runtime/config "$work/runtime/config"
for app in placeholders runtime; do
  (cd "$work/$app" && MIX_ENV=prod mix release --overwrite >/dev/null)
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
app_env="{\"SERVE\": \"1\", \"PORT\": \"$port\", \"DB_USER\": \"app\", \"DB_PASSWORD\": \"p\", \"MOTD\": \"m\", \"RELEASE_DISTRIBUTION\": \"none\"}"
python3 bench/first_answer.py $((runs / 20 > 3 ? runs / 20 : 3)) "$port" \
  "launch -- bin/reporter start"="{\"argv\": [\"$launch\", \"-q\", \"--\", \"$work/placeholders/_build/prod/rel/reporter/bin/reporter\", \"start\"], \"env\": $app_env}" \
  "bin/reporter start (runtime.exs)"="{\"argv\": [\"$work/runtime/_build/prod/rel/reporter/bin/reporter\", \"start\"], \"env\": $app_env}"
