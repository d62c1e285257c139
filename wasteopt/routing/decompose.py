"""Decomposition: a large plan's routes cut into groups of neighbouring routes, each group's
clients searched as a problem of their own, and every group that comes out cheaper put back.

On a plan of many routes, the iterated local search's perturbations land anywhere, so any one
neighbourhood sees few of them in the time a run has. A group of routes searched alone gets all
of its sub-problem's iterations (Santini, Schneider, Vidal and Vigo, "Decomposition strategies
for vehicle routing heuristics", INFORMS Journal on Computing 35(3), 2023).

Groups are grown from a route drawn at random: the group takes in, one at a time, the route
that holds the most granular neighbours of its clients, until it holds
:data:`GROUP_CLIENTS` clients or no other route is a neighbour. Proximity comes from the
neighbour lists, not from coordinates, which the search's data need not carry. Each round draws
new groups, so that a boundary of one round lies inside a group of the next.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pyvrp

from wasteopt.routing.idle_trucks import route_cost, visits
from wasteopt.routing.subproblem import SubProblem

GROUP_CLIENTS = 100  # clients a group grows to (see the module docstring)
MIN_GROUPS = 6  # decomposition runs on plans of at least this many groups' clients (applies)
_UNPENALISED = pyvrp.CostEvaluator([0], 0, 0)


def applies(data: pyvrp.ProblemData) -> bool:
    """Whether decomposition runs on ``data``: trucks that make one trip each (no type may
    reload), clients for at least :data:`MIN_GROUPS` groups, and no client groups or shipments
    (which tie clients across routes; a sub-problem does not carry them)."""
    one_trip = all(vt.max_reloads == 0 or not vt.reload_depots for vt in data.vehicle_types())
    return (
        one_trip
        and data.num_clients >= MIN_GROUPS * GROUP_CLIENTS
        and not (data.num_groups or data.num_shipments)
    )


def route_groups(
    routes: list[pyvrp.Route],
    neighbours: dict[pyvrp.Activity, list[pyvrp.Activity]],
    rng: pyvrp.RandomNumberGenerator,
) -> list[list[int]]:
    """``routes`` (by position) in groups of neighbouring routes (see the module docstring);
    every route is in exactly one group."""
    route_of = {
        a.idx: k for k, route in enumerate(routes) for a in visits(route) if not a.is_depot()
    }
    ties: list[Counter] = [Counter() for _ in routes]
    for k, route in enumerate(routes):
        for activity in visits(route):
            if activity.is_depot():
                continue
            for neighbour in neighbours.get(activity, ()):
                j = route_of.get(neighbour.idx)
                if j is not None and j != k:
                    ties[k][j] += 1
                    ties[j][k] += 1
    left = set(range(len(routes)))
    groups = []
    while left:
        pool = sorted(left)
        seed = pool[rng.randint(len(pool))]
        group, size, pull = [seed], routes[seed].num_clients(), Counter(ties[seed])
        left.remove(seed)
        while size < GROUP_CLIENTS:
            near = [(count, -j) for j, count in pull.items() if j in left]
            if not near:
                break
            j = -max(near)[1]
            group.append(j)
            size += routes[j].num_clients()
            pull.update(ties[j])
            left.remove(j)
        groups.append(group)
    return groups


def decomposed(
    data: pyvrp.ProblemData,
    solution: pyvrp.Solution,
    neighbours: dict[pyvrp.Activity, list[pyvrp.Activity]],
    rng: pyvrp.RandomNumberGenerator,
    search_group: Callable[[pyvrp.ProblemData, pyvrp.Solution], pyvrp.Solution | None],
) -> pyvrp.Solution:
    """``solution`` after one round: each group (:func:`route_groups`) searched alone by
    ``search_group`` (the sub-problem's data and its start; ``None`` when it was not searched,
    as when time is up), and replaced where the group's search found a feasible plan cheaper
    than the group's routes. A feasible ``solution`` stays feasible."""
    routes = list(solution.routes())
    if not solution.is_feasible() or len(routes) < 2:
        return solution
    kept: list[pyvrp.Route] = []
    changed = False
    for group in route_groups(routes, neighbours, rng):
        members = [routes[k] for k in group]
        sub = SubProblem(data, members, [])
        found = search_group(sub.data, pyvrp.Solution(sub.data, [sub.route(r) for r in members]))
        if (
            found is not None
            and found.is_feasible()
            and _UNPENALISED.cost(found) < sum(route_cost(r) for r in members)
        ):
            kept.extend(sub.back(data, route) for route in found.routes())
            changed = True
        else:
            kept.extend(members)
    return pyvrp.Solution(data, kept) if changed else solution
