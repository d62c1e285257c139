"""``wasteopt plan``: the day's routes for both tiers, checked, summarised and written out."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from wasteopt.bounds import time_limit_problem
from wasteopt.cli.grid import add_grid_options, grid_from_args
from wasteopt.cli.interrupt import StopOnInterrupt
from wasteopt.cli.language import add_language_option
from wasteopt.cli.progress import ProgressLine
from wasteopt.errors import WasteoptError
from wasteopt.export import write_outputs
from wasteopt.impact import NATIONAL_GRID, format_impact
from wasteopt.io import load_instance
from wasteopt.planning import PlanOptions, graph_path, plan_day_full, resolve_provider
from wasteopt.provenance import describe
from wasteopt.summary import format_summary


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="plan tomorrow's collection and transfer routes",
        description="Plan both tiers, verify the plan with the checker, print a summary and "
        "write plan.json, routes.geojson and sheets/<vehicle>.csv to --out.",
        epilog="examples:\n"
        "  wasteopt plan instances/daoxian/instance.json --graph graphs/daoxian.graphml"
        " --out out/daoxian\n"
        "  wasteopt plan instances/examples/small.json --time-limit 10 --seed 1"
        " --solution-limit 50",
    )
    parser.add_argument("instance", type=Path, help="instance JSON file")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=30.0,
        metavar="S",
        help="search seconds for the collection tier (default 30)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument(
        "--solution-limit",
        type=int,
        default=None,
        metavar="N",
        help="stop after N improving solutions (deterministic runs)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="parallel searches with consecutive seeds on N cores, best kept (default 1)",
    )
    parser.add_argument(
        "--graph",
        type=Path,
        default=None,
        help="road graph (GraphML/OSM) instead of the instance's own",
    )
    parser.add_argument(
        "--speeds",
        type=Path,
        default=None,
        metavar="FILE",
        help="truck speed overrides for the road graph: JSON {class: km/h} or CSV",
    )
    parser.add_argument(
        "--date",
        default=None,
        metavar="YYYY-MM-DD",
        help="the day planned (default: the instance's date, else tomorrow)",
    )
    add_grid_options(parser)
    add_language_option(parser)
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="output directory (default ./out)"
    )
    parser.set_defaults(func=run)


def plan_date(given: str | None, instance_date: str | None) -> str:
    """The day to plan: ``--date``, else the instance's date, else tomorrow (local time)."""
    if given is None:
        return instance_date or (dt.date.today() + dt.timedelta(days=1)).isoformat()
    try:
        return dt.date.fromisoformat(given).isoformat()
    except ValueError:
        raise WasteoptError(
            f"--date {given!r}: give a day as YYYY-MM-DD, e.g. 2025-03-01"
        ) from None


def run(args: argparse.Namespace) -> int:
    if args.time_limit <= 0 or args.workers < 1:
        print("wasteopt: error: --time-limit and --workers must be positive", file=sys.stderr)
        return 2
    if (problem := time_limit_problem(args.time_limit)) is not None:
        raise WasteoptError(f"--time-limit: {problem}")
    instance = load_instance(args.instance)
    date = plan_date(args.date, instance.date)
    grid = grid_from_args(args) or NATIONAL_GRID
    speeds = None
    if args.speeds is not None:
        from wasteopt.network import read_speed_file

        speeds = read_speed_file(args.speeds)
    provider = resolve_provider(instance, args.instance.parent, args.graph, speeds)
    options = PlanOptions(
        time_limit_s=args.time_limit,
        seed=args.seed,
        solution_limit=args.solution_limit,
        workers=args.workers,
    )
    provenance = describe(
        instance,
        provider,
        options,
        grid,
        instance_path=args.instance,
        graph_path=graph_path(instance, args.instance.parent, args.graph),
        speeds=speeds,
    )
    started = time.perf_counter()
    with StopOnInterrupt(sys.stderr) as interrupt, ProgressLine(sys.stderr) as line:
        result = plan_day_full(
            instance.model_copy(update={"date": date}),
            provider,
            options,
            progress=line.update,
            should_stop=interrupt.requested,
            provenance=provenance,
        )
    written = write_outputs(instance, result.plan, args.out, provider, args.lang)
    print(format_summary(instance, result.plan))
    print(format_impact(result.impact, caveats=False))
    elapsed = time.perf_counter() - started
    if any(stats.stopped_early for stats in result.plan.stats):
        print(f"  stopped early (Ctrl-C) after {elapsed:.1f} s: the best plan found by then")
    if any(stats.time_limited for stats in result.plan.stats):
        print(
            "  the time limit ended a tier's search before its solution limit: a rerun may"
            " give another plan (raise --time-limit for one that repeats)"
        )
    print(f"  checked: no violations; solved in {elapsed:.1f} s")
    print(f"  wrote {len(written)} files to {args.out}/ (plan.json, routes.geojson, sheets/)")
    return 0
