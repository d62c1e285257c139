"""Scaling of ``wasteopt sweep`` from 1 to N local workers, and Dask's overhead per cell.

Usage (from the repository root)::

    python -m benchmarks.bench_sweep --workers 1,2 --repeat 3  # instances/examples/sweep_small.yaml

For each worker count a local cluster is started and warmed (every worker imports the planner
and plans one cell, so import and compile time stay out of the figures), then the whole sweep
runs ``--repeat`` times into fresh folders. Printed per run: wall seconds, the cells' own wall
and CPU seconds summed, the scheduler overhead per cell ``(wall x workers - sum of cell
seconds) / cells`` (time a worker slot spent on anything but planning: scheduling,
serialisation, the client writing rows, waiting for the last cell), and the 1-minute load
average. Efficiency against one worker: ``T1 / (N x TN)`` on the medians. Also Dask's round
trip of an empty task. On a machine shared with other work, read ``cpu_s`` beside ``wall``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from wasteopt.sweep.cells import prepare
from wasteopt.sweep.cluster import open_client
from wasteopt.sweep.run import run_cell, run_sweep
from wasteopt.sweep.spec import load_spec
from wasteopt.sweep.store import ResultStore

EMPTY_TASKS = 200


def _noop(x: int) -> int:
    return x


def measure(spec_path: Path, workers: int, repeat: int) -> list[dict[str, float]]:
    """Runs of the sweep on a warmed local cluster of ``workers`` processes."""
    sweep = prepare(load_spec(spec_path), spec_path)
    runs = []
    with open_client(local_workers=workers) as client:
        client.wait_for_workers(workers)
        warm = client.scatter(sweep.context, broadcast=True)
        for address in client.scheduler_info()["workers"]:
            client.submit(run_cell, warm, sweep.cells[0], workers=[address], pure=False).result()
        started = time.perf_counter()
        client.gather(client.map(_noop, range(EMPTY_TASKS), pure=False))
        empty_ms = 1000 * (time.perf_counter() - started) / EMPTY_TASKS
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as folder:
                store = ResultStore(folder)
                load = os.getloadavg()[0]
                started = time.perf_counter()
                run_sweep(sweep, store, client)
                wall = time.perf_counter() - started
                rows = store.rows()
            failed = [r["error"] for r in rows if r["status"] != "ok"]
            if failed:
                raise SystemExit(f"{len(failed)} cell(s) failed, first: {failed[0]}")
            cell_s = sum(float(r["seconds"]) for r in rows)
            runs.append(
                {
                    "workers": workers,
                    "cells": len(rows),
                    "wall_s": wall,
                    "cell_s": cell_s,
                    "cpu_s": sum(float(r["cpu_s"]) for r in rows),
                    "overhead_per_cell_s": (wall * workers - cell_s) / len(rows),
                    "empty_task_ms": empty_ms,
                    "load1": load,
                }
            )
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_sweep", description=__doc__)
    parser.add_argument("--spec", type=Path, default=Path("instances/examples/sweep_small.yaml"))
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]
    medians: dict[int, float] = {}
    print("workers,cells,wall_s,cell_s,cpu_s,overhead_per_cell_s,empty_task_ms,load1")
    for workers in counts:
        runs = measure(args.spec, workers, args.repeat)
        for r in runs:
            print(",".join(f"{r[k]:.3f}" if isinstance(r[k], float) else str(r[k]) for k in r))
        medians[workers] = statistics.median(r["wall_s"] for r in runs)
    base = counts[0]
    for workers in counts[1:]:
        efficiency = medians[base] * base / (workers * medians[workers])
        print(
            f"# median wall {base} worker(s) {medians[base]:.2f} s, {workers} workers"
            f" {medians[workers]:.2f} s: speed-up {medians[base] / medians[workers]:.2f},"
            f" efficiency {efficiency:.0%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
