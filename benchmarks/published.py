"""Run wasteopt (and optionally PyVRP) on published instances; one CSV row per instance.

Usage (from the repository root)::

    python -m benchmarks.published --suite cvrp --time-limit 30 --peer pyvrp --out cvrp.csv

Columns (:data:`COLUMNS`): ``suite, instance, seed, n`` (clients), ``bks`` (best-known cost in the
run's convention, from the ``.sol`` routes), ``cost`` (``plan.cost``), ``gap_pct``
(``100 * (cost - bks) / bks``; empty when points were left unserved), ``first_feasible_s``
(wall seconds from the call to the first solution), ``checker_ok`` (the independent checker
found no violation), ``unserved``, ``seconds`` (wall) and ``cpu_s`` (CPU seconds the solve
got: on a shared machine it can be far below the wall budget), then the same ``peer_*``
columns for PyVRP when ``--peer pyvrp`` is given, and ``load1`` (1-minute load average before
the instance), ``core`` (a hash of the routing sources that ran: :func:`core_hash`) and
``worker`` (the Dask worker that ran the row, ``local`` without one). Rows are printed and
appended to ``--out`` as they finish, so an interrupted run keeps its rows.

``--seed 0,1,2`` runs every instance with each seed. ``--local-workers N`` runs instances x
seeds as tasks on N local worker processes, ``--scheduler tcp://HOST:8786`` on any Dask
cluster whose workers can import this repository's ``benchmarks`` (start them from its root);
each task gets one core, so compare ``cpu_s`` with ``seconds`` to see a starved row. Without
either option everything runs one after another in this process.

What each conversion drops or approximates: :data:`benchmarks.convert.SUITE_NOTES`.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from benchmarks.clock import CLOCKS, solver_clock
from benchmarks.convert import (
    SUITE_DIRS,
    SUITE_NOTES,
    Converted,
    read_problem,
    suite_files,
    to_wasteopt,
)
from benchmarks.variants import VARIANTS, applied
from wasteopt.check import check_plan
from wasteopt.errors import WasteoptError
from wasteopt.matrix import ExplicitMatrixProvider
from wasteopt.planning import PlanOptions, Progress, plan_day
from wasteopt.sweep.cluster import cap_solver_threads, open_client, worker_name

COLUMNS = (
    "suite",
    "instance",
    "seed",
    "n",
    "bks",
    "cost",
    "gap_pct",
    "first_feasible_s",
    "checker_ok",
    "unserved",
    "seconds",
    "cpu_s",
    "peer_cost",
    "peer_gap_pct",
    "peer_first_feasible_s",
    "peer_checker_ok",
    "peer_seconds",
    "peer_cpu_s",
    "load1",
    "core",
    "worker",
    "clock",
)
log = logging.getLogger(__name__)


def core_hash() -> str:
    """First 10 hex digits of SHA-256 over ``wasteopt/planning.py`` and ``wasteopt/routing/*.py``
    as imported: identifies the solver code of a row even in an uncommitted working tree."""
    import wasteopt.planning

    root = Path(wasteopt.planning.__file__).parent
    digest = hashlib.sha256()
    for path in [root / "planning.py", *sorted((root / "routing").glob("*.py"))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _gap(cost: float | None, bks: float | None) -> float | None:
    if cost is None or not bks:
        return None
    return 100.0 * (cost - bks) / bks


def solve_wasteopt(conv: Converted, options: PlanOptions) -> dict[str, object]:
    """Plan ``conv`` with :func:`wasteopt.planning.plan_day`; the row's wasteopt columns."""
    first: list[float] = []
    started, cpu_started = time.perf_counter(), time.process_time()

    def on_progress(_: Progress) -> None:
        if not first:
            first.append(time.perf_counter() - started)

    try:
        plan = plan_day(
            conv.instance,
            provider=ExplicitMatrixProvider(conv.matrices),
            options=options,
            progress=on_progress,
        )
    except WasteoptError as exc:
        log.error("%s: wasteopt failed: %s", conv.problem.name, exc)
        return {"checker_ok": False, "seconds": round(time.perf_counter() - started, 2)}
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    violations = check_plan(conv.instance, plan, conv.matrices)
    complete = not plan.unserved
    return {
        "cost": round(plan.cost, 2),
        "gap_pct": _round(_gap(plan.cost, conv.problem.bks) if complete else None, 3),
        "first_feasible_s": _round(first[0] if first else None, 3),
        "checker_ok": not violations,
        "unserved": len(plan.unserved),
        "seconds": round(seconds, 2),
        "cpu_s": round(cpu, 2),
    }


def solve_peer(conv: Converted, time_limit_s: float, seed: int) -> dict[str, object]:
    """Solve ``conv`` with PyVRP at the same budget; the row's ``peer_*`` columns."""
    from benchmarks import peer_pyvrp

    cpu_started = time.process_time()
    result = peer_pyvrp.solve(conv, time_limit_s, seed)
    cpu = time.process_time() - cpu_started
    violations = check_plan(conv.instance, result.plan, conv.matrices)
    ok = result.feasible and not violations
    return {
        "peer_cost": round(result.plan.cost, 2),
        "peer_gap_pct": _round(_gap(result.plan.cost, conv.problem.bks) if ok else None, 3),
        "peer_first_feasible_s": _round(result.first_feasible_s, 3),
        "peer_checker_ok": ok,
        "peer_seconds": round(result.seconds, 2),
        "peer_cpu_s": round(cpu, 2),
    }


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"seeds are whole numbers like 0,1,2 (got {text!r})"
        ) from None
    if not seeds:
        raise argparse.ArgumentTypeError("give at least one seed")
    return seeds


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


CORE = core_hash()


def run_instance(
    suite: str,
    path: Path,
    options: PlanOptions,
    peer: str | None,
    fleet: int | None = None,
    clock: str = "wall",
) -> dict[str, object]:
    """Convert one file, solve it with wasteopt (and the peer); one CSV row.

    ``fleet`` (cvrp only, no peer) gives wasteopt that many trucks instead of the bound: with
    reloads at the depot and no time limits, one truck can already do every trip. ``clock``
    is what both solvers' time limits are read on (:mod:`benchmarks.clock`).
    """
    problem = read_problem(suite, path)
    if fleet is not None:
        problem = replace(problem, groups=[replace(g, count=fleet) for g in problem.groups])
    conv = to_wasteopt(problem)
    row: dict[str, object] = {
        "suite": suite,
        "instance": problem.name,
        "seed": options.seed,
        "n": len(problem.clients),
        "bks": problem.bks,
        "load1": round(os.getloadavg()[0], 2),
        "core": CORE,
        "worker": worker_name(),
        "clock": clock,
    }
    with solver_clock(clock):
        row.update(solve_wasteopt(conv, options))
        if peer == "pyvrp":
            row.update(solve_peer(conv, options.time_limit_s, options.seed))
    return row


def run_task(
    suite: str,
    path: Path,
    options: PlanOptions,
    peer: str | None,
    fleet: int | None,
    variant: str | None,
    clock: str = "wall",
) -> dict[str, object]:
    """:func:`run_instance` as a Dask task: one solver thread, the variant applied in the worker."""
    cap_solver_threads(1)
    with applied(variant):
        return run_instance(suite, path, options, peer, fleet, clock)


def _rows(
    suite: str,
    jobs: list[tuple[Path, PlanOptions]],
    peer: str | None,
    fleet: int | None,
    client: object | None,
    variant: str | None,
    clock: str,
) -> Iterator[dict[str, object]]:
    """Each job's row as it finishes: in this process in order, or as Dask tasks."""
    if client is None:
        with applied(variant):
            for path, options in jobs:
                yield run_instance(suite, path, options, peer, fleet, clock)
        return
    from distributed import as_completed

    futures = [
        client.submit(run_task, suite, path, options, peer, fleet, variant, clock, pure=False)
        for path, options in jobs
    ]
    try:
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.cancel([f for f in futures if not f.done()])


def select(files: Iterable[Path], names: str | None) -> list[Path]:
    """The files whose stem is among the comma-separated ``names`` (all when ``None``)."""
    files = list(files)
    if not names:
        return files
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    by_name = {f.stem: f for f in files}
    missing = [n for n in wanted if n not in by_name]
    if missing:
        known = ", ".join(sorted(by_name))
        raise SystemExit(f"unknown instance(s) {', '.join(missing)}; known: {known}")
    return [by_name[n] for n in wanted]


def geometric_mean_gap(rows: list[dict[str, object]], column: str) -> float | None:
    """``100 * (geomean(cost / bks) - 1)`` over rows with a gap; ``None`` if there are none."""
    ratios = [1 + float(r[column]) / 100 for r in rows if r.get(column) not in (None, "")]
    if not ratios:
        return None
    return 100 * (math.exp(sum(math.log(x) for x in ratios) / len(ratios)) - 1)


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def run(
    suite: str,
    files: list[Path],
    options: PlanOptions,
    peer: str | None,
    out: Path | None,
    echo: Callable[[str], None] = print,
    fleet: int | None = None,
    seeds: Sequence[int] | None = None,
    client: object | None = None,
    variant: str | None = None,
    clock: str = "wall",
) -> list[dict[str, object]]:
    """Solve every file with each of ``seeds`` (default: ``options.seed``), echoing each row and
    appending it to ``out`` as it finishes; on ``client``'s Dask cluster when given."""
    jobs = [(path, replace(options, seed=s)) for path in files for s in seeds or [options.seed]]
    rows = []
    handle = None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        new = not out.exists() or out.stat().st_size == 0
        if not new:
            with out.open(encoding="utf-8") as existing:
                header = next(csv.reader(existing), [])
            if tuple(header) != COLUMNS:
                raise SystemExit(
                    f"{out} has other columns than this runner writes; give a new --out"
                )
        handle = out.open("a", newline="", encoding="utf-8")
        writer = csv.writer(handle)
        if new:
            writer.writerow(COLUMNS)
    echo(",".join(COLUMNS))
    try:
        for row in _rows(suite, jobs, peer, fleet, client, variant, clock):
            rows.append(row)
            cells = [_cell(row.get(c)) for c in COLUMNS]
            echo(",".join(cells))
            if handle is not None:
                writer.writerow(cells)
                handle.flush()
    finally:
        if handle is not None:
            handle.close()
    for column in ("gap_pct", "peer_gap_pct"):
        mean = geometric_mean_gap(rows, column)
        if mean is not None:
            echo(f"# geometric-mean {column}: {mean:.2f} % over {len(rows)} instance(s)")
    return rows


def build_parser() -> argparse.ArgumentParser:
    notes = "\n".join(f"  {s}: " + "; ".join(n) for s, n in SUITE_NOTES.items())
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.published",
        description="Solve published VRPLIB instances with wasteopt (and PyVRP) and tabulate.",
        epilog="What each conversion drops or approximates:\n" + notes,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--suite", required=True, choices=sorted(SUITE_DIRS))
    parser.add_argument("--dir", type=Path, help="folder of .vrp/.sol files (default: copies)")
    parser.add_argument("--instances", help="comma-separated instance names (file stems)")
    parser.add_argument("--time-limit", type=float, required=True, help="seconds per solver")
    parser.add_argument(
        "--seed", type=_seeds, default=[0], help="seed, or comma-separated seeds (0,1,2)"
    )
    parser.add_argument("--peer", choices=["pyvrp"], help="also solve with PyVRP")
    parser.add_argument(
        "--clock",
        choices=CLOCKS,
        default="wall",
        help="what both solvers' time limits are read on: wall time, or the process's CPU "
        "time (the same processor seconds on a loaded machine)",
    )
    parser.add_argument("--out", type=Path, help="CSV file to append rows to")
    parser.add_argument("--first-solution", help="PlanOptions.first_solution (default: its own)")
    parser.add_argument("--metaheuristic", help="PlanOptions.metaheuristic (default: its own)")
    parser.add_argument(
        "--workers", type=int, help="PlanOptions.workers: parallel multi-start (default: 1)"
    )
    parser.add_argument(
        "--cvrp-fleet", type=int, help="cvrp without --peer: trucks given to wasteopt"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler", metavar="tcp://HOST:8786", help="run instances x seeds on this Dask cluster"
    )
    where.add_argument(
        "--local-workers",
        type=int,
        metavar="N",
        help="run instances x seeds on N local worker processes (one core each)",
    )
    parser.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        help="candidate search setting for the core (benchmarks.variants), measured from outside",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    extra = {}
    if args.first_solution:
        extra["first_solution"] = args.first_solution
    if args.metaheuristic:
        extra["metaheuristic"] = args.metaheuristic
    if args.workers:
        extra["workers"] = args.workers
    options = PlanOptions(time_limit_s=args.time_limit, seed=args.seed[0], **extra)
    if args.cvrp_fleet is not None and (args.suite != "cvrp" or args.peer or args.cvrp_fleet < 1):
        parser.error("--cvrp-fleet takes a positive count, for --suite cvrp without --peer")
    files = select(suite_files(args.suite, args.dir), args.instances)
    if not files:
        print(f"no .vrp files for suite {args.suite}", file=sys.stderr)
        return 2
    if args.local_workers is not None and args.local_workers < 1:
        parser.error("--local-workers takes a positive count")
    if args.variant:
        print(f"# variant: {args.variant}")
    with ExitStack() as stack:
        client = None
        if args.scheduler or args.local_workers:
            client = stack.enter_context(open_client(args.scheduler, args.local_workers))
        run(
            args.suite,
            files,
            options,
            args.peer,
            args.out,
            fleet=args.cvrp_fleet,
            seeds=args.seed,
            client=client,
            variant=args.variant,
            clock=args.clock,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
