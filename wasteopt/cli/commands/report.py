"""``wasteopt report``: a plan's circular-economy impact as text, and optionally as CSV."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from wasteopt.cli.grid import add_grid_options, grid_from_args
from wasteopt.cli.inputs import add_plan_files, plan_inputs
from wasteopt.errors import WasteoptError
from wasteopt.impact import assess, format_impact, impact_csv
from wasteopt.io import load_plan, write_text_atomic

SHIPPED_INSTANCES = Path(__file__).resolve().parents[3] / "instances" / "daoxian"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="energy, CO2e, power, bricks and targets of a plan",
        description="Assess a plan: fuel and electricity per route, CO2e, incinerator and "
        "biogas power, slag bricks, plant intake and the county plan's 2025 targets. "
        "Prints the figures per day and per year (x365); --out also writes them as CSV. "
        "The instance is the one the plan records, unless given.",
        epilog="examples:\n"
        "  wasteopt report out/daoxian/plan.json --out out/daoxian/impact.csv\n"
        "  wasteopt report out/daoxian/plan.json --grid-factor 0.5 --grid-source '华中区域电网'\n"
        "  wasteopt report instances/examples/small.json out/small/plan.json",
    )
    add_plan_files(parser)
    parser.add_argument(
        "--instance",
        type=Path,
        default=None,
        help="the instance the plan was made for (default: the one the plan records; for a "
        "plan without provenance, the shipped Daoxian scenario of the plan's name)",
    )
    add_grid_options(parser)
    parser.add_argument(
        "--out", type=Path, default=None, metavar="FILE.csv", help="write the report as CSV"
    )
    parser.set_defaults(func=run)


def shipped_instance(name: str) -> Path:
    """The shipped instance file named ``name`` (instances/daoxian/*.json)."""
    for path in sorted(SHIPPED_INSTANCES.glob("*.json")):
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("name") == name:
                return path
        except (OSError, ValueError):
            continue
    raise WasteoptError(
        f"no shipped instance is named {name!r}; pass the plan's instance with --instance FILE"
    )


def run(args: argparse.Namespace) -> int:
    instance_path = args.instance
    if instance_path is None and len(args.files) == 1:
        plan = load_plan(args.files[0])
        if plan.provenance is None:
            instance_path = shipped_instance(plan.instance_name)
    inputs = plan_inputs(args.files, instance_path)
    report = assess(inputs.instance, inputs.plan, grid_from_args(args))
    print(format_impact(report))
    if args.out is not None:
        write_text_atomic(args.out, "\ufeff" + impact_csv(report), encoding="utf-8")
        print(f"  wrote {args.out}")
    return 0
