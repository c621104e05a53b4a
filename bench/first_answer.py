#!/usr/bin/env python3
"""Time from starting a release to its first answer on a TCP port.

Usage: first_answer.py RUNS PORT NAME=JSON_SPEC ...
A spec is {"argv": [...], "env": {...}}. Runs alternate between the specs;
each run starts the command, connects to 127.0.0.1:PORT every 2 ms until
it reads "ok", records the time, then sends SIGTERM and waits for the exit.
"""
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time


def first_answer(spec, port):
    env = dict(os.environ)
    env.update(spec.get("env") or {})
    start = time.perf_counter()
    proc = subprocess.Popen(spec["argv"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                sys.exit(f"{spec['argv']} exited with {proc.returncode} before answering")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    if s.recv(16).startswith(b"ok"):
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.002)
            if time.perf_counter() - start > 60:
                sys.exit(f"{spec['argv']} did not answer within 60 s")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    runs, port = int(sys.argv[1]), int(sys.argv[2])
    specs = [(n, json.loads(s)) for n, s in (a.split("=", 1) for a in sys.argv[3:])]
    times = {n: [] for n, _ in specs}
    for _ in range(runs):
        for name, spec in specs:
            times[name].append(first_answer(spec, port))
    base = statistics.median(times[specs[-1][0]])
    print(f"{'release':<40} {'median':>9} {'min':>9} {'max':>9} {'ratio':>7}")
    for name, _ in specs:
        t = times[name]
        med = statistics.median(t)
        print(f"{name:<40} {med*1e3:7.0f}ms {min(t)*1e3:7.0f}ms {max(t)*1e3:7.0f}ms "
              f"{med/base:6.2f}x")


if __name__ == "__main__":
    main()
