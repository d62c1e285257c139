"""Ruin and recreate: the ruin removes strings of jobs and never leaves an empty unload; the
loop is deterministic for a seed and iteration count, and improves on the descent it starts
from; it is not set up once the deadline has passed."""

from __future__ import annotations

import random

import numpy as np
import pytest
from ortools.constraint_solver import pywrapcp

from wasteopt.matrix import ExplicitMatrixProvider
from wasteopt.planning import PlanOptions, plan_day_full
from wasteopt.routing.ruin_recreate import (
    RuinRecreateModel,
    nearest_jobs,
    read_routes,
    ruin,
    vehicle_routes,
)

UNLOADS = frozenset({100, 101, 102, 103, 104, 105})
JOBS = list(range(1, 31))


def _model(neighbours: np.ndarray) -> RuinRecreateModel:
    return RuinRecreateModel(
        routing=None, params=None, job_indices=JOBS, unload_indices=UNLOADS, neighbours=neighbours
    )


def _line_neighbours() -> np.ndarray:
    """Jobs on a line at their own number: the nearest of job j are j +- 1, j +- 2, ..."""
    position = np.array(JOBS, dtype=np.int64)
    return nearest_jobs(JOBS, np.abs(position[:, None] - position[None, :]))


ROUTES = [
    [1, 2, 3, 100, 4, 5, 6, 101],
    [7, 8, 9, 10, 102, 11, 12, 103],
    [13, 14, 15, 16, 17, 18, 104],
    [],
    [19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 105],
]


def test_nearest_jobs_orders_by_distance_both_ways():
    dist = np.array([[0, 5, 1, 9], [7, 0, 2, 3], [1, 1, 0, 8], [9, 2, 8, 0]], dtype=np.int64)
    order = nearest_jobs([10, 11, 12, 13], dist, count=3)
    # symmetric distances: 0-1 12, 0-2 2, 0-3 18, 1-2 3, 1-3 5, 2-3 16
    assert order.tolist() == [[12, 11, 13], [12, 13, 10], [10, 11, 13], [11, 12, 10]]


@pytest.mark.parametrize("seed", range(40))
def test_ruin_removes_strings_of_jobs_and_every_unload_left_empty(seed: int):
    model = _model(_line_neighbours())
    ruined = ruin(ROUTES, model, random.Random(seed))
    assert len(ruined) == len(ROUTES)
    removed = set(JOBS) - {i for route in ruined for i in route}
    assert removed, "a ruin removes at least one job"
    for before, after in zip(ROUTES, ruined, strict=True):
        jobs_before = [i for i in before if i not in UNLOADS]
        gone = [k for k, i in enumerate(jobs_before) if i in removed]
        if gone:  # one string per route, contiguous in the route's job sequence
            assert gone == list(range(gone[0], gone[-1] + 1))
        # what is kept keeps its order, and every unload has a job before it in its trip
        assert after == [i for i in before if i in after]
        loaded = False
        for i in after:
            assert i not in UNLOADS or loaded, f"empty unload {i} in {after}"
            loaded = i not in UNLOADS
        if not any(i not in UNLOADS for i in after):
            assert after == []


def test_jobs_after_the_last_unload_are_not_kept():
    model = _model(_line_neighbours())
    ruined = ruin([[1, 2, 100, 3, 4], [5, 6], [7, 101, 102, 8, 103]], model, random.Random(0))
    for route in ruined:
        assert not route or route[-1] in UNLOADS


def test_same_seed_and_solution_limit_give_the_same_plan_with_ruin_and_recreate(example):
    options = PlanOptions(time_limit_s=60.0, solution_limit=30, metaheuristic="ruin_recreate")
    first = plan_day_full(example, options=options).plan
    second = plan_day_full(example, options=options).plan
    assert first.model_dump(exclude={"stats"}) == second.model_dump(exclude={"stats"})


def _converted(suite: str, name: str):
    from benchmarks.convert import INSTANCES_DIR, SUITE_DIRS, read_problem, to_wasteopt

    problem = read_problem(suite, INSTANCES_DIR / SUITE_DIRS[suite] / f"{name}.vrp")
    converted = to_wasteopt(problem)
    return problem, converted, ExplicitMatrixProvider(converted.matrices)


def test_ruin_and_recreate_improves_on_its_first_descent():
    problem, converted, provider = _converted("cvrp", "X-n101-k25")

    def cost(metaheuristic: str, iterations: int | None) -> float:
        options = PlanOptions(
            time_limit_s=120.0, solution_limit=iterations, metaheuristic=metaheuristic
        )
        plan = plan_day_full(converted.instance, provider, options).plan
        assert not plan.unserved
        return plan.cost

    local_optimum = cost("greedy_descent", None)
    improved = cost("ruin_recreate", 100)
    assert improved < 0.98 * local_optimum
    assert improved >= problem.bks


def _two_cost_classes() -> pywrapcp.RoutingModel:
    """Depot 0 and jobs 1..5 on a line (10 per step), two vehicles of capacity 4, the second
    paying twice per metre, each job optional at 1,000."""
    manager = pywrapcp.RoutingIndexManager(6, 2, 0)
    routing = pywrapcp.RoutingModel(manager)
    metres = [[10 * abs(i - j) for j in range(6)] for i in range(6)]
    for vehicle, factor in enumerate((1, 2)):
        scaled = [[factor * m for m in row] for row in metres]
        routing.SetArcCostEvaluatorOfVehicle(routing.RegisterTransitMatrix(scaled), vehicle)
    demand = routing.RegisterUnaryTransitVector([0, 1, 1, 1, 1, 1])
    routing.AddDimensionWithVehicleCapacity(demand, 0, [4, 4], True, "load")
    for node in range(1, 6):
        routing.AddDisjunction([manager.NodeToIndex(node)], 1000)
    return routing


def test_read_routes_after_a_search_with_vehicle_dependent_costs():
    """OR-Tools' own ReadAssignmentFromRoutes keeps each node's vehicle from the last search
    and then refuses plans that leave a job out; read_routes sets vehicles too."""
    routing = _two_cost_classes()
    solved = routing.SolveWithParameters(pywrapcp.DefaultRoutingSearchParameters())
    assert vehicle_routes(routing, solved) == [[2, 3, 4, 5], [1]]
    assert solved.ObjectiveValue() == 100 + 2 * 20
    dropped = read_routes(routing, [[3, 4, 5], [1]])
    assert dropped is not None and dropped.ObjectiveValue() == 100 + 2 * 20 + 1000
    moved = read_routes(routing, [[2, 3, 4], [5, 1]])
    assert moved is not None and moved.ObjectiveValue() == 80 + 2 * 100
    assert read_routes(routing, [[1, 2, 3, 4, 5], []]) is None  # five jobs, capacity four


def test_ruin_and_recreate_improves_a_heterogeneous_fleet():
    """X110-HD: vehicle types with their own cost per km, so the ruined plans need
    :func:`read_routes` (before it, every ruined plan was refused and nothing improved)."""
    _, converted, provider = _converted("hfvrp", "X110-HD")

    def cost(metaheuristic: str, solution_limit: int | None) -> float:
        options = PlanOptions(
            time_limit_s=120.0, solution_limit=solution_limit, metaheuristic=metaheuristic
        )
        return plan_day_full(converted.instance, provider, options).plan.cost

    assert cost("ruin_recreate", 40) < 0.99 * cost("greedy_descent", None)


@pytest.mark.parametrize("time_left", [True, False])
def test_ruin_and_recreate_is_not_set_up_once_the_deadline_has_passed(
    monkeypatch, example, time_left
):
    """OR-Tools checks a plan it reads after the deadline and returns it; ruin and recreate,
    which would make no iteration then, is not set up (its neighbour lists alone took 4.8 s
    on 7,000 points). With time left it runs."""
    import time

    from wasteopt.matrix import GreatCircleProvider
    from wasteopt.planning import _collection_problem
    from wasteopt.routing import SearchOptions, driver
    from wasteopt.routing.search import SearchBudget

    problem = _collection_problem(example)
    matrices = GreatCircleProvider.for_instance(example).matrices(example.sites)
    calls = []
    real = driver._ruin_and_recreate
    monkeypatch.setattr(driver, "_ruin_and_recreate", lambda *a: calls.append(1) or real(*a))
    options = SearchOptions(time_limit_s=5, solution_limit=3)
    budget = SearchBudget(time.perf_counter() + (60 if time_left else -1), iteration_limit=3)
    searched = driver._solve_ortools(
        problem, matrices.distance_m, matrices.duration_s, matrices.index(), options, budget
    )
    assert searched is not None
    assert searched.routes
    assert bool(calls) is time_left
