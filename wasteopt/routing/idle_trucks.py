"""Moves that hand work to idle trucks, which PyVRP's local search does not make on its own.

PyVRP relocates a few clients at a time, and opening an idle truck pays its fixed cost at the
first client moved, so a route that a nearer yard's idle trucks would drive more cheaply stays
where it is. These moves take a whole route, a trip, or the two halves of a route at once.
"""

from __future__ import annotations

from collections import Counter

import pyvrp


def route_cost(route: pyvrp.Route) -> int:
    """PyVRP's cost of one feasible route: distance, duration and the truck's fixed cost."""
    return route.distance_cost() + route.duration_cost() + route.fixed_vehicle_cost()


def _route_or_none(
    data: pyvrp.ProblemData, activities: list[pyvrp.Activity], vehicle_type: int
) -> pyvrp.Route | None:
    """The route of ``activities`` on ``vehicle_type`` if feasible there, else ``None``."""
    trips = 1 + sum(1 for a in activities if a.is_depot())
    if trips > data.vehicle_type(vehicle_type).max_reloads + 1:
        return None
    try:
        route = pyvrp.Route(data, activities, vehicle_type)
    except (RuntimeError, ValueError):  # a reload depot this type may not use
        return None
    return route if route.is_feasible() else None


def _visits(route: pyvrp.Route) -> list[pyvrp.Activity]:
    return [pyvrp.Activity(a.type, a.idx) for a in list(route)[1:-1]]


def _without_end_reloads(visits: list[pyvrp.Activity]) -> list[pyvrp.Activity]:
    """``visits`` without reloads before the first client or after the last one (a route ends
    empty anyway: its leg home goes through a facility)."""
    clients = [k for k, a in enumerate(visits) if not a.is_depot()]
    return visits[clients[0] : clients[-1] + 1] if clients else []


def move_whole_routes(data: pyvrp.ProblemData, solution: pyvrp.Solution) -> pyvrp.Solution | None:
    """``solution`` with routes, or single trips of multi-trip routes, handed whole to idle
    trucks of another type (another yard, another size) wherever that is cheaper; ``None`` when
    no such move pays."""
    routes = list(solution.routes())
    used = Counter(route.vehicle_type() for route in routes)
    types = range(data.num_vehicle_types)
    improved = False
    for k, route in enumerate(routes):
        idle = [t for t in types if used[t] < data.vehicle_type(t).num_available]
        if not idle:
            break
        visits = _visits(route)
        own = route.vehicle_type()
        best_gain, best_move = 0, None
        for t in idle:
            if t == own:
                continue
            whole = _route_or_none(data, visits, t)
            if whole is not None and route_cost(route) - route_cost(whole) > best_gain:
                best_gain, best_move = route_cost(route) - route_cost(whole), (whole, None)
        depots = [i for i, a in enumerate(visits) if a.is_depot()]
        bounds = [-1, *depots, len(visits)]
        for trip in range(len(bounds) - 1) if depots else ():
            first, end = bounds[trip] + 1, bounds[trip + 1]
            alone = visits[first:end]
            # the trip leaves with the reload that ends it (or, the last trip, the one before)
            cut = (first, end + 1) if end < len(visits) else (first - 1, end)
            rest = _route_or_none(data, visits[: cut[0]] + visits[cut[1] :], own)
            if rest is None or not alone:
                continue
            for t in idle:
                moved = _route_or_none(data, alone, t)
                if moved is None:
                    continue
                gain = route_cost(route) - route_cost(rest) - route_cost(moved)
                if gain > best_gain:
                    best_gain, best_move = gain, (moved, rest)
        if best_move is not None:
            moved, rest = best_move
            if rest is None:
                used[own] -= 1
                routes[k] = moved
            else:
                routes[k] = rest
                routes.append(moved)
            used[moved.vehicle_type()] += 1
            improved = True
    return pyvrp.Solution(data, routes) if improved else None


def _cheapest(
    data: pyvrp.ProblemData, visits: list[pyvrp.Activity], types: list[int]
) -> list[tuple[int, pyvrp.Route]]:
    """The feasible routes of ``visits`` on each of ``types``, cheapest first."""
    found = [(t, _route_or_none(data, visits, t)) for t in types]
    return sorted(((t, r) for t, r in found if r is not None), key=lambda tr: route_cost(tr[1]))


def split_routes(data: pyvrp.ProblemData, solution: pyvrp.Solution) -> pyvrp.Solution | None:
    """``solution`` with routes cut in two where that is cheaper: the visits before the cut on
    one truck and those after it on another, at least one of them idle (its own or another
    yard's, of any size); ``None`` when no cut pays.

    A full load collected far from its truck's yard, beside a yard whose idle trucks are each
    too small for it, is a case: neither half moves by itself, and handing the whole route over
    (:func:`move_whole_routes`) does not fit.
    """
    routes = list(solution.routes())
    used = Counter(route.vehicle_type() for route in routes)
    types = range(data.num_vehicle_types)
    improved = False
    for k, route in enumerate(list(routes)):
        idle = [t for t in types if used[t] < data.vehicle_type(t).num_available]
        if not idle:
            break
        own = route.vehicle_type()
        candidates = sorted({own, *idle})
        visits = _visits(route)
        best_gain, best_pair = 0, None
        for cut in range(1, len(visits)):
            head = _without_end_reloads(visits[:cut])
            tail = _without_end_reloads(visits[cut:])
            if not head or not tail or visits[cut - 1].is_depot():
                continue  # a cut beside a reload is a trip of move_whole_routes
            heads, tails = _cheapest(data, head, candidates), _cheapest(data, tail, candidates)
            pair = _cheapest_pair(heads, tails, own, used, data)
            if pair is not None:
                gain = route_cost(route) - route_cost(pair[0]) - route_cost(pair[1])
                if gain > best_gain:
                    best_gain, best_pair = gain, pair
        if best_pair is not None:
            routes[k], second = best_pair
            used[own] -= 1
            used[routes[k].vehicle_type()] += 1
            used[second.vehicle_type()] += 1
            routes.append(second)
            improved = True
    return pyvrp.Solution(data, routes) if improved else None


def _cheapest_pair(
    heads: list[tuple[int, pyvrp.Route]],
    tails: list[tuple[int, pyvrp.Route]],
    own: int,
    used: Counter,
    data: pyvrp.ProblemData,
) -> tuple[pyvrp.Route, pyvrp.Route] | None:
    """The cheapest pair of a head route and a tail route whose trucks are free once the route
    being cut gives its truck back (two of a type where both halves take that type)."""
    best = None
    for head_type, head in heads:
        for tail_type, tail in tails:
            if best is not None and route_cost(head) + route_cost(tail) >= best[0]:
                break  # tails are cheapest first
            free = data.vehicle_type(head_type).num_available - used[head_type]
            free += head_type == own
            if free < 1 + (head_type == tail_type):
                continue
            if head_type != tail_type:
                tail_free = data.vehicle_type(tail_type).num_available - used[tail_type]
                if tail_free + (tail_type == own) < 1:
                    continue
            best = (route_cost(head) + route_cost(tail), head, tail)
    return None if best is None else (best[1], best[2])


def to_idle_trucks(data: pyvrp.ProblemData, solution: pyvrp.Solution) -> pyvrp.Solution | None:
    """``solution`` after whole routes or trips move to idle trucks where that pays, else after
    routes are cut in two where that pays; ``None`` when neither does."""
    moved = move_whole_routes(data, solution)
    return moved if moved is not None else split_routes(data, solution)
