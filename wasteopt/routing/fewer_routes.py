"""Route elimination: a route taken out and its clients squeezed into the routes around it.

PyVRP's local search moves a client at a time, and a route's fixed cost and its drive out from
the yard are saved only when its last client leaves. Where trucks reload, the routes around a
route can often absorb it as extra trips, but only if its clients and a reload move together,
which no single move does. Here each route in turn is taken out, and its clients are put into
the routes that hold their granular neighbours by PyVRP's local search on that neighbourhood
alone, under the largest penalties and with no truck to spare: the fleet is the trucks of those
routes, without the one taken out. Where that ends feasible and cheaper, the plan keeps it. The
sub-problem holds a few hundred clients at most, so an attempt costs milliseconds, not a copy
of the whole tier's matrices.

It runs only on plans where some route makes more than one trip. On the development set at 10
CPU-s (seeds 0-2, beside the search without it) it made the multi-trip VRPTW set better
(geometric-mean gap -1.149 against -0.977 %, 20 runs of 33 better) and Daoxian's collection
tier cheaper, but the sets whose routes make one trip worse: CVRP 0.894 against 0.861 % (600+
customers 1.358 against 1.238), heterogeneous fleet 1.675 against 1.478, multi-depot VRPTW
1.031 against -0.115. There a route can only be absorbed into spare capacity, which the local
search's relocations already use, and the time went to attempts that found nothing.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import numpy as np
import pyvrp
import pyvrp.search

from wasteopt.routing.idle_trucks import route_cost, visits

_UNPENALISED = pyvrp.CostEvaluator([0], 0, 0)
_CLIENT = pyvrp.ActivityType.CLIENT


def _routes_around(
    routes: list[pyvrp.Route],
    victim: int,
    route_of: dict[int, int],
    neighbours: dict[pyvrp.Activity, list[pyvrp.Activity]],
) -> list[int]:
    """The routes other than ``victim`` that hold a granular neighbour of one of its clients."""
    around = set()
    for activity in visits(routes[victim]):
        if activity.is_depot():
            continue
        for neighbour in neighbours.get(activity, ()):
            k = route_of.get(neighbour.idx)
            if k is not None and k != victim:
                around.add(k)
    return sorted(around)


class _SubProblem:
    """The clients of some routes as PyVRP data of their own, with the same depots, profiles
    and vehicle types, each type available as often as those routes use it."""

    def __init__(self, data: pyvrp.ProblemData, routes: list[pyvrp.Route], extra: list[int]):
        self.clients = sorted(
            {a.idx for route in routes for a in visits(route) if not a.is_depot()} | set(extra)
        )
        self.sub_of = {c: i for i, c in enumerate(self.clients)}
        full_clients = data.clients()
        depots = data.num_depots
        locations = [*range(depots), *(full_clients[c].location for c in self.clients)]
        clients = [
            pyvrp.Client(
                depots + i,
                delivery=full_clients[c].delivery,
                pickup=full_clients[c].pickup,
                service_duration=full_clients[c].service_duration,
                tw_early=full_clients[c].tw_early,
                tw_late=full_clients[c].tw_late,
                release_time=full_clients[c].release_time,
                prize=full_clients[c].prize,
                required=full_clients[c].required,
                name=full_clients[c].name,
            )
            for i, c in enumerate(self.clients)
        ]
        counts = Counter(route.vehicle_type() for route in routes)
        self.full_type = sorted(counts)
        types = [data.vehicle_type(t).replace(num_available=counts[t]) for t in self.full_type]
        rows = np.asarray(locations)
        grid = np.ix_(rows, rows)
        all_locations = data.locations()
        self.data = pyvrp.ProblemData(
            [all_locations[k] for k in locations],
            clients,
            data.depots(),
            types,
            [np.asarray(data.distance_matrix(p))[grid] for p in range(data.num_profiles)],
            [np.asarray(data.duration_matrix(p))[grid] for p in range(data.num_profiles)],
        )

    def route(self, route: pyvrp.Route) -> pyvrp.Route:
        """``route`` (of the whole data) in the sub-problem."""
        activities = [
            a if a.is_depot() else pyvrp.Activity(_CLIENT, self.sub_of[a.idx])
            for a in visits(route)
        ]
        return pyvrp.Route(self.data, activities, self.full_type.index(route.vehicle_type()))

    def back(self, data: pyvrp.ProblemData, route: pyvrp.Route) -> pyvrp.Route:
        """A sub-problem route in the whole data."""
        activities = [
            a if a.is_depot() else pyvrp.Activity(_CLIENT, self.clients[a.idx])
            for a in visits(route)
        ]
        return pyvrp.Route(data, activities, self.full_type[route.vehicle_type()])


def _squeezed(
    data: pyvrp.ProblemData,
    routes: list[pyvrp.Route],
    victim: int,
    around: list[int],
    evaluator: pyvrp.CostEvaluator,
    rng: pyvrp.RandomNumberGenerator,
    params: pyvrp.SolveParams,
) -> list[pyvrp.Route] | None:
    """The routes ``around`` with the clients of ``victim`` put into them, feasible and cheaper
    than those routes and the victim's together; ``None`` when the local search finds no such
    plan."""
    victims = [a.idx for a in visits(routes[victim]) if not a.is_depot()]
    sub = _SubProblem(data, [routes[k] for k in around], victims)
    search = pyvrp.search.LocalSearch(
        sub.data,
        rng,
        pyvrp.search.compute_neighbours(sub.data, params.neighbourhood),
        pyvrp.search.PerturbationManager(params.perturbation),
    )
    for operator in params.operators:
        if operator.supports(sub.data):
            search.add_operator(operator(sub.data))
    start = pyvrp.Solution(sub.data, [sub.route(routes[k]) for k in around])
    found = search(start, evaluator, True)
    if not found.is_feasible():
        return None
    before = sum(route_cost(routes[k]) for k in [victim, *around])
    if _UNPENALISED.cost(found) >= before:
        return None
    return [sub.back(data, route) for route in found.routes()]


def fewer_routes(
    data: pyvrp.ProblemData,
    solution: pyvrp.Solution,
    neighbours: dict[pyvrp.Activity, list[pyvrp.Activity]],
    evaluator: pyvrp.CostEvaluator,
    rng: pyvrp.RandomNumberGenerator,
    params: pyvrp.SolveParams,
    deadline: float,
    should_stop: Callable[[], bool] | None = None,
) -> pyvrp.Solution | None:
    """``solution`` after one pass of route elimination (see the module docstring) over its
    routes, fewest clients first, until ``deadline`` or ``should_stop`` (asked before each
    attempt); ``None`` when no route went, or when no route of ``solution`` makes more than one
    trip."""
    routes = list(solution.routes())
    if data.num_groups or data.num_shipments or not solution.is_feasible():
        return None
    if all(route.num_trips() <= 1 for route in routes):
        return None  # see the module docstring
    # routes an elimination leaves alone stay the same objects; the pending ones are kept alive
    # by the list, so their ids are not reused by the routes an elimination makes
    pending = sorted(routes, key=lambda route: route.num_clients())
    improved = False
    position, route_of = _indices(routes)
    while pending and time.perf_counter() < deadline:
        if should_stop is not None and should_stop():
            break
        victim = position.get(id(pending.pop(0)))
        if victim is None:
            continue  # changed by an earlier elimination
        around = _routes_around(routes, victim, route_of, neighbours)
        if not around:
            continue
        replaced = _squeezed(data, routes, victim, around, evaluator, rng, params)
        if replaced is None:
            continue
        gone = {victim, *around}
        routes = [route for k, route in enumerate(routes) if k not in gone] + replaced
        position, route_of = _indices(routes)
        improved = True
    if not improved:
        return None
    found = pyvrp.Solution(data, routes)
    return found if found.is_feasible() else None


def _indices(routes: list[pyvrp.Route]) -> tuple[dict[int, int], dict[int, int]]:
    """Each route's position in ``routes`` (by object), and each client's route."""
    position = {id(route): k for k, route in enumerate(routes)}
    route_of = {
        a.idx: k for k, route in enumerate(routes) for a in visits(route) if not a.is_depot()
    }
    return position, route_of
