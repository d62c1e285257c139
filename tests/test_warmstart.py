"""The warm start's trip spreading: same cost, shorter routes, only where that is free."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from wasteopt.planning import _collection_problem
from wasteopt.routing.nodes import NodeTable, node_data
from wasteopt.routing.warmstart import greedy_routes, spread_trips


def _start(fixed_cost: float = 0.0, fleet: int | None = None):
    from benchmarks.convert import INSTANCES_DIR, read_problem, to_wasteopt

    published = read_problem("cvrp", INSTANCES_DIR / "CVRP" / "X-n101-k25.vrp")
    if fleet is not None:
        published = replace(published, groups=[replace(g, count=fleet) for g in published.groups])
    converted = to_wasteopt(published)
    instance = converted.instance
    if fixed_cost:
        vehicle_types = [
            vt.model_copy(update={"fixed_cost_per_day": fixed_cost})
            for vt in instance.vehicle_types
        ]
        instance = instance.model_copy(update={"vehicle_types": vehicle_types})
    problem = _collection_problem(instance)
    copies = {f.id: problem.copies_needed(f) for f in problem.facilities}
    nodes = NodeTable(problem, 0, copies)
    sites = converted.matrices.site_ids
    site_index = {s: i for i, s in enumerate(sites)}
    distance = np.asarray(converted.matrices.distance_m)
    duration = np.asarray(converted.matrices.duration_s)
    data = node_data(problem, nodes, distance, duration, site_index)
    return problem, nodes, data, greedy_routes(problem, nodes, data, 0)


def _length(route: list[int], yard: int, dist: np.ndarray) -> int:
    path = [yard, *route, yard]
    return int(sum(dist[a, b] for a, b in zip(path, path[1:], strict=False)))


def _trips(route: list[int], nodes: NodeTable) -> int:
    return sum(1 for n in route if nodes.kind[n] == "unload")


def test_later_trips_go_to_idle_trucks_at_the_same_cost():
    problem, nodes, data, routes = _start()
    assert max(_trips(r, nodes) for r in routes) > 1  # the construction fills one truck first
    spread = spread_trips(problem, nodes, data, routes)
    assert sorted(n for r in spread for n in r) == sorted(n for r in routes for n in r)
    assert max(_trips(r, nodes) for r in spread) == 1
    assert all(not r or nodes.kind[r[-1]] == "unload" for r in spread)
    before = sum(_length(r, data.starts[v], data.dist) for v, r in enumerate(routes) if r)
    after = sum(_length(r, data.starts[v], data.dist) for v, r in enumerate(spread) if r)
    assert after == before


def test_trips_stay_when_another_truck_costs_more():
    problem, nodes, data, routes = _start(fixed_cost=100.0)
    assert spread_trips(problem, nodes, data, routes) == routes


def test_trips_stay_on_their_truck_when_no_truck_is_idle():
    problem, nodes, data, routes = _start(fleet=1)
    assert spread_trips(problem, nodes, data, routes) == routes
    assert max(_trips(r, nodes) for r in routes) > 1


@pytest.mark.parametrize("seed", [0, 3])
def test_plans_from_a_spread_start_pass_the_checker(seed):
    from benchmarks.convert import INSTANCES_DIR, read_problem, to_wasteopt
    from wasteopt.check import check_plan
    from wasteopt.matrix import ExplicitMatrixProvider
    from wasteopt.planning import PlanOptions, plan_day

    converted = to_wasteopt(read_problem("cvrp", INSTANCES_DIR / "CVRP" / "X-n101-k25.vrp"))
    plan = plan_day(
        converted.instance,
        provider=ExplicitMatrixProvider(converted.matrices),
        options=PlanOptions(time_limit_s=60, solution_limit=5, seed=seed),
    )
    assert not plan.unserved
    assert not check_plan(converted.instance, plan, converted.matrices)
    assert len(plan.routes) > 1
