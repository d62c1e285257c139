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


def route_or_none(
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


def visits(route: pyvrp.Route) -> list[pyvrp.Activity]:
    """The route's visits between its start and its end depot, clients and reloads."""
    return [pyvrp.Activity(a.type, a.idx) for a in list(route)[1:-1]]


def _free(data: pyvrp.ProblemData, used: Counter, vehicle_type: int) -> int:
    """The trucks of ``vehicle_type`` that no route of ``used`` drives."""
    return data.vehicle_type(vehicle_type).num_available - used[vehicle_type]


def _idle_types(data: pyvrp.ProblemData, used: Counter) -> list[int]:
    return [t for t in range(data.num_vehicle_types) if _free(data, used, t) > 0]


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
    improved = False
    for k, route in enumerate(routes):
        idle = _idle_types(data, used)
        if not idle:
            break
        stops = visits(route)
        own = route.vehicle_type()
        best_gain, best_move = 0, None
        for t in idle:
            if t == own:
                continue
            whole = route_or_none(data, stops, t)
            if whole is not None and route_cost(route) - route_cost(whole) > best_gain:
                best_gain, best_move = route_cost(route) - route_cost(whole), (whole, None)
        depots = [i for i, a in enumerate(stops) if a.is_depot()]
        bounds = [-1, *depots, len(stops)]
        for trip in range(len(bounds) - 1) if depots else ():
            first, end = bounds[trip] + 1, bounds[trip + 1]
            alone = stops[first:end]
            # the trip leaves with the reload that ends it (or, the last trip, the one before)
            cut = (first, end + 1) if end < len(stops) else (first - 1, end)
            rest = route_or_none(data, stops[: cut[0]] + stops[cut[1] :], own)
            if rest is None or not alone:
                continue
            for t in idle:
                moved = route_or_none(data, alone, t)
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
    data: pyvrp.ProblemData, stops: list[pyvrp.Activity], types: list[int]
) -> list[tuple[int, int, pyvrp.Route]]:
    """(cost, type, route) of ``stops`` on each of ``types`` where feasible, cheapest first."""
    found = [(t, route_or_none(data, stops, t)) for t in types]
    priced = [(route_cost(r), t, r) for t, r in found if r is not None]
    return sorted(priced, key=lambda ctr: ctr[0])


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
    improved = False
    for k, route in enumerate(list(routes)):
        idle = _idle_types(data, used)
        if not idle:
            break
        own = route.vehicle_type()
        used[own] -= 1  # the route being cut gives its truck back
        candidates = sorted({own, *idle})
        stops, whole = visits(route), route_cost(route)
        best_gain, best_pair = 0, None
        for cut in range(1, len(stops)):
            if stops[cut - 1].is_depot():
                continue  # the same halves as the cut before that reload
            head = _without_end_reloads(stops[:cut])
            tail = _without_end_reloads(stops[cut:])
            if not head or not tail:
                continue
            pair = _cheapest_pair(
                _cheapest(data, head, candidates), _cheapest(data, tail, candidates), used, data
            )
            if pair is not None and whole - pair[0] > best_gain:
                best_gain, best_pair = whole - pair[0], pair[1:]
        if best_pair is None:
            used[own] += 1
            continue
        routes[k], second = best_pair
        used.update(r.vehicle_type() for r in best_pair)
        routes.append(second)
        improved = True
    return pyvrp.Solution(data, routes) if improved else None


def _cheapest_pair(
    heads: list[tuple[int, int, pyvrp.Route]],
    tails: list[tuple[int, int, pyvrp.Route]],
    used: Counter,
    data: pyvrp.ProblemData,
) -> tuple[int, pyvrp.Route, pyvrp.Route] | None:
    """(cost, head, tail): the cheapest pair of a head route and a tail route whose trucks are
    free in ``used`` (two of a type where both take that type)."""
    best = None
    for head_cost, head_type, head in heads:
        for tail_cost, tail_type, tail in tails:
            if best is not None and head_cost + tail_cost >= best[0]:
                break  # tails are cheapest first
            if head_type == tail_type and _free(data, used, head_type) < 2:
                continue
            if min(_free(data, used, head_type), _free(data, used, tail_type)) < 1:
                continue
            best = (head_cost + tail_cost, head, tail)
    return best


def to_idle_trucks(data: pyvrp.ProblemData, solution: pyvrp.Solution) -> pyvrp.Solution | None:
    """``solution`` after whole routes or trips move to idle trucks where that pays, else after
    routes are cut in two where that pays; ``None`` when neither does."""
    moved = move_whole_routes(data, solution)
    return moved if moved is not None else split_routes(data, solution)
