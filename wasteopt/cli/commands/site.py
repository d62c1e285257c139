"""``wasteopt site``: choose transfer stations and write the configuration as a scenario."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wasteopt.cli.progress import ProgressLine
from wasteopt.errors import OptionsError, WasteoptError
from wasteopt.io import load_instance, write_text_atomic
from wasteopt.planning import resolve_provider
from wasteopt.scenario import save_scenario, scenario_from_siting
from wasteopt.siting import SitingOptions, choose_stations, estimate_today, read_candidates_csv
from wasteopt.siting.report import (
    ASSIGNMENT_FILE,
    SCENARIO_FILE,
    TODAY_FILE,
    assignment_csv,
    siting_summary,
    versus_today,
)


def _ids(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "site",
        help="choose which transfer stations to open (facility location)",
        description="Choose transfer stations among the instance's (and --candidates') sites "
        "at least annual cost, print the choice and write it to --out as scenario.json (for "
        "`wasteopt compare`) and assignment.csv. Stations with status 'closed' stay closed "
        "unless forced open.",
        epilog="examples:\n"
        "  wasteopt site instances/daoxian/instance.json --min 8 --max 12 --out out/site\n"
        "  wasteopt site instances/daoxian/instance.json --open 10 --force-open ts-lefutang"
        " --force-closed ts-gongba",
    )
    parser.add_argument("instance", type=Path, help="instance JSON file")
    parser.add_argument(
        "--candidates", type=Path, metavar="FILE.csv", help="extra candidate sites (CSV)"
    )
    parser.add_argument("--open", type=int, metavar="K", help="open exactly K stations")
    parser.add_argument("--min", type=int, metavar="K", help="open at least K stations")
    parser.add_argument("--max", type=int, metavar="M", help="open at most M stations")
    parser.add_argument(
        "--budget", type=float, metavar="X", help="ceiling on stations' fixed cost, CNY/yr"
    )
    parser.add_argument(
        "--force-open",
        type=_ids,
        default=frozenset(),
        metavar="IDS",
        help="comma-separated station ids that must be open, e.g. ts-chengqu,ts-lefutang"
        " (instance or --candidates stations, whatever their status)",
    )
    parser.add_argument(
        "--force-closed",
        type=_ids,
        default=frozenset(),
        metavar="IDS",
        help="comma-separated station ids that must stay closed, e.g. ts-gongba",
    )
    parser.add_argument(
        "--keep-existing", action="store_true", help="keep every station open today open"
    )
    parser.add_argument(
        "--no-direct", action="store_true", help="all waste passes a transfer station"
    )
    parser.add_argument(
        "--direct-max-km",
        type=float,
        metavar="KM",
        help="no direct haul to the plant from points farther than KM",
    )
    parser.add_argument(
        "--by-township", action="store_true", help="send each township to one destination"
    )
    parser.add_argument(
        "--carbon-price", type=float, default=0.0, metavar="CNY", help="CNY per t CO2e"
    )
    parser.add_argument(
        "--time-limit", type=float, default=60.0, metavar="S", help="seconds (default 60)"
    )
    parser.add_argument(
        "--gap",
        type=float,
        default=1e-3,
        metavar="FRACTION",
        help="stop within this share of the proven optimum (default 0.001; 0 = prove it)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument("--graph", type=Path, help="road graph instead of the instance's own")
    parser.add_argument("--name", default="sited", help="scenario name (default 'sited')")
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="output directory (default ./out)"
    )
    parser.set_defaults(func=run)


_FLAGS = {
    "open_exactly": "--open",
    "min_open": "--min",
    "max_open": "--max",
    "budget": "--budget",
    "force_open": "--force-open",
    "force_closed": "--force-closed",
    "direct_max_km": "--direct-max-km",
    "carbon_price_per_t": "--carbon-price",
    "time_limit_s": "--time-limit",
    "gap_limit": "--gap",
}


def _options(args: argparse.Namespace) -> SitingOptions:
    """The command line as SitingOptions; a problem names the flag, not the field."""
    try:
        return _build_options(args)
    except OptionsError as exc:
        raise OptionsError([(_FLAGS.get(loc, loc), msg) for loc, msg in exc.problems]) from None


def _build_options(args: argparse.Namespace) -> SitingOptions:
    return SitingOptions(
        open_exactly=args.open,
        min_open=args.min,
        max_open=args.max,
        budget=args.budget,
        force_open=args.force_open,
        force_closed=args.force_closed,
        keep_existing=args.keep_existing,
        allow_direct=not args.no_direct,
        direct_max_km=args.direct_max_km,
        by_township=args.by_township,
        carbon_price_per_t=args.carbon_price,
        time_limit_s=args.time_limit,
        gap_limit=args.gap,
        seed=args.seed,
    )


def run(args: argparse.Namespace) -> int:
    options = _options(args)
    instance = load_instance(args.instance)
    added = read_candidates_csv(args.candidates) if args.candidates else []
    provider = resolve_provider(instance, args.instance.parent, args.graph)
    with ProgressLine(sys.stderr) as line:
        result = choose_stations(instance, provider, options, added, progress=line.update)
    scenario = scenario_from_siting(
        instance, result, args.name, added, f"chosen by `wasteopt site` from {args.instance.name}"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    save_scenario(scenario, args.out / SCENARIO_FILE)
    write_text_atomic(args.out / ASSIGNMENT_FILE, assignment_csv(instance, result, added))
    print(siting_summary(result))
    written = [SCENARIO_FILE, ASSIGNMENT_FILE]
    try:
        today = estimate_today(instance, provider, options)
    except WasteoptError as exc:
        print(f"  today's stations cannot be estimated under these options: {exc}")
    else:
        save_scenario(
            scenario_from_siting(instance, today, "today", (), _TODAY), args.out / TODAY_FILE
        )
        written.append(TODAY_FILE)
        print(f"  {versus_today(result, today)}")
    print(f"  wrote {', '.join(written)} to {args.out}/")
    return 0


_TODAY = "today's open stations, estimated by the location model"
