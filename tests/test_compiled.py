"""The compiled search: its objective is the model of record's, and its plans survive the trip
back to OR-Tools and the checker."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pytest
import pyvrp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.test_routing import instances
from wasteopt.matrix import GreatCircleProvider
from wasteopt.model import Instance, VehicleType
from wasteopt.planning import _collection_problem
from wasteopt.routing.compiled import solve_compiled, within_capacities
from wasteopt.routing.engine import (
    _range_limit,
    _stop_charge_milli,
    _stream_shares,
    beyond_range,
    decode,
    encode,
    engine_data,
    reload_territories,
    single_trip_groups,
    with_required,
)
from wasteopt.routing.idle_trucks import move_whole_routes, route_cost, split_routes
from wasteopt.routing.ils import (
    DISTANCE_ONLY_NEIGHBOURS,
    RELOADING_MAX_PERTURBATIONS,
    granular_neighbours,
    perturbation_params,
)
from wasteopt.routing.nodes import node_data
from wasteopt.routing.or_model import build_model
from wasteopt.routing.or_params import search_parameters
from wasteopt.routing.ruin_recreate import read_routes
from wasteopt.routing.search import SearchBudget, SearchOptions
from wasteopt.routing.warmstart import greedy_start, table_for_routes


def _tier(instance: Instance):
    problem = _collection_problem(instance)
    matrices = GreatCircleProvider.for_instance(instance).matrices(instance.sites)
    return problem, matrices.distance_m, matrices.duration_s, matrices.index()


def _compiled(problem, distance_m, duration_s, site_index, start, seed, iterations):
    """The compiled search from ``start`` for ``iterations`` a round (deterministic)."""
    budget = SearchBudget(time.perf_counter() + 120, iteration_limit=iterations)
    return solve_compiled(
        problem, distance_m, duration_s, site_index, budget, seed, iterations, start
    )


def _or_tools_objective(problem, distance_m, duration_s, site_index, routes) -> int | None:
    """OR-Tools' CP objective of ``routes`` (one start route per vehicle), ``None`` if refused."""
    nodes, node_routes = table_for_routes(problem, routes, 0)
    data = node_data(problem, nodes, distance_m, duration_s, site_index)
    model = build_model(problem, nodes, data, ruin_and_recreate=True)
    try:
        model.routing.CloseModelWithParameters(search_parameters(SearchOptions(), 60, True))
        checked = read_routes(model.routing, model.of_node(node_routes))
        return None if checked is None else checked.ObjectiveValue()
    finally:
        model.release()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from([0.0, 20.0]), st.integers(0, 3))
def test_the_engines_objective_is_the_model_of_records(instance: Instance, fee, seed):
    """PyVRP's cost of its plan plus the fees outside it equals OR-Tools' objective of the same
    plan (fixed costs, arc costs per vehicle, duty time, handling fees, unserved penalties).

    The comparison needs what the compiled search models exactly: no drivers' breaks (it only
    shortens the shift), no batteries (it bounds a range but plans no charging), one fee for
    every facility (it prices full loads), gates open all the shift (the final unload on the way
    home is not timed there) and a plan that fits the daily capacities; elsewhere OR-Tools' CP
    check has the last word.
    """
    vehicle_types = [
        vt.model_copy(update={"break_": None, "battery": None}) for vt in instance.vehicle_types
    ]
    facilities = [
        f.model_copy(
            update={
                "cost_per_t": fee,
                "gate": f.gate.model_copy(update={"start": "05:00", "end": "22:00"}),
            }
        )
        for f in instance.facilities
    ]
    instance = instance.model_copy(
        update={"vehicle_types": vehicle_types, "facilities": facilities}
    )
    problem, distance_m, duration_s, site_index = _tier(instance)
    assume(problem.vehicles and problem.jobs)
    start = greedy_start(problem, distance_m, duration_s, site_index, seed)
    result = _compiled(problem, distance_m, duration_s, site_index, start, seed, 30)
    assume(result is not None and result.fits)
    checked = _or_tools_objective(problem, distance_m, duration_s, site_index, result.routes)
    assert checked == result.objective_milli


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 3))
def test_decoding_and_encoding_keep_the_plan(instance: Instance, seed):
    """A PyVRP solution decoded to start routes and encoded again costs the same in PyVRP."""
    problem, distance_m, duration_s, site_index = _tier(instance)
    assume(problem.vehicles and problem.jobs)
    start = greedy_start(problem, distance_m, duration_s, site_index, seed)
    single = single_trip_groups(problem, distance_m, site_index, start)
    engine = engine_data(problem, distance_m, duration_s, site_index, single_trip=single)
    solution = encode(problem, engine, start)
    assume(solution is not None)
    again = encode(problem, engine, decode(problem, engine, solution))
    evaluator = pyvrp.CostEvaluator([1000], 1000, 0)
    assert evaluator.penalised_cost(again) == evaluator.penalised_cost(solution)
    assert again.num_clients() == solution.num_clients()


def _station_with_little_room(example: Instance):
    """``example`` with a free transfer station that has room for a fifth of the residual
    waste beside a dear plant; the instance, the station and its room in tonnes."""
    residual = sum(p.tonnes_per_day for p in example.points if p.stream == "residual")
    station = next(f for f in example.facilities if f.kind == "transfer_station")
    plant = next(f for f in example.facilities if f.kind == "incinerator")
    room = round(residual / 5, 3)
    facilities = [
        f.model_copy(update={"capacity_t_per_day": room, "cost_per_t": 0.0})
        if f.id == station.id
        else f.model_copy(update={"cost_per_t": 200.0})
        if f.id == plant.id
        else f
        for f in example.facilities
    ]
    return example.model_copy(update={"facilities": facilities}), station, room


def test_overfilled_facilities_are_priced_until_the_plan_fits(example):
    """A free transfer station with room for a fifth of the residual waste beside a dear
    plant: the first plan overfills the station, capacity prices make the plan fit, and
    OR-Tools, which sees the capacity, fills what room the station has left."""
    from wasteopt.planning import PlanOptions, plan_day

    instance, station, room = _station_with_little_room(example)
    problem, distance_m, duration_s, site_index = _tier(instance)
    start = greedy_start(problem, distance_m, duration_s, site_index, 0)
    result = _compiled(problem, distance_m, duration_s, site_index, start, 0, 200)
    assert result is not None and result.fits
    assert result.rounds >= 2  # the free station was overfilled first, then priced
    plan = plan_day(instance, options=PlanOptions(time_limit_s=60, solution_limit=10))
    intake = sum(
        stop.tonnes
        for route in plan.routes
        if route.tier == "collection"
        for stop in route.stops
        if stop.action == "unload" and stop.site_id == station.id
    )
    assert 0 < intake <= room + 1e-6


def _station_beside_a_station_with_room(room_t: float, fee: float = 0.2) -> Instance:
    """Ten 1 t points 20-29 km out; station S1 at 12 km with ``room_t``, S2 half a km nearer
    the yard with room for all at ``fee`` CNY/t; two 5 t trucks at 2 CNY/km."""
    from tests.builders import build_instance, point, station, truck

    return build_instance(
        [station("S1", 12, capacity=room_t), station("S2", 11.5, cost_per_t=fee)],
        [point(f"P{k}", 20 + k) for k in range(10)],
        [truck("T", count=2, cost_per_km=2.0)],
    )


@pytest.mark.parametrize("room_t", [6.0, 9.7])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_plan_that_fits_for_next_to_nothing_once_repaired_is_not_priced(seed, room_t):
    """Both 5 t trips unload at S1 and overfill it (by 4 t, or by 0.3 t); sending the last one
    to S2 costs 1 CNY (the same kilometres, its fee), a price of 0.2 CNY/t on the trip's 5 t,
    so the repaired plan is the round's and no price splits the run into more rounds (an
    iteration-limited run whose plan fits ends after one); a dear one is still priced (the
    test below)."""
    instance = _station_beside_a_station_with_room(room_t)
    problem, distance_m, duration_s, site_index = _tier(instance)
    start = greedy_start(problem, distance_m, duration_s, site_index, seed)
    result = _compiled(problem, distance_m, duration_s, site_index, start, seed, 200)
    assert result is not None and result.fits
    assert result.rounds == 1
    intake = Counter(ref for route in result.routes for kind, ref in route if kind == "unload")
    assert intake["S1"] == 1 and intake["S2"] == 1


@pytest.mark.parametrize("seed", [0, 1])
def test_a_repair_that_costs_more_than_the_prices_resolution_is_priced(seed):
    """The stations of the test above with S2 at 200 CNY/t: sending a trip there costs 1,000
    CNY, a price far above the resolution, so S1 is priced over further rounds; the plan that
    fits is the same, a trip at each station."""
    instance = _station_beside_a_station_with_room(6.0, fee=200.0)
    problem, distance_m, duration_s, site_index = _tier(instance)
    start = greedy_start(problem, distance_m, duration_s, site_index, seed)
    result = _compiled(problem, distance_m, duration_s, site_index, start, seed, 200)
    assert result is not None and result.fits
    assert result.rounds >= 2
    intake = Counter(ref for route in result.routes for kind, ref in route if kind == "unload")
    assert intake["S1"] == 1 and intake["S2"] == 1


@pytest.mark.parametrize("seed", [0, 1])
def test_a_stopped_search_returns_its_best_checked_plan(example, seed):
    """Stopped from the first progress report on, a 10-minute search returns at once with a plan
    that passes the checker, marked as stopped early."""
    from wasteopt.check import check_plan
    from wasteopt.planning import PlanOptions, plan_day_full

    reports: list[float] = []
    result = plan_day_full(
        example,
        options=PlanOptions(time_limit_s=600, seed=seed),
        progress=lambda p: reports.append(p.best_cost),
        should_stop=lambda: bool(reports),
    )
    plan = result.plan
    assert all(stats.stopped_early for stats in plan.stats)
    assert sum(stats.seconds for stats in plan.stats) < 600
    assert not check_plan(example, plan, result.matrices)


def _two_yards(fleet: dict[str, list[float]], tonnes: list[float]) -> Instance:
    """Yard A, 40 km west of yard B and its plant F; points beside B of ``tonnes`` each;
    ``fleet`` maps a yard to its trucks' payloads, one truck each."""
    return Instance.model_validate(
        {
            "name": "two-yards",
            "yards": [
                {"id": "A", "lon": 111.40, "lat": 25.50},
                {"id": "B", "lon": 111.80, "lat": 25.51},
            ],
            "facilities": [
                {
                    "id": "F",
                    "kind": "incinerator",
                    "streams": ["residual"],
                    "capacity_t_per_day": 100,
                    "lon": 111.81,
                    "lat": 25.51,
                }
            ],
            "vehicle_types": [
                {
                    "id": f"V{yard}{k}",
                    "streams": ["residual"],
                    "payload_t": payload,
                    "count": 1,
                    "yard": yard,
                    "shift": {"start": "06:00", "end": "18:00"},
                    "fixed_cost_per_day": 100,
                    "cost_per_km": 3,
                    "cost_per_hour": 40,
                }
                for yard, payloads in fleet.items()
                for k, payload in enumerate(payloads)
            ],  # fmt: skip
            "points": [
                {
                    "id": f"P{k}",
                    "lon": 111.80 + 0.002 * k,
                    "lat": 25.50,
                    "stream": "residual",
                    "tonnes_per_day": t,
                    "service_min": 5,
                }
                for k, t in enumerate(tonnes)
            ],  # fmt: skip
        }
    )


def _all_on_yard_a(problem, engine) -> pyvrp.Solution:
    """Every point on yard A's truck, in one trip."""
    far = [*(("job", job.id) for job in problem.jobs), ("unload", "F")]
    start = [far if v.vehicle_type.yard == "A" else [] for v in problem.vehicles]
    return encode(problem, engine, start)


def test_a_route_moves_whole_to_a_nearer_yards_idle_truck():
    """Three points beside yard B's plant, served by the only truck of yard A, 40 km away:
    the move hands the whole route to B's idle truck, and the plan costs less."""
    problem, distance_m, duration_s, site_index = _tier(_two_yards({"A": [5], "B": [5]}, [1] * 3))
    engine = engine_data(problem, distance_m, duration_s, site_index)
    solution = _all_on_yard_a(problem, engine)
    moved = move_whole_routes(engine.data, solution)
    assert moved is not None
    (route,) = moved.routes()
    assert engine.data.vehicle_type(route.vehicle_type()).name == "VB0/residual"
    assert route_cost(route) < sum(route_cost(r) for r in solution.routes())
    assert move_whole_routes(engine.data, moved) is None  # nothing cheaper is left


@pytest.mark.parametrize("stopped", [False, True])
def test_a_search_the_caller_stopped_hands_no_work_to_idle_trucks(monkeypatch, stopped):
    """The points beside yard B, started on yard A's truck 40 km away: a search run out by its
    iterations tries the truck moves on its best; one the caller stopped returns its best
    without them."""
    import wasteopt.routing.ils as ils

    problem, distance_m, duration_s, site_index = _tier(_two_yards({"A": [5], "B": [5]}, [1] * 3))
    far = [*(("job", job.id) for job in problem.jobs), ("unload", "F")]
    start = [far if v.vehicle_type.yard == "A" else [] for v in problem.vehicles]
    calls = []
    truck_moves = ils._truck_moves
    monkeypatch.setattr(ils, "_truck_moves", lambda *args: calls.append(1) or truck_moves(*args))
    budget = SearchBudget(
        time.perf_counter() + 120, iteration_limit=50, should_stop=lambda: stopped
    )
    result = solve_compiled(problem, distance_m, duration_s, site_index, budget, 0, 50, start)
    assert result is not None
    assert bool(calls) is not stopped


def test_a_full_load_far_from_its_yard_is_cut_between_two_small_idle_trucks():
    """Four 1.5 t points beside yard B, all on yard A's 8 t truck 40 km away; B's two 3 t
    trucks are idle. Neither takes the whole load, so the route does not move whole; cut in
    two halves of 3 t, one on each, it costs less, and nothing is left to cut."""
    instance = _two_yards({"A": [8], "B": [3, 3]}, [1.5] * 4)
    problem, distance_m, duration_s, site_index = _tier(instance)
    engine = engine_data(problem, distance_m, duration_s, site_index)
    solution = _all_on_yard_a(problem, engine)
    assert move_whole_routes(engine.data, solution) is None
    cut = split_routes(engine.data, solution)
    assert cut is not None
    names = sorted(engine.data.vehicle_type(r.vehicle_type()).name for r in cut.routes())
    assert names == ["VB0/residual", "VB1/residual"]
    assert sorted(r.num_clients() for r in cut.routes()) == [2, 2]
    assert cut.is_feasible() and cut.num_clients() == 4
    assert sum(route_cost(r) for r in cut.routes()) < sum(route_cost(r) for r in solution.routes())
    assert split_routes(engine.data, cut) is None


def test_a_battery_trucks_range_bounds_its_cost_in_the_engine():
    """81 usable kWh above the reserve at 0.9 kWh/km full: 90 km, at 2 CNY/km (2 milli-CNY
    per metre) a cost bound of 180,000 milli-CNY. A stop's 0.5 kWh is 0.556 km at full load,
    1,112 milli-CNY (rounded up) on every arc into a job; a diesel type adds nothing."""
    vt = VehicleType(
        id="E",
        streams=["residual"],
        payload_t=3.0,
        count=1,
        yard="Y",
        shift={"start": "06:00", "end": "14:00"},
        cost_per_km=2.0,
        energy={
            "type": "electric",
            "empty_per_100km": 60.0,
            "full_per_100km": 90.0,
            "per_stop": 0.5,
        },
        battery={"capacity_kwh": 100.0, "usable_share": 0.9, "reserve_share": 0.1},
    )
    diesel = vt.model_copy(update={"battery": None})
    assert _range_limit(vt) == {"max_distance": 180_000}
    assert _range_limit(diesel) == {}
    assert (_stop_charge_milli([vt, diesel]), _stop_charge_milli([diesel])) == (1_112, 0)


def test_jobs_a_start_serves_past_a_battery_trucks_range_are_not_required():
    """Road km are 1.35 times the line's (the default circuity). A 40 kWh battery (32.4 kWh
    above the reserve) at 1 kWh/km full drives 32.4 km, a stop counting 0.5 km. The start's
    route to P1 (54 km: 20 out, 10 to the station and 10 home on the line) runs past it; the
    route to P2 (27 km: 2, 8 and 10, and a stop) does not: only P1 is beyond the range, and
    the engine requires P2 alone."""
    from tests.builders import at, build_instance, point, station, truck

    energy = {"type": "electric", "empty_per_100km": 80.0, "full_per_100km": 100.0}
    instance = build_instance(
        [station("S", 10)],
        [point("P1", 20), point("P2", 2)],
        [
            truck(
                "E",
                count=2,
                cost_per_km=1.0,
                energy={**energy, "per_stop": 0.5},
                battery={"capacity_kwh": 40.0},
            )
        ],
        yards=[at("Y", charger={"power_kw": 2.0, "session_min": 30})],
    )
    problem, distance_m, duration_s, site_index = _tier(instance)
    start = [[("job", "P1"), ("unload", "S")], [("job", "P2"), ("unload", "S")]]
    both = frozenset({"P1", "P2"})
    engine = engine_data(problem, distance_m, duration_s, site_index, required=both)
    assert beyond_range(problem, engine, start) == {"P1"}
    required = both - beyond_range(problem, engine, start)
    kept = engine_data(problem, distance_m, duration_s, site_index, required=required)
    assert [client.required for client in kept.data.clients()] == [
        job.id == "P2" for job in problem.jobs
    ]

    def fields(engine):
        return [
            (c.location, c.pickup, c.service_duration, c.tw_early, c.tw_late, c.prize, c.required)
            for c in engine.data.clients()
        ]

    assert fields(with_required(engine, required)) == fields(kept)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_search_starts_from_a_feasible_local_optimum_of_the_greedy_start(seed):
    """The start's local search runs under the largest penalties, as PyVRP's own solve does:
    under the starting ones, the greedy start of X204-FSMD (a fleet-size-and-mix instance)
    descended to an overloaded plan, and the iterated search began from it."""
    from benchmarks.convert import read_problem, suite_files, to_wasteopt
    from benchmarks.published import select
    from wasteopt.routing.ils import SearchStop, iterated_search

    path = select(suite_files("hfvrp"), "X204-FSMD")[0]
    converted = to_wasteopt(read_problem("hfvrp", path))
    problem = _collection_problem(converted.instance)
    matrices = converted.matrices
    site_index = matrices.index()
    start = greedy_start(problem, matrices.distance_m, matrices.duration_s, site_index, seed)
    single = single_trip_groups(problem, matrices.distance_m, site_index, start)
    served = frozenset(ref for route in start for kind, ref in route if kind == "job")
    engine = engine_data(
        problem, matrices.distance_m, matrices.duration_s, site_index, {}, single, served
    )
    initial = encode(problem, engine, start)
    no_iterations = SearchStop(time.perf_counter() + 120, 0, None, None)
    found, iterations, _ = iterated_search(engine, no_iterations, seed, initial)
    assert iterations == 0
    assert found.is_feasible()
    assert pyvrp.CostEvaluator([0], 0, 0).cost(found) < pyvrp.CostEvaluator([0], 0, 0).cost(initial)


def test_a_stop_the_caller_asked_for_holds_without_asking_again():
    """Once the caller's stop has said yes, every later call stops at once, though the next
    poll is not due (PyVRP's run after the calibration would otherwise iterate until it is)."""
    from wasteopt.routing.ils import SearchStop

    asked = []
    stop = SearchStop(time.perf_counter() + 120, None, lambda: asked.append(1) or True, None)
    assert stop(0.0)
    assert stop(0.0) and stop(0.0)
    assert len(asked) == 1
    assert stop.iterations == 0


def test_a_new_best_is_polished_only_if_found_at_no_less_cost_than_the_last_polish():
    """Each ordinary search evaluates 30 moves here, an exhaustive one 100: a best found after
    two searches (60 moves) is not polished, one found after four (120) is, and the count
    starts again at each new best."""
    from types import SimpleNamespace

    from wasteopt.routing.ils import _RarePolish

    class Found(tuple):
        def is_feasible(self) -> bool:
            return False  # nothing to reassign

    class Search:
        def __init__(self):
            self.exhaustive: list[bool] = []
            self.statistics = SimpleNamespace(num_moves=0)

        def __call__(self, solution, evaluator, exhaustive):
            self.exhaustive.append(exhaustive)
            self.statistics = SimpleNamespace(num_moves=100 if exhaustive else 30)
            return Found(("polished" if exhaustive else "searched", solution))

    search = Search()
    rare = _RarePolish(search, 100, lambda plan: None)
    for _ in range(2):
        rare("current", None)
    assert rare("best", None, True) == "best"
    for _ in range(4):
        rare("current", None)
    assert rare("best", None, True) == ("polished", "best")
    rare("current", None)
    assert rare("best", None, True) == "best"
    assert search.exhaustive == [False] * 6 + [True, False]


def test_a_run_keeps_its_last_best_that_fits():
    """PyVRP sees no daily capacity: where the run's best does not fit, the search returns
    beside it the last new best that did. Here "fits" holds only for plans dearer than the
    run's final best: the run is the same, and its last such best comes back."""
    from benchmarks.convert import read_problem, suite_files, to_wasteopt
    from benchmarks.published import select
    from wasteopt.routing.ils import SearchStop, iterated_search

    converted = to_wasteopt(read_problem("cvrp", select(suite_files("cvrp"), "X-n101-k25")[0]))
    problem = _collection_problem(converted.instance)
    matrices = converted.matrices
    site_index = matrices.index()
    start = greedy_start(problem, matrices.distance_m, matrices.duration_s, site_index, 0)
    served = frozenset(ref for route in start for kind, ref in route if kind == "job")
    engine = engine_data(
        problem, matrices.distance_m, matrices.duration_s, site_index, {}, frozenset(), served
    )
    cost = pyvrp.CostEvaluator([0], 0, 0).cost

    def searched(fits):
        stop = SearchStop(time.perf_counter() + 120, 300, None, None)
        return iterated_search(engine, stop, 0, encode(problem, engine, start), fits)

    found, iterations, fitting = searched(None)
    assert fitting is None
    final = cost(found)
    dearer = searched(lambda solution: cost(solution) if cost(solution) > final else None)
    again, iterations_again, fitting = dearer
    assert (cost(again), iterations_again) == (final, iterations)
    assert fitting is not None and fitting.is_feasible() and cost(fitting) > final
    everything, _, fitting = searched(cost)
    assert cost(fitting) == cost(everything) == final


def test_only_the_bests_that_fit_are_reported_and_at_their_cost():
    from wasteopt.routing.ils import _LastFitting

    class Plan:
        def __init__(self, cost: int, feasible: bool = True):
            self.cost, self.feasible = cost, feasible

        def is_feasible(self) -> bool:
            return self.feasible

    reports: list[int] = []
    fitting = _LastFitting(lambda plan: plan.cost if plan.cost >= 100 else None, reports.append)
    plans = [Plan(150), Plan(90), Plan(120, feasible=False), Plan(110), Plan(80)]
    for plan in plans:
        fitting.on_best(plan)
    assert reports == [150, 110]
    assert fitting.solution is plans[3]


def test_where_a_facility_may_overfill_progress_hears_only_of_plans_that_fit(example):
    """The station of the capacity test above: PyVRP's first plans overfill it and cost a
    fraction of a plan that fits. Progress hears only of plans that fit, the one returned
    among them."""
    problem, distance_m, duration_s, site_index = _tier(_station_with_little_room(example)[0])
    start = greedy_start(problem, distance_m, duration_s, site_index, 0)
    reports: list[int] = []
    budget = SearchBudget(time.perf_counter() + 120, iteration_limit=200, on_best=reports.append)
    result = solve_compiled(problem, distance_m, duration_s, site_index, budget, 0, 200, start)
    assert result is not None and result.fits and result.rounds >= 2
    assert result.objective_milli in reports
    # every plan reported fits: none is far below the cheapest one that fits
    assert min(reports) > 0.9 * result.objective_milli


def test_a_yards_trucks_reload_within_its_territory():
    """Yard A at 0 km with two thirds of the payload, yard B at 60 km with one third; stations
    at 2, 10, 50 and 58 km, six points at 1-56 km. A's territory is the four points nearest it
    (two thirds of six), whose nearest stations are S2 and S10, and S2 is nearest its yard; B's
    is the two points nearest it (55 and 56 km): S58. A start that has B's truck unload at S10
    keeps S10 for B."""
    from tests.builders import at, build_instance, point, station, truck

    instance = build_instance(
        [station("S2", 2), station("S10", 10), station("S50", 50), station("S58", 58)],
        [point(f"P{x}", x) for x in (1, 3, 9, 11, 55, 56)],
        [
            truck("VA", payload=10.0, yard="A", cost_per_km=2.0),
            truck("VB", payload=5.0, yard="B", cost_per_km=2.0),
        ],
        yards=[at("A", 0), at("B", 60)],
    )
    problem, distance_m, duration_s, site_index = _tier(instance)
    engine = engine_data(problem, distance_m, duration_s, site_index)
    name_of = engine.facility_of_depot

    def reloads(found):
        return {
            vt.name: sorted(name_of[d] for d in vt.reload_depots)
            for vt in found.data.vehicle_types()
        }

    every = ["S10", "S2", "S50", "S58"]
    assert reloads(engine) == {"VA/residual": every, "VB/residual": every}
    assert reloads(reload_territories(engine, None)) == {
        "VA/residual": ["S10", "S2"],
        "VB/residual": ["S58"],
    }
    start = [
        [("job", "P55"), ("unload", "S10"), ("job", "P56"), ("unload", "S58")]
        if v.vehicle_type.yard == "B"
        else []
        for v in problem.vehicles
    ]
    initial = encode(problem, engine, start)
    assert reloads(reload_territories(engine, initial))["VB/residual"] == ["S10", "S58"]


@pytest.mark.parametrize(
    ("gate", "unload_min", "reloads"),
    [
        (("06:00", "18:00"), 20, True),
        (("17:00", "18:00"), 60, False),
        (("06:00", "07:00"), 20, True),
    ],
)
def test_a_truck_may_reload_only_where_a_trip_can_follow_an_unload(gate, unload_min, reloads):
    """Two stations whose gates, summed, hold two unloads. Open all day, or in the morning,
    a trip can follow an unload; open from 17:00 for a 60-minute unload, no truck of an
    06:00-18:00 shift can serve a point after it, so PyVRP is given no reloads to try."""
    from tests.builders import build_instance, point, station, truck

    window = {"start": gate[0], "end": gate[1]}
    instance = build_instance(
        [station(s, x, gate=window, unload_min=unload_min) for s, x in (("S2", 2), ("S10", 10))],
        [point(f"P{x}", x) for x in (1, 3, 9)],
        [truck("V", payload=5.0)],
    )
    problem, distance_m, duration_s, site_index = _tier(instance)
    engine = engine_data(problem, distance_m, duration_s, site_index)
    (vehicle_type,) = engine.data.vehicle_types()
    assert (vehicle_type.max_reloads > 0) is reloads


def test_a_break_does_not_take_a_trucks_reloads_away():
    """An 06:00-18:00 shift with an hour's break, whose gate opens at 16:30 for a 20-minute
    unload: after it a point is served and the truck is home before 18:00. PyVRP sees the shift
    shortened by the break, to 17:00, but the day itself allows the trip (the break may be
    taken earlier), so a start may hold one and the type keeps its reloads."""
    from tests.builders import build_instance, point, station, truck

    window = {"start": "16:30", "end": "18:00"}
    lunch = {"window": {"start": "11:00", "end": "14:00"}, "duration_min": 60}
    instance = build_instance(
        [station(s, x, gate=window, unload_min=20) for s, x in (("S2", 2), ("S10", 10))],
        [point(f"P{x}", x) for x in (1, 3, 9)],
        [truck("V", payload=5.0, **{"break": lunch})],
    )
    problem, distance_m, duration_s, site_index = _tier(instance)
    engine = engine_data(problem, distance_m, duration_s, site_index)
    (vehicle_type,) = engine.data.vehicle_types()
    assert vehicle_type.tw_late == 17 * 3600
    assert vehicle_type.max_reloads > 0


def test_a_two_stream_truck_counts_for_one_stream_when_trips_are_given_trucks_of_their_own():
    """Two trucks that carry residual or kitchen waste, one given to each stream, unloading at
    their yard's own site: a start whose kitchen truck makes two trips keeps that type's
    reloads, since one kitchen truck cannot take the two trips as routes of their own (each
    truck counted once per stream, it could, and encoding the start failed)."""
    from tests.builders import build_instance, facility, point, truck

    instance = build_instance(
        [
            facility("F-residual", 0, unload_min=0),
            facility("F-kitchen", 0, kind="kitchen_centre", streams=("kitchen",), unload_min=0),
        ],
        [point("P0", 0.5), point("P1", 1, stream="kitchen"), point("P2", 2, stream="kitchen")],
        [
            truck(
                "V2",
                streams=("residual", "kitchen"),
                payload=1.5,
                count=2,
                fixed_cost_per_day=0,
                cost_per_km=1,
                cost_per_hour=0,
            )
        ],
    )
    problem, distance_m, duration_s, site_index = _tier(instance)
    kitchen = next(k for k in _stream_shares(problem) if problem.vehicles[k].stream == "kitchen")
    two_trips = [("job", "P1"), ("unload", "F-kitchen"), ("job", "P2"), ("unload", "F-kitchen")]
    start = [two_trips if k == kitchen else [] for k in range(len(problem.vehicles))]
    single = single_trip_groups(problem, distance_m, site_index, start)
    assert ("V2", "kitchen") not in single
    engine = engine_data(problem, distance_m, duration_s, site_index, single_trip=single)
    assert encode(problem, engine, start).num_clients() == 2


def test_a_plan_that_overfills_a_station_loses_its_last_trips_there():
    """S takes 2 t a day; a plan unloading P1, P2 and P3 there (1 t each) on one truck's
    three trips and P4 on another's first overfills it by 2 t: the two latest trips into S
    (the first truck's third and second) are cut, the 1 t trip to T stays."""
    from tests.builders import build_instance, point, station, truck

    instance = build_instance(
        [station("S", 5, capacity=2.0), station("T", 9)],
        [point(f"P{k}", k) for k in range(1, 6)],
        [truck("V", count=2)],
    )
    problem, *_ = _tier(instance)
    routes = [
        [("job", "P1"), ("unload", "S"), ("job", "P2"), ("unload", "S"), ("job", "P3")]
        + [("unload", "S")],
        [("job", "P4"), ("unload", "S"), ("job", "P5"), ("unload", "T")],
    ]
    assert within_capacities(problem, routes) == [
        [("job", "P1"), ("unload", "S")],
        [("job", "P4"), ("unload", "S"), ("job", "P5"), ("unload", "T")],
    ]
    fitting = [routes[0][:2], routes[1]]
    assert within_capacities(problem, fitting) is fitting


def _line_of_clients(
    windows: list[tuple[int, int]],
    vehicle_types: int = 1,
    reloads: int = 0,
    shift_ends: list[int] | None = None,
) -> pyvrp.ProblemData:
    """Clients 1 km apart on a line from one depot, with the given time windows (s), served by
    ``vehicle_types`` types of truck (alike but for their names and ``shift_ends``, 3,600 s
    each by default), each of which may reload at the depot ``reloads`` times."""
    ends = shift_ends or [3600] * vehicle_types
    positions = range(len(windows) + 1)
    distance = np.array([[1000 * abs(a - b) for b in positions] for a in positions])
    return pyvrp.ProblemData(
        locations=[pyvrp.Location(1000 * k, 0) for k in positions],
        clients=[
            pyvrp.Client(k + 1, delivery=[1], tw_early=early, tw_late=late)
            for k, (early, late) in enumerate(windows)
        ],
        depots=[pyvrp.Depot(0)],
        vehicle_types=[
            pyvrp.VehicleType(
                num_available=5,
                capacity=[10],
                tw_late=ends[k],
                reload_depots=[0] if reloads else [],
                max_reloads=reloads,
                name=f"t{k}",
            )
            for k in range(vehicle_types)
        ],
        distance_matrices=[distance],
        duration_matrices=[distance],
    )


def test_a_client_open_all_day_keeps_only_its_nearest_neighbours_in_a_one_type_fleet():
    params = pyvrp.SolveParams().neighbourhood
    windows = [(0, 7200)] * 59 + [(600, 1200)]
    neighbours = granular_neighbours(_line_of_clients(windows), params)
    sizes = {activity.idx: len(nearest) for activity, nearest in neighbours.items()}
    nearest_of_first = [activity.idx for activity in neighbours[min(neighbours, key=str)]]
    assert params.num_neighbours > DISTANCE_ONLY_NEIGHBOURS
    assert sizes[59] == params.num_neighbours
    assert set(sizes) == set(range(60))
    assert all(sizes[k] == DISTANCE_ONLY_NEIGHBOURS for k in range(59))
    assert nearest_of_first == list(range(1, DISTANCE_ONLY_NEIGHBOURS + 1))
    mixed_fleet = granular_neighbours(_line_of_clients(windows, vehicle_types=2), params)
    assert all(len(nearest) == params.num_neighbours for nearest in mixed_fleet.values())


def test_only_a_fleet_whose_every_type_reloads_is_perturbed_less():
    default = pyvrp.search.PerturbationParams()
    windows = [(0, 7200)] * 10
    assert default.max_perturbations > RELOADING_MAX_PERTURBATIONS
    for types in (1, 2):
        reloading = perturbation_params(_line_of_clients(windows, vehicle_types=types, reloads=3))
        assert reloading.max_perturbations == RELOADING_MAX_PERTURBATIONS
        assert reloading.min_perturbations == default.min_perturbations
    for types in (1, 2):  # one trip a truck
        assert perturbation_params(_line_of_clients(windows, vehicle_types=types)) == default
    both_reload = _line_of_clients(windows, vehicle_types=2, reloads=3)
    types = both_reload.vehicle_types()
    partly = both_reload.replace(
        vehicle_types=[types[0], types[1].replace(max_reloads=0, reload_depots=[])]
    )
    assert perturbation_params(partly) == default


def test_a_mixed_fleet_that_reloads_keeps_only_the_nearest_neighbours_of_clients_open_all_day():
    """Open all day means for every type's whole shift: a client closing when the first type's
    shift ends is not, where the second type works on."""
    params = pyvrp.SolveParams().neighbourhood
    windows = [(0, 7200)] * 58 + [(0, 3600), (600, 1200)]
    reloading = _line_of_clients(windows, vehicle_types=2, reloads=3, shift_ends=[3600, 7200])
    sizes = {a.idx: len(nearest) for a, nearest in granular_neighbours(reloading, params).items()}
    assert sizes[58] == sizes[59] == params.num_neighbours
    assert all(sizes[k] == DISTANCE_ONLY_NEIGHBOURS for k in range(58))
