"""Decomposition (wasteopt.routing.decompose) on clustered PyVRP data built by hand, and in the
compiled search."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import pyvrp
import pyvrp.search

from wasteopt.routing import compiled, decompose
from wasteopt.routing.decompose import GROUP_CLIENTS, MIN_GROUPS, decomposed, route_groups
from wasteopt.routing.idle_trucks import visits

UNPENALISED = pyvrp.CostEvaluator([0], 0, 0)
CORNERS = [(-1, -1), (-1, 1), (1, -1), (1, 1)]


def _clusters(per_cluster: int, capacity: int, reloads: bool = False) -> pyvrp.ProblemData:
    """A depot at the origin and four clusters of ``per_cluster`` clients (a unit pickup
    each) around (+-5,000, +-5,000), each cluster's clients on a small grid; euclidean
    distances and durations; trucks that may reload at the depot where ``reloads``."""
    model = pyvrp.Model()
    depot = model.add_depot(model.add_location(0, 0))
    for cx, cy in CORNERS:
        for k in range(per_cluster):
            x, y = 5_000 * cx + 40 * (k % 8), 5_000 * cy + 40 * (k // 8)
            model.add_client(model.add_location(x, y), pickup=[1])
    model.add_vehicle_type(
        4 * per_cluster,
        capacity=[capacity],
        start_depot=depot,
        end_depot=depot,
        fixed_cost=10,
        reload_depots=[depot] if reloads else [],
        max_reloads=2 if reloads else 0,
    )
    for a in model.locations:
        for b in model.locations:
            gap = round(((a.x - b.x) ** 2 + (a.y - b.y) ** 2) ** 0.5)
            model.add_edge(a, b, distance=gap, duration=gap)
    return model.data()


def _cluster_of(data: pyvrp.ProblemData, client: int) -> int:
    location = data.locations()[data.clients()[client].location]
    return CORNERS.index((1 if location.x > 0 else -1, 1 if location.y > 0 else -1))


def _client(k: int) -> pyvrp.Activity:
    return pyvrp.Activity(pyvrp.ActivityType.CLIENT, k)


def _zigzag(data: pyvrp.ProblemData, per_route: int) -> pyvrp.Solution:
    """Routes of ``per_route`` clients of one cluster each, visited in a poor order (the
    cluster's grid read alternately from both ends)."""
    by_cluster: dict[int, list[int]] = {}
    for client in range(data.num_clients):
        by_cluster.setdefault(_cluster_of(data, client), []).append(client)
    routes = []
    for clients in by_cluster.values():
        for start in range(0, len(clients), per_route):
            chunk = clients[start : start + per_route]
            order = [chunk[k // 2] if k % 2 == 0 else chunk[-1 - k // 2] for k in range(len(chunk))]
            routes.append(pyvrp.Route(data, [_client(c) for c in order], 0))
    return pyvrp.Solution(data, routes)


def _neighbours(data: pyvrp.ProblemData) -> dict[pyvrp.Activity, list[pyvrp.Activity]]:
    return pyvrp.search.compute_neighbours(
        data, pyvrp.search.NeighbourhoodParams(num_neighbours=20)
    )


def test_decomposition_applies_to_one_trip_plans_of_enough_groups():
    per_cluster = MIN_GROUPS * GROUP_CLIENTS // 4
    assert decompose.applies(_clusters(per_cluster, capacity=20))
    assert not decompose.applies(_clusters(per_cluster - 1, capacity=20))
    assert not decompose.applies(_clusters(per_cluster, capacity=20, reloads=True))


def test_groups_are_the_routes_that_neighbour_each_other():
    """Four clusters far apart, two routes each: a client's twenty nearest are all in its own
    cluster, so a group grown from any route takes its cluster's other route and stops there,
    short of its size, since no other route is a neighbour."""
    data = _clusters(per_cluster=40, capacity=20)
    routes = list(_zigzag(data, per_route=20).routes())
    groups = route_groups(routes, _neighbours(data), pyvrp.RandomNumberGenerator(seed=3))
    assert sorted(k for group in groups for k in group) == list(range(len(routes)))
    clusters = [
        {_cluster_of(data, a.idx) for k in group for a in visits(routes[k])} for group in groups
    ]
    assert sorted(len(group) for group in groups) == [2, 2, 2, 2]
    assert all(len(cluster) == 1 for cluster in clusters)


def test_a_group_stops_growing_at_its_size():
    """One cluster of ten routes of 16: a group takes in routes until it holds the group's
    number of clients, so it ends within one route of it."""
    model_data = _clusters(per_cluster=160, capacity=16)
    routes = [
        r
        for r in _zigzag(model_data, per_route=16).routes()
        if _cluster_of_route(model_data, r) == 0
    ]
    groups = route_groups(routes, _neighbours(model_data), pyvrp.RandomNumberGenerator(seed=1))
    sizes = [sum(routes[k].num_clients() for k in group) for group in groups]
    assert sum(sizes) == 160
    assert GROUP_CLIENTS <= max(sizes) < GROUP_CLIENTS + 16


def _cluster_of_route(data: pyvrp.ProblemData, route: pyvrp.Route) -> int:
    return _cluster_of(data, visits(route)[0].idx)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_round_puts_back_cheaper_groups_and_serves_every_client_once(seed):
    data = _clusters(per_cluster=60, capacity=20)
    start = _zigzag(data, per_route=20)
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    params = pyvrp.SolveParams()

    def search_group(sub: pyvrp.ProblemData, initial: pyvrp.Solution) -> pyvrp.Solution:
        return pyvrp.solve(
            sub, pyvrp.stop.MaxIterations(200), seed, False, params=params, initial_solution=initial
        ).best

    found = decomposed(data, start, _neighbours(data), rng, search_group)
    assert found.is_feasible()
    assert UNPENALISED.cost(found) < UNPENALISED.cost(start)
    served = Counter(a.idx for route in found.routes() for a in visits(route))
    assert served == Counter(range(data.num_clients))


def test_groups_not_searched_or_not_cheaper_leave_the_plan_as_it_was():
    data = _clusters(per_cluster=60, capacity=20)
    start = _zigzag(data, per_route=20)
    rng = pyvrp.RandomNumberGenerator(seed=0)
    neighbours = _neighbours(data)
    assert decomposed(data, start, neighbours, rng, lambda sub, initial: None) is start
    assert decomposed(data, start, neighbours, rng, lambda sub, initial: initial) is start


def test_the_compiled_search_decomposes_large_data_the_same_way_under_a_seed(monkeypatch):
    """Under an iteration limit, the compiled search's decomposition rounds run on X627-HVRP
    (626 clients, trucks that make one trip) and the run repeats exactly."""
    from benchmarks.convert import read_problem, suite_files, to_wasteopt
    from benchmarks.published import select
    from wasteopt.planning import _collection_problem
    from wasteopt.routing.compiled import encode, engine_data, single_trip_groups
    from wasteopt.routing.warmstart import greedy_start

    path = select(suite_files("hfvrp"), "X627-HVRP")[0]
    converted = to_wasteopt(read_problem("hfvrp", path))
    problem = _collection_problem(converted.instance)
    matrices = converted.matrices
    site_index = matrices.index()
    start = greedy_start(problem, matrices.distance_m, matrices.duration_s, site_index, 0)
    single = single_trip_groups(problem, matrices.distance_m, site_index, start)
    served = frozenset(ref for route in start for kind, ref in route if kind == "job")
    engine = engine_data(
        problem, matrices.distance_m, matrices.duration_s, site_index, {}, single, served
    )
    initial = encode(problem, engine, start)
    assert decompose.applies(engine.data)
    rounds: list[int] = []
    original = decompose.decomposed

    def counting(*args, **kwargs):
        rounds.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(decompose, "decomposed", counting)

    def run() -> tuple[int, int]:
        stop = compiled._Stop(time.perf_counter() + 120, 300, None, None)
        found, iterations, _ = compiled._search(engine, stop, 4, initial)
        assert found.is_feasible()
        return UNPENALISED.cost(found), iterations

    first = run()
    assert rounds
    assert run() == first
