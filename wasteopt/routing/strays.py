"""Stray collection routes in a PyVRP plan, and the yards their points are barred from.

A collection route *strays* when its drive out to its first point and back from its last one
(through its last unload, home) is over the tier's ``stray_share`` of its kilometres while
another yard has an idle truck able to drive it: of its stream, on a shift covering the route's
hours, from a yard whose drive out to the same first point and back from the same unload is
shorter. On a map that is a truck crossing the county past idle ones. Where the instance sets
a share, the compiled search bars each stray's far points from its yard (those that a nearer
yard with such an idle truck reaches on a shorter drive out to them and back from the route's
last unload) and searches on; the cheapest plan without strays wins over any plan with them
(:mod:`wasteopt.routing.compiled`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyvrp

from wasteopt.routing.engine import EngineData
from wasteopt.routing.idle_trucks import visits
from wasteopt.routing.problem import TierProblem


@dataclass(frozen=True)
class Stray:
    """One stray route: its truck's yard and the jobs a nearer yard's idle truck should have."""

    yard: str
    far_jobs: frozenset[str]


def _yard_of_type(problem: TierProblem, engine: EngineData, vehicle_type: int) -> str:
    return problem.vehicles[engine.type_vehicles[vehicle_type][0]].vehicle_type.yard


def strays(
    problem: TierProblem,
    engine: EngineData,
    solution: pyvrp.Solution,
    distance_m: np.ndarray,
    site_index: dict[str, int],
) -> list[Stray]:
    """The stray routes of ``solution`` (see the module docstring); none where the tier sets
    no share."""
    if problem.stray_share is None:
        return []
    data = engine.data
    routes = solution.routes()
    used = Counter(route.vehicle_type() for route in routes)
    idle = [
        t for t in range(data.num_vehicle_types) if data.vehicle_type(t).num_available > used[t]
    ]

    def out_and_back(yard: str, first: str, last: str) -> float:
        return (
            distance_m[site_index[yard], site_index[first]]
            + distance_m[site_index[last], site_index[yard]]
        )

    found = []
    for route in routes:
        t = route.vehicle_type()
        yard = _yard_of_type(problem, engine, t)
        sites = [yard]
        jobs = []
        positions = []  # where in ``sites`` each job is
        stops = visits(route)
        for activity in stops:
            if activity.is_depot():
                sites.append(engine.facility_of_depot[activity.idx])
            else:
                jobs.append(problem.jobs[activity.idx])
                positions.append(len(sites))
                sites.append(jobs[-1].site_id)
        if not jobs:
            continue
        if positions[-1] == len(sites) - 1:  # the leg home goes through the cheapest unload
            profile = engine.final_facility[engine.type_profile[t]]
            final = profile[stops[-1].idx, engine.yard_depot[yard]]
            sites.append(engine.facility_of_depot[int(final)])
        sites.append(yard)
        at = np.array([site_index[s] for s in sites])
        legs = distance_m[at[:-1], at[1:]]
        out, back, day = legs[: positions[0]].sum(), legs[positions[-1] :].sum(), legs.sum()
        if day <= 0 or (out + back) / day <= problem.stray_share:
            continue
        first, unload = jobs[0].site_id, sites[-2]
        own = out_and_back(yard, first, unload)
        nearer = set()
        for other in idle:
            vehicle_type = problem.vehicles[engine.type_vehicles[other][0]].vehicle_type
            if (
                engine.type_stream[other] == engine.type_stream[t]
                and vehicle_type.yard != yard
                and vehicle_type.shift.start_s <= route.start_time()
                and route.end_time() <= vehicle_type.shift.end_s
                and out_and_back(vehicle_type.yard, first, unload) < own
            ):
                nearer.add(vehicle_type.yard)
        if not nearer:
            continue

        far = frozenset(
            job.id
            for job in jobs
            if min(out_and_back(y, job.site_id, unload) for y in nearer)
            < out_and_back(yard, job.site_id, unload)
        )
        found.append(Stray(yard, far))  # the first job is among them: ``nearer`` says so
    return found


def barred_after(problem: TierProblem, found: list[Stray]) -> frozenset[tuple[str, str]]:
    """``problem``'s (job, yard) bars with each stray's far jobs barred from its yard."""
    return problem.barred | {(job, stray.yard) for stray in found for job in stray.far_jobs}


def without_barred(
    problem: TierProblem, engine: EngineData, solution: pyvrp.Solution
) -> pyvrp.Solution:
    """``solution`` on ``engine`` (the same jobs, new bars) with every visit that its truck's
    yard is barred from left out, for the search to place again. Reloads stay where they were
    (a trip left empty is still a route PyVRP takes): a repaired plan's explicit last unload is
    what keeps it within a facility's capacity."""
    data = engine.data
    routes = []
    for route in solution.routes():
        t = route.vehicle_type()
        yard = _yard_of_type(problem, engine, t)
        kept = [
            activity
            for activity in visits(route)
            if activity.is_depot() or (problem.jobs[activity.idx].id, yard) not in problem.barred
        ]
        if any(not activity.is_depot() for activity in kept):
            routes.append(pyvrp.Route(data, kept, t))
    return pyvrp.Solution(data, routes)
