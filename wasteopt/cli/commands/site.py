"""``wasteopt site``: choose transfer stations and write the configuration as a scenario."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from dataclasses import replace
from pathlib import Path

from wasteopt.cli.progress import ProgressLine
from wasteopt.errors import WasteoptError
from wasteopt.io import load_instance, write_text_atomic
from wasteopt.matrix import MatrixProvider
from wasteopt.model import Facility, Instance
from wasteopt.planning import resolve_provider
from wasteopt.scenario import save_scenario, scenario_from_siting
from wasteopt.siting import SitingOptions, SitingResult, read_candidates_csv, site


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


def run(args: argparse.Namespace) -> int:
    if args.time_limit <= 0:
        raise WasteoptError("--time-limit must be positive")
    if args.open is not None and (args.min is not None or args.max is not None):
        raise WasteoptError("give --open K, or --min/--max, not both")
    instance = load_instance(args.instance)
    added = read_candidates_csv(args.candidates) if args.candidates else []
    force_open = args.force_open
    if args.keep_existing:
        force_open |= {
            f.id for f in instance.facilities if f.kind == "transfer_station" and f.status == "open"
        }
    options = SitingOptions(
        open_exactly=args.open,
        min_open=args.min,
        max_open=args.max,
        budget=args.budget,
        force_open=force_open,
        force_closed=args.force_closed,
        allow_direct=not args.no_direct,
        direct_max_km=args.direct_max_km,
        by_township=args.by_township,
        carbon_price_per_t=args.carbon_price,
        time_limit_s=args.time_limit,
        gap_limit=args.gap,
        seed=args.seed,
    )
    provider = resolve_provider(instance, args.instance.parent, args.graph)
    with ProgressLine(sys.stderr) as line:
        result = site(instance, provider, options, added, progress=line.update)
    scenario = scenario_from_siting(
        instance, result, args.name, added, f"chosen by `wasteopt site` from {args.instance.name}"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    save_scenario(scenario, args.out / "scenario.json")
    write_text_atomic(args.out / "assignment.csv", _assignment_csv(instance, result, added))
    print(_summary(result))
    written = ["scenario.json", "assignment.csv"]
    today = _today(instance, provider, options)
    if today is not None:
        save_scenario(
            scenario_from_siting(instance, today, "today", (), _TODAY), args.out / "today.json"
        )
        written.append("today.json")
        saving = today.cost.total - result.cost.total
        slack = (result.objective - result.bound) + (today.objective - today.bound)
        note = " (within the solvers' gaps: no real difference)" if abs(saving) <= slack else ""
        print(
            f"  today's stations, same model: {today.cost.total:,.0f} CNY/yr;"
            f" the choice saves {saving:,.0f} CNY/yr{note}"
        )
    print(f"  wrote {', '.join(written)} to {args.out}/")
    return 0


_TODAY = "today's open stations, estimated by the location model"


def _today(
    instance: Instance, provider: MatrixProvider, options: SitingOptions
) -> SitingResult | None:
    """The location model's estimate of today's configuration (None if it cannot serve)."""
    stations = [f for f in instance.facilities if f.kind == "transfer_station"]
    today = replace(
        options,
        open_exactly=None,
        min_open=None,
        max_open=None,
        budget=None,
        force_open=frozenset(f.id for f in stations if f.status == "open"),
        force_closed=frozenset(f.id for f in stations if f.status != "open"),
    )
    try:
        return site(instance, provider, today)
    except WasteoptError as exc:
        print(f"  today's stations cannot be estimated under these options: {exc}")
        return None


def _summary(result: SitingResult) -> str:
    gap = "proven optimal"
    if result.status != "optimal":
        stop = "gap limit" if result.status == "gap_limit" else "time limit"
        gap = f"{stop}: within {result.gap:.3%} ({result.objective - result.bound:,.0f} CNY/yr)"
        gap += " of the proven optimum"
    cost = result.cost
    lines = [
        f"Siting over {len(result.candidates)} candidate station(s): {gap}, {result.seconds:.1f} s",
        f"  open ({len(result.open_stations)}):",
    ]
    for sid in result.open_stations:
        lines.append(
            f"    {sid:<16} {result.station_load_t[sid]:>8.1f} t/day"
            f"  {result.transfer_trips_per_day[sid]:>3} container trips/day"
        )
    direct = sum(1 for d in result.assignment.values() if d not in result.station_load_t)
    lines += [
        f"  points hauled direct to the plant: {direct} of {len(result.assignment)}",
        "  estimated annual cost (CNY/yr):",
        f"    stations {cost.station_fixed:>14,.0f}   collection {cost.collection:>14,.0f}",
        f"    transfer {cost.transfer:>14,.0f}   handling   {cost.handling:>14,.0f}",
        f"    carbon   {cost.carbon:>14,.0f}   total      {cost.total:>14,.0f}",
        f"  line-haul {result.vehicle_km_per_day:,.0f} vehicle-km/day,"
        f" {result.co2e_t_per_year:,.0f} t CO2e/yr",
    ]
    return "\n".join(lines)


def _assignment_csv(instance: Instance, result: SitingResult, added: list[Facility]) -> str:
    names = {s.id: s.name for s in [*instance.sites, *added]}
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["point_id", "name", "stream", "tonnes_per_day", "destination", "dest_name"])
    for p in instance.points:
        dest = result.assignment[p.id]
        writer.writerow([p.id, p.name, p.stream, f"{p.tonnes_per_day:.3f}", dest, names[dest]])
    return out.getvalue()
