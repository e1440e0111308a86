"""Benchmark of one app image (called by bench/app.sh; standard library only).

For each CPU allowance (docker run --cpus) it serves the same image two ways:
  gunicorn  the image's own command (gunicorn, gthread, workers from the CPU limit)
  dev       the tutorial's way: `python3 app.py`, Flask's development server
and loads each with wrk (keep-alive, one wrk thread, --duration seconds per
run) after a short warm-up; runs alternate between the two servers for
--rounds rounds and the median is reported. Then: cold start (`docker run` to the
first 200, median of --cold-runs) and the image size.

Containers use the host network and bind 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCKER = os.environ.get("DOCKER", "docker")
PORT = 18480


def docker(*args, timeout=600, check=True):
    proc = subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "DOCKER_BUILDKIT": "0"})
    if check and proc.returncode:
        sys.exit(f"docker {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return proc.stdout.strip()


def get(port, timeout=1.0):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=timeout) as resp:
        return resp.status, resp.read().decode()


def wait_200(port, limit=30.0):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        try:
            if get(port)[0] == 200:
                return time.monotonic() - start
        except OSError:
            time.sleep(0.005)
    raise SystemExit(f"no 200 on 127.0.0.1:{port} within {limit}s")


def start(image, cpus, command=(), port=PORT):
    return docker("run", "-d", "--network", "host", "--cpus", str(cpus),
                  "-e", f"PORT={port}", "-e", "LISTEN_HOST=127.0.0.1", image, *command)


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(port, connections, duration):
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "--latency",
         f"http://127.0.0.1:{port}/"],
        capture_output=True, text=True, timeout=duration + 30, check=True).stdout
    lat = dict((p, to_ms(v, u)) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)", out, re.M))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": lat["50"], "p99": lat["99"],
        "errors": errors + (int(non2xx.group(1)) if non2xx else 0),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--version", default="v1")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cpus", default="2,1")
    ap.add_argument("--connections", default="8,64")
    ap.add_argument("--cold-runs", type=int, default=5)
    args = ap.parse_args()
    cpus_list = [c.strip() for c in args.cpus.split(",")]
    conns = [int(c) for c in args.connections.split(",")]

    image = f"knative-rollout-bench/hello-{args.version}:latest"
    docker("build", "--network", "host", "--build-arg", f"PYTHON_IMAGE={args.base}",
           "--tag", image, str(REPO / "apps" / args.version))
    base_py = docker("run", "--rm", "--network", "none", args.base, "python3", "-c",
                     "import platform; print(platform.python_version())")
    base_os = docker("run", "--rm", "--network", "none", args.base, "sh", "-c",
                     ". /etc/os-release; echo $PRETTY_NAME")
    print(f"bench:app  apps/{args.version} image built on {args.base} ({base_os}, Python {base_py})")
    print(f"machine: {os.cpu_count()} CPUs; docker server {docker('version', '--format', '{{.Server.Version}}')}; "
          f"wrk -t1 --latency, {args.duration}s per run, median of {args.rounds} alternating rounds")
    print()

    servers = [("gunicorn", ()), ("dev (python3 app.py)", ("/opt/venv/bin/python3", "app.py"))]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = {}
    header = f"{'server':<22}{'cpus':>5}{'conns':>7}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
    print(header)
    print("-" * len(header))
    for cpus in cpus_list:
        # Both servers run side by side (the idle one costs nothing) and the wrk
        # runs alternate between them, round after round, so that any change in
        # background load hits both alike; the median round is reported.
        ports = {name: PORT + i for i, (name, _) in enumerate(servers)}
        cids = [start(image, cpus, command, ports[name]) for name, command in servers]
        try:
            for name, _ in servers:
                wait_200(ports[name])
                status, body = get(ports[name])
                assert (status, body) == (200, f"Hello World : {args.version} !\n"), body
                subprocess.run(["wrk", "-t1", "-c8", "-d2s", f"http://127.0.0.1:{ports[name]}/"],
                               capture_output=True, timeout=40, check=True)
            runs = {}
            for _ in range(args.rounds):
                for c in conns:
                    for name, _ in servers:
                        runs.setdefault((name, c), []).append(wrk(ports[name], c, args.duration))
            for name, _ in servers:
                for c in conns:
                    rs = runs[(name, c)]
                    r = {"rps": statistics.median(x["rps"] for x in rs),
                         "p50": statistics.median(x["p50"] for x in rs),
                         "p99": statistics.median(x["p99"] for x in rs),
                         "errors": sum(x["errors"] for x in rs)}
                    results[(cpus, name, c)] = r
                    print(f"{name:<22}{cpus:>5}{c:>7}{r['rps']:>10.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['errors']:>8}",
                          flush=True)
        finally:
            for cid in cids:
                docker("rm", "-f", cid, check=False)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    for cpus in cpus_list:
        for c in conns:
            g, d = results[(cpus, "gunicorn", c)], results[(cpus, servers[1][0], c)]
            ratio = g["rps"] / d["rps"]
            print(f"cpus={cpus} conns={c}: gunicorn/dev throughput {ratio:.2f}x "
                  f"[{'meets' if ratio >= 3 else 'misses'} >= 3x]; p99 {g['p99']:.2f} vs {d['p99']:.2f} ms "
                  f"[{'lower' if g['p99'] < d['p99'] else 'NOT lower'}]")

    colds = []
    for _ in range(args.cold_runs):
        t0 = time.monotonic()
        cid = start(image, cpus_list[0])
        try:
            wait_200(PORT)
            colds.append(time.monotonic() - t0)
        finally:
            docker("rm", "-f", cid, check=False)
    median = statistics.median(colds)
    print(f"cold start (docker run -> first 200), median of {len(colds)}: {median:.3f} s "
          f"[{'meets' if median < 1.5 else 'misses'} < 1.5 s]; runs: {', '.join(f'{c:.3f}' for c in colds)}")

    size = json.loads(docker("image", "inspect", image))[0]["Size"]
    base_size = json.loads(docker("image", "inspect", args.base))[0]["Size"]
    print(f"image size: {size / 1e6:.1f} MB ({size / 2**20:.1f} MiB) = base {base_size / 1e6:.1f} MB "
          f"+ app {(size - base_size) / 1e6:.1f} MB [{'meets' if size < 150e6 else 'misses'} < 150 MB] "
          f"on base {args.base}")


if __name__ == "__main__":
    main()
