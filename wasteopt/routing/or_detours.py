"""Charging and range in a start that knows no range.

The greedy construction plans no charging: it takes a facility's charge copies first, so a
truck may sit out a session it does not need (a truck without a battery always does), holding
a plug another needs; it fills a battery truck's day past its range, and OR-Tools' local search
cannot add a detour and the trip it pays for in one move: from a start whose second trip runs a
battery flat, the descent drops the trip rather than insert the detour first, and on a large
tier it spends its time repairing the overdrawn batteries. So before the search, walking each
route with the model's energies (:func:`~wasteopt.routing.or_energy.consumption_wh`):

- an unload at a charge copy that the truck's next trip and way home do not need (every one,
  for a truck without a battery) moves to a plain copy of the facility where one is free;
- a battery truck that cannot finish its next trip and still get home takes a detour (a node of
  :attr:`~wasteopt.routing.nodes.NodeTable.detours`) after the unload before that trip, to the
  charger that costs the least energy on the way, where the day's times still fit (its shift,
  less any break, and every window, by a forward pass on the model's times);
- where no detour fits, its trips from there on go, one by one, to idle trucks of the stream
  that can drive them within their range, payload and day (without charging), or out of the
  start (the search may put their jobs back).

A charger holds no more sessions in the start than it has plugs, so that no two can overlap.

The search then keeps the charging the range needs and drops the rest.
"""

from __future__ import annotations

import numpy as np

from wasteopt.model import Facility, Yard
from wasteopt.routing.nodes import NodeData, NodeTable
from wasteopt.routing.or_energy import charges_at, consumption_wh, reach_wh, session_wh
from wasteopt.routing.problem import TierProblem


class _Start:
    """The start being charged: free detours and plain copies, energies by vehicle."""

    def __init__(
        self, problem: TierProblem, nodes: NodeTable, data: NodeData, routes: list[list[int]]
    ):
        self.problem, self.nodes, self.data = problem, nodes, data
        self.sites: dict[str, Facility | Yard] = {
            **problem.yards,
            **{f.id: f for f in problem.facilities},
        }
        in_use = {node for route in routes for node in route}
        self.free = {s: [n for n in d if n not in in_use] for s, d in nodes.detours.items()}
        self.plain = {
            f: [n for n in copies if n not in nodes.charge_copies and n not in in_use]
            for f, copies in nodes.facility_copies.items()
        }
        # sessions a start may hold at each charger: its plugs, so that no two overlap
        self.plugs = {s.id: s.charger.count for s in self.sites.values() if s.charger}
        self._wh: dict[tuple, np.ndarray] = {}

    def wh(self, v: int) -> np.ndarray | None:
        """Node x node Wh of vehicle ``v``'s arcs (None without a battery)."""
        vt = self.problem.vehicles[v].vehicle_type
        if vt.battery is None:
            return None
        key = (vt.energy, vt.payload_t)
        if key not in self._wh:
            self._wh[key] = consumption_wh(vt, self.nodes, self.data.dist)
        return self._wh[key]

    def charge(self, left: int, reach: int, node: int) -> int:
        """Wh above the reserve after ``node`` from ``left`` before its session, if any."""
        if not charges_at(self.nodes, node):
            return left
        return min(reach, left + session_wh(self.sites[self.nodes.ref[node]]))

    def lowest(self, v: int, route: list[int]) -> int:
        """The least Wh above the reserve vehicle ``v`` keeps driving ``route`` and home."""
        wh = self.wh(v)
        if wh is None:
            return 0
        reach = reach_wh(self.problem.vehicles[v].vehicle_type)
        left = low = reach
        at = self.data.starts[v]
        for node in route:
            left -= int(wh[at, node])
            low, at = min(low, left), node
            left = self.charge(left, reach, node)
        return min(low, left - int(wh[at, self.data.starts[v]]))


def with_detours(
    problem: TierProblem, nodes: NodeTable, data: NodeData, routes: list[list[int]]
) -> list[list[int]]:
    """``routes`` (nodes per vehicle) charging where the range needs it (module docstring)."""
    if not nodes.detours:
        return routes
    start = _Start(problem, nodes, data, routes)
    out, orphans = [], []
    for v, route in enumerate(routes):
        kept, cut = _charged(start, v, list(route))
        out.append(kept)
        orphans += _trips(nodes, cut)
    if orphans:
        _hand_out(start, out, orphans)
    return out


def _charged(start: _Start, v: int, route: list[int]) -> tuple[list[int], list[int]]:
    """``route`` with unneeded sessions moved off charge copies and detours where its next
    trip needs one, cut where no detour fits: the kept route and the nodes cut."""
    nodes, wh = start.nodes, start.wh(v)
    yard, reach = start.data.starts[v], reach_wh(start.problem.vehicles[v].vehicle_type)
    left, at, k = reach, yard, 0
    if wh is not None and route and _short(start, v, left, [yard, *route], 1):
        return [], route
    while k < len(route):
        node = route[k]
        k += 1
        if wh is not None:
            left -= int(wh[at, node])
        at = node
        if node in nodes.charge_copies:
            facility = nodes.ref[node]
            needed = wh is not None and _short(start, v, left, route, k)
            if needed and start.plugs[facility] > 0:
                start.plugs[facility] -= 1
            elif start.plain[facility]:
                route[k - 1] = at = start.plain[facility].pop(0)  # unload without the session
                if wh is None:
                    continue
                node = at
        if wh is None:
            continue
        left = start.charge(left, reach, node)
        if nodes.kind[node] != "unload" or k == len(route):
            continue
        if not _short(start, v, left, route, k):
            continue
        choice = _best_detour(start, v, route, k, wh)
        if choice is None:
            return route[:k], route[k:]
        site, detour = choice
        start.free[site].remove(detour)
        start.plugs[site] -= 1
        route.insert(k, detour)
        left = start.charge(left - int(wh[node, detour]), reach, detour)
        at = detour
        k += 1
    return route, []


def _trips(nodes: NodeTable, cut: list[int]) -> list[list[int]]:
    """``cut`` (whole trips, each ending in an unload) split into its trips."""
    trips, trip = [], []
    for node in cut:
        trip.append(node)
        if nodes.kind[node] == "unload":
            trips.append(trip)
            trip = []
    return trips


def _hand_out(start: _Start, routes: list[list[int]], trips: list[list[int]]) -> None:
    """Each of ``trips`` appended to the first idle truck of its stream (a truck none of whose
    streams has a route yet, then driving its trips) whose range, payload and day it fits; a
    trip none takes is tried again, once all have been, job by job, each with an unload at the
    same facility."""
    idle, busy, taken = _idle(start, routes)
    left = []
    for trip in trips:
        trip = [_plain(start, n) for n in trip]
        if not _taken(start, routes, trip, idle, busy, taken):
            left.append(trip)
    for trip in left:
        facility = start.nodes.ref[trip[-1]]
        for job in trip[:-1]:
            copies = start.plain[facility]
            if copies and _taken(start, routes, [job, copies[0]], idle, busy, taken):
                copies.pop(0)


def hand_out_unserved(
    problem: TierProblem, nodes: NodeTable, data: NodeData, routes: list[list[int]]
) -> list[list[int]]:
    """``routes`` (nodes per vehicle) with each job they leave out on an idle truck of its
    stream (as :func:`_hand_out` hands out trips), a trip of its own to the nearest facility
    with a free plain copy and room for it today, where the truck's range, payload and day
    fit it.

    For the compiled search's plan: its range counts every kilometre at full load, so a far
    point that an idle truck reaches within the model's energies may be left out, and
    OR-Tools' moves insert a job or an unload, not a trip of both."""
    served = {node for route in routes for node in route}
    left = [job for job in range(len(nodes.jobs)) if job not in served]
    if not left:
        return routes
    start = _Start(problem, nodes, data, routes)
    out = [list(route) for route in routes]
    idle, busy, taken = _idle(start, out)
    room = _room(problem, nodes, data, out)
    for job in left:
        stream, kg = nodes.jobs[job].stream, int(data.demand[job])
        facilities = sorted(
            (
                f.id
                for f in problem.facilities
                if stream in f.streams and start.plain.get(f.id) and room.get(f.id, 0) >= kg
            ),
            key=lambda fid: data.dist[job, start.plain[fid][0]],
        )
        for fid in facilities:
            if _taken(start, out, [job, start.plain[fid][0]], idle, busy, taken):
                start.plain[fid].pop(0)
                room[fid] -= kg
                break
    return out


def _room(
    problem: TierProblem, nodes: NodeTable, data: NodeData, routes: list[list[int]]
) -> dict[str, int]:
    """Kilograms each facility can still take today after what ``routes`` unload there."""
    room = dict(problem.free_capacity_kg)
    for route in routes:
        load = 0
        for node in route:
            if node < len(nodes.jobs):
                load += int(data.demand[node])
            elif nodes.kind[node] == "unload":
                room[nodes.ref[node]] = room.get(nodes.ref[node], 0) - load
                load = 0
    return room


def _idle(start: _Start, routes: list[list[int]]) -> tuple[list[int], set[str], set[int]]:
    """The vehicles of trucks without a route, the trucks with one, and no vehicle taken."""
    vehicles = start.problem.vehicles
    busy = {vehicles[v].vehicle_id for v, route in enumerate(routes) if route}
    idle = [v for v in range(len(vehicles)) if vehicles[v].vehicle_id not in busy]
    return idle, busy, set()


def _taken(
    start: _Start,
    routes: list[list[int]],
    trip: list[int],
    idle: list[int],
    busy: set[str],
    taken: set[int],
) -> bool:
    """Whether an idle vehicle (:func:`_hand_out`) takes ``trip``: then it is on its route."""
    problem, data, nodes = start.problem, start.data, start.nodes
    jobs = [n for n in trip if n < len(nodes.jobs)]
    stream = nodes.jobs[jobs[0]].stream
    kg = int(sum(data.demand[n] for n in jobs))
    for v in idle:
        vehicle = problem.vehicles[v]
        if vehicle.stream != stream or vehicle.payload_kg < kg:
            continue
        if vehicle.vehicle_id in busy and v not in taken:
            continue  # another stream's virtual vehicle of this truck drives
        route = [*routes[v], *trip]
        if start.lowest(v, route) >= 0 and _fits(problem, data, v, route):
            routes[v] = route
            busy.add(vehicle.vehicle_id)
            taken.add(v)
            return True
    return False


def _plain(start: _Start, node: int) -> int:
    """``node``, or a free plain copy of its facility in place of a charge copy."""
    if node not in start.nodes.charge_copies or not start.plain[start.nodes.ref[node]]:
        return node
    return start.plain[start.nodes.ref[node]].pop(0)


def _short(start: _Start, v: int, left: int, route: list[int], k: int) -> bool:
    """Whether vehicle ``v``, at ``route[k - 1]`` (an unload, or its yard) with ``left`` Wh
    above the reserve, falls below it on its next trip (charging where the trip does) or on
    the way home after it (only the way home after the last unload)."""
    wh, nodes = start.wh(v), start.nodes
    yard, reach = start.data.starts[v], reach_wh(start.problem.vehicles[v].vehicle_type)
    at = route[k - 1]
    for node in route[k:]:
        left -= int(wh[at, node])
        if left < 0:
            return True
        left, at = start.charge(left, reach, node), node
        if nodes.kind[node] == "unload":
            break
    return left < int(wh[at, yard])


def _best_detour(
    start: _Start, v: int, route: list[int], k: int, wh: np.ndarray
) -> tuple[str, int] | None:
    """The free detour (site, node) vehicle ``v`` may take between ``route[k - 1]`` and
    ``route[k]`` at the least extra energy, where its day still fits; None if none does."""
    problem = start.problem
    vt = problem.vehicles[v].vehicle_type
    before, after = route[k - 1], route[k]
    options = sorted(
        (int(wh[before, d[0]] + wh[d[0], after] - wh[before, after]), site, d[0])
        for site, d in start.free.items()
        if d and start.plugs[site] > 0 and (site not in problem.yards or site == vt.yard)
    )
    for _, site, detour in options:
        if _fits(problem, start.data, v, [*route[:k], detour, *route[k:]]):
            return site, detour
    return None


def _fits(problem: TierProblem, data: NodeData, v: int, route: list[int]) -> bool:
    """Whether ``route`` keeps every window and ends within the shift less any break, served
    as early as it can be from the shift's start (the model's step times)."""
    vt = problem.vehicles[v].vehicle_type
    rest = 0 if vt.break_ is None else int(round(vt.break_.duration_min * 60))
    clock, at = vt.shift.start_s, data.starts[v]
    for node in route:
        clock = max(clock + int(data.service[at] + data.travel[at, node]), data.window_start[node])
        if clock > data.window_end[node]:
            return False
        at = node
    clock += int(data.service[at] + data.travel[at, data.starts[v]])
    return clock + rest <= vt.shift.end_s
