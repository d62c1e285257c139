"""Region-by-region improvement of a large tier.

Every ruin-and-recreate iteration ends in OR-Tools' full neighbourhood scan, whose cost grows
with the square of the model's size: on 300 points an iteration costs ~300 ms, on 100 points
~50 ms (benchmarks/HISTORY.md). A large tier is therefore improved a region at a time (in the
spirit of POPMUSIC, Taillard & Voss 2002): the trucks whose routes serve the jobs nearest to a
random job, until the region holds :data:`REGION_JOBS` jobs, plus up to :data:`IDLE_PER_REGION`
idle trucks of the same types, become a small tier of their own, solved by the same search from
their current routes for :data:`REGION_SECONDS`. Its routes replace theirs when OR-Tools' CP
model, on the whole tier, accepts the result at a lower cost. Which tiers go region by region:
:func:`searched_by_regions`.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from wasteopt.routing.nodes import NodeTable
from wasteopt.routing.or_extract import ChargingVisit
from wasteopt.routing.problem import Job, TierProblem
from wasteopt.routing.search import SearchBudget, SearchStats

if TYPE_CHECKING:
    from wasteopt.routing.search import RawSolution

REGION_JOBS = 80  # an iteration on 80 jobs of X-n303-k21: ~36 ms, ~300 ms on all 302 jobs
REGION_MIN_JOBS = 2 * REGION_JOBS  # smaller tiers are searched whole
REGION_SECONDS = 2.0  # assumption: enough for a few dozen iterations on a region
IDLE_PER_REGION = 2  # idle trucks offered to a region, so that it can open a route

StartRoute = list[tuple[str, str]]  # (kind, ref) of each visit: ("job", id) or ("unload", id)
log = logging.getLogger(__name__)
SolveRegion = Callable[[TierProblem, list[StartRoute], float, int], "RawSolution | None"]


def searched_by_regions(jobs: list[Job]) -> bool:
    """Whether a tier of ``jobs`` is improved region by region: :data:`REGION_MIN_JOBS` jobs or
    more and none with a time window. With windows, regions won on C2_2_01R0.5 but lost to the
    whole-tier search on R2_2_01R0.5, PR11A, PR12A and the generated county days
    (benchmarks/HISTORY.md)."""
    return len(jobs) >= REGION_MIN_JOBS and all(job.window is None for job in jobs)


@dataclass(frozen=True)
class WholeTier:
    """The whole tier as the region loop sees it.

    ``neighbours[j]`` are the job nodes nearest to job node ``j``; ``objective(routes)`` is the
    CP-checked objective of one node route per vehicle, ``None`` if CP rejects the plan.
    """

    problem: TierProblem
    nodes: NodeTable
    neighbours: np.ndarray
    objective: Callable[[list[list[int]]], int | None]


def improve_by_regions(
    tier: WholeTier,
    routes: list[list[int]],
    budget: SearchBudget,
    seed: int,
    solve_region: SolveRegion,
) -> tuple[list[list[int]], SearchStats]:
    """The cheapest routes found from ``routes`` (one node list per vehicle) within ``budget``
    (at most its iteration limit of regions, where it has one), re-solving one region at a
    time with ``solve_region``; and how many regions were solved and accepted."""
    best = tier.objective(routes)
    if best is None:
        return routes, SearchStats()
    rng = random.Random(seed)
    vehicles = tier.problem.vehicles
    index_of = {(v.vehicle_id, v.stream): k for k, v in enumerate(vehicles)}
    job_node = {job.id: n for n, job in enumerate(tier.nodes.jobs)}
    rounds = accepted = 0
    while budget.seconds_left() > REGION_SECONDS / 4:
        if budget.stopped() or (budget.counts_iterations and rounds >= budget.iteration_limit):
            break
        rounds += 1
        physical = _region(tier, routes, rng)
        members = {k for k, v in enumerate(vehicles) if v.vehicle_id in physical}
        region_jobs = {n for k in members for n in routes[k] if n < len(tier.nodes.jobs)}
        if not region_jobs:
            break  # no job is served: nothing to improve region by region
        sub = replace(
            tier.problem,
            jobs=[tier.nodes.jobs[n] for n in sorted(region_jobs)],
            only_vehicle_ids=frozenset(physical),
        )
        start = []
        for vehicle in sub.vehicles:
            route = routes[index_of[(vehicle.vehicle_id, vehicle.stream)]]
            start.append([(tier.nodes.kind[n], tier.nodes.ref[n]) for n in route])
        seconds = min(REGION_SECONDS, budget.seconds_left())
        solved = solve_region(sub, start, seconds, rng.randrange(1 << 30))
        if solved is None:
            continue
        candidate = _spliced(tier, routes, members, sub, solved, index_of, job_node)
        if candidate is None:
            continue
        cost = tier.objective(candidate)
        if cost is not None and cost < best:
            routes, best = candidate, cost
            accepted += 1
            budget.report(cost)
    log.info("regions: %d solved, %d accepted, objective %d", rounds, accepted, best)
    return routes, SearchStats(regions=rounds, regions_accepted=accepted)


def _region(tier: WholeTier, routes: list[list[int]], rng: random.Random) -> set[str]:
    """Physical vehicle ids: those serving the jobs nearest a random job, plus idle ones."""
    vehicles = tier.problem.vehicles
    job_count = len(tier.nodes.jobs)
    vehicle_of = {n: k for k, route in enumerate(routes) for n in route if n < job_count}
    jobs_of = Counter(vehicles[k].vehicle_id for k in vehicle_of.values())
    seed = rng.randrange(job_count)
    chosen: set[str] = set()
    jobs = 0
    for node in (seed, *tier.neighbours[seed].tolist()):
        if jobs >= REGION_JOBS:
            break
        k = vehicle_of.get(node)
        if k is None or vehicles[k].vehicle_id in chosen:
            continue
        chosen.add(vehicles[k].vehicle_id)
        jobs += jobs_of[vehicles[k].vehicle_id]
    busy = {vehicles[k].vehicle_id for k, route in enumerate(routes) if route}
    types = {v.vehicle_type.id for v in vehicles if v.vehicle_id in chosen}
    idle = sorted(
        {v.vehicle_id for v in vehicles if v.vehicle_id not in busy and v.vehicle_type.id in types}
    )
    chosen.update(rng.sample(idle, min(IDLE_PER_REGION, len(idle))))
    return chosen


def _spliced(
    tier: WholeTier,
    routes: list[list[int]],
    members: set[int],
    sub: TierProblem,
    solved: RawSolution,
    index_of: dict[tuple[str, str], int],
    job_node: dict[str, int],
) -> list[list[int]] | None:
    """``routes`` with the region's vehicles driving ``solved``; ``None`` if the whole tier has
    too few nodes of a kind for it.

    A visit takes a free node of its own kind: a detour to charge takes one of its charger's
    detour nodes, an unload where a battery truck charges one of the facility's charge copies,
    any other unload a plain copy (at a charge copy every truck spends a session's time)."""
    nodes_of = tier.nodes
    spliced = [[] if k in members else list(route) for k, route in enumerate(routes)]
    in_use = {n for route in spliced for n in route}
    free: dict[tuple[str, str, bool], list[int]] = {}
    for facility, copies in nodes_of.facility_copies.items():
        for n in copies:
            if n not in in_use:
                free.setdefault(("unload", facility, n in nodes_of.charge_copies), []).append(n)
    for site_id, detours in nodes_of.detours.items():
        free[("charge", site_id, True)] = [n for n in detours if n not in in_use]
    for route in solved.routes:
        vehicle = sub.vehicles[route.vehicle_index]
        nodes = []
        for visit in route.visits:
            if visit.kind == "job":
                nodes.append(job_node[visit.ref])
                continue
            pool = free.get((visit.kind, visit.ref, isinstance(visit, ChargingVisit)))
            if not pool:
                return None
            nodes.append(pool.pop(0))
        spliced[index_of[(vehicle.vehicle_id, vehicle.stream)]] = nodes
    return spliced
