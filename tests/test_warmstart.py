"""The warm start's trip spreading: same cost, shorter routes, only where that is free."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from wasteopt.planning import _collection_problem
from wasteopt.routing.construct import ConstructionInput, construct
from wasteopt.routing.nodes import NodeTable, node_data
from wasteopt.routing.warmstart import _cost_per_kg, greedy_routes, spread_trips


def _start(
    fixed_cost: float = 0.0, fleet: int | None = None, suite: str = "cvrp", name: str = "X-n101-k25"
):
    from benchmarks.convert import INSTANCES_DIR, SUITE_DIRS, read_problem, to_wasteopt

    published = read_problem(suite, INSTANCES_DIR / SUITE_DIRS[suite] / f"{name}.vrp")
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


def test_fleet_order_serves_what_cost_order_leaves_out(monkeypatch):
    """X115-HVRP's limited fleet: trucks cheapest per kg first serve 109 of 114 points, fleet
    order all of them, and the construction keeps the one that serves more."""
    from wasteopt.routing import warmstart

    served_by_try: list[int] = []

    def counting(data: ConstructionInput) -> list[list[int]]:
        routes = construct(data)
        served_by_try.append(sum(1 for r in routes for n in r if n < len(data.job_nodes)))
        return routes

    monkeypatch.setattr(warmstart, "construct", counting)
    _, nodes, _, routes = _start(suite="hfvrp", name="X115-HVRP")
    assert served_by_try == [109, 114]
    assert sorted(n for r in routes for n in r if n < len(nodes.jobs)) == list(range(114))


def test_cost_order_alone_when_it_serves_everything(monkeypatch):
    from wasteopt.routing import warmstart

    tries: list[ConstructionInput] = []
    monkeypatch.setattr(warmstart, "construct", lambda data: tries.append(data) or construct(data))
    _start(suite="hfvrp", name="X110-HD")
    assert len(tries) == 1


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
    assert plan.stats[0].starts_rejected == 0  # the spread start was read


def _two_trucks(rank: list[float]) -> ConstructionInput:
    """Four 10-kg jobs (nodes 0-3), two unload copies (4, 5), one yard (6), 10 s apart; two
    trucks that can each take every job."""
    travel = np.full((7, 7), 10, dtype=np.int64)
    np.fill_diagonal(travel, 0)
    return ConstructionInput(
        travel=travel,
        service=np.zeros(7, dtype=np.int64),
        demand=np.array([10, 10, 10, 10, -40, -40, 0], dtype=np.int64),
        window_start=np.zeros(7, dtype=np.int64),
        window_end=np.full(7, 86_400, dtype=np.int64),
        job_nodes=[0, 1, 2, 3],
        job_stream=["residual"] * 4,
        copies={"plant": [4, 5]},
        facility_streams={"plant": {"residual"}},
        facility_free_kg={"plant": 1_000},
        facility_fee_per_kg={"plant": 0.0},
        vehicle_start=[6, 6],
        vehicle_payload=[40, 40],
        vehicle_stream=["residual", "residual"],
        vehicle_physical=["small", "big"],
        vehicle_shift=[(0, 86_400), (0, 86_400)],
        vehicle_break=[None, None],
        vehicle_cost_per_s=[0.01, 0.01],
        vehicle_rank=rank,
    )


@pytest.mark.parametrize(("rank", "used"), [([2.0, 1.0], 1), ([1.0, 2.0], 0), ([0.0, 0.0], 0)])
def test_the_truck_cheapest_per_kg_goes_out_first(rank, used):
    routes = construct(_two_trucks(rank))
    assert [bool(r) for r in routes] == [v == used for v in range(2)]
    assert sorted(routes[used]) == [0, 1, 2, 3, 4]


def test_cost_per_kg_weighs_fixed_cost_and_distance_per_payload():
    from wasteopt.model import TimeWindow, VehicleType

    def vehicle(payload_t: float, fixed: float, per_km: float) -> VehicleType:
        return VehicleType(
            id=f"t{payload_t}",
            streams=["residual"],
            payload_t=payload_t,
            count=1,
            yard="y",
            shift=TimeWindow(start="06:00", end="14:00"),
            fixed_cost_per_day=fixed,
            cost_per_km=per_km,
        )

    # 100 CNY + 2 CNY/km x 20 km over 5,000 kg; 300 CNY + 3 CNY/km x 20 km over 10,000 kg
    assert _cost_per_kg(vehicle(5, 100, 2), 5_000, 20_000) == pytest.approx(140 / 5_000)
    assert _cost_per_kg(vehicle(10, 300, 3), 10_000, 20_000) == pytest.approx(360 / 10_000)


def test_a_break_taken_while_waiting_still_shortens_the_day_as_the_compiled_search_sees_it():
    """The compiled search sees no break but a shift shortened by it. A break taken while
    waiting for a window delays nothing on the real clock, yet the day must also end in time
    without it, or the greedy start is infeasible to that search."""
    day = _two_trucks([1.0, 2.0])
    late_window = [8_000, 0, 0, 0, 0, 0, 0]
    data = replace(
        day,
        window_start=np.array(late_window, dtype=np.int64),
        window_end=np.array([9_000, *[86_400] * 6], dtype=np.int64),
        job_nodes=[0, 1],
        job_stream=["residual"] * 2,
        vehicle_start=[6],
        vehicle_payload=[40],
        vehicle_stream=["residual"],
        vehicle_physical=["small"],
        vehicle_shift=[(0, 10_000)],
        # 50 min, due by 5,000 s: taken while waiting for job 0's window at 8,000 s, which
        # ends the day at 8,020 s on both clocks, past the shortened shift's 7,000 s
        vehicle_break=[(0, 5_000, 3_000)],
        vehicle_cost_per_s=[0.01],
        vehicle_rank=[1.0],
    )
    assert construct(data) == [[1, 4]]
    without_break = replace(data, vehicle_break=[None])
    assert sorted(construct(without_break)[0]) == [0, 1, 4]


def test_a_start_the_check_refuses_is_counted_and_the_search_goes_on(monkeypatch, example):
    """Were OR-Tools to refuse every start (the compiled search's plan and the greedy one),
    the plan's stats count the refusals and the search still finds a checked plan alone."""
    from wasteopt.check import check_plan
    from wasteopt.planning import PlanOptions, plan_day_full
    from wasteopt.routing import driver

    monkeypatch.setattr(driver, "read_routes", lambda routing, routes: None)
    result = plan_day_full(example, options=PlanOptions(time_limit_s=60, solution_limit=5))
    assert result.plan.stats[0].starts_rejected >= 1
    assert not check_plan(example, result.plan, result.matrices)
