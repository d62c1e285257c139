"""The cost of checking an API key, per request, measured in process.

Run it as a script (it is not a test)::

    python benchmarks/bench_auth.py [--requests 20000] [--repeat 5]

It times :meth:`api.auth.Authenticator.identify` on a request carrying a Bearer key already
seen (a SHA-256 and one read of the key's row, which also catches a revocation), on a
request without credentials to a keyless loopback server, and the first sight of a key (one
scrypt, N=2^14, r=8, p=1, run in a worker thread). Medians over ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from starlette.requests import Request

from api.auth import Authenticator
from api.settings import Settings
from wasteopt.apikeys import KeyRing


def _request(headers: dict[str, str]) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/v1/plans/x", "headers": raw})


async def _per_request_us(auth: Authenticator, request: Request, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        await auth.identify(request)
    return (time.perf_counter() - started) / count * 1e6


async def _first_sight_ms(auth: Authenticator, token: str) -> float:
    auth._verified.clear()  # noqa: SLF001 - forget the key, as a fresh server would
    started = time.perf_counter()
    await auth.key_for_token(token)
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        keyless = Authenticator(Settings(db=Path(tmp) / "keyless.db"))
        ring = KeyRing(Path(tmp) / "keyed.db")
        token = ring.add("bench", "viewer")[1]
        ring.close()
        keyed = Authenticator(Settings(db=Path(tmp) / "keyed.db"))
        bearer = _request({"Authorization": f"Bearer {token}"})
        results: dict[str, list[float]] = {"keyed_us": [], "keyless_us": [], "first_ms": []}
        for _ in range(args.repeat):
            results["first_ms"].append(asyncio.run(_first_sight_ms(keyed, token)))
            results["keyed_us"].append(asyncio.run(_per_request_us(keyed, bearer, args.requests)))
            results["keyless_us"].append(
                asyncio.run(_per_request_us(keyless, _request({}), args.requests))
            )
        keyed.close()
        keyless.close()
    median = {name: statistics.median(values) for name, values in results.items()}
    print(
        f"median of {args.repeat} runs: a known key {median['keyed_us']:.1f} us per request,"
        f" keyless {median['keyless_us']:.1f} us, key check adds"
        f" {median['keyed_us'] - median['keyless_us']:.1f} us; first sight of a key (scrypt)"
        f" {median['first_ms']:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
