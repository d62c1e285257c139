"""``wasteopt replan``: re-plan the rest of the day from the state at a clock time."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from wasteopt.bounds import time_limit_problem
from wasteopt.cli.interrupt import StopOnInterrupt
from wasteopt.cli.language import add_language_option
from wasteopt.cli.progress import ProgressLine
from wasteopt.errors import InstanceError, WasteoptError
from wasteopt.export import routes_geojson, sheet_csv
from wasteopt.io import dump_json, load_instance, load_plan, write_text_atomic
from wasteopt.model import CLOCK_PATTERN, Instance, Plan, clock_to_seconds
from wasteopt.planning import resolve_provider
from wasteopt.replan import (
    DEFAULT_MOVE_PENALTY,
    ReplanOptions,
    build_day,
    load_actuals,
    load_events,
    replan_day,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "replan",
        help="re-plan the rest of the day after a breakdown, an extra pickup, a closed road...",
        description="Derive each truck's position, load and done stops at --at from PLAN (and "
        "--actual reports), apply --events, re-plan what is not done yet with the same routing "
        "core, verify the whole day with the checker and write plan.json, instance.json (the "
        "day's instance the plan is checked against), diff.json, routes.geojson and the new "
        "sheets of the trucks whose stops changed (all of them with --all-sheets).",
        epilog="examples:\n"
        "  wasteopt replan out/daoxian/plan.json --at 10:30"
        " --events instances/examples/small_events.json --instance instances/examples/small.json"
        " --out out/replan\n"
        "  wasteopt replan out/daoxian/plan.json --at 10:30 --events events.json"
        " --instance instances/daoxian/instance.json --graph graphs/daoxian.graphml"
        " --actual actual.json --out out/1030\n"
        "  wasteopt replan out/1030/plan.json --at 13:00 --events more.json --out out/1300",
    )
    parser.add_argument(
        "plan", type=Path, help="the plan being revised (plan.json; a re-plan's too)"
    )
    parser.add_argument("--at", required=True, metavar="HH:MM", help="re-plan time")
    parser.add_argument("--events", type=Path, required=True, help="events JSON file")
    parser.add_argument(
        "--actual",
        type=Path,
        default=None,
        help="reported stops with real times, and positions of trucks on the road (JSON)",
    )
    parser.add_argument(
        "--instance",
        type=Path,
        default=None,
        help="the plan's instance (default: a re-plan's instance.json beside it, else the"
        " plan's record)",
    )
    parser.add_argument("--graph", type=Path, default=None, help="road graph (GraphML/OSM)")
    parser.add_argument(
        "--speeds", type=Path, default=None, metavar="FILE", help="truck speed overrides"
    )
    parser.add_argument(
        "--time-limit", type=float, default=10.0, metavar="S", help="search seconds (default 10)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument(
        "--solution-limit", type=int, default=None, metavar="N", help="deterministic runs"
    )
    parser.add_argument(
        "--stability",
        type=float,
        default=DEFAULT_MOVE_PENALTY,
        metavar="CNY",
        help="price of each point moved to another truck; 0 turns it off"
        f" (default {DEFAULT_MOVE_PENALTY:g})",
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument(
        "--all-sheets", action="store_true", help="write every truck's sheet, not only changed"
    )
    add_language_option(parser)
    parser.set_defaults(func=run)


def _instance_path(args: argparse.Namespace, plan: Plan) -> Path:
    """--instance, else the day's instance a re-plan wrote beside its plan, else the one the
    plan records."""
    if args.instance is not None:
        return args.instance
    beside = args.plan.parent / "instance.json"
    if plan.replans and beside.exists():
        return beside
    record = plan.provenance
    recorded = record.instance.path if record is not None and record.instance else None
    if recorded is None:
        raise InstanceError([("--instance", "the plan does not record its instance; give it")])
    return Path(recorded)


def _clock(text: str) -> int:
    if not re.fullmatch(CLOCK_PATTERN, text):
        raise InstanceError([("--at", f"{text!r} is not a clock time HH:MM")])
    return clock_to_seconds(text)


def _day_instance_text(instance: Instance, graph: Path | None) -> str:
    """The day's instance as JSON, its road graph (if any) named by absolute path."""
    settings = instance.settings.model_copy(
        update={"graph": str(graph.resolve()) if graph is not None else None}
    )
    return dump_json(instance.model_copy(update={"settings": settings}))


def run(args: argparse.Namespace) -> int:
    if args.time_limit <= 0 or args.stability < 0:
        print("wasteopt: error: --time-limit must be positive, --stability >= 0", file=sys.stderr)
        return 2
    if (problem := time_limit_problem(args.time_limit)) is not None:
        raise WasteoptError(f"--time-limit: {problem}")
    at_s = _clock(args.at)
    plan = load_plan(args.plan)
    instance_path = _instance_path(args, plan)
    instance = load_instance(instance_path)
    events = load_events(args.events)
    actuals = load_actuals(args.actual) if args.actual is not None else None
    speeds = None
    if args.speeds is not None:
        from wasteopt.network import read_speed_file

        speeds = read_speed_file(args.speeds)
    provider = resolve_provider(instance, instance_path.parent, args.graph, speeds)
    day = build_day(instance, plan, at_s, events, actuals)
    options = ReplanOptions(
        time_limit_s=args.time_limit,
        seed=args.seed,
        solution_limit=args.solution_limit,
        move_penalty=args.stability,
    )
    started = time.perf_counter()
    with StopOnInterrupt(sys.stderr) as interrupt, ProgressLine(sys.stderr) as line:
        result = replan_day(
            instance, plan, day, provider, options, line.update, interrupt.requested, speeds
        )
    graph = args.graph or (
        instance_path.parent / instance.settings.graph if instance.settings.graph else None
    )
    routes = {route.vehicle_id: route for route in result.plan.routes}
    sheets = sorted(routes) if args.all_sheets else result.diff.affected
    out = args.out
    files = {
        out / "plan.json": dump_json(result.plan),
        out / "instance.json": _day_instance_text(result.instance, graph),
        out / "diff.json": dump_json(result.diff),
        out / "routes.geojson": json.dumps(
            routes_geojson(result.instance, result.plan, result.network), ensure_ascii=False
        ),
    }
    for vehicle_id in sheets:
        if vehicle_id in routes:
            files[out / "sheets" / f"{vehicle_id}.csv"] = sheet_csv(
                result.instance,
                routes[vehicle_id],
                result.plan.date,
                result.plan.caveats,
                args.lang,
            )
    for path, text in files.items():
        write_text_atomic(path, text)
    if result.kept:
        print("  no re-plan saves more than its changes cost: the plan stands")
    print(result.diff.summary())
    elapsed = time.perf_counter() - started
    print(f"  checked: no violations (the whole day); re-planned in {elapsed:.1f} s")
    which = "every truck" if args.all_sheets else "the trucks whose stops changed"
    print(f"  wrote {len(files)} files to {out}/ (sheets of {which}: {len(sheets)})")
    return 0
