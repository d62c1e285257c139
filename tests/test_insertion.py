"""Cheapest insertion of removed jobs: the cheapest feasible position, time windows, trip
loads, new trips with an unused unload copy, idle trucks, and jobs that fit nowhere."""

from __future__ import annotations

import random

import numpy as np
import pytest

from wasteopt.routing import insertion
from wasteopt.routing.insertion import InsertionModel, recreate

# Solver index = node: jobs 0-3 at x = 10, 20, 30, 40 km, unload copies 4 and 5 at the yard
# (x = 0), yard node 6; vehicle k starts at index 7 + 2k and ends at 8 + 2k (both the yard).
X_KM = [10, 20, 30, 40, 0, 0, 0]
HORIZON = 86_400


def _model(
    vehicles: int = 1,
    payload: int = 300,
    windows: dict[int, tuple[int, int]] | None = None,
    siblings: list[list[int]] | None = None,
    fixed: int = 1_000_000,
) -> InsertionModel:
    x = np.array(X_KM) * 1000
    dist = np.abs(x[:, None] - x[None, :])
    service = np.array([60, 60, 60, 60, 600, 600, 0])
    opens = np.zeros(7, dtype=np.int64)
    closes = np.full(7, HORIZON, dtype=np.int64)
    for node, (start, end) in (windows or {}).items():
        opens[node], closes[node] = start, end
    return InsertionModel(
        index_node=np.array([0, 1, 2, 3, 4, 5, *[6] * (2 * vehicles)]),
        dist_m=dist,
        time_s=dist // 10 + service[:, None],  # 36 km/h
        demand=np.array([100, 100, 100, 100, -payload, -payload, 0]),
        opens=opens,
        closes=closes,
        job_row={0: 0, 1: 1, 2: 2, 3: 3},
        starts=[6 + 2 * k for k in range(vehicles)],
        ends=[7 + 2 * k for k in range(vehicles)],
        shifts=[(0, HORIZON)] * vehicles,
        payload=[payload] * vehicles,
        per_m=[1.0] * vehicles,
        per_s=[0.0] * vehicles,
        fixed=[fixed] * vehicles,
        allowed=np.ones((4, vehicles), dtype=bool),
        copies=[[[4, 5]]] * vehicles,
        siblings=siblings or [[] for _ in range(vehicles)],
        unloads=frozenset({4, 5}),
    )


@pytest.fixture(autouse=True)
def _no_blinks(monkeypatch):
    """Without blinks the cheapest position is the one chosen."""
    monkeypatch.setattr(insertion, "BLINK_RATE", 0.0)


def test_a_job_goes_to_its_cheapest_position():
    assert recreate(_model(), [[0, 2, 4]], [1], random.Random(0)) == [[0, 1, 2, 4]]


def test_a_time_window_rules_out_the_cheapest_position():
    # job 1 (20 km out) must start by 2,030 s: as first stop it starts at 2,000 s, after
    # job 0 (the cheapest place) at 2,060 s
    windows = {1: (0, 2_030)}
    assert recreate(_model(windows=windows), [[0, 2, 4]], [1], random.Random(0)) == [[1, 0, 2, 4]]


def test_a_full_trip_gets_a_trip_of_its_own_with_an_unused_unload():
    routes = recreate(_model(payload=200), [[0, 2, 4]], [1], random.Random(0))
    assert routes in ([[1, 5, 0, 2, 4]], [[0, 2, 4, 1, 5]])


def test_every_removed_job_is_placed_and_trips_stay_within_payload():
    model = _model(payload=200)
    routes = recreate(model, [[]], [0, 1, 2, 3], random.Random(3))
    assert sorted(i for i in routes[0] if i < 4) == [0, 1, 2, 3]
    load = 0
    for index in routes[0]:
        load = 0 if index in model.unloads else load + model.demand[index]
        assert load <= 200
    assert routes[0][-1] in model.unloads


def test_an_idle_truck_opens_only_when_its_truck_is_not_already_driving():
    # job 3 (40 km out) only as a first stop, and then vehicle 0 would miss job 0's window:
    # it needs a second truck; as twins, vehicle 1 is vehicle 0's truck on another stream and
    # may not open while vehicle 0 drives
    windows = {3: (0, 4_030), 0: (0, 5_000)}
    alone = recreate(_model(vehicles=2, windows=windows), [[0, 4], []], [3], random.Random(0))
    assert alone == [[0, 4], [3, 5]]
    twins = _model(vehicles=2, windows=windows, siblings=[[1], [0]])
    assert recreate(twins, [[0, 4], []], [3], random.Random(0))[1] == []


def test_at_equal_cost_a_trip_goes_to_an_idle_truck():
    # a second trip for truck 0 or a first for truck 1 cost the same without fixed costs
    model = _model(vehicles=2, payload=100, fixed=0)
    assert recreate(model, [[0, 4], []], [1], random.Random(0)) == [[0, 4], [1, 5]]


def test_a_job_that_fits_nowhere_stays_out():
    windows = {3: (0, 1_000)}  # 40 km out: 4,000 s from the yard at the earliest
    assert recreate(_model(windows=windows), [[0, 4]], [3], random.Random(0)) == [[0, 4]]
