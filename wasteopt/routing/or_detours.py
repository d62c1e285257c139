"""Charging in a start that knows no range.

The greedy construction plans no charging: it takes a facility's charge copies first, so a
truck may sit out a session it does not need (a truck without a battery always does), holding
a plug another needs; and OR-Tools' local search cannot add a detour and the trip it pays for in
one move: from a start whose second trip runs a battery flat, the descent drops the trip rather
than insert the detour first. So before the search, walking each route with the model's
energies (:func:`~wasteopt.routing.or_energy.consumption_wh`):

- an unload at a charge copy that the truck's next trip and way home do not need (every one,
  for a truck without a battery) moves to a plain copy of the facility where one is free;
- a battery truck that cannot finish its next trip and still get home takes a detour (a node of
  :attr:`~wasteopt.routing.nodes.NodeTable.detours`) after the unload before that trip, to the
  charger that costs the least energy on the way, where the day's times still fit (its shift,
  less any break, and every window, by a forward pass on the model's times).

The search then keeps the charging the range needs and drops the rest.
"""

from __future__ import annotations

import numpy as np

from wasteopt.routing.nodes import NodeData, NodeTable
from wasteopt.routing.or_energy import charges_at, consumption_wh, reach_wh, session_wh
from wasteopt.routing.problem import TierProblem


def with_detours(
    problem: TierProblem, nodes: NodeTable, data: NodeData, routes: list[list[int]]
) -> list[list[int]]:
    """``routes`` (nodes per vehicle) charging where the range needs it (module docstring)."""
    if not nodes.detours:
        return routes
    sites = {**problem.yards, **{f.id: f for f in problem.facilities}}
    in_use = {node for route in routes for node in route}
    free = {site: [n for n in d if n not in in_use] for site, d in nodes.detours.items()}
    plain = {
        f: [n for n in copies if n not in nodes.charge_copies and n not in in_use]
        for f, copies in nodes.facility_copies.items()
    }
    used: dict[str, np.ndarray] = {}
    out = []
    for v, route in enumerate(routes):
        vt = problem.vehicles[v].vehicle_type
        route = list(route)
        if vt.battery is not None and vt.id not in used:
            used[vt.id] = consumption_wh(vt, nodes, data.dist)
        wh = used.get(vt.id)
        yard, reach = data.starts[v], reach_wh(vt)
        left, at = reach, yard
        k = 0
        while k < len(route):
            node = route[k]
            k += 1
            if wh is not None:
                left -= int(wh[at, node])
            at = node
            if node in nodes.charge_copies:
                facility = nodes.ref[node]
                needed = wh is not None and left < _next_trip_and_home(nodes, route, k, yard, wh)
                if not needed and plain[facility]:
                    route[k - 1] = at = plain[facility].pop(0)  # unload without the session
                    continue
            if wh is None:
                continue
            if charges_at(nodes, node):
                left = min(reach, left + session_wh(sites[nodes.ref[node]]))
            if nodes.kind[node] != "unload" or k == len(route):
                continue
            if left >= _next_trip_and_home(nodes, route, k, yard, wh):
                continue
            choice = _best_detour(problem, nodes, data, v, route, k, free, wh)
            if choice is not None:
                site, detour = choice
                free[site].remove(detour)
                route.insert(k, detour)
                left -= int(wh[node, detour])
                left = min(reach, left + session_wh(sites[site]))
                at = detour
                k += 1
        out.append(route)
    return out


def _next_trip_and_home(
    nodes: NodeTable, route: list[int], k: int, yard: int, wh: np.ndarray
) -> int:
    """Wh from ``route[k - 1]`` (an unload) through the next trip's unload, then home (only
    home after the last unload)."""
    need, at = 0, route[k - 1]
    for node in route[k:]:
        need += int(wh[at, node])
        at = node
        if nodes.kind[node] == "unload":
            break
    return need + int(wh[at, yard])


def _best_detour(
    problem: TierProblem,
    nodes: NodeTable,
    data: NodeData,
    v: int,
    route: list[int],
    k: int,
    free: dict[str, list[int]],
    wh: np.ndarray,
) -> tuple[str, int] | None:
    """The free detour (site, node) vehicle ``v`` may take between ``route[k - 1]`` and
    ``route[k]`` at the least extra energy, where its day still fits; None if none does."""
    vt = problem.vehicles[v].vehicle_type
    before, after = route[k - 1], route[k]
    options = sorted(
        (int(wh[before, d[0]] + wh[d[0], after] - wh[before, after]), site, d[0])
        for site, d in free.items()
        if d and (site not in problem.yards or site == vt.yard)
    )
    for _, site, detour in options:
        if _fits(problem, data, v, [*route[:k], detour, *route[k:]]):
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
