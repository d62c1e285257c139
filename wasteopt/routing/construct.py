"""A fast greedy construction that gives OR-Tools a feasible first solution to improve.

OR-Tools' own first-solution heuristics struggle when every route needs an unload visit
before it may end (a point cannot be inserted into an empty route without one). This one
builds each vehicle's day the way a dispatcher would: drive to the nearest compatible point
that still fits the truck, the window and the shift; unload at the best facility with room
when full; unload once more and go home when nothing else fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The nearest fitting points tried, in order, for one whose visit still leaves a feasible unload
# (a bound on the work per stop; past it the truck unloads instead)
NEAREST_TRIED = 20


@dataclass(frozen=True)
class ConstructionInput:
    """Node-level data of one tier, in solver units (s, kg)."""

    travel: np.ndarray  # node x node seconds
    service: np.ndarray  # per node, seconds
    demand: np.ndarray  # per job node, kg (copies: ignored)
    window_start: np.ndarray  # per node, seconds
    window_end: np.ndarray  # per node, seconds (copies: latest unload start)
    job_nodes: list[int]
    job_stream: list[str]
    copies: dict[str, list[int]]  # facility id -> copy nodes
    facility_streams: dict[str, set[str]]
    facility_free_kg: dict[str, int]
    facility_fee_per_kg: dict[str, float]  # CNY per kg unloaded
    vehicle_start: list[int]  # yard node of each virtual vehicle
    vehicle_payload: list[int]
    vehicle_stream: list[str]
    vehicle_physical: list[str]
    vehicle_shift: list[tuple[int, int]]
    vehicle_break: list[tuple[int, int, int] | None]  # (earliest, latest start, duration)
    vehicle_cost_per_s: list[float]  # CNY per second on the road, to weigh fees against time
    vehicle_rank: list[float]  # trucks with the lowest rank (cost per kg carried) go out first
    seed: int = 0  # 0: plain nearest-fitting; otherwise scores are perturbed by up to 30 %


BREAK_MARGIN_S = 15 * 60


class _Day:
    """One vehicle's day being built: position, clock, load and pending break."""

    def __init__(self, data: ConstructionInput, v: int):
        self.data = data
        self.node = data.vehicle_start[v]
        self.yard = self.node
        self.clock = data.vehicle_shift[v][0]
        self.brk = data.vehicle_break[v]
        # a vehicle with a break keeps a margin: the model's break rule is stricter than ours
        self.shift_end = data.vehicle_shift[v][1] - (BREAK_MARGIN_S if self.brk else 0)
        # The compiled search sees no break but a shift shortened by it; its clock runs
        # without the break, and a break taken while waiting for a window costs it nothing
        # where the shortened shift still charges it. A day must end in time on both clocks.
        self.unbroken_clock = self.clock
        self.unbroken_end = data.vehicle_shift[v][1] - (self.brk[2] if self.brk else 0)
        self.load = 0
        self.payload = data.vehicle_payload[v]
        self.visits: list[int] = []
        self.cost_per_s = data.vehicle_cost_per_s[v]
        self.rng = np.random.default_rng(data.seed * 7919 + v) if data.seed else None

    def noise(self, count: int) -> np.ndarray | float:
        """Multipliers that diversify seeded constructions (1 when unseeded)."""
        return 1.0 if self.rng is None else self.rng.uniform(1.0, 1.3, count)

    def arrival(self, node: int) -> int:
        """Service start at ``node`` if driven there now, taking the break first if due."""
        start = max(
            self.clock + int(self.data.travel[self.node, node]), self.data.window_start[node]
        )
        if self.brk is not None:
            earliest, latest, duration = self.brk
            if start + self.data.service[node] > latest:
                start = max(
                    max(self.clock, earliest) + duration + int(self.data.travel[self.node, node]),
                    self.data.window_start[node],
                )
        return start

    def unbroken_done(self, node: int) -> int:
        """End of service at ``node`` on the clock without the break."""
        data = self.data
        start = max(
            self.unbroken_clock + int(data.travel[self.node, node]), data.window_start[node]
        )
        return int(start + data.service[node])

    def go(self, node: int, start: int) -> None:
        if self.brk is not None and start + self.data.service[node] > self.brk[1]:
            self.brk = None  # taken on the way
        self.unbroken_clock = self.unbroken_done(node)
        self.clock = start + int(self.data.service[node])
        self.node = node
        self.visits.append(node)

    def home_by(self, after: int, at: int) -> int:
        """Time back at the yard from ``at`` leaving at ``after`` (plus a break still owed)."""
        home = after + int(self.data.travel[at, self.yard])
        if self.brk is None:
            return home
        earliest, _, duration = self.brk
        return max(home + duration, earliest + duration)


def construct(data: ConstructionInput) -> list[list[int]]:
    """Routes (node sequences without start/end) for every virtual vehicle."""
    unassigned = set(range(len(data.job_nodes)))
    free = dict(data.facility_free_kg)
    next_copy = {f: 0 for f in data.copies}
    routes: list[list[int]] = [[] for _ in data.vehicle_start]
    used_physical: set[str] = set()
    remaining = {}
    for k in unassigned:
        remaining[data.job_stream[k]] = (
            remaining.get(data.job_stream[k], 0) + data.demand[data.job_nodes[k]]
        )

    order = sorted(
        range(len(data.vehicle_start)),
        key=lambda v: (-remaining.get(data.vehicle_stream[v], 0), data.vehicle_rank[v], v),
    )
    for v in order:
        physical = data.vehicle_physical[v]
        if physical in used_physical or remaining.get(data.vehicle_stream[v], 0) <= 0:
            continue
        visits = _build_day(data, v, unassigned, free, next_copy)
        if visits:
            used_physical.add(physical)
            routes[v] = visits
            for node in visits:
                if node < len(data.job_nodes):
                    remaining[data.job_stream[node]] -= data.demand[node]
    return routes


def _best_unload(data, day: _Day, stream: str, free, next_copy) -> tuple[int, int, str] | None:
    """The copy node, service start and facility of the cheapest feasible unload now
    (time on the road and handling fee)."""
    best, best_score = None, float("inf")
    for facility, nodes in data.copies.items():
        if stream not in data.facility_streams[facility] or next_copy[facility] >= len(nodes):
            continue
        if free[facility] < day.load:
            continue
        node = nodes[next_copy[facility]]
        start = day.arrival(node)
        if start > data.window_end[node]:
            continue
        done = start + int(data.service[node])
        if day.home_by(done, node) > day.shift_end:
            continue
        if day.unbroken_done(node) + int(data.travel[node, day.yard]) > day.unbroken_end:
            continue
        score = (done - day.clock) * day.cost_per_s + data.facility_fee_per_kg[facility] * day.load
        if score < best_score:
            best, best_score = (node, start, facility), score
    return best


def _build_day(data, v: int, unassigned: set[int], free, next_copy) -> list[int]:
    day = _Day(data, v)
    stream = data.vehicle_stream[v]
    jobs = [k for k in unassigned if data.job_stream[k] == stream]
    if not jobs:
        return []
    candidates = np.array(jobs, dtype=np.int64)
    alive = np.ones(len(candidates), dtype=bool)
    committed = len(day.visits)
    while True:
        choice = _nearest_fitting(data, day, stream, candidates, alive, free, next_copy)
        if choice is not None:
            position, start = choice
            job = int(candidates[position])
            day.go(job, start)
            day.load += int(data.demand[job])
            alive[position] = False
            unassigned.discard(job)
            continue
        if day.load == 0:
            break
        unload = _best_unload(data, day, stream, free, next_copy)
        if unload is None:
            # cannot empty the truck any more: give back the jobs since the last unload
            for node in day.visits[committed:]:
                if node < len(data.job_nodes):
                    unassigned.add(node)
            del day.visits[committed:]
            break
        node, start, facility = unload
        free[facility] -= day.load
        next_copy[facility] += 1
        day.go(node, start)
        day.load = 0
        committed = len(day.visits)
    return day.visits


def _smallest(values: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` smallest ``values`` in ascending order (ties by index), in
    linear time for the selection: a day's construction asks this once per stop."""
    if len(values) <= count:
        return np.argsort(values, kind="stable")
    chosen = np.argpartition(values, count - 1)[:count]
    return chosen[np.lexsort((chosen, values[chosen]))]


def _nearest_fitting(data, day: _Day, stream, candidates, alive, free, next_copy):
    """Index into ``candidates`` and service start of the best next job, or None."""
    if not alive.any():
        return None
    idx = np.nonzero(alive)[0]
    nodes = candidates[idx]
    fits = day.load + data.demand[nodes] <= day.payload
    arrive = day.clock + data.travel[day.node, nodes]
    start = np.maximum(arrive, data.window_start[nodes])
    fits &= start <= data.window_end[nodes]
    if not fits.any():
        return None
    score = np.where(fits, (start - day.clock) * day.noise(len(nodes)), np.inf)
    for rank in _smallest(score, NEAREST_TRIED):
        if not fits[rank]:
            break
        node = int(nodes[rank])
        begin = day.arrival(node)
        if begin > data.window_end[node]:
            continue
        saved = (day.node, day.clock, day.unbroken_clock, day.load, day.brk, len(day.visits))
        day.go(node, begin)
        day.load += int(data.demand[node])
        feasible = _best_unload(data, day, stream, free, next_copy) is not None
        day.node, day.clock, day.unbroken_clock, day.load, day.brk = saved[:5]
        del day.visits[saved[5] :]
        if feasible:
            return int(idx[rank]), begin
    return None
