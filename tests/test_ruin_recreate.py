"""Ruin and recreate: the ruin removes strings of jobs and never leaves an empty unload; the
loop is deterministic for a seed and iteration count, and improves on the descent it starts
from."""

from __future__ import annotations

import random

import numpy as np
import pytest

from wasteopt.matrix import ExplicitMatrixProvider
from wasteopt.planning import PlanOptions, plan_day_full
from wasteopt.routing.ruin_recreate import RuinRecreateModel, nearest_jobs, ruin

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
    pytest.importorskip("vrplib", reason="vrplib comes with the bench extra")
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
    improved = cost("ruin_recreate", 60)
    assert improved < 0.98 * local_optimum
    assert improved >= problem.bks


def test_guided_local_search_takes_over_when_ruin_and_recreate_gives_up():
    """On the one-trip gadget of the heterogeneous-fleet conversion OR-Tools refuses the ruined
    plans; guided local search then spends the budget (here: its 200 solutions)."""
    _, converted, provider = _converted("hfvrp", "X110-HD")

    def cost(metaheuristic: str, solution_limit: int | None) -> float:
        options = PlanOptions(
            time_limit_s=120.0, solution_limit=solution_limit, metaheuristic=metaheuristic
        )
        return plan_day_full(converted.instance, provider, options).plan.cost

    assert cost("ruin_recreate", 200) < cost("greedy_descent", None)
