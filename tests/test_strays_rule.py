"""The stray-route rule: strays found in the engine's plans, their points barred from their
yard, and the day's plan leaving such work to the nearer yard."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
import pyvrp

from benchmarks.daoxian import INSTANCE, STRAY_SHARE, residual_tier, stray_routes
from tests.test_compiled import _all_on_yard_a, _tier, _two_yards
from wasteopt.check import check_plan
from wasteopt.io import load_instance
from wasteopt.matrix import GreatCircleProvider
from wasteopt.model import Instance
from wasteopt.planning import PlanOptions, plan_day_full
from wasteopt.routing.compiled import solve_compiled
from wasteopt.routing.engine import UNREACHABLE, engine_data
from wasteopt.routing.idle_trucks import visits
from wasteopt.routing.search import SearchBudget
from wasteopt.routing.strays import barred_after, strays, without_barred


def _dear_near_yard(stray_share: float | None, shift_end: str = "18:00") -> Instance:
    """Three points beside yard B; yard A's truck, 40 km west, costs 100 CNY a day, B's 1,000,
    so A's truck driving out there is the cheaper plan; the instance's rule is ``stray_share``."""
    instance = _two_yards({"A": [5], "B": [5]}, [1] * 3)
    types = [
        vt.model_copy(
            update={
                "fixed_cost_per_day": 1000 if vt.yard == "B" else vt.fixed_cost_per_day,
                "shift": vt.shift.model_copy(
                    update={"end": shift_end if vt.yard == "B" else vt.shift.end}
                ),
            }
        )
        for vt in instance.vehicle_types
    ]
    settings = instance.settings.model_copy(update={"stray_share": stray_share})
    return instance.model_copy(update={"vehicle_types": types, "settings": settings})


def _found(instance: Instance):
    problem, distance_m, duration_s, site_index = _tier(instance)
    engine = engine_data(problem, distance_m, duration_s, site_index)
    solution = _all_on_yard_a(problem, engine)
    return problem, engine, solution, strays(problem, engine, solution, distance_m, site_index)


def test_a_truck_driving_out_past_an_idle_nearer_truck_strays():
    """A's truck drives 80 km out and back for points beside B, whose truck is idle: a stray of
    yard A, all three points far (B reaches each on a shorter drive out and back)."""
    problem, _, _, found = _found(_dear_near_yard(0.4))
    assert len(found) == 1
    assert found[0].yard == "A"
    assert found[0].far_jobs == {job.id for job in problem.jobs}


def test_points_nearer_their_own_yard_are_barred_where_the_unload_lies_by_the_other():
    """The points 18 km east of yard A and 22 km west of B, the plant beside B: each point is
    nearer A out and back, yet A's truck drives out to them and home from the plant further
    than B's idle truck would, so the route strays and every point is barred from A."""
    instance = _dear_near_yard(0.4)
    moved = [
        p.model_copy(update={"lon": 111.58 + 0.002 * k}) for k, p in enumerate(instance.points)
    ]
    problem, _, _, found = _found(instance.model_copy(update={"points": moved}))
    assert [(stray.yard, stray.far_jobs) for stray in found] == [
        ("A", {job.id for job in problem.jobs})
    ]


@pytest.mark.parametrize(
    ("stray_share", "shift_end"),
    [(None, "18:00"), (0.999, "18:00"), (0.4, "07:00")],  # the route drives 99.3 % out and back
    ids=["no rule", "share not reached", "idle truck off shift"],
)
def test_no_stray_without_the_rule_its_share_or_an_idle_truck_on_shift(stray_share, shift_end):
    assert _found(_dear_near_yard(stray_share, shift_end))[3] == []


def test_barred_points_are_out_of_reach_for_their_yard_and_left_out_of_its_routes():
    """Barring the stray's points from yard A: A's type can no longer reach them (B's still
    can), and the plan carried over leaves them out for the search to place again."""
    problem, engine, solution, found = _found(_dear_near_yard(0.4))
    barred = replace(problem, barred=barred_after(problem, found))
    _, distance_m, duration_s, site_index = _tier(_dear_near_yard(0.4))
    rebuilt = engine_data(barred, distance_m, duration_s, site_index)
    data = rebuilt.data
    names = [data.vehicle_type(t).name for t in range(data.num_vehicle_types)]
    first_job = data.num_depots
    for t, name in enumerate(names):
        profile = data.distance_matrix(data.vehicle_type(t).profile)
        rate = data.vehicle_type(t).unit_distance_cost
        into_first = profile[0 if name.startswith("VA") else 1, first_job] * rate
        assert bool(into_first >= UNREACHABLE) is name.startswith("VA")
    assert without_barred(barred, rebuilt, solution).num_clients() == 0
    assert without_barred(problem, engine, solution).num_clients() == len(problem.jobs)


def test_a_plan_carried_over_keeps_its_reloads_where_it_keeps_its_visits():
    """The points split into two trips, the last one ending at the plant before home (a
    repaired plan's explicit last unload): without bars the plan carries over unchanged; with
    the first point barred the reloads stay where they were."""
    problem, engine, _, _ = _found(_dear_near_yard(0.4))
    client = [pyvrp.Activity(pyvrp.ActivityType.CLIENT, k) for k in range(3)]
    plant = pyvrp.Activity(pyvrp.ActivityType.DEPOT, 2)
    stops = [client[0], plant, client[1], client[2], plant]
    solution = pyvrp.Solution(engine.data, [pyvrp.Route(engine.data, stops, 0)])

    def kept(problem) -> list[str]:
        carried = without_barred(problem, engine, solution)
        return [str(a) for route in carried.routes() for a in visits(route)]

    assert kept(problem) == [str(a) for a in stops]
    barred = replace(problem, barred=frozenset({(problem.jobs[0].id, "A")}))
    assert kept(barred) == [str(a) for a in stops[1:]]


def test_the_compiled_search_bars_the_stray_and_returns_the_nearer_yards_plan():
    """From the stray start, without the rule the search keeps A's cheaper truck; with it the
    plan it returns drives B's truck and records the bars it was found under."""
    routes = {}
    for share in (None, 0.4):
        problem, distance_m, duration_s, site_index = _tier(_dear_near_yard(share))
        far = [*(("job", job.id) for job in problem.jobs), ("unload", "F")]
        start = [far if v.vehicle_type.yard == "A" else [] for v in problem.vehicles]
        budget = SearchBudget(time.perf_counter() + 120, iteration_limit=200)
        result = solve_compiled(problem, distance_m, duration_s, site_index, budget, 0, 200, start)
        assert result is not None
        routes[share] = {
            problem.vehicles[v].vehicle_type.yard for v, r in enumerate(result.routes) if r
        }
        assert bool(result.barred) is (share is not None)
    assert routes == {None: {"A"}, 0.4: {"B"}}


@pytest.mark.parametrize("stray_share", [None, 0.4])
def test_the_days_plan_follows_the_instances_rule(stray_share):
    """The whole day, checked: A's truck drives without the rule, B's with it."""
    instance = _dear_near_yard(stray_share)
    provider = GreatCircleProvider.for_instance(instance)
    day = plan_day_full(instance, provider, PlanOptions(time_limit_s=3, solution_limit=10))
    collection = [route for route in day.plan.routes if route.tier == "collection"]
    assert [route.vehicle_id for route in collection] == (
        ["VA0-1"] if stray_share is None else ["VB0-1"]
    )
    assert not check_plan(instance, day.plan, day.matrices)
    # the benchmark's count of strays on the checked plan agrees
    strayed = stray_routes(instance, day.plan, day.matrices)
    assert strayed == (["VA0-1"] if stray_share is None else [])


def test_daoxian_sets_the_rule_and_its_residual_tier_beside_pyvrp_drops_it():
    instance = load_instance(INSTANCE)
    assert instance.settings.stray_share == STRAY_SHARE
    assert residual_tier(instance).stray_share is None
