"""``wasteopt check``: run the independent checker on any plan file."""

from __future__ import annotations

import argparse
from pathlib import Path

from wasteopt.check import check_plan
from wasteopt.io import load_instance, load_plan
from wasteopt.planning import resolve_provider


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="verify a plan against its instance",
        description="Recompute every load, time, window, gate hour, shift, break, capacity and "
        "coverage rule of PLAN from INSTANCE. Exit 0 when clean, 1 with the violations.",
        epilog="example:\n"
        "  wasteopt check instances/daoxian/instance.json out/daoxian/plan.json"
        " --graph graphs/daoxian.graphml",
    )
    parser.add_argument("instance", type=Path, help="instance JSON file")
    parser.add_argument("plan", type=Path, help="plan JSON file (plan.json)")
    parser.add_argument(
        "--graph",
        type=Path,
        default=None,
        help="road graph the plan was made on, if not the instance's own",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    instance = load_instance(args.instance)
    plan = load_plan(args.plan)
    provider = resolve_provider(instance, args.instance.parent, args.graph)
    violations = check_plan(instance, plan, provider.matrices(instance.sites))
    if not violations:
        print(f"{args.plan}: OK — {len(plan.routes)} routes, no violations")
        return 0
    print(f"{args.plan}: {len(violations)} violation(s)")
    for violation in violations:
        print(f"  {violation}")
    return 1
