"""The Daoxian day as a benchmark: stray routes, seed-to-seed spread, and PyVRP on the residual
collection tier.

    python -m benchmarks.daoxian --seeds 0,1,2 --time-limit 60 [--peer pyvrp] [--out FILE.csv]

For each seed it plans the default instance on the shipped road graph (both tiers, checked)
and reports the collection tier's objective and its *stray routes*: collection routes that
spend over :data:`STRAY_SHARE` of their kilometres driving out to their first point and back
from their last one (through the unload, home) while another yard has an idle truck able to
drive them (their stream, a shift covering their hours) whose drive to the first point and
back from the last unload is shorter; and how many of those such a truck would drive for less
(its payload carries the fullest trip; its cost per km, hour and day on the route as it stands
from its own yard; every point's window still met when it leaves its yard at its shift's start
at the earliest). With ``--peer pyvrp`` the residual collection tier (its 900 points, daily
capacities and the stray rule dropped on both sides, since PyVRP has neither) is solved by
wasteopt's tier search and by PyVRP from the same conversion
(:func:`wasteopt.routing.engine.engine_data`, PyVRP's own initial solution and default
parameters, the same seconds); both plans are costed by OR-Tools' model of record.
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.clock import CLOCKS, solver_clock
from wasteopt.io import load_instance
from wasteopt.matrix import MatrixProvider
from wasteopt.model import Instance, Plan, Stop, TravelMatrices, VehicleType, clock_to_seconds
from wasteopt.planning import PlanOptions, _collection_problem, plan_day_full, resolve_provider
from wasteopt.routing import SearchOptions, TierProblem, solve_tier

ROOT = Path(__file__).resolve().parents[1]
INSTANCE = ROOT / "instances" / "daoxian" / "instance.json"
GRAPH = ROOT / "graphs" / "daoxian.graphml"
STRAY_SHARE = 0.4  # the definition: over 40 % of the day driving out and back
log = logging.getLogger(__name__)


def stray_routes(
    instance: Instance, plan: Plan, matrices: TravelMatrices, cheaper_only: bool = False
) -> list[str]:
    """The vehicle ids of the plan's stray collection routes (see the module docstring).

    ``cheaper_only`` keeps only the strays that an idle truck could drive as they stand for
    less: its payload carries the route's fullest trip, it meets every point's window (a yard
    farther from the first point starts the route later by the extra drive, where its shift
    does not start early enough to make it up), and its cost per km over the route's kilometres
    from that yard, per hour on duty and per day, is below the route's own truck's.
    """
    index = matrices.index()
    type_of = {vt.id: vt for vt in instance.vehicle_types}
    window_end = {p.id: p.window.end_s for p in instance.points if p.window is not None}
    used = {route.vehicle_id for route in plan.routes}
    idle = [
        vt
        for vt in instance.vehicle_types
        if vt.tier == "collection" and any(v not in used for v in vt.vehicle_ids())
    ]
    yard_of = {v: vt.yard for vt in instance.vehicle_types for v in vt.vehicle_ids()}
    strays = []
    for route in plan.routes:
        if route.tier != "collection":
            continue
        stops = route.stops
        collects = [k for k, s in enumerate(stops) if s.action == "collect"]
        if not collects:
            continue
        km = [s.distance_from_prev_km for s in stops]
        out, back, day = sum(km[: collects[0] + 1]), sum(km[collects[-1] + 1 :]), sum(km)
        if day <= 0 or (out + back) / day <= STRAY_SHARE:
            continue
        first, unload = index[stops[collects[0]].site_id], index[stops[-2].site_id]
        own = yard_of[route.vehicle_id]

        def out_and_back_km(yard: str, first: int = first, unload: int = unload) -> float:
            at = index[yard]
            return (matrices.distance_m[at, first] + matrices.distance_m[unload, at]) / 1000

        start, end = clock_to_seconds(stops[0].depart), clock_to_seconds(stops[-1].arrive)
        able = [
            vt
            for vt in idle
            if route.stream in vt.streams
            and vt.yard != own
            and vt.shift.start_s <= start
            and end <= vt.shift.end_s
            and out_and_back_km(vt.yard) < out_and_back_km(own)
        ]
        if not able:
            continue
        if cheaper_only:
            mine = type_of[route.vehicle_type]
            fullest = max(s.load_after_t for s in stops)
            hours = (end - start) / 3600

            def day_cost(vt: VehicleType, km: float, hours: float = hours) -> float:
                return vt.cost_per_km * km + vt.cost_per_hour * hours + vt.fixed_cost_per_day

            own_cost = day_cost(mine, day)
            served = [stops[k] for k in collects]
            if not any(
                vt.payload_t >= fullest - 1e-9
                and _windows_met(served, vt, matrices.duration_s[index[vt.yard], first], window_end)
                and day_cost(vt, day - out_and_back_km(own) + out_and_back_km(vt.yard)) < own_cost
                for vt in able
            ):
                continue
        strays.append(route.vehicle_id)
    return strays


def _windows_met(
    collected: list[Stop], vt: VehicleType, drive_out_s: float, window_end: dict[str, int]
) -> bool:
    """Whether a truck of ``vt`` that leaves its yard at its shift's start at the earliest,
    ``drive_out_s`` from the first of a route's ``collected`` stops, meets every one's window
    (their times move later by what it cannot make up)."""
    late = max(0.0, vt.shift.start_s + drive_out_s - clock_to_seconds(collected[0].arrive))
    return all(
        clock_to_seconds(s.arrive) + late <= window_end[s.site_id]
        for s in collected
        if s.site_id in window_end
    )


def residual_tier(instance: Instance) -> TierProblem:
    """The residual collection tier with the facilities' daily capacities and the stray rule
    dropped (PyVRP has neither)."""
    problem = _collection_problem(instance)
    jobs = [job for job in problem.jobs if job.stream == "residual"]
    unbounded = {f: sum(job.kg for job in jobs) for f in problem.free_capacity_kg}
    return replace(problem, jobs=jobs, free_capacity_kg=unbounded, stray_share=None)


def _objective_of(problem: TierProblem, matrices: TravelMatrices, routes) -> float | None:
    """OR-Tools' objective (CNY) of start routes, ``None`` if its CP model refuses them."""
    from wasteopt.routing.nodes import node_data
    from wasteopt.routing.or_model import build_model
    from wasteopt.routing.or_params import search_parameters
    from wasteopt.routing.ruin_recreate import read_routes
    from wasteopt.routing.warmstart import table_for_routes

    index = matrices.index()
    nodes, node_routes = table_for_routes(problem, routes, 0)
    data = node_data(problem, nodes, matrices.distance_m, matrices.duration_s, index)
    model = build_model(problem, nodes, data, ruin_and_recreate=True)
    try:
        model.routing.CloseModelWithParameters(search_parameters(SearchOptions(), 600, True))
        checked = read_routes(model.routing, model.of_node(node_routes))
        return None if checked is None else checked.ObjectiveValue() / 1000
    finally:
        model.release()


def pyvrp_residual(
    problem: TierProblem, matrices: TravelMatrices, seconds: float, seed: int
) -> float | None:
    """PyVRP's plan of ``problem`` from the same conversion, costed by OR-Tools (CNY)."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    from wasteopt.routing.engine import decode, engine_data

    index = matrices.index()
    engine = engine_data(problem, matrices.distance_m, matrices.duration_s, index)
    result = pyvrp.solve(engine.data, MaxRuntime(seconds), seed=seed, collect_stats=False)
    if not result.is_feasible():
        return None
    return _objective_of(problem, matrices, decode(problem, engine, result.best))


def run(
    seeds: list[int], seconds: float, peer: bool, clock: str = "wall"
) -> list[dict[str, object]]:
    """One row per seed: the day's plan, its strays, and the residual tier beside PyVRP, with
    time limits read on ``clock`` (:mod:`benchmarks.clock`)."""
    instance = load_instance(INSTANCE)
    provider = resolve_provider(instance, INSTANCE.parent, GRAPH, None)
    matrices = provider.matrices(instance.sites)
    rows = []
    for seed in seeds:
        with solver_clock(clock):
            row = _seed_row(instance, provider, matrices, seed, seconds, peer)
        row["clock"] = clock
        rows.append(row)
        print(",".join(f"{k}={v}" for k, v in row.items()), flush=True)
    return rows


def _seed_row(
    instance: Instance,
    provider: MatrixProvider,
    matrices: TravelMatrices,
    seed: int,
    seconds: float,
    peer: bool,
) -> dict[str, object]:
    """The row of one seed (see :func:`run`)."""
    started = time.perf_counter()
    day = plan_day_full(instance, provider, PlanOptions(time_limit_s=seconds, seed=seed))
    collection = day.plan.stats[0]
    row: dict[str, object] = {
        "seed": seed,
        "time_limit_s": seconds,
        "day_cost": round(day.plan.cost, 2),
        "collection_objective": round(collection.objective, 2),
        "collection_routes": sum(1 for r in day.plan.routes if r.tier == "collection"),
        "strays": len(stray_routes(instance, day.plan, day.matrices)),
        "cheaper_strays": len(stray_routes(instance, day.plan, day.matrices, True)),
        "seconds": round(time.perf_counter() - started, 1),
    }
    if peer:
        residual = residual_tier(instance)
        ours = solve_tier(residual, matrices, SearchOptions(time_limit_s=seconds, seed=seed))
        row["residual_wasteopt"] = round(ours.stats.objective, 2)
        peer_cost = pyvrp_residual(residual, matrices, seconds, seed)
        row["residual_pyvrp"] = None if peer_cost is None else round(peer_cost, 2)
    return row


def _spread_pct(values: list[float]) -> float:
    """(max - min) / min, in per cent."""
    return 100 * (max(values) - min(values)) / min(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.daoxian", description=__doc__)
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per tier search")
    parser.add_argument("--peer", choices=["pyvrp"], help="also solve the residual tier with it")
    parser.add_argument("--out", type=Path, help="CSV file to write the rows to")
    parser.add_argument(
        "--clock",
        choices=CLOCKS,
        default="wall",
        help="what time limits are read on: wall time, or the process's CPU time",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = run(seeds, args.time_limit, args.peer == "pyvrp", args.clock)
    objectives = [float(r["collection_objective"]) for r in rows]
    days = [float(r["day_cost"]) for r in rows]
    print(
        f"# collection objective: mean {statistics.mean(objectives):,.2f} CNY, "
        f"spread {_spread_pct(objectives):.2f} %; the day's cost: mean"
        f" {statistics.mean(days):,.2f} CNY, spread {_spread_pct(days):.2f} %; strays"
        f" {[r['strays'] for r in rows]}, of which an idle truck would drive for less"
        f" {[r['cheaper_strays'] for r in rows]}"
    )
    if args.peer:
        ours = [float(r["residual_wasteopt"]) for r in rows]
        theirs = [float(r["residual_pyvrp"]) for r in rows if r["residual_pyvrp"] is not None]
        if theirs:
            print(
                f"# residual tier: wasteopt mean {statistics.mean(ours):,.2f}, "
                f"PyVRP mean {statistics.mean(theirs):,.2f} CNY"
            )
    if args.out:
        with args.out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return 0 if all(math.isfinite(o) for o in objectives) else 1


if __name__ == "__main__":
    sys.exit(main())
