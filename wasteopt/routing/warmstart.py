"""The warm start: greedy routes on the node table, and a model sized to them.

After the construction, each facility keeps only the unload copies the greedy routes use plus
a spare share (:data:`SPARE_RATIO`, at least :data:`SPARE_MIN`): the search can still move
unloads between facilities, but it no longer drags thousands of never-used optional nodes
(every compatible truck's possible final unload at every facility) through each move.
"""

from __future__ import annotations

import math
from collections import Counter

from wasteopt.model import VehicleType
from wasteopt.routing.construct import ConstructionInput, construct
from wasteopt.routing.nodes import NodeData, NodeTable
from wasteopt.routing.problem import TierProblem

SPARE_RATIO = 0.5
SPARE_MIN = 3


def _road_cost_per_s(vt: VehicleType) -> float:
    """CNY per second of driving: duty-time cost plus distance cost at a nominal 30 km/h."""
    return vt.cost_per_hour / 3600 + vt.cost_per_km * 30 / 3600


def _break(vt: VehicleType) -> tuple[int, int, int] | None:
    rest = vt.break_
    if rest is None:
        return None
    duration = int(round(rest.duration_min * 60))
    return rest.window.start_s, rest.window.end_s - duration, duration


def greedy_routes(
    problem: TierProblem, nodes: NodeTable, data: NodeData, seed: int
) -> list[list[int]]:
    """One node sequence per vehicle (without start and end) from the greedy construction."""
    facility_by_id = {f.id: f for f in problem.facilities}
    vehicles = problem.vehicles
    return construct(
        ConstructionInput(
            travel=data.travel,
            service=data.service,
            demand=data.demand,
            window_start=data.window_start,
            window_end=data.window_end,
            job_nodes=list(range(len(nodes.jobs))),
            job_stream=[job.stream for job in nodes.jobs],
            copies=nodes.facility_copies,
            facility_streams={f: set(facility_by_id[f].streams) for f in nodes.facility_copies},
            facility_free_kg={f: problem.free_capacity_kg[f] for f in nodes.facility_copies},
            facility_fee_per_kg={
                f: facility_by_id[f].cost_per_t / 1000 for f in nodes.facility_copies
            },
            vehicle_start=data.starts,
            vehicle_payload=[v.payload_kg for v in vehicles],
            vehicle_stream=[v.stream for v in vehicles],
            vehicle_physical=[v.vehicle_id for v in vehicles],
            vehicle_shift=[
                (v.vehicle_type.shift.start_s, v.vehicle_type.shift.end_s) for v in vehicles
            ],
            vehicle_break=[_break(v.vehicle_type) for v in vehicles],
            vehicle_cost_per_s=[_road_cost_per_s(v.vehicle_type) for v in vehicles],
            seed=seed,
        )
    )


def shrink_to_start(
    problem: TierProblem, nodes: NodeTable, routes: list[list[int]], seed: int
) -> tuple[NodeTable, list[list[int]]]:
    """A node table with the copies ``routes`` use plus spares, and the routes renumbered."""
    used = Counter(nodes.ref[n] for route in routes for n in route if nodes.kind[n] == "unload")
    copies = {
        facility: min(
            len(old), used[facility] + max(SPARE_MIN, math.ceil(SPARE_RATIO * used[facility]))
        )
        for facility, old in nodes.facility_copies.items()
    }
    smaller = NodeTable(problem, seed, copies)
    renumber: dict[int, int] = {n: n for n in range(len(nodes.jobs))}
    for facility, old in nodes.facility_copies.items():
        new = smaller.facility_copies.get(facility, [])
        renumber.update({old[k]: new[k] for k in range(min(len(old), len(new)))})
    return smaller, [[renumber[n] for n in route] for route in routes]
