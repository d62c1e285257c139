"""Region-by-region improvement of large tiers: regions, start tables, splicing, the loop."""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from tests.test_warmstart import _start
from wasteopt.routing.nodes import NodeTable
from wasteopt.routing.regions import (
    IDLE_PER_REGION,
    REGION_JOBS,
    WholeTier,
    _region,
    improve_by_regions,
)
from wasteopt.routing.ruin_recreate import nearest_jobs
from wasteopt.routing.search import RawRoute, RawSolution, SearchBudget, Visit
from wasteopt.routing.warmstart import SPARE_MIN, SPARE_RATIO, spread_trips, table_for_routes


def _visits(route: list[int], nodes: NodeTable) -> list[tuple[str, str]]:
    return [(nodes.kind[n], nodes.ref[n]) for n in route]


def _tier(objective=lambda routes: 0):
    problem, nodes, data, routes = _start()
    routes = spread_trips(problem, nodes, data, routes)
    jobs = list(range(len(nodes.jobs)))
    tier = WholeTier(
        problem=problem,
        nodes=nodes,
        neighbours=nearest_jobs(jobs, data.dist[np.ix_(jobs, jobs)]),
        objective=objective,
    )
    return tier, data, routes


def test_the_fleet_can_be_limited_to_some_trucks():
    problem, *_ = _start()
    some = {problem.vehicles[0].vehicle_id, problem.vehicles[3].vehicle_id}
    limited = replace(problem, only_vehicle_ids=frozenset(some))
    assert {v.vehicle_id for v in limited.vehicles} == some


def test_a_start_is_read_into_a_table_sized_to_it():
    problem, nodes, data, routes = _start()
    start = [_visits(route, nodes) for route in routes]
    table, read = table_for_routes(problem, start, seed=3)
    assert [_visits(route, table) for route in read] == start
    used = Counter(ref for route in start for kind, ref in route if kind == "unload")
    for facility, copies in table.facility_copies.items():
        spare = max(SPARE_MIN, math.ceil(SPARE_RATIO * used[facility]))
        assert len(copies) == used[facility] + spare
    assert table.ref[: len(table.jobs)] != nodes.ref[: len(nodes.jobs)]  # seed 3 reorders


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_region_is_whole_trucks_near_a_job_and_a_few_idle_ones(seed):
    tier, _, routes = _tier()
    vehicles = tier.problem.vehicles
    chosen = _region(tier, routes, random.Random(seed))
    busy = {v.vehicle_id for k, v in enumerate(vehicles) if routes[k]}
    jobs_in = [
        n
        for k, v in enumerate(vehicles)
        if v.vehicle_id in chosen
        for n in routes[k]
        if tier.nodes.kind[n] == "job"
    ]
    assert len(jobs_in) >= REGION_JOBS
    assert len(chosen - busy) == IDLE_PER_REGION
    assert len(jobs_in) < REGION_JOBS + max(len(r) for r in routes)  # stops once full


def _trips_sorted(route: list[int], nodes: NodeTable, descending: bool) -> list[int]:
    out, trip = [], []
    for n in route:
        if nodes.kind[n] == "unload":
            out += [*sorted(trip, reverse=descending), n]
            trip = []
        else:
            trip.append(n)
    return out + sorted(trip, reverse=descending)


def test_cheaper_region_plans_are_spliced_in_with_the_tiers_own_copies():
    """A fake region solver that puts every trip's jobs in descending node order, and an
    objective that charges each job its node number times its position in the route: every
    region comes back cheaper, and its plan must replace the region's routes."""

    def objective(node_routes):
        return sum(p * n for route in node_routes for p, n in enumerate(route) if n < job_count)

    tier, _, routes = _tier(objective)
    nodes = tier.nodes
    job_count = len(nodes.jobs)
    node_of = {job.id: n for n, job in enumerate(nodes.jobs)}
    seeds = []

    def solve_region(sub, start, seconds, seed):
        seeds.append(seed)
        assert {ref for r in start for kind, ref in r if kind == "job"} == {j.id for j in sub.jobs}
        raw = []
        for k, route in enumerate(start):
            out, trip = [], []
            for kind, ref in route:
                if kind == "unload":
                    out += [*sorted(trip, key=lambda v: -node_of[v[1]]), (kind, ref)]
                    trip = []
                else:
                    trip.append((kind, ref))
            if out:
                raw.append(RawRoute(k, 0, 0, [Visit(kd, rf, rf, 0) for kd, rf in out], None))
        return RawSolution(raw, [], 0, 0.0, 0.0, [])

    worst = [_trips_sorted(r, nodes, descending=False) for r in routes]
    budget = SearchBudget(deadline=time.perf_counter() + 600, iteration_limit=4)
    improved, stats = improve_by_regions(tier, worst, budget, 5, solve_region)
    assert len(seeds) == stats.regions == 4
    assert objective(improved) < objective(worst)
    assert sorted(n for r in improved for n in r if n < job_count) == list(range(job_count))
    visited = [n for r in improved for n in r]
    assert len(visited) == len(set(visited))  # each unload copy on one route at one place
    assert all(not r or nodes.kind[r[-1]] == "unload" for r in improved)
    assert stats.regions_accepted >= 1


def _solved_alone(suite: str, name: str, seconds: float):
    """A published instance's tier solved by OR-Tools alone (no compiled search) for
    ``seconds`` of the process's CPU time (on a loaded machine the wall clock left no time for
    a region): the tier's solution and the checker's verdict on its plan."""
    from benchmarks.clock import solver_clock
    from benchmarks.convert import INSTANCES_DIR, SUITE_DIRS, read_problem, to_wasteopt
    from wasteopt.check import check_plan
    from wasteopt.model import Plan
    from wasteopt.planning import _collection_problem
    from wasteopt.routing import SearchOptions, solve_tier

    path = INSTANCES_DIR / SUITE_DIRS[suite] / f"{name}.vrp"
    converted = to_wasteopt(read_problem(suite, path))
    options = SearchOptions(time_limit_s=seconds, compiled=False)
    with solver_clock("cpu"):
        problem = _collection_problem(converted.instance)
        solution = solve_tier(problem, converted.matrices, options)
    plan = Plan(instance_name=name, routes=solution.routes, cost=0.0)
    violations = [
        v for v in check_plan(converted.instance, plan, converted.matrices) if v.kind != "cost"
    ]
    return solution, violations


def test_a_large_tier_is_improved_region_by_region():
    """X-n200-k36 (199 points) is large enough for regions; what they return is checked."""
    solution, violations = _solved_alone("cvrp", "X-n200-k36", 20)
    assert not solution.dropped
    assert not violations
    assert solution.search.regions >= 1
    assert solution.search.regions_accepted >= 1


def test_tiers_with_time_windows_are_searched_whole():
    """C2_2_01R0.5 (200 points with time windows) is large enough but not region by region."""
    solution, violations = _solved_alone("mtvrptw", "C2_2_01R0.5", 3)
    assert not solution.dropped
    assert not violations
    assert solution.search.iterations >= 1
    assert solution.search.regions == 0


def test_a_regions_charging_visits_take_nodes_of_their_kind_in_the_whole_tier():
    """A region's battery route: a job, an unload with a charge, a job, a detour to the yard's
    charger, a plain unload. Spliced into the whole tier, the charging unload takes a charge
    copy, the detour a detour node of the yard, the plain unload a plain copy."""
    from tests.builders import at, build_instance, point, station, truck
    from wasteopt.planning import _collection_problem
    from wasteopt.routing.or_extract import ChargingVisit
    from wasteopt.routing.regions import _spliced

    charger = {"power_kw": 60.0}
    electric = {"type": "electric", "empty_per_100km": 60.0, "full_per_100km": 90.0}
    instance = build_instance(
        [station("S", 5, charger=charger)],
        [point("P1", 3), point("P2", 4)],
        [truck("E", cost_per_km=2.0, energy=electric, battery={"capacity_kwh": 100.0})],
        yards=[at("Y", charger=charger)],
    )
    problem = _collection_problem(instance)
    nodes = NodeTable(problem, 0, {"S": 2})
    tier = WholeTier(problem, nodes, np.zeros((2, 1), dtype=np.int64), lambda routes: 0)
    visits = [
        Visit("job", "P1", "P1", 0),
        ChargingVisit("unload", "S", "S", 0, 1800),
        Visit("job", "P2", "P2", 0),
        ChargingVisit("charge", "Y", "Y", 0, 1800),
        Visit("unload", "S", "S", 0),
    ]
    solved = RawSolution([RawRoute(0, 0, 0, visits, None)], [], 0, 0.0, None, [])
    vehicle = problem.vehicles[0]
    job_node = {job.id: n for n, job in enumerate(nodes.jobs)}
    (route,) = _spliced(
        tier, [[]], {0}, problem, solved, {(vehicle.vehicle_id, vehicle.stream): 0}, job_node
    )
    assert route[0] == job_node["P1"] and route[2] == job_node["P2"]
    assert route[1] in nodes.charge_copies
    assert route[3] in nodes.detours["Y"]
    assert route[4] in nodes.facility_copies["S"] and route[4] not in nodes.charge_copies
