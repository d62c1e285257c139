"""``wasteopt report``: a plan's circular-economy impact as text, and optionally as CSV."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from wasteopt.errors import WasteoptError
from wasteopt.impact import assess, format_impact, impact_csv
from wasteopt.io import load_instance, load_plan, write_text_atomic

SHIPPED_INSTANCES = Path(__file__).resolve().parents[3] / "instances" / "daoxian"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="energy, CO2e, power, bricks and targets of a plan",
        description="Assess a plan: fuel and electricity per route, CO2e, incinerator and "
        "biogas power, slag bricks, plant intake and the county plan's 2025 targets. "
        "Prints the figures per day and per year (x365); --out also writes them as CSV.",
        epilog="examples:\n"
        "  wasteopt report out/daoxian/plan.json --out out/daoxian/impact.csv\n"
        "  wasteopt report out/small/plan.json --instance instances/examples/small.json",
    )
    parser.add_argument("plan", type=Path, help="plan.json written by 'wasteopt plan'")
    parser.add_argument(
        "--instance",
        type=Path,
        default=None,
        help="the instance the plan was made for (default: the shipped Daoxian scenario "
        "whose name matches the plan's)",
    )
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
    plan = load_plan(args.plan)
    instance = load_instance(args.instance or shipped_instance(plan.instance_name))
    report = assess(instance, plan)
    print(format_impact(report))
    if args.out is not None:
        write_text_atomic(args.out, "\ufeff" + impact_csv(report), encoding="utf-8")
        print(f"  wrote {args.out}")
    return 0
