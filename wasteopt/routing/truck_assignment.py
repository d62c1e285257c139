"""Trucks given to a plan's routes by an optimal assignment.

PyVRP's operators move clients between routes, and :mod:`~wasteopt.routing.idle_trucks` hands a
route to an idle truck; neither exchanges the trucks of two routes, or sends a route's truck to
another route so that an idle truck can take the first one. With the routes' visits fixed, the
cheapest choice of a truck for every route is an assignment problem (Kuhn 1955, Naval Research
Logistics Quarterly 2), solved exactly here by SciPy's ``linear_sum_assignment``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyvrp
from scipy.optimize import linear_sum_assignment

from wasteopt.routing.idle_trucks import route_cost, route_or_none, visits


def reassigned(
    data: pyvrp.ProblemData, solution: pyvrp.Solution, kinds: Sequence[str]
) -> pyvrp.Solution | None:
    """``solution`` with each route's visits on the truck that makes the whole plan cheapest,
    each truck driving one route at most; ``None`` where its own trucks are already that.

    A route's visits are priced on every vehicle type of its own type's kind (``kinds``, one
    per vehicle type: the stream a type carries), by its yard, shift,
    payload, range and costs; a type offers as many trucks as it has, or as there are routes if
    fewer.
    """
    routes = list(solution.routes())
    if data.num_vehicle_types < 2 or not routes:
        return None
    types = range(data.num_vehicle_types)
    slots = [t for t in types for _ in range(min(data.vehicle_type(t).num_available, len(routes)))]
    on_type: list[list[pyvrp.Route | None]] = []
    for route in routes:
        own, stops = route.vehicle_type(), visits(route)
        on_type.append(
            [
                route
                if t == own
                else route_or_none(data, stops, t)
                if kinds[t] == kinds[own]
                else None
                for t in types
            ]
        )
    # each route may stay on its own truck, so a finite assignment exists
    costs = np.array([[np.inf if r is None else route_cost(r) for r in row] for row in on_type])
    by_slot = costs[:, slots]
    rows, columns = linear_sum_assignment(by_slot)
    if by_slot[rows, columns].sum() >= sum(route_cost(r) for r in routes):
        return None
    chosen = [on_type[r][slots[c]] for r, c in zip(rows, columns, strict=True)]
    return pyvrp.Solution(data, chosen)
