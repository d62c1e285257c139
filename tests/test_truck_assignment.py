"""Trucks given to routes by an optimal assignment (wasteopt.routing.truck_assignment), on
small PyVRP data built by hand."""

from __future__ import annotations

import pyvrp

from wasteopt.routing.idle_trucks import visits
from wasteopt.routing.truck_assignment import reassigned

UNPENALISED = pyvrp.CostEvaluator([0], 0, 0)
ONE_STREAM = ["residual"] * 2  # both vehicle types carry the same stream


def _two_yards(types: list[tuple[int, int, int]]) -> pyvrp.ProblemData:
    """Yards at 0 and 100 on a line, two clients beside each (1, 2 and 98, 99, one tonne
    each); ``types`` holds (yard, trucks, payload) per vehicle type; a metre costs 1, each
    truck 10 a day."""
    model = pyvrp.Model()
    yards = [model.add_depot(model.add_location(x, 0)) for x in (0, 100)]
    for x in (1, 2, 98, 99):
        model.add_client(model.add_location(x, 0), delivery=[1])
    for yard, trucks, payload in types:
        model.add_vehicle_type(
            trucks,
            capacity=[payload],
            start_depot=yards[yard],
            end_depot=yards[yard],
            fixed_cost=10,
            unit_distance_cost=1,
        )
    for a in model.locations:
        for b in model.locations:
            model.add_edge(a, b, distance=abs(a.x - b.x))
    return model.data()


def _solution(data: pyvrp.ProblemData, routes: list[tuple[list[int], int]]) -> pyvrp.Solution:
    """Routes of (client indices, vehicle type): clients 0 and 1 lie beside yard 0, clients 2
    and 3 beside yard 1."""
    return pyvrp.Solution(
        data,
        [
            pyvrp.Route(data, [pyvrp.Activity(pyvrp.ActivityType.CLIENT, k) for k in clients], t)
            for clients, t in routes
        ],
    )


def test_two_trucks_that_cross_the_line_swap_routes():
    """Each yard's truck serves the other yard's clients: the assignment swaps them, and
    neither can move alone (no truck is idle)."""
    data = _two_yards([(0, 1, 2), (1, 1, 2)])
    crossed = _solution(data, [([2, 3], 0), ([0, 1], 1)])
    swapped = reassigned(data, crossed, ONE_STREAM)
    assert swapped is not None and swapped.is_feasible()
    assert UNPENALISED.cost(swapped) < UNPENALISED.cost(crossed)
    for route in swapped.routes():
        near_yard = 0 if max(a.idx for a in visits(route)) <= 1 else 1
        assert route.start_depot() == near_yard


def test_a_truck_too_small_for_a_route_is_not_given_it():
    """The near yard's only truck carries one tonne: the two-tonne route stays where it is."""
    data = _two_yards([(0, 2, 2), (1, 1, 1)])
    solution = _solution(data, [([2, 3], 0), ([0, 1], 0)])
    assert reassigned(data, solution, ONE_STREAM) is None


def test_a_route_goes_to_an_idle_truck_nearer_to_it():
    """Yard 0's two trucks drive a route near each yard; yard 1's truck is idle. The far
    route goes to yard 1's truck."""
    data = _two_yards([(0, 2, 2), (1, 1, 2)])
    solution = _solution(data, [([2, 3], 0), ([0, 1], 0)])
    better = reassigned(data, solution, ONE_STREAM)
    assert better is not None
    assert sorted(route.vehicle_type() for route in better.routes()) == [0, 1]
    assert UNPENALISED.cost(better) == UNPENALISED.cost(solution) - (98 + 1 + 99) + (2 + 1 + 1)


def test_a_route_goes_only_to_a_truck_of_its_own_kind():
    """The crossed trucks carry different streams: neither may take the other's route."""
    data = _two_yards([(0, 1, 2), (1, 1, 2)])
    crossed = _solution(data, [([2, 3], 0), ([0, 1], 1)])
    assert reassigned(data, crossed, ["residual", "kitchen"]) is None
    assert reassigned(data, crossed, ONE_STREAM) is not None


def test_routes_already_on_their_best_trucks_are_left_alone():
    data = _two_yards([(0, 1, 2), (1, 1, 2)])
    solution = _solution(data, [([0, 1], 0), ([2, 3], 1)])
    assert reassigned(data, solution, ONE_STREAM) is None


def test_one_vehicle_type_has_nothing_to_reassign():
    data = _two_yards([(0, 3, 2)])
    solution = _solution(data, [([0, 1], 0), ([2, 3], 0)])
    assert reassigned(data, solution, ["residual"]) is None


def test_the_search_goes_on_from_a_polished_best_with_its_trucks_reassigned():
    """The iterated local search's polish of a new best (here a search that changes nothing)
    hands back the crossed plan with its trucks swapped."""
    from functools import partial
    from types import SimpleNamespace

    from wasteopt.routing.ils import _RarePolish

    class Unchanged:
        statistics = SimpleNamespace(num_moves=0)

        def __call__(self, solution, evaluator, exhaustive):
            return solution

    data = _two_yards([(0, 1, 2), (1, 1, 2)])
    crossed = _solution(data, [([2, 3], 0), ([0, 1], 1)])
    polished = _RarePolish(Unchanged(), 0, partial(reassigned, data, kinds=ONE_STREAM))(
        crossed, None, True
    )
    assert UNPENALISED.cost(polished) == UNPENALISED.cost(reassigned(data, crossed, ONE_STREAM))
    assert UNPENALISED.cost(polished) < UNPENALISED.cost(crossed)
