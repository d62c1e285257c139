"""Routing benchmarks on generated VRP-with-unloading instances (:mod:`benchmarks.generate`).

Two measures per size (100, 300, 1,000, 2,000 points), with and without the drivers' break,
each one round on this machine:

- ``test_first_plan``: wall time of :func:`wasteopt.planning.plan_day` with
  ``solution_limit=1``, i.e. matrices, model, first solution of both tiers and the checker;
- ``test_plan_at_budget``: the plan after ``BUDGET_S`` seconds per tier; its cost, unserved
  points and the time to the first solution are stored in the benchmark's ``extra_info``.

Run ``pytest benchmarks/bench_routing.py --benchmark-json out.json``; select sizes with
``-k 1000``. These are timings: they belong here, never in tests/.
"""

from __future__ import annotations

import pytest

from benchmarks.generate import generate
from wasteopt.matrix import GreatCircleProvider
from wasteopt.model import Instance, Plan
from wasteopt.planning import PlanOptions, plan_day

SIZES = (100, 300, 1000, 2000)
BUDGET_S = 30.0


@pytest.fixture(
    scope="module",
    params=[(n, b) for n in SIZES for b in (True, False)],
    ids=lambda p: f"{p[0]}pts-{'breaks' if p[1] else 'nobreak'}",
)
def instance(request: pytest.FixtureRequest) -> Instance:
    size, breaks = request.param
    return generate(size, seed=1, breaks=breaks)


def _record(benchmark, plan: Plan) -> None:
    benchmark.extra_info.update(
        {
            "cost": plan.cost,
            "unserved": len(plan.unserved),
            "routes": len(plan.routes),
            "first_feasible_s": plan.stats[0].first_feasible_s,
        }
    )


def test_first_plan(benchmark, instance: Instance) -> None:
    provider = GreatCircleProvider.for_instance(instance)
    options = PlanOptions(time_limit_s=600.0, solution_limit=1)
    plan = benchmark.pedantic(plan_day, args=(instance, provider, options), rounds=1, iterations=1)
    _record(benchmark, plan)
    assert plan.routes


def test_plan_at_budget(benchmark, instance: Instance) -> None:
    provider = GreatCircleProvider.for_instance(instance)
    options = PlanOptions(time_limit_s=BUDGET_S)
    plan = benchmark.pedantic(plan_day, args=(instance, provider, options), rounds=1, iterations=1)
    _record(benchmark, plan)
    assert plan.routes
