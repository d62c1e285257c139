"""``wasteopt validate``: list every problem of an instance."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wasteopt.errors import InstanceError
from wasteopt.io import load_instance
from wasteopt.validate import find_problems


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="list every problem in an instance",
        description="Check an instance's schema, ids and semantics (streams, payloads, gate "
        "hours, capacities). Exit 0 when valid, 2 with one line per problem.",
        epilog="example:\n  wasteopt validate instances/daoxian/instance.json",
    )
    parser.add_argument("instance", type=Path, help="instance JSON file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        instance = load_instance(args.instance)
        problems = find_problems(instance)
    except InstanceError as exc:
        problems = exc.problems
    if not problems:
        print(
            f"{args.instance}: valid — {len(instance.points)} points, "
            f"{len(instance.facilities)} facilities, "
            f"{sum(vt.count for vt in instance.vehicle_types)} vehicles"
        )
        return 0
    for location, message in problems:
        where = location if location == str(args.instance) else f"{args.instance}: {location}"
        print(f"{where}: {message}", file=sys.stderr)
    return 2
