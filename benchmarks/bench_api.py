"""API latency under load: 100 clients poll job status on loopback while two solves run.

Run it as a script (it is not a test)::

    python benchmarks/bench_api.py [--clients 100] [--seconds 15] [--repeat 3] [--no-keys]

Each repeat starts ``wasteopt serve`` on a free 127.0.0.1 port with a fresh database and two
solver workers, submits the shipped example twice with a time limit long enough to cover the
measuring window, waits until both solves run, and lets ``--clients`` clients poll
``GET /v1/plans/{id}`` (alternating between the two jobs) over keep-alive connections,
about ``--interval`` seconds apart (0.5-1.5 x at random, so clients are out of step). It
prints p50/p95/p99 latency, the count of 5xx answers and failed connections, and the load
average per repeat, then the median over repeats. The goal of issues 6 and 19: p95 < 50 ms
and no 5xx.

By default every client holds an API key of its own (role viewer; the jobs are submitted with
a dispatcher key), as on an office network: its first request, which checks the key with
scrypt, is timed apart (``first_ms``, all clients starting together); the measuring window
opens once every client has had its first answer.
``--no-keys`` runs the same load on a keyless loopback server, for the cost of the key check.

The clients speak HTTP/1.1 over raw asyncio streams: a full HTTP client library costs more
CPU per request than the server does, and on a small machine that would be measured as
server latency.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from wasteopt.apikeys import KeyRing

REPO = Path(__file__).resolve().parents[1]

EXAMPLE = REPO / "instances" / "examples" / "small.json"


@dataclass
class Tally:
    latencies_s: list[float] = field(default_factory=list)
    first_s: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: int = 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _call(base: str, method: str, path: str, body: dict | None = None, key: str = "") -> dict:
    data = None if body is None else json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _start_server(db: Path, port: int) -> subprocess.Popen:
    argv = ["serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "WASTEOPT_WORKERS": "2"}
    return subprocess.Popen(
        [sys.executable, "-m", "wasteopt", *argv],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_until(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if predicate():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"bench_api: {what} did not happen within {timeout_s:.0f} s")
        time.sleep(0.2)


async def _client(
    port: int,
    paths: list[str],
    interval_s: float,
    seconds: float,
    warm: asyncio.Barrier,
    tally: Tally,
    key: str,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    turn = 0
    stop_at = math.inf
    try:
        while time.monotonic() < stop_at:
            if turn == 1:  # every client has been answered once: measure from here
                await warm.wait()
                stop_at = time.monotonic() + seconds
                writer.close()  # the wait may have outlasted the server's keep-alive
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                await asyncio.sleep(random.uniform(0, interval_s))  # out of step, as in life
            path = paths[turn % len(paths)]
            turn += 1
            request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode()
            started = time.perf_counter()
            try:
                writer.write(request)
                status_line = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                status = int(status_line.split()[1])
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                tally.failures += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            (tally.latencies_s if turn > 1 else tally.first_s).append(time.perf_counter() - started)
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            if turn > 1:
                await asyncio.sleep(random.uniform(0.5, 1.5) * interval_s)
    finally:
        writer.close()


async def _load(
    port: int, paths: list[str], keys: list[str], interval_s: float, seconds: float
) -> Tally:
    tally, warm = Tally(), asyncio.Barrier(len(keys))
    await asyncio.gather(
        *(_client(port, paths, interval_s, seconds, warm, tally, key) for key in keys)
    )
    return tally


def _make_keys(db: Path, clients: int) -> tuple[str, list[str]]:
    """A dispatcher key, and one viewer key per client."""
    ring = KeyRing(db)
    try:
        dispatcher = ring.add("bench", "dispatcher")[1]
        return dispatcher, [ring.add(f"poller-{i}", "viewer")[1] for i in range(clients)]
    finally:
        ring.close()


def run_once(clients: int, seconds: float, interval_s: float, keys: bool = True) -> dict:
    """One repeat: a fresh server, two solves, ``clients`` pollers for ``seconds``."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        dispatcher, pollers = _make_keys(db, clients) if keys else ("", [""] * clients)
        server = _start_server(db, port)
        try:
            _wait_until(lambda: _call(base, "GET", "/health")["status"] == "ok", 60, "start")
            instance = json.loads(EXAMPLE.read_text(encoding="utf-8"))
            instance_id = _call(base, "POST", "/v1/instances", instance, dispatcher)["id"]
            limit = seconds + 90  # the solves outlast every client's first request too
            body = {"instance_id": instance_id, "time_limit_s": limit}
            jobs = [_call(base, "POST", "/v1/plans", body, dispatcher) for _ in range(2)]
            paths = [f"/v1/plans/{job['id']}" for job in jobs]

            def both_running() -> bool:
                return all(_call(base, "GET", p, key=dispatcher)["progress"] for p in paths)

            _wait_until(both_running, 60, "two running solves")
            tally = asyncio.run(_load(port, paths, pollers, interval_s, seconds))
            load_1min = os.getloadavg()[0]
            still = [_call(base, "GET", p, key=dispatcher)["status"] for p in paths]
            for path in paths:
                with contextlib.suppress(urllib.error.HTTPError):  # 409: it has finished
                    _call(base, "DELETE", path, key=dispatcher)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
    latencies_ms = sorted(x * 1000 for x in tally.latencies_s)
    quantiles = statistics.quantiles(latencies_ms, n=100)
    return {
        "requests": len(latencies_ms),
        "requests_per_s": len(latencies_ms) / seconds,
        "p50_ms": quantiles[49],
        "p95_ms": quantiles[94],
        "p99_ms": quantiles[98],
        "max_ms": latencies_ms[-1],
        "first_ms": statistics.median(x * 1000 for x in tally.first_s),
        "5xx": sum(n for status, n in tally.statuses.items() if status >= 500),
        "non_200": sum(n for status, n in tally.statuses.items() if status != 200),
        "failed_connections": tally.failures,
        "solves_running_at_end": still.count("running"),
        "load_avg_1min": load_1min,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=15.0, help="measuring window per repeat")
    parser.add_argument(
        "--interval", type=float, default=1.0, help="pause between a client's polls, s"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-keys", action="store_true", help="a keyless loopback server (no key checks)"
    )
    args = parser.parse_args(argv)
    results = []
    for k in range(args.repeat):
        result = run_once(args.clients, args.seconds, args.interval, keys=not args.no_keys)
        results.append(result)
        print(f"run {k + 1}: " + ", ".join(f"{key}={value:.4g}" for key, value in result.items()))
    summary = {key: statistics.median(r[key] for r in results) for key in results[0]}
    print(
        f"median of {args.repeat} runs, {args.clients} clients"
        f" {'without keys' if args.no_keys else 'with a key each'}, {os.cpu_count()} CPUs: "
        f"p50 {summary['p50_ms']:.1f} ms, p95 {summary['p95_ms']:.1f} ms, "
        f"p99 {summary['p99_ms']:.1f} ms, first request {summary['first_ms']:.1f} ms, "
        f"{summary['requests_per_s']:.0f} req/s, "
        f"5xx {sum(r['5xx'] for r in results)}, load average {summary['load_avg_1min']:.1f}, "
        f"failed connections {sum(r['failed_connections'] for r in results)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
