"""Re-planning the Daoxian day after a breakdown: how soon a checker-clean plan is back, how
many points move with and without the stability price, and what the breakdown costs.

    python -m benchmarks.replan_daoxian --plan out/daoxian/plan.json --runs 3

At each time, the collection truck on the road with the most waste on board breaks down. The
first figure is the wall time of ``build_day`` + ``replan_day`` keeping each tier's first
solution (state, events, both tiers' rests, stitching, the checker, impact), the road graph and its
matrices already loaded (as in the API's worker); the median of ``--runs``. The second is the
same with 1 s of search, and the points it leaves unserved. The others come from one re-plan
each with ``--time-limit`` seconds, stability on (the default price) and off.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from wasteopt.errors import WasteoptError
from wasteopt.io import load_instance, load_plan
from wasteopt.model import Instance, Plan, clock_to_seconds
from wasteopt.planning import resolve_provider, route_cost
from wasteopt.replan import (
    DEFAULT_MOVE_PENALTY,
    ReplanOptions,
    build_day,
    events_from_data,
    replan_day,
)

ROOT = Path(__file__).resolve().parents[1]
# the quickest checked plan: the first solution of each tier's rest, no improvement (the
# broken-down truck's points are left unserved: its collection rest starts from the plan)
FIRST = ReplanOptions(time_limit_s=30, solution_limit=1, metaheuristic="greedy_descent")
# a short search, which gives the broken-down truck's points to other trucks
SHORT = ReplanOptions(time_limit_s=1)


def broken_truck(instance: Instance, plan: Plan, at_s: int) -> str:
    """The collection truck on the road at ``at_s`` with the most waste on board."""
    state = build_day(instance, plan, at_s, []).state
    working = [
        v
        for v in state.vehicles.values()
        if v.status == "working" and v.vehicle_type.tier == "collection"
    ]
    return max(working, key=lambda v: (v.load_t, v.vehicle_id)).vehicle_id


def run(instance: Instance, plan: Plan, provider, at: str, options: ReplanOptions):
    at_s = clock_to_seconds(at)
    events = events_from_data(
        [{"type": "breakdown", "vehicle": broken_truck(instance, plan, at_s)}]
    )
    started = time.perf_counter()
    day = build_day(instance, plan, at_s, events)
    result = replan_day(instance, plan, day, provider, options)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, required=True, help="the morning plan.json")
    parser.add_argument("--instance", type=Path, default=ROOT / "instances/daoxian/instance.json")
    parser.add_argument("--graph", type=Path, default=ROOT / "graphs/daoxian.graphml")
    parser.add_argument("--times", default="08:00,10:30,13:00")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=20.0)
    args = parser.parse_args()
    instance = load_instance(args.instance)
    plan = load_plan(args.plan)
    provider = resolve_provider(instance, args.instance.parent, args.graph)
    provider.matrices(instance.sites)  # load once, as a server does
    print(f"morning: {plan.cost:,.2f} CNY, {len(plan.unserved)} unserved, {_backlog(plan)} t left")
    print("time | broken truck | first checker-clean re-plan, s: median (runs)")
    for at in args.times.split(","):
        first = [run(instance, plan, provider, at, FIRST) for _ in range(args.runs)]
        truck = broken_truck(instance, plan, clock_to_seconds(at))
        runs = ", ".join(f"{s:.2f}" for s, _ in first)
        median = statistics.median(s for s, _ in first)
        left = ", ".join(_backlog(result.plan) for _, result in first)
        print(f"{at} | {truck} | {median:.2f} ({runs}); left at stations ({left}) t", flush=True)
        short = [run(instance, plan, provider, at, SHORT) for _ in range(args.runs)]
        runs = ", ".join(f"{s:.2f}" for s, _ in short)
        median = statistics.median(s for s, _ in short)
        unserved = ", ".join(str(len(result.plan.unserved)) for _, result in short)
        print(f"  {SHORT.time_limit_s:g} s search: {median:.2f} ({runs}); unserved ({unserved})")
        for label, price in (("stability on", DEFAULT_MOVE_PENALTY), ("stability off", 0.0)):
            options = ReplanOptions(time_limit_s=args.time_limit, move_penalty=price)
            try:
                seconds, result = run(instance, plan, provider, at, options)
            except WasteoptError as error:
                print(f"  {label}: {error}", flush=True)
                continue
            print(
                f"  {label}: {seconds:.1f} s, moved {len(result.diff.moved)},"
                f" trucks changed {len(result.diff.affected)},"
                f" cost {result.plan.cost - plan.cost:+,.2f} CNY"
                f" (collection {_tier_cost(instance, result.plan, plan, 'collection'):+,.2f},"
                f" transfer {_tier_cost(instance, result.plan, plan, 'transfer'):+,.2f}),"
                f" unserved {len(result.plan.unserved)}, left {_backlog(result.plan)} t",
                flush=True,
            )


def _tier_cost(instance: Instance, after: Plan, before: Plan, tier: str) -> float:
    """The change in one tier's cost (its routes' as the plan's cost counts them)."""
    return sum(
        sign * route_cost(instance, route)
        for sign, plan in ((1, after), (-1, before))
        for route in plan.routes
        if route.tier == tier
    )


def _backlog(plan: Plan) -> str:
    return f"{sum(b.tonnes for b in plan.backlog):.1f}"


if __name__ == "__main__":
    main()
