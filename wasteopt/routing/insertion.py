"""Cheapest insertion of the jobs a ruin removed: the recreate step of ruin and recreate.

Left to OR-Tools, a removed job goes back with the first local-search move that pays less than
its unserved penalty, wherever that is, and the descent then needs many more moves to repair
the position: on C201R0.5 the descent from a ruined plan took ~35 ms, from a local optimum ~4 ms
(benchmarks/HISTORY.md). Here the removed jobs go back one at a time at their
cheapest feasible position, in the order and with the "blinks" of SISR (Christiaens & Vanden
Berghe, Transportation Science 54(2), 2020): into a trip that still has room before its unload,
or as a trip of their own (the job, then an unused unload copy) between two trips or in an
idle truck. Feasibility covers load, time windows, gate hours and shifts; the cost is the arc
cost plus duty time at the vehicle's rates, waiting left out. OR-Tools' descent and CP check
still judge the result; a job with no feasible position stays out for the descent to place.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from wasteopt.routing.nodes import NodeData, NodeTable
from wasteopt.routing.problem import TierProblem, duty_cost_milli_per_s, fixed_cost_milli

BLINK_RATE = 0.01  # SISR's beta: each position is skipped with this probability
ORDER_WEIGHTS = {"random": 4, "demand": 4, "far": 2, "close": 1}  # SISR's sorting weights


@dataclass(frozen=True)
class InsertionModel:
    """A routing model's data by node, and its vehicles, for :func:`recreate`.

    ``index_node[i]`` is the node of solver index ``i`` (vehicle starts and ends included);
    ``time_s[a, b]`` is service at ``a`` plus travel to ``b``; ``opens``/``closes`` bound each
    node's service start (copies: the gate hours). Per vehicle: its start and end indices, shift,
    payload, milli-CNY per metre and per second of duty, fixed cost, the jobs it may carry
    (``allowed[job row, vehicle]``), the unload copies (solver indices) of each facility it may
    use, and the other virtual vehicles of the same truck.
    """

    index_node: np.ndarray
    dist_m: np.ndarray
    time_s: np.ndarray
    demand: np.ndarray
    opens: np.ndarray
    closes: np.ndarray
    job_row: dict[int, int]
    starts: list[int]
    ends: list[int]
    shifts: list[tuple[int, int]]
    payload: list[int]
    per_m: list[float]
    per_s: list[int]
    fixed: list[int]
    allowed: np.ndarray
    copies: list[list[list[int]]]
    siblings: list[list[int]]
    unloads: frozenset[int]


@dataclass(frozen=True)
class SolverIndices:
    """How a routing model numbers its nodes: the node of each solver index, the solver index
    of a node, each vehicle's first and last index, and the unload copies' indices."""

    node: np.ndarray
    of_node: Callable[[int], int]
    starts: list[int]
    ends: list[int]
    unloads: frozenset[int]


def insertion_model(
    problem: TierProblem,
    nodes: NodeTable,
    data: NodeData,
    step_s: np.ndarray,
    indices: SolverIndices,
) -> InsertionModel | None:
    """The insertion data of a routing model whose node x node step times (service, then
    travel) are ``step_s``; ``None`` where a vehicle takes a break, which the insertion does
    not model."""
    vehicles = problem.vehicles
    to_index = indices.of_node
    if any(v.vehicle_type.break_ is not None for v in vehicles):
        return None
    facility_by_id = {f.id: f for f in problem.facilities}
    copies_of_stream: dict[str, list[list[int]]] = {}
    for facility_id, copies in nodes.facility_copies.items():
        for stream in facility_by_id[facility_id].streams:
            copies_of_stream.setdefault(stream, []).append([to_index(n) for n in copies])
    physical: dict[str, list[int]] = {}
    for k, vehicle in enumerate(vehicles):
        physical.setdefault(vehicle.vehicle_id, []).append(k)
    streams = np.array([v.stream for v in vehicles])
    return InsertionModel(
        index_node=indices.node,
        dist_m=data.dist,
        time_s=step_s,
        demand=data.demand,
        opens=data.window_start,
        closes=data.window_end,
        job_row={to_index(n): n for n in range(len(nodes.jobs))},
        starts=indices.starts,
        ends=indices.ends,
        shifts=[(v.vehicle_type.shift.start_s, v.vehicle_type.shift.end_s) for v in vehicles],
        payload=[v.payload_kg for v in vehicles],
        per_m=[v.vehicle_type.cost_per_km for v in vehicles],
        per_s=[duty_cost_milli_per_s(v.vehicle_type) for v in vehicles],
        fixed=[fixed_cost_milli(v.vehicle_type) for v in vehicles],
        allowed=np.array([streams == job.stream for job in nodes.jobs], dtype=bool),
        copies=[copies_of_stream.get(v.stream, []) for v in vehicles],
        siblings=[[s for s in physical[v.vehicle_id] if s != k] for k, v in enumerate(vehicles)],
        unloads=indices.unloads,
    )


@dataclass(frozen=True)
class _Schedule:
    """One route as arrays over its gaps (gap k lies between positions k and k + 1): the nodes
    on either side, the earliest service start before and the latest after, the earliest the
    node after may start, the metres and step time the gap spans now, the load of its trip,
    whether its trip ends in an unload, whether it follows a trip (or the start)."""

    before: np.ndarray
    after: np.ndarray
    earliest: np.ndarray
    latest: np.ndarray
    opens_after: np.ndarray
    dist_m: np.ndarray
    time_s: np.ndarray
    trip_load: np.ndarray
    closed: np.ndarray
    boundary: np.ndarray


def _schedule(model: InsertionModel, vehicle: int, route: list[int]) -> _Schedule:
    path = [model.starts[vehicle], *route, model.ends[vehicle]]
    nodes = model.index_node[path]
    opens = model.opens[nodes].copy()
    closes = model.closes[nodes].copy()
    opens[0], closes[0] = model.shifts[vehicle]
    opens[-1], closes[-1] = model.shifts[vehicle]
    step = model.time_s[nodes[:-1], nodes[1:]]
    size = len(path)
    earliest = np.empty(size, dtype=np.int64)
    latest = np.empty(size, dtype=np.int64)
    earliest[0] = opens[0]
    for k in range(1, size):
        earliest[k] = max(earliest[k - 1] + step[k - 1], opens[k])
    latest[-1] = closes[-1]
    for k in range(size - 2, -1, -1):
        latest[k] = min(closes[k], latest[k + 1] - step[k])
    is_unload = np.array([i in model.unloads for i in path], dtype=bool)
    # trip t of gap k: the unloads at positions 1..k; a trip's load is its jobs' demand
    trip_of_gap = np.cumsum(is_unload)[:-1]
    load = np.where(is_unload, 0, model.demand[nodes])  # yards carry none
    trip_of_position = np.concatenate(([0], trip_of_gap))
    trip_loads = np.bincount(trip_of_position, weights=load, minlength=int(is_unload.sum()) + 1)
    unloads_after = is_unload[::-1].cumsum()[::-1]  # unloads at positions >= k
    return _Schedule(
        before=nodes[:-1],
        after=nodes[1:],
        earliest=earliest[:-1],
        latest=latest[1:],
        opens_after=opens[1:],
        dist_m=model.dist_m[nodes[:-1], nodes[1:]],
        time_s=step,
        trip_load=trip_loads[trip_of_gap],
        closed=unloads_after[1:] > 0,
        boundary=np.concatenate(([True], is_unload[1:-1])),
    )


def _order(model: InsertionModel, removed: list[int], rng: random.Random) -> list[int]:
    """SISR's insertion order: random, largest demand, farthest or closest to the yard first."""
    how = rng.choices(list(ORDER_WEIGHTS), weights=list(ORDER_WEIGHTS.values()))[0]
    jobs = list(removed)
    rng.shuffle(jobs)
    yard = model.index_node[model.starts[0]]
    if how == "demand":
        jobs.sort(key=lambda i: -model.demand[model.index_node[i]])
    elif how in ("far", "close"):
        sign = -1 if how == "far" else 1
        jobs.sort(key=lambda i: sign * model.dist_m[yard, model.index_node[i]])
    return jobs


def recreate(
    model: InsertionModel, routes: list[list[int]], removed: list[int], rng: random.Random
) -> list[list[int]]:
    """``routes`` (solver indices per vehicle) with each of ``removed`` inserted at its cheapest
    feasible position, blinks aside; jobs with none are left out."""
    routes = [list(route) for route in routes]
    in_use = {i for route in routes for i in route}
    schedules: dict[int, _Schedule] = {}
    blinks = np.random.default_rng(rng.randrange(1 << 32))
    for job in _order(model, removed, rng):
        allowed = np.flatnonzero(model.allowed[model.job_row[job]]).tolist()
        # idle trucks first: at equal cost a trip goes to an idle truck rather than extend a
        # driving truck's day (long routes slow every OR-Tools move on them)
        candidates = _distinct_idle(model, [v for v in allowed if not routes[v]], routes)
        candidates += [v for v in allowed if routes[v]]
        best = _best_of(model, candidates, routes, schedules, job, in_use, blinks)
        if best is None:
            continue
        _, vehicle, gap, copy = best
        added = [job] if copy is None else [job, copy]
        routes[vehicle][gap:gap] = added
        in_use.update(added)
        schedules.pop(vehicle, None)
    return routes


def _distinct_idle(model: InsertionModel, idle: list[int], routes: list[list[int]]) -> list[int]:
    """One of each kind of ``idle`` vehicle (yard, shift, payload, rates), leaving out those
    whose truck already drives on another stream."""
    kinds: dict[tuple, int] = {}
    for vehicle in idle:
        if any(routes[s] for s in model.siblings[vehicle]):
            continue
        yard = int(model.index_node[model.starts[vehicle]])
        kind = (yard, model.shifts[vehicle], model.payload[vehicle], model.per_m[vehicle])
        kind += (model.per_s[vehicle], model.fixed[vehicle])
        kinds.setdefault(kind, vehicle)
    return list(kinds.values())


def _best_of(
    model: InsertionModel,
    vehicles: list[int],
    routes: list[list[int]],
    schedules: dict[int, _Schedule],
    job: int,
    in_use: set[int],
    blinks: np.random.Generator,
) -> tuple[float, int, int, int | None] | None:
    """The cheapest (cost, vehicle, gap, unload copy or None) for ``job`` among ``vehicles``."""
    best = None
    for vehicle in vehicles:
        if vehicle not in schedules:
            schedules[vehicle] = _schedule(model, vehicle, routes[vehicle])
        found = _cheapest(model, schedules[vehicle], vehicle, job, in_use, blinks)
        if found is not None and (best is None or found[0] < best[0]):
            best = (found[0], vehicle, found[1], found[2])
    return best


def _cheapest(
    model: InsertionModel,
    schedule: _Schedule,
    vehicle: int,
    job: int,
    in_use: set[int],
    blinks: np.random.Generator,
) -> tuple[float, int, int | None] | None:
    """The cheapest feasible (cost, gap, unload copy or None) for ``job`` in one route."""
    node = model.index_node[job]
    kg = model.demand[node]
    if kg > model.payload[vehicle]:
        return None
    before, after, opens_after = schedule.before, schedule.after, schedule.opens_after
    arrive = np.maximum(schedule.earliest + model.time_s[before, node], model.opens[node])
    reachable = (arrive <= model.closes[node]) & (blinks.random(len(before)) >= BLINK_RATE)
    dist_old, time_old = schedule.dist_m, schedule.time_s
    per_m, per_s = model.per_m[vehicle], model.per_s[vehicle]
    fixed = model.fixed[vehicle] if len(before) == 1 else 0  # an idle truck opens
    options: list[tuple[float, int, int | None]] = []

    into_trip = reachable & schedule.closed & (schedule.trip_load + kg <= model.payload[vehicle])
    into_trip &= np.maximum(arrive + model.time_s[node, after], opens_after) <= schedule.latest
    if into_trip.any():
        cost = per_m * (model.dist_m[before, node] + model.dist_m[node, after] - dist_old)
        cost += per_s * (model.time_s[before, node] + model.time_s[node, after] - time_old)
        gap = int(np.flatnonzero(into_trip)[np.argmin(cost[into_trip])])
        options.append((float(cost[gap]), gap, None))

    new_trip = reachable & schedule.boundary
    if new_trip.any():
        for copies in model.copies[vehicle]:
            copy = next((c for c in copies if c not in in_use), None)
            if copy is None:
                continue
            unload = model.index_node[copy]
            at_unload = np.maximum(arrive + model.time_s[node, unload], model.opens[unload])
            fits = new_trip & (at_unload <= model.closes[unload])
            fits &= (
                np.maximum(at_unload + model.time_s[unload, after], opens_after) <= schedule.latest
            )
            if not fits.any():
                continue
            dist_new = model.dist_m[before, node] + model.dist_m[node, unload]
            time_new = model.time_s[before, node] + model.time_s[node, unload]
            cost = per_m * (dist_new + model.dist_m[unload, after] - dist_old) + fixed
            cost += per_s * (time_new + model.time_s[unload, after] - time_old)
            gap = int(np.flatnonzero(fits)[np.argmin(cost[fits])])
            options.append((float(cost[gap]), gap, copy))
    return min(options, key=lambda option: option[0]) if options else None
