"""``wasteopt check``: run the independent checker on any plan file."""

from __future__ import annotations

import argparse
from pathlib import Path

from wasteopt.check import check_plan
from wasteopt.cli.inputs import add_plan_files, plan_inputs, plan_provider
from wasteopt.replan.roads import replan_steps, roads_over_the_day


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="verify a plan against its instance",
        description="Recompute every load, time, window, gate hour, shift, break, capacity and "
        "coverage rule of PLAN from its instance, on the road graph and speeds it was made "
        "with (both found from the plan's provenance, or given). Exit 0 when clean, 1 with "
        "the violations, 2 when an input is missing.",
        epilog="examples:\n"
        "  wasteopt check out/daoxian/plan.json\n"
        "  wasteopt check instances/daoxian/instance.json out/daoxian/plan.json",
    )
    add_plan_files(parser)
    parser.add_argument(
        "--graph",
        type=Path,
        default=None,
        help="road graph the plan was made on, if not the one it records",
    )
    parser.add_argument(
        "--speeds",
        type=Path,
        default=None,
        metavar="FILE",
        help="truck speed overrides the plan was made with, if not the ones it records"
        " (a re-plan made with --speeds records none)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    inputs = plan_inputs(args.files)
    instance, plan = inputs.instance, inputs.plan
    speeds = None
    if args.speeds is not None:
        from wasteopt.network import read_speed_file

        speeds = read_speed_file(args.speeds)
    provider, speeds = plan_provider(inputs, args.graph, speeds)
    # a re-plan's legs are checked against the roads of their time (its road events recorded)
    steps = replan_steps(plan)
    _, matrices, earlier = roads_over_the_day(steps, instance.sites, provider, speeds)
    violations = check_plan(instance, plan, matrices, earlier)
    if not violations:
        print(f"{inputs.plan_path}: OK — {len(plan.routes)} routes, no violations")
        return 0
    print(f"{inputs.plan_path}: {len(violations)} violation(s)")
    for violation in violations:
        print(f"  {violation}")
    return 1
