"""``wasteopt compare``: route today's configuration and each scenario, side by side."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wasteopt.bounds import time_limit_problem
from wasteopt.cli.language import add_language_option
from wasteopt.cli.progress import ProgressLine
from wasteopt.errors import WasteoptError
from wasteopt.io import load_instance
from wasteopt.planning import PlanOptions, resolve_provider
from wasteopt.scenario import (
    COMPARISON_FILE,
    compare_scenarios,
    comparison_rows,
    comparison_verdict,
    format_comparison,
    load_scenario,
    with_today,
    write_comparison,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="compare what-if scenarios by routing each day",
        description="Apply each scenario file to the instance, plan the day (both tiers, "
        "checked), assess its impact and print a side-by-side table with each scenario's "
        "difference from the first and a verdict line. Today's configuration comes first "
        "unless --no-today or a scenario is named 'today' (`wasteopt site` writes today.json "
        "with the location model's estimate). Writes to --out the table as comparison.csv "
        "(UTF-8 with BOM) and each scenario's plan.json, routes.geojson and sheets/ in a "
        "folder named after it.",
        epilog="examples:\n"
        "  wasteopt site instances/examples/small.json --out out/site\n"
        "  wasteopt compare instances/examples/small.json out/site/scenario.json"
        " --time-limit 10 --out out/compare",
    )
    parser.add_argument("instance", type=Path, help="instance JSON file")
    parser.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO", help="JSON files")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=30.0,
        metavar="S",
        help="routing seconds per scenario (collection tier; default 30)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument("--graph", type=Path, help="road graph instead of the instance's own")
    parser.add_argument("--no-today", action="store_true", help="leave out today's column")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("out/compare"),
        metavar="DIR",
        help="output directory (default ./out/compare)",
    )
    add_language_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.time_limit <= 0:
        raise WasteoptError("--time-limit must be positive")
    if (problem := time_limit_problem(args.time_limit)) is not None:
        raise WasteoptError(f"--time-limit: {problem}")
    instance = load_instance(args.instance)
    scenarios = with_today([load_scenario(path) for path in args.scenarios], not args.no_today)
    provider = resolve_provider(instance, args.instance.parent, args.graph)
    options = PlanOptions(time_limit_s=args.time_limit, seed=args.seed)
    with ProgressLine(sys.stderr) as line:
        outcomes = compare_scenarios(instance, scenarios, provider, options, line.update)
    rows = comparison_rows(outcomes)
    print(format_comparison(outcomes, rows))
    print(comparison_verdict(outcomes))
    written = write_comparison(outcomes, rows, args.out, provider, args.lang)
    print(f"wrote {len(written)} files to {args.out}/: {COMPARISON_FILE}, one folder per scenario")
    return 0
