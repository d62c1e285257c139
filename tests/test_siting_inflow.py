"""Siting with a station that already takes waste from outside the plan: only what is left of
its capacity is free. The optimum is found by enumerating every assignment and costing it from
the instance's own figures (the rates written out below), not with the library's evaluate()."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tests.builders import build_instance, facility, point, station, truck
from wasteopt.matrix import ExplicitMatrixProvider
from wasteopt.model import TravelMatrices
from wasteopt.siting import SitingOptions, choose_stations

X = {"Y": 0.0, "INC": -60.0, "A": 10.0, "B": 20.0, "P1": 11.0, "P2": 12.0, "P3": 13.0}
TONNES = {"P1": 3.0, "P2": 3.0, "P3": 3.0}
KMH = 30.0
DAYS = 365
# collection truck: 2 t, 3 CNY/km, 60 CNY/h + 240 CNY/day over a 12 h shift
COLLECT_PAYLOAD, COLLECT_KM, COLLECT_HOUR = 2.0, 3.0, 60.0 + 240.0 / 12
# transfer truck: 10 t containers, 5 CNY/km, 80 CNY/h + 360 CNY/day over 12 h
BOX, TRANSFER_KM, TRANSFER_HOUR = 10.0, 5.0, 80.0 + 360.0 / 12
FEE = {"INC": 60.0, "A": 8.0, "B": 8.0}
FIXED = {"A": 10_000.0, "B": 10_000.0}
CAPACITY = {"A": 12.0, "B": 20.0}
FREE = {"A": 12.0 - 8.0, "B": 20.0}  # A takes 8 t/day from outside the plan


def town():
    return build_instance(
        facilities=[
            facility("INC", X["INC"], cost_per_t=FEE["INC"]),
            station(
                "A",
                X["A"],
                capacity=CAPACITY["A"],
                external_inflow_t_per_day=8.0,
                annual_fixed_cost=FIXED["A"],
                cost_per_t=FEE["A"],
                status="candidate",
            ),
            station(
                "B",
                X["B"],
                capacity=CAPACITY["B"],
                annual_fixed_cost=FIXED["B"],
                cost_per_t=FEE["B"],
            ),
        ],
        points=[point(p, X[p], tonnes=t) for p, t in TONNES.items()],
        vehicle_types=[
            truck("C", payload=COLLECT_PAYLOAD, cost_per_km=3.0, cost_per_hour=60.0,
                  fixed_cost_per_day=240.0),
            truck("H", tier="transfer", payload=BOX, cost_per_km=5.0, cost_per_hour=80.0,
                  fixed_cost_per_day=360.0),
        ],
    )  # fmt: skip


def provider() -> ExplicitMatrixProvider:
    ids = list(X)
    x = np.array([X[i] for i in ids])
    km = np.abs(x[:, None] - x[None, :])
    return ExplicitMatrixProvider(
        TravelMatrices(ids, np.rint(km * 1000).astype(np.int64), np.rint(km / KMH * 3600))
    )


def km(a: str, b: str) -> float:
    return abs(X[a] - X[b])


def round_trip(a: str, b: str, per_km: float, per_hour: float) -> float:
    return 2 * km(a, b) * per_km + 2 * km(a, b) / KMH * per_hour


def brute_force(free: dict[str, float]) -> tuple[float, dict[str, str]]:
    """Cheapest annual cost over every destination of every point (A, B or the plant), each
    station taking at most ``free`` t/day."""
    best = (math.inf, {})
    for dests in itertools.product(("A", "B", "INC"), repeat=len(TONNES)):
        assignment = dict(zip(TONNES, dests, strict=True))
        load = {s: sum(TONNES[p] for p, d in assignment.items() if d == s) for s in free}
        if any(load[s] > free[s] for s in free):
            continue
        daily = 0.0
        for p, d in assignment.items():
            line_haul = TONNES[p] / COLLECT_PAYLOAD * round_trip(p, d, COLLECT_KM, COLLECT_HOUR)
            fees = TONNES[p] * (FEE[d] + (FEE["INC"] if d != "INC" else 0.0))
            daily += line_haul + fees
        for s, t in load.items():
            daily += math.ceil(t / BOX) * round_trip(s, "INC", TRANSFER_KM, TRANSFER_HOUR)
        annual = daily * DAYS + sum(FIXED[s] for s in free if load[s] > 0)
        best = min(best, (annual, assignment), key=lambda b: b[0])
    return best


def test_a_station_with_outside_inflow_takes_only_its_free_capacity():
    cost, assignment = brute_force(FREE)
    unbounded, everything_to_a = brute_force(CAPACITY)
    assert set(everything_to_a.values()) == {"A"} and unbounded < cost  # the inflow binds
    result = choose_stations(
        town(), provider(), SitingOptions(gap_limit=0.0, time_limit_s=20, workers=1)
    )
    assert result.status == "optimal"
    assert result.cost.total == pytest.approx(cost, abs=10.0)  # whole CNY per solver term
    assert result.station_load_t.get("A", 0.0) <= FREE["A"]
    assert sorted(result.assignment.values()) == sorted(assignment.values())
