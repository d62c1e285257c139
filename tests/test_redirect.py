"""Trips sent from an overfilled facility to others with room (wasteopt/routing/redirect.py),
by hand and in the compiled search."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

from tests.builders import build_instance, facility, point, station, truck
from wasteopt.matrix import GreatCircleProvider
from wasteopt.planning import _collection_problem
from wasteopt.routing.compiled import solve_compiled
from wasteopt.routing.redirect import Trip, redirected, refilled, trips
from wasteopt.routing.search import SearchBudget


def _tier(instance):
    problem = _collection_problem(instance)
    matrices = GreatCircleProvider.for_instance(instance).matrices(instance.sites)
    return problem, matrices.distance_m, matrices.duration_s, matrices.index()


def _line():
    """Yard at 0 km, S10 (room for 2 t) at 10 km, S20 at 20 km; P9, P11 and P12 (1 t each)
    each a trip of their own into S10, 1 t over its room."""
    instance = build_instance(
        [station("S10", 10, capacity=2.0), station("S20", 20)],
        [point("P9", 9), point("P11", 11), point("P12", 12)],
        [truck("V", payload=1.0, cost_per_km=2.0)],
    )
    route = [("job", "P9"), ("unload", "S10"), ("job", "P11"), ("unload", "S10")]
    route += [("job", "P12"), ("unload", "S10")]
    return (*_tier(instance), [route])


def _redirected(problem, distance_m, duration_s, site_index, routes, route_fits=None):
    return redirected(
        problem, routes, distance_m, duration_s, site_index, route_fits or (lambda v, r: True)
    )


def test_the_trip_dearest_to_keep_in_goes_elsewhere():
    """Through S20 instead of S10, P9's trip (on to P11) drives 11 + 9 = 20 km for 1 + 1 = 2,
    18 km more; P11's (on to P12) 9 + 8 = 17 for 1 + 2, 14 more; P12's (home) 8 + 20 = 28 for
    2 + 10, 16 more. P11's trip goes to S20; the others stay."""
    *tier, routes = _line()
    out = _redirected(*tier, routes)
    assert out == [
        [("job", "P9"), ("unload", "S10"), ("job", "P11"), ("unload", "S20")]
        + [("job", "P12"), ("unload", "S10")]
    ]
    assert routes[0][3] == ("unload", "S10")  # the plan given is left as it was


def test_a_trip_whose_day_would_not_fit_stays():
    """Where P11's trip cannot go to S20 (the route check refuses it), the next cheapest, the
    last trip home through S20 (16 km more), goes instead."""
    *tier, routes = _line()
    out = _redirected(*tier, routes, lambda v, route: route[3] != ("unload", "S20"))
    assert out[0][3] == ("unload", "S10") and out[0][5] == ("unload", "S20")
    assert out[0][1] == ("unload", "S10")


def test_no_plan_where_no_trip_may_go_elsewhere():
    *tier, routes = _line()
    assert _redirected(*tier, routes, lambda v, route: False) is None


def test_a_plan_that_fits_is_returned_as_it_is():
    problem, *matrices, routes = _line()
    roomy = replace(problem, free_capacity_kg={**problem.free_capacity_kg, "S10": 3000})
    assert _redirected(roomy, *matrices, routes) is routes


def test_trips_go_back_to_a_nearer_station_while_it_has_room():
    """All three trips through S20, while S10 has room for 2 t: through S10, P9's trip drives
    18 km less, P12's 16 and P11's 14. The two that save most go to S10, P11's stays."""
    problem, *matrices, routes = _line()
    far = [[("unload", "S20") if kind == "unload" else (kind, ref) for kind, ref in routes[0]]]
    out = refilled(problem, far, *matrices, lambda v, route: True)
    assert out == [
        [("job", "P9"), ("unload", "S10"), ("job", "P11"), ("unload", "S20")]
        + [("job", "P12"), ("unload", "S10")]
    ]
    refused = refilled(problem, far, *matrices, lambda v, route: route[1] != ("unload", "S10"))
    assert refused[0][1] == ("unload", "S20") and refused[0][3] == ("unload", "S10")


def test_no_refill_where_no_trip_saves():
    """Two trips through S10 and one through S20 (the plan the redirect makes): S10 is full,
    and S20 is dearer for every trip."""
    problem, *matrices, _ = _line()
    routes = [
        [("job", "P9"), ("unload", "S10"), ("job", "P11"), ("unload", "S20")]
        + [("job", "P12"), ("unload", "S10")]
    ]
    assert refilled(problem, routes, *matrices, lambda v, route: True) is None


def test_trips_of_a_route():
    """Each trip's first visit, unload, facility and kilograms; an unload with nothing
    collected is a trip of 0 kg."""
    kg = {"P1": 1000, "P2": 500}
    route = [("job", "P1"), ("job", "P2"), ("unload", "S"), ("unload", "T"), ("job", "P1")]
    route += [("unload", "S")]
    assert trips(route, kg) == [Trip(0, 2, "S", 1500), Trip(3, 3, "T", 0), Trip(4, 5, "S", 1000)]


def _plant_and_landfill():
    """Ten 1 t points at 5 km; the plant C at 10 km takes 5 t a day at no fee, the landfill L
    at 10 km 100 t at 60 CNY/t; three 1 t trucks."""
    instance = build_instance(
        [
            facility("C", 10, capacity=5.0, cost_per_t=0.0),
            facility("L", 10, kind="landfill", capacity=100.0, cost_per_t=60.0),
        ],
        [point(f"P{k}", 5 + k / 100) for k in range(10)],
        [truck("V", payload=1.0, count=3, cost_per_km=2.0)],
    )
    return _tier(instance)


def _intake(problem, routes) -> Counter:
    intake = Counter()
    kg = {job.id: job.kg for job in problem.jobs}
    for route in routes:
        load = 0
        for kind, ref in route:
            if kind == "job":
                load += kg[ref]
            else:
                intake[ref], load = intake[ref] + load, 0
    return intake


def test_the_compiled_search_fills_the_cheap_plant_to_its_room():
    """Every truckload (1 t) is worth 60 CNY more at C than at L, which no price for C's room
    can split: below it every trip goes to C, above it none. The plan fills C to its room and
    sends the rest to L."""
    problem, distance_m, duration_s, site_index = _plant_and_landfill()
    budget = SearchBudget(time.perf_counter() + 120, iteration_limit=200)
    result = solve_compiled(problem, distance_m, duration_s, site_index, budget, 0, 200)
    assert result is not None and result.fits
    assert _intake(problem, result.routes) == {"C": 5000, "L": 5000}


def test_a_price_left_too_high_still_fills_the_cheap_plant(monkeypatch):
    """The first round's overflow at C cannot be sent elsewhere, and C's price then jumps far
    past the 60 CNY/t it is worth: the next round sends every load to L. Its trips go back to
    C while C has room, so C still takes its 5 t."""
    import wasteopt.routing.compiled as compiled

    def overshoot(prices, below, above, over, intake, problem, mean_per_kg):
        for fid in over:
            prices[fid] = 1000 * mean_per_kg
        return bool(over)

    monkeypatch.setattr(compiled, "redirected", lambda *args: None)
    monkeypatch.setattr(compiled, "_reprice", overshoot)
    problem, distance_m, duration_s, site_index = _plant_and_landfill()
    budget = SearchBudget(time.perf_counter() + 120, iteration_limit=200)
    result = solve_compiled(problem, distance_m, duration_s, site_index, budget, 0, 200)
    assert result is not None and result.fits
    assert _intake(problem, result.routes) == {"C": 5000, "L": 5000}
