#!/usr/bin/env python3
"""Times whole processes against each other, interleaved, and prints ratios.

Each run spawns the command directly (posix_spawn, no shell) with stdin and
stdout redirected as given, and measures wall time from spawn to exit. Runs
of the commands alternate, so drift in the machine's speed hits all alike.

Usage: timing.py RUNS NAME=JSON_SPEC ...   (see bench/render.sh)
A spec is {"argv": [...], "stdin": path or null, "env": {...} or null}.
"""
import json
import os
import statistics
import sys
import time


def spawn(spec):
    actions = []
    if spec.get("stdin"):
        actions.append((os.POSIX_SPAWN_OPEN, 0, spec["stdin"], os.O_RDONLY, 0))
    actions.append((os.POSIX_SPAWN_OPEN, 1, spec.get("stdout", "/dev/null"),
                    os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    env = dict(os.environ)
    env.update(spec.get("env") or {})
    start = time.perf_counter()
    pid = os.posix_spawn(spec["argv"][0], spec["argv"], env, file_actions=actions)
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{spec['argv']} failed with {os.waitstatus_to_exitcode(status)}")
    return elapsed


def main():
    runs = int(sys.argv[1])
    specs = [(name, json.loads(spec)) for name, spec in
             (arg.split("=", 1) for arg in sys.argv[2:])]
    times = {name: [] for name, _ in specs}
    for _ in range(10):  # warm the page cache and the CPU
        for _, spec in specs:
            spawn(spec)
    for _ in range(runs):
        for name, spec in specs:
            times[name].append(spawn(spec))
    base = statistics.median(times[specs[-1][0]])
    print(f"{'command':<28} {'median':>9} {'p10':>9} {'p90':>9} {'ratio':>7}")
    for name, _ in specs:
        t = sorted(times[name])
        med = statistics.median(t)
        p10, p90 = t[len(t) // 10], t[len(t) * 9 // 10]
        print(f"{name:<28} {med*1e3:8.3f}ms {p10*1e3:8.3f}ms {p90*1e3:8.3f}ms "
              f"{med/base:6.2f}x")


if __name__ == "__main__":
    main()
