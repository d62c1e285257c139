"""Route elimination (wasteopt.routing.fewer_routes) on small PyVRP data built by hand."""

from __future__ import annotations

import math

import pytest
import pyvrp
import pyvrp.search

from wasteopt.routing.fewer_routes import _SubProblem, fewer_routes
from wasteopt.routing.idle_trucks import route_cost, visits

UNPENALISED = pyvrp.CostEvaluator([0], 0, 0)
PENALTIES = pyvrp.CostEvaluator([1_000_000], 1_000_000, 1_000_000)


def _line(
    pickups: list[int], capacity: int, trucks: int, reload: bool = False
) -> pyvrp.ProblemData:
    """A yard at 0, an unload facility at -1 (a reload depot where ``reload``), and clients
    at 1, 2, ... on a line; a metre costs 1, a second 1, each truck 1,000 a day."""
    model = pyvrp.Model()
    yard = model.add_depot(model.add_location(0, 0), name="yard")
    facility = model.add_depot(model.add_location(-1, 0), service_duration=5, name="unload")
    for k, pickup in enumerate(pickups, start=1):
        model.add_client(model.add_location(k, 0), pickup=[pickup], service_duration=2)
    model.add_vehicle_type(
        trucks,
        capacity=[capacity],
        start_depot=yard,
        end_depot=yard,
        fixed_cost=1_000,
        unit_distance_cost=1,
        unit_duration_cost=1,
        reload_depots=[facility] if reload else [],
        max_reloads=3 if reload else 0,
    )
    for a in model.locations:
        for b in model.locations:
            gap = round(abs(a.x - b.x) * 100)
            model.add_edge(a, b, distance=gap, duration=gap)
    return model.data()


def _client(k: int) -> pyvrp.Activity:
    return pyvrp.Activity(pyvrp.ActivityType.CLIENT, k)


def _depot(k: int) -> pyvrp.Activity:
    return pyvrp.Activity(pyvrp.ActivityType.DEPOT, k)


def _eliminate(
    data: pyvrp.ProblemData, solution: pyvrp.Solution, should_stop=None
) -> pyvrp.Solution | None:
    params = pyvrp.SolveParams()
    neighbours = pyvrp.search.compute_neighbours(data, params.neighbourhood)
    rng = pyvrp.RandomNumberGenerator(seed=1)
    return fewer_routes(data, solution, neighbours, PENALTIES, rng, params, math.inf, should_stop)


def _two_routes(data: pyvrp.ProblemData, first: list, second: list) -> pyvrp.Solution:
    return pyvrp.Solution(data, [pyvrp.Route(data, first, 0), pyvrp.Route(data, second, 0)])


def test_a_route_goes_where_another_takes_its_load_in_one_more_trip():
    """A truck making two trips absorbs a second truck's full load in a third trip through
    the unload facility, cheaper than the second truck's day."""
    data = _line([2] * 6, capacity=4, trucks=2, reload=True)
    two_trips = [_client(0), _client(1), _depot(1), _client(2), _client(3)]
    solution = _two_routes(data, two_trips, [_client(4), _client(5)])
    fewer = _eliminate(data, solution)
    assert fewer is not None and fewer.is_feasible()
    (route,) = fewer.routes()
    assert route.num_trips() == 3 and route.num_clients() == 6
    assert UNPENALISED.cost(fewer) < UNPENALISED.cost(solution)


def test_a_caller_who_stops_the_search_gets_no_attempt():
    """Cancelling (Ctrl-C, the API's cancel) ends the pass before its next attempt."""
    data = _line([2] * 6, capacity=4, trucks=2, reload=True)
    two_trips = [_client(0), _client(1), _depot(1), _client(2), _client(3)]
    solution = _two_routes(data, two_trips, [_client(4), _client(5)])
    assert _eliminate(data, solution, should_stop=lambda: True) is None


def test_the_squeeze_may_not_put_the_route_back_on_a_spare_truck():
    """With a third truck idle, the same plan still loses its second route: the sub-problem's
    fleet is the trucks of the routes around the one taken out, not the yard's."""
    data = _line([2] * 6, capacity=4, trucks=3, reload=True)
    two_trips = [_client(0), _client(1), _depot(1), _client(2), _client(3)]
    solution = _two_routes(data, two_trips, [_client(4), _client(5)])
    fewer = _eliminate(data, solution)
    assert fewer is not None and fewer.num_routes() == 1


def test_plans_of_single_trips_are_left_to_the_local_search():
    """Where no route makes a second trip, no route is taken out, though here one could be."""
    data = _line([1, 1, 1, 1], capacity=4, trucks=2)
    solution = _two_routes(data, [_client(0), _client(1), _client(2)], [_client(3)])
    assert _eliminate(data, solution) is None


@pytest.mark.parametrize("reload", [False, True])
def test_a_routes_cost_is_the_same_in_the_sub_problem(reload):
    """A route read into the sub-problem of its clients (plus one client it does not visit)
    and back costs what it did, reloads included."""
    data = _line([1, 3, 2, 1, 2], capacity=4, trucks=2, reload=reload)
    trip = [_client(4), _client(1)]
    activities = [*trip, _depot(1), _client(3)] if reload else trip
    route = pyvrp.Route(data, activities, 0)
    sub = _SubProblem(data, [route], extra=[0])
    inside = sub.route(route)
    assert sub.data.num_clients == route.num_clients() + 1
    assert route_cost(inside) == route_cost(route)
    assert inside.is_feasible() == route.is_feasible()
    back = sub.back(data, inside)
    assert visits(back) == visits(route) and route_cost(back) == route_cost(route)
