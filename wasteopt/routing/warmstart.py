"""The warm start: greedy routes on the node table, and a model sized to them.

The construction fills one truck's day before it starts the next. Where a trip may just as well
be another truck's (the truck unloads where it is based, and a truck costs nothing per day or
hour), :func:`spread_trips` hands later trips to idle trucks of the same type: the plan costs the
same, but its routes are short, and OR-Tools' local search, whose every move re-checks the
whole route it touches, runs several times faster on them (benchmarks/HISTORY.md).

After the construction, each facility keeps only the unload copies the greedy routes use plus
a spare share (:data:`SPARE_RATIO`, at least :data:`SPARE_MIN`): the search can still move
unloads between facilities, but it no longer drags thousands of never-used optional nodes
(every compatible truck's possible final unload at every facility) through each move.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace

import numpy as np

from wasteopt.model import VehicleType
from wasteopt.routing.construct import ConstructionInput, construct
from wasteopt.routing.nodes import NodeData, NodeTable, node_data
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


def _cost_per_kg(vt: VehicleType, payload_kg: int, round_trip_m: float) -> float:
    """CNY per kg of payload for a day's fixed cost and one round trip of ``round_trip_m``."""
    return (vt.fixed_cost_per_day + vt.cost_per_km * round_trip_m / 1000) / payload_kg


def greedy_routes(
    problem: TierProblem, nodes: NodeTable, data: NodeData, seed: int
) -> list[list[int]]:
    """One node sequence per vehicle (without start and end) from the greedy construction.

    Trucks go out cheapest per kg of payload first (fixed cost and a mean round trip); should
    that serve fewer jobs than sending them in fleet order (a tight fleet packs differently),
    fleet order wins.
    """
    facility_by_id = {f.id: f for f in problem.facilities}
    vehicles = problem.vehicles
    jobs = np.arange(len(nodes.jobs))
    round_trip_m = {  # mean yard -> job -> yard distance, to weigh per-km against fixed costs
        yard: float(data.dist[yard, jobs].mean() + data.dist[jobs, yard].mean())
        if len(jobs)
        else 0.0
        for yard in set(data.starts)
    }
    cheapest_first = ConstructionInput(
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
        facility_fee_per_kg={f: facility_by_id[f].cost_per_t / 1000 for f in nodes.facility_copies},
        vehicle_start=data.starts,
        vehicle_payload=[v.payload_kg for v in vehicles],
        vehicle_stream=[v.stream for v in vehicles],
        vehicle_physical=[v.vehicle_id for v in vehicles],
        vehicle_shift=[
            (v.vehicle_type.shift.start_s, v.vehicle_type.shift.end_s) for v in vehicles
        ],
        vehicle_break=[_break(v.vehicle_type) for v in vehicles],
        vehicle_cost_per_s=[_road_cost_per_s(v.vehicle_type) for v in vehicles],
        vehicle_rank=[
            _cost_per_kg(v.vehicle_type, v.payload_kg, round_trip_m[data.starts[k]])
            for k, v in enumerate(vehicles)
        ],
        seed=seed,
    )
    by_cost = construct(cheapest_first)
    served = _served(by_cost, len(nodes.jobs))
    if served == len(nodes.jobs) or len(set(cheapest_first.vehicle_rank)) == 1:
        return by_cost  # fleet order could serve no more, or is the same order
    in_order = construct(replace(cheapest_first, vehicle_rank=[0.0] * len(vehicles)))
    return in_order if _served(in_order, len(nodes.jobs)) > served else by_cost


def _served(routes: list[list[int]], job_count: int) -> int:
    return sum(1 for route in routes for node in route if node < job_count)


def _trip_free(vt: VehicleType) -> bool:
    """Whether handing a trip of this type to another truck of it leaves the cost unchanged."""
    return vt.fixed_cost_per_day == 0 and vt.cost_per_hour == 0 and vt.break_ is None


def spread_trips(
    problem: TierProblem, nodes: NodeTable, data: NodeData, routes: list[list[int]]
) -> list[list[int]]:
    """``routes`` with each trip after a route's first handed to an idle truck of the same type
    and stream while such trucks remain, wherever the unload before the trip is at the truck's
    yard (no distance or time either way) and the type costs nothing per day, per hour or for a
    break: the new truck leaves the yard when the old one would have left the facility."""
    vehicles = problem.vehicles
    busy = {vehicles[v].vehicle_id for v, route in enumerate(routes) if route}
    idle: dict[tuple[str, str], list[int]] = {}
    for v in reversed(range(len(vehicles))):  # pop() hands out the lowest index first
        vehicle = vehicles[v]
        if vehicle.vehicle_id not in busy and _trip_free(vehicle.vehicle_type):
            idle.setdefault((vehicle.vehicle_type.id, vehicle.stream), []).append(v)

    def taker(v: int) -> int | None:
        pool = idle.get((vehicles[v].vehicle_type.id, vehicles[v].stream), [])
        while pool:
            candidate = pool.pop()
            if vehicles[candidate].vehicle_id not in busy:
                busy.add(vehicles[candidate].vehicle_id)
                return candidate
        return None

    spread: list[list[int]] = [[] for _ in routes]
    for v, route in enumerate(routes):
        yard, owner = data.starts[v], v
        for node in route:
            spread[owner].append(node)
            at_yard = (
                nodes.kind[node] == "unload"
                and data.dist[node, yard] == data.dist[yard, node] == 0
                and data.travel[node, yard] == data.travel[yard, node] == 0
            )
            if at_yard and node != route[-1]:  # (idle pools hold only trip-free types)
                owner = taker(v)
                owner = v if owner is None else owner
    return spread


def _kept_copies(used: int, available: int) -> int:
    """Unload copies of a facility kept for a plan that uses ``used`` of them: those and a
    spare share, at most the ``available`` ones."""
    return min(available, used + max(SPARE_MIN, math.ceil(SPARE_RATIO * used)))


def shrink_to_start(
    problem: TierProblem, nodes: NodeTable, routes: list[list[int]], seed: int
) -> tuple[NodeTable, list[list[int]]]:
    """A node table with the copies ``routes`` use plus spares, and the routes renumbered."""
    used = Counter(nodes.ref[n] for route in routes for n in route if nodes.kind[n] == "unload")
    copies = {
        facility: _kept_copies(used[facility], len(old))
        for facility, old in nodes.facility_copies.items()
    }
    smaller = NodeTable(problem, seed, copies)
    renumber: dict[int, int] = {n: n for n in range(len(nodes.jobs))}
    for facility, old in nodes.facility_copies.items():
        new = smaller.facility_copies.get(facility, [])
        renumber.update({old[k]: new[k] for k in range(min(len(old), len(new)))})
    return smaller, [[renumber[n] for n in route] for route in routes]


def table_for_routes(
    problem: TierProblem, start: list[list[tuple[str, str]]], seed: int
) -> tuple[NodeTable, list[list[int]]]:
    """A node table sized to ``start`` (one list of ``(kind, ref)`` visits per vehicle, as
    :func:`shrink_to_start` sizes it to the greedy routes) and ``start`` in its nodes.

    Unloads take a facility's plain copies before its charge copies: ``start`` times no
    charging session (the compiled search plans none), and a session on a copy it did not ask
    for would push the rest of its day later, past a window or the shift."""
    nodes, (routes,) = table_for_starts(problem, [start], seed)
    return nodes, routes


def table_for_starts(
    problem: TierProblem, starts: list[list[list[tuple[str, str]]]], seed: int
) -> tuple[NodeTable, list[list[list[int]]]]:
    """One node table sized to the largest use of each facility and charger among ``starts``
    (see :func:`table_for_routes`), and each start in its nodes."""
    used: Counter = Counter()
    detours: Counter = Counter()
    for start in starts:
        used |= Counter(ref for route in start for kind, ref in route if kind == "unload")
        detours |= Counter(ref for route in start for kind, ref in route if kind == "charge")
    # a start may unload more often than the model offers by default (trips of one job each
    # where no two jobs fit a truck): it keeps at least the copies it uses
    copies = {
        f.id: _kept_copies(used[f.id], max(used[f.id], problem.copies_needed(f)))
        for f in problem.facilities
        if problem.free_capacity_kg.get(f.id, 0) > 0
    }
    nodes = NodeTable(problem, seed, copies, detours)
    job_node = {job.id: n for n, job in enumerate(nodes.jobs)}
    in_nodes = []
    for start in starts:
        unused = {
            facility: sorted(copies, key=lambda node: node in nodes.charge_copies)
            for facility, copies in nodes.facility_copies.items()
        }
        free_detours = {site: list(detours) for site, detours in nodes.detours.items()}
        in_nodes.append(
            [
                [
                    job_node[ref]
                    if kind == "job"
                    else (free_detours if kind == "charge" else unused)[ref].pop(0)
                    for kind, ref in route
                ]
                for route in start
            ]
        )
    return nodes, in_nodes


def greedy_start(
    problem: TierProblem,
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
    seed: int,
) -> list[list[tuple[str, str]]]:
    """The greedy construction as one list of ``(kind, ref)`` visits per vehicle."""
    copies = {
        f.id: problem.copies_needed(f)
        for f in problem.facilities
        if problem.free_capacity_kg.get(f.id, 0) > 0
    }
    nodes = NodeTable(problem, seed, copies)
    data = node_data(problem, nodes, distance_m, duration_s, site_index)
    routes = greedy_routes(problem, nodes, data, seed)
    return [[(nodes.kind[n], nodes.ref[n]) for n in route] for route in routes]
