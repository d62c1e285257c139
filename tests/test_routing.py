"""The routing core: every plan passes the checker, tiny optima match brute force."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from wasteopt.check import check_plan
from wasteopt.matrix import ExplicitMatrixProvider, GreatCircleProvider
from wasteopt.model import ImpactReport, Instance, TimeWindow, TravelMatrices
from wasteopt.planning import PlanOptions, plan_day, plan_day_full
from wasteopt.validate import find_problems

FAST = PlanOptions(time_limit_s=2.0, solution_limit=60)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def instances(draw) -> Instance:
    """Small random instances: 1-2 yards, 1-3 facilities, 2-9 points of 1-2 streams; types
    may take a break, be electric with a small battery (10-30 km of range), or both, and with
    a battery the yards and some facilities have chargers of 1-2 plugs."""
    coordinate = st.floats(min_value=-0.08, max_value=0.08)
    streams = draw(st.sampled_from([["residual"], ["residual", "kitchen"]]))
    n_yards = draw(st.integers(1, 2))
    yards = [
        {"id": f"Y{k}", "lon": 111.6 + draw(coordinate), "lat": 25.5 + draw(coordinate)}
        for k in range(n_yards)
    ]
    facilities = []
    for stream in streams:
        facilities.append(
            {
                "id": f"F-{stream}",
                "kind": "incinerator" if stream == "residual" else "kitchen_centre",
                "streams": [stream],
                "capacity_t_per_day": draw(st.sampled_from([3.0, 50.0])),
                "gate": {"start": _clock(draw(st.integers(5 * 60, 8 * 60))), "end": "20:00"},
                "unload_min": draw(st.sampled_from([0, 10])),
                "lon": 111.6 + draw(coordinate),
                "lat": 25.5 + draw(coordinate),
            }
        )
    if draw(st.booleans()):
        facilities.append(
            {
                "id": "TS",
                "kind": "transfer_station",
                "streams": ["residual"],
                "capacity_t_per_day": draw(st.sampled_from([2.0, 30.0])),
                "unload_min": 5,
                "lon": 111.6 + draw(coordinate),
                "lat": 25.5 + draw(coordinate),
            }
        )
    vehicle_types = []
    for k, stream_set in enumerate([[s] for s in streams] + [streams]):
        vt = {
            "id": f"V{k}",
            "streams": stream_set,
            "payload_t": draw(st.sampled_from([1.5, 3.0, 5.0])),
            "count": draw(st.integers(1, 2)),
            "yard": f"Y{draw(st.integers(0, n_yards - 1))}",
            "shift": {"start": "06:00", "end": _clock(draw(st.integers(12 * 60, 18 * 60)))},
            "fixed_cost_per_day": draw(st.sampled_from([0, 200])),
            "cost_per_km": draw(st.sampled_from([1.0, 3.0])),
            "cost_per_hour": draw(st.sampled_from([0, 40])),
        }
        kind = draw(st.sampled_from(["break", "electric", "electric with a break", "plain"]))
        if "break" in kind:
            vt["break"] = {"window": {"start": "10:00", "end": "12:00"}, "duration_min": 30}
        if "electric" in kind:
            vt["energy"] = {"type": "electric", "empty_per_100km": 80, "full_per_100km": 110}
            vt["battery"] = {"capacity_kwh": draw(st.sampled_from([12.0, 20.0, 35.0]))}
        vehicle_types.append(vt)
    vehicle_types.append(
        {
            "id": "HL",
            "tier": "transfer",
            "streams": ["residual"],
            "payload_t": 4,
            "count": 1,
            "yard": "Y0",
            "shift": {"start": "07:00", "end": "20:00"},
        }
    )
    if any("battery" in vt for vt in vehicle_types):
        for site in yards:
            site["charger"] = {"power_kw": 30}
        for site in facilities:
            if draw(st.booleans()):
                site["charger"] = {"power_kw": 60, "count": draw(st.integers(1, 2))}
    points = []
    for k in range(draw(st.integers(2, 9))):
        point = {
            "id": f"P{k}",
            "lon": 111.6 + draw(coordinate),
            "lat": 25.5 + draw(coordinate),
            "stream": draw(st.sampled_from(streams)),
            "tonnes_per_day": draw(st.floats(min_value=0.1, max_value=1.5)),
            "service_min": draw(st.sampled_from([2, 5])),
        }
        if draw(st.booleans()):
            start = draw(st.integers(6 * 60, 13 * 60))
            point["window"] = {
                "start": _clock(start),
                "end": _clock(start + draw(st.integers(30, 240))),
            }
        points.append(point)
    return Instance.model_validate(
        {
            "name": "random",
            "yards": yards,
            "facilities": facilities,
            "vehicle_types": vehicle_types,
            "points": points,
        }
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_plan_passes_the_checker_and_accounts_for_every_point(instance: Instance):
    assume(not find_problems(instance))
    result = plan_day_full(instance, options=FAST)
    plan = result.plan
    assert check_plan(instance, plan, result.matrices) == []
    served = [s.site_id for r in plan.routes for s in r.stops if s.action == "collect"]
    unserved = [u.point_id for u in plan.unserved]
    assert sorted(served + unserved) == sorted(p.id for p in instance.points)
    assert len(set(served)) == len(served)


def _line_instance(tonnes: list[float], payload: float) -> tuple[Instance, TravelMatrices]:
    """Points on a grid; one truck that must unload at one facility between trips."""
    coords = {"Y": (0, 0), "F": (6, 0)}
    layout = [(2, 3), (5, 4), (7, 2), (3, -2), (8, -3)]
    points = []
    for k, t in enumerate(tonnes):
        coords[f"P{k}"] = layout[k]
        points.append(
            {
                "id": f"P{k}",
                "lon": 0,
                "lat": 0,
                "stream": "residual",
                "tonnes_per_day": t,
                "service_min": 0,
            }
        )
    instance = Instance.model_validate(
        {
            "name": "brute",
            "yards": [{"id": "Y", "lon": 0, "lat": 0}],
            "facilities": [
                {
                    "id": "F",
                    "kind": "incinerator",
                    "streams": ["residual"],
                    "capacity_t_per_day": 100,
                    "unload_min": 0,
                    "lon": 0,
                    "lat": 0,
                }
            ],
            "vehicle_types": [
                {
                    "id": "T",
                    "streams": ["residual"],
                    "payload_t": payload,
                    "count": 1,
                    "yard": "Y",
                    "shift": {"start": "00:00", "end": "24:00"},
                    "cost_per_km": 1.0,
                }
            ],
            "points": points,
        }
    )
    ids = [s.id for s in instance.sites]
    xy = np.array([coords[i] for i in ids], dtype=float)
    metres = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) * 1000)
    metres = metres.astype(np.int64)
    return instance, TravelMatrices(ids, metres, metres // 10)


def _brute_force_km(instance: Instance, matrices: TravelMatrices) -> float:
    """Best yard -> trips (each ending at F) -> yard distance over all orders and splits."""
    index = matrices.index()
    d = matrices.distance_m
    payload = instance.vehicle_types[0].payload_t
    points = instance.points
    best = math.inf
    for order in itertools.permutations(range(len(points))):
        for cuts in itertools.product([False, True], repeat=len(points) - 1):
            trips, current = [], [order[0]]
            for k, cut in zip(order[1:], cuts, strict=True):
                if cut:
                    trips.append(current)
                    current = []
                current.append(k)
            trips.append(current)
            if any(sum(points[k].tonnes_per_day for k in t) > payload + 1e-9 for t in trips):
                continue
            total, here = 0, index["Y"]
            for trip in trips:
                for k in trip:
                    total += d[here, index[points[k].id]]
                    here = index[points[k].id]
                total += d[here, index["F"]]
                here = index["F"]
            total += d[here, index["Y"]]
            best = min(best, total)
    return best / 1000


def test_tiny_instances_match_the_brute_force_optimum():
    for tonnes, payload in [([1, 1, 1, 1], 2), ([2, 1, 2, 1, 1], 3), ([1, 1, 1], 5)]:
        instance, matrices = _line_instance(tonnes, payload)
        plan = plan_day(
            instance,
            provider=ExplicitMatrixProvider(matrices),
            options=PlanOptions(time_limit_s=3.0),
        )
        assert not plan.unserved
        assert plan.cost == pytest.approx(_brute_force_km(instance, matrices), abs=0.006)


@pytest.mark.parametrize("points", [1500, 3000])
def test_a_large_day_with_breaks_is_planned_from_the_greedy_start(points):
    """Scheduling the start's breaks fits OR-Tools' per-neighbour limit, so the start is
    not refused for a fallback that finds nothing (generated: 60 and 120 trucks)."""
    plan = plan_day(generate(points, 1), options=PlanOptions(time_limit_s=10.0, solution_limit=1))
    assert not plan.unserved


def test_same_seed_and_solution_limit_give_the_same_plan(example):
    # the solution limit ends both searches; the time limit is only a safety net
    options = PlanOptions(time_limit_s=600.0, seed=3, solution_limit=3)
    first = plan_day(example, options=options)
    second = plan_day(example, options=options)
    assert first.routes == second.routes
    assert [s.iterations for s in first.stats] == [s.iterations for s in second.stats]
    assert not any(s.time_limited for s in [*first.stats, *second.stats])


def test_only_a_deadline_passed_under_an_iteration_limit_cuts_a_search_short():
    from wasteopt.routing.search import SearchBudget

    now = time.perf_counter()
    assert SearchBudget(deadline=now - 1, iteration_limit=5).cut_short()
    assert not SearchBudget(deadline=now + 3600, iteration_limit=5).cut_short()
    assert not SearchBudget(deadline=now - 1).cut_short()  # a time limit is meant to end it


def test_search_stats_add_their_counts_and_keep_either_flag():
    from wasteopt.routing.search import SearchStats

    first = SearchStats(iterations=3, accepted=1, stopped_early=True)
    second = SearchStats(iterations=4, compiled_rounds=2, time_limited=True)
    both = first.plus(second)
    assert (both.iterations, both.accepted, both.compiled_rounds) == (7, 1, 2)
    assert both.stopped_early is True and both.time_limited is True
    assert SearchStats().plus(SearchStats()).time_limited is False


def test_plant_capacity_is_hard_and_overflow_is_reported(example):
    plant = next(f for f in example.facilities if f.kind == "incinerator")
    tight = plant.model_copy(update={"external_inflow_t_per_day": plant.capacity_t_per_day - 5})
    instance = example.model_copy(
        update={"facilities": [tight if f.id == plant.id else f for f in example.facilities]}
    )
    plan = plan_day(instance, options=FAST)
    intake = sum(
        s.tonnes
        for r in plan.routes
        for s in r.stops
        if s.action == "unload" and s.site_id == plant.id
    )
    assert intake <= 5 + 1e-6
    residual = sum(p.tonnes_per_day for p in instance.points if p.stream == "residual")
    left = sum(b.tonnes for b in plan.backlog) + sum(
        u.tonnes for u in plan.unserved if u.point_id.startswith("P")
    )
    assert left >= residual - 5 - 1e-6
    assert plan.backlog and "room" in plan.backlog[0].reason


def test_unreachable_window_is_reported_unserved_with_a_reason(example):
    late = example.points[0].model_copy(update={"window": TimeWindow(start="23:00", end="23:30")})
    instance = example.model_copy(update={"points": [late, *example.points[1:]]})
    # the window lies outside every shift: validation refuses it before solving
    assert any("outside every compatible shift" in m for _, m in find_problems(instance))
    reachable_but_tight = example.points[0].model_copy(
        update={"window": TimeWindow(start="06:00", end="06:01"), "tonnes_per_day": 0.5}
    )
    far = reachable_but_tight.model_copy(update={"lon": 111.2, "lat": 25.9})
    instance = example.model_copy(update={"points": [far, *example.points[1:]]})
    plan = plan_day(instance, options=FAST)
    assert [u.point_id for u in plan.unserved] == [far.id]
    assert plan.unserved[0].reason


def test_great_circle_provider_scales_with_circuity_and_speed(example):
    base = GreatCircleProvider(1.0, 36.0).matrices(example.sites)
    scaled = GreatCircleProvider(1.5, 36.0).matrices(example.sites)
    assert np.allclose(scaled.distance_m, base.distance_m * 1.5, atol=1)
    assert np.allclose(base.duration_s, base.distance_m / 10, atol=1)


def test_multistart_keeps_the_best_of_its_workers(example):
    single = plan_day(example, options=PlanOptions(time_limit_s=600.0, solution_limit=3))
    double = plan_day(example, options=PlanOptions(time_limit_s=600.0, solution_limit=3, workers=2))
    assert double.stats[0].objective <= single.stats[0].objective + 1e-9


def test_multistart_runs_a_portfolio_and_keeps_the_cheapest(monkeypatch):
    from wasteopt.routing import multistart  # noqa: PLC0415
    from wasteopt.routing.search import RawSolution, SearchOptions  # noqa: PLC0415

    seen: list[tuple[int, str]] = []

    def fake_solve(problem, distance_m, duration_s, site_index, options, *callbacks):
        seen.append((options.seed, options.metaheuristic))
        objective = 100 - options.seed - (50 if options.metaheuristic != "ruin_recreate" else 0)
        return RawSolution(
            routes=[],
            dropped=[],
            objective=objective,
            seconds=0.0,
            first_feasible_s=None,
            history=[],
        )

    monkeypatch.setattr(multistart, "solve_model", fake_solve)
    best = multistart.solve_multistart(
        None, np.zeros((1, 1)), np.zeros((1, 1)), {}, SearchOptions(time_limit_s=5, workers=3)
    )
    assert seen == [(0, "ruin_recreate")]  # this process: the options as given
    assert best.objective == 98  # worker 2: seed 2, the same search (worker 1: 99)


def test_the_day_result_carries_its_impact_typed_and_as_the_plan_file_holds_it(example):
    result = plan_day_full(example, options=FAST)
    assert isinstance(result.impact, ImpactReport)
    assert result.plan.impact == result.impact
    assert result.impact.per_day.distance_km == pytest.approx(
        sum(r.distance_km for r in result.plan.routes)
    )
