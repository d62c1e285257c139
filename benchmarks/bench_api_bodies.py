"""/health latency while large JSON bodies are checked: the event loop under big submissions.

Run it as a script (it is not a test)::

    python benchmarks/bench_api_bodies.py [--bodies 6] [--points 4900] [--repeat 3]

Each repeat starts ``wasteopt serve`` on a free 127.0.0.1 port (keyless, a queue of none, so
every submission is parsed and fully validated and then answered ``429`` without a solve),
polls ``GET /health`` every 20 ms, and meanwhile posts ``--bodies`` inline instances of
``--points`` points with long names (about 6 MB each) to ``/v1/plans`` at once. It prints
the /health p50/p95 while idle and while the bodies are checked, then the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "data" / "api" / "tiny.json"


def _body(points: int) -> bytes:
    document = json.loads(TINY.read_text(encoding="utf-8"))
    first = document["points"][0]
    document["points"] = [
        {**first, "id": f"P{i}", "name": "某某村民小组" * 60, "tonnes_per_day": 0.01}
        for i in range(points)
    ]
    return json.dumps({"instance": document, "time_limit_s": 1}, ensure_ascii=False).encode()


def _poll(base: str, stop: threading.Event, samples_ms: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        with urllib.request.urlopen(base + "/health", timeout=60) as answer:
            answer.read()
        samples_ms.append((time.perf_counter() - started) * 1000)
        time.sleep(0.02)


def _post(base: str, body: bytes, codes: list[int]) -> None:
    request = urllib.request.Request(
        base + "/v1/plans", data=body, method="POST", headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            codes.append(answer.status)
    except urllib.error.HTTPError as exc:
        codes.append(exc.code)


def _measure(base: str, body: bytes, bodies: int) -> dict[str, float]:
    stop, samples, codes = threading.Event(), [], []
    poller = threading.Thread(target=_poll, args=(base, stop, samples))
    poller.start()
    time.sleep(0.5)
    posters = [threading.Thread(target=_post, args=(base, body, codes)) for _ in range(bodies)]
    for thread in posters:
        thread.start()
    for thread in posters:
        thread.join()
    if not bodies:
        time.sleep(3)
    stop.set()
    poller.join()
    quantiles = statistics.quantiles(samples, n=20)
    return {
        "p50_ms": statistics.median(samples),
        "p95_ms": quantiles[18],
        "5xx": sum(c >= 500 for c in codes),
    }


def run_once(body: bytes, bodies: int) -> dict[str, float]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "WASTEOPT_QUEUE_SIZE": "0", "WASTEOPT_WORKERS": "1"}
        argv = ["serve", "--port", str(port), "--db", str(Path(tmp) / "b.db")]
        server = subprocess.Popen(
            [sys.executable, "-m", "wasteopt", *argv],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(base + "/health", timeout=2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit("bench_api_bodies: the server did not start") from None
                    time.sleep(0.2)
            idle = _measure(base, body, 0)
            busy = _measure(base, body, bodies)
        finally:
            server.terminate()
            server.wait(60)
    return {
        "idle_p95_ms": idle["p95_ms"],
        "busy_p50_ms": busy["p50_ms"],
        "busy_p95_ms": busy["p95_ms"],
        "5xx": busy["5xx"],
        "load_avg_1min": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=6)
    parser.add_argument("--points", type=int, default=4900)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    body = _body(args.points)
    results = []
    for k in range(args.repeat):
        results.append(run_once(body, args.bodies))
        print(f"run {k + 1}: " + ", ".join(f"{key}={v:.4g}" for key, v in results[-1].items()))
    median = {key: statistics.median(r[key] for r in results) for key in results[0]}
    print(
        f"median of {args.repeat} runs, {args.bodies} bodies of {len(body) / 1e6:.1f} MB:"
        f" /health p50 {median['busy_p50_ms']:.1f} ms, p95 {median['busy_p95_ms']:.1f} ms"
        f" (idle p95 {median['idle_p95_ms']:.1f} ms), 5xx {sum(r['5xx'] for r in results)},"
        f" load average {median['load_avg_1min']:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
