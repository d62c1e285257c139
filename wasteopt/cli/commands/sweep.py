"""``wasteopt sweep``: plan every cell of a scenario grid on a Dask cluster, resumably."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from wasteopt.errors import WasteoptError
from wasteopt.sweep.run import SweepProgress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="plan a grid of scenarios (stations, growth, electric share, phase, seeds) on Dask",
        description="Plan every cell of the grid SPEC describes (YAML or JSON; schema in the "
        "README) as a task on a Dask cluster: a local one by default, any cluster with "
        "--scheduler. Each finished cell appends a row to DIR/results.csv and writes "
        "DIR/cells/<key>/plan.json and routes.geojson; running the same command again runs only "
        "the cells without a row. At the end: DIR/summary.csv, the Pareto front of cost and "
        "CO2e and cost and trucks along each axis (DIR/pareto.png|svg, DIR/axes.png|svg), all on "
        "one page: DIR/index.html. "
        "Exit code 1 when a cell failed (its row says why).",
        epilog="examples:\n"
        "  wasteopt sweep instances/examples/sweep_small.yaml --out out/sweep\n"
        "  wasteopt sweep instances/daoxian/sweep_2030.yaml --out out/2030"
        " --scheduler tcp://10.0.0.5:8786",
    )
    parser.add_argument("spec", type=Path, metavar="SPEC", help="sweep spec, YAML or JSON")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="results folder")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler", metavar="tcp://HOST:8786", help="address of a running Dask scheduler"
    )
    where.add_argument(
        "--local-workers",
        type=int,
        metavar="N",
        help="worker processes of the local cluster (default: one per core)",
    )
    parser.add_argument(
        "--retry-failed", action="store_true", help="run the cells whose row says failed again"
    )
    parser.set_defaults(func=run)


class SweepProgressLine:
    """Cells done / total and an ETA: rewritten in place on a terminal, else one line a second."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.is_tty = stream.isatty()
        self._last = 0.0

    def update(self, p: SweepProgress) -> None:
        rate = p.elapsed_s / p.done
        eta = rate * (p.total - p.done)
        failed = f", {p.failed} failed" if p.failed else ""
        text = f"[sweep] {p.done}/{p.total} cells{failed}  {p.elapsed_s:,.0f} s  ETA {eta:,.0f} s"
        now = time.monotonic()
        if self.is_tty:
            end = "\n" if p.done == p.total else ""
            self.stream.write(f"\r{text}\033[K{end}")
        elif p.done == p.total or now - self._last >= 1.0:
            self.stream.write(text + "\n")
            self._last = now
        self.stream.flush()


def run(args: argparse.Namespace) -> int:
    from wasteopt.sweep.cells import prepare
    from wasteopt.sweep.cluster import open_client
    from wasteopt.sweep.report import write_report
    from wasteopt.sweep.run import run_sweep
    from wasteopt.sweep.spec import load_spec
    from wasteopt.sweep.store import ResultStore

    if args.local_workers is not None and args.local_workers < 1:
        raise WasteoptError("--local-workers must be at least 1")
    sweep = prepare(load_spec(args.spec), args.spec)
    store = ResultStore(args.out)
    store.rows()  # an unreadable results.csv is reported before the cluster starts
    if args.retry_failed:
        dropped = store.drop_failed()
        if dropped:
            print(f"running {dropped} failed cell(s) again")
    done_before = store.done_keys()
    missing = sum(1 for c in sweep.cells if c.key not in done_before)
    print(f"{sweep.spec.name}: {len(sweep.cells)} cells, {missing} to run")
    store.write_manifest(sweep.spec.name, [c.key for c in sweep.cells])
    if missing:
        with open_client(args.scheduler, args.local_workers) as client:
            try:
                run_sweep(sweep, store, client, SweepProgressLine(sys.stderr).update)
            except KeyboardInterrupt:
                left = sum(1 for c in sweep.cells if c.key not in store.done_keys())
                print(
                    f"wasteopt: {left} cell(s) left: run the same command again to finish them",
                    file=sys.stderr,
                )
                raise
    return write_report(sweep, store, sys.stdout)
