"""Sorting at source: a scenario's sorting rates move residual tonnes into the kitchen and
recyclable streams, which are planned to the kitchen-waste and sorting centres and counted."""

from __future__ import annotations

import pytest

from wasteopt.errors import InstanceError
from wasteopt.factors import fossil_co2_t_per_t
from wasteopt.impact import assess, residual_composition
from wasteopt.model import Instance
from wasteopt.planning import PlanOptions, plan_day
from wasteopt.scenario import Scenario, apply_scenario, scenario_from_dict
from wasteopt.sorting import SortingRates, sort_at_source

SEAT = {"lon": 111.60, "lat": 25.52}


def place(east_km: float, north_km: float) -> dict:
    return {"lon": SEAT["lon"] + east_km / 100.5, "lat": SEAT["lat"] + north_km / 110.6}


@pytest.fixture
def town() -> Instance:
    """Two townships of residual points, one kitchen source, and a truck for every stream."""

    def point(pid: str, stream: str, tonnes: float, township: str | None, *at: float) -> dict:
        return {"id": pid, "stream": stream, "tonnes_per_day": tonnes, "township": township,
                **place(*at)}  # fmt: skip

    points = [
        point("A1", "residual", 2.0, "甲镇", 1, 0),
        point("A2", "residual", 3.0, "甲镇", 2, 1),
        point("B1", "residual", 5.0, "乙乡", -3, 2),
        point("K1", "kitchen", 0.5, None, 0, 1),
    ]
    truck = {"payload_t": 6, "count": 2, "yard": "Y", "shift": {"start": "06:00", "end": "16:00"}}
    return Instance.model_validate(
        {
            "name": "town",
            "yards": [{"id": "Y", **SEAT}],
            "facilities": [
                {"id": "INC", "kind": "incinerator", "streams": ["residual"],
                 "capacity_t_per_day": 100, **place(4, -3)},
                {"id": "KC", "kind": "kitchen_centre", "streams": ["kitchen"],
                 "capacity_t_per_day": 20, **place(4, -2)},
                {"id": "SC", "kind": "sorting_centre", "streams": ["recyclable"],
                 "capacity_t_per_day": 20, **place(1, 3)},
            ],
            "vehicle_types": [
                {"id": "R", "streams": ["residual"], **truck},
                {"id": "K", "streams": ["kitchen"], **truck},
                {"id": "C", "streams": ["recyclable"], **{**truck, "payload_t": 1.0}},
            ],
            "points": points,
        }
    )  # fmt: skip


def test_sorting_rates_move_tonnes_by_hand(town):
    # food is 50 % of residual waste, recyclable material 32 % (wasteopt.factors)
    sorted_town = sort_at_source(town, SortingRates(kitchen_rate=0.2, recyclable_rate=0.5))
    tonnes = {p.id: p.tonnes_per_day for p in sorted_town.points}
    kept = 1 - 0.5 * 0.2 - 0.32 * 0.5  # 0.74
    assert tonnes["A1"] == pytest.approx(2.0 * kept)
    assert tonnes["B1"] == pytest.approx(5.0 * kept)
    # pooled per township at its largest point: 甲镇 5 t -> 0.5 t kitchen, 0.8 t recyclables
    assert tonnes["A2-kitchen"] == pytest.approx(5.0 * 0.1)
    assert tonnes["A2-recyclable"] == pytest.approx(5.0 * 0.16)
    # 乙乡 5 t -> 0.8 t recyclables; one load per 1 t truck
    assert tonnes["B1-kitchen"] == pytest.approx(0.5)
    assert tonnes["B1-recyclable"] == pytest.approx(0.8)
    assert sum(tonnes.values()) == pytest.approx(10.5)  # nothing lost, nothing made
    by_point = sort_at_source(town, SortingRates(recyclable_rate=1.0, pooled="point"))
    recyclable = {p.id: p.tonnes_per_day for p in by_point.points if p.stream == "recyclable"}
    assert recyclable == pytest.approx(
        {"A1-recyclable": 0.64, "A2-recyclable": 0.96,  # each point its own
         "B1-recyclable-1": 0.8, "B1-recyclable-2": 0.8}  # 1.6 t: two loads of the 1 t truck
    )  # fmt: skip
    assert by_point.points[-1].township == "乙乡"


def test_a_pool_heavier_than_the_smallest_truck_is_split_into_loads(town):
    heavy = sort_at_source(town, SortingRates(recyclable_rate=1.0))
    loads = [p for p in heavy.points if p.stream == "recyclable"]
    assert [p.id for p in loads] == ["A2-recyclable-1", "A2-recyclable-2", "B1-recyclable-1",
                                     "B1-recyclable-2"]  # fmt: skip
    assert [p.tonnes_per_day for p in loads] == pytest.approx([0.8, 0.8, 0.8, 0.8])


def test_a_scenario_file_carries_sorting_rates_and_rejects_bad_ones(town):
    scenario = scenario_from_dict({"name": "分类", "sorting": {"kitchen_rate": 0.3}})
    changed = apply_scenario(town, scenario)
    assert changed.name == "town / 分类"
    assert sum(p.tonnes_per_day for p in changed.points if p.stream == "kitchen") == (
        pytest.approx(0.5 + 10 * 0.5 * 0.3)
    )
    with pytest.raises(InstanceError, match=r"sorting\.kitchen_rate"):
        scenario_from_dict({"name": "x", "sorting": {"kitchen_rate": 1.5}})
    taken = town.model_copy(update={"points": [*town.points, town.points[0].model_copy(
        update={"id": "A2-kitchen"})]})  # fmt: skip
    again = apply_scenario(taken, Scenario(name="y", sorting=SortingRates(kitchen_rate=0.1)))
    assert {"A2-kitchen", "A2-kitchen-2"} <= {p.id for p in again.points}


def test_recyclables_are_planned_to_the_sorting_centre_and_counted(town):
    changed = apply_scenario(town, Scenario(name="s", sorting=SortingRates(recyclable_rate=0.5)))
    plan = plan_day(changed, options=PlanOptions(time_limit_s=5, solution_limit=20))
    assert plan.unserved == []
    recyclable = [r for r in plan.routes if r.stream == "recyclable"]
    assert recyclable and {s.site_id for r in recyclable for s in r.stops
                           if s.action == "unload"} == {"SC"}  # fmt: skip
    report = assess(changed, plan)
    assert report.per_day.sorted_t == pytest.approx(10 * 0.32 * 0.5)
    kpis = {k.key: k.value for k in report.kpis}
    recovered = report.per_day.incinerated_t + report.per_day.kitchen_treated_t + 1.6 * 0.9
    assert kpis["resource_recovery_share"] == pytest.approx(recovered / 10.5)


def test_the_residual_composition_follows_what_households_sort_out(town):
    sorted_town = sort_at_source(town, SortingRates(kitchen_rate=0.2, recyclable_rate=0.5))
    assert sorted_town.settings.residual_sorted_out == pytest.approx(
        {"food": 0.2, "paper": 0.5, "plastics": 0.5, "glass": 0.5, "metal": 0.5, "textiles": 0.5}
    )
    # what is left per tonne before sorting: food 0.40, paper 0.06, plastics 0.06, textiles 0.02,
    # wood 0.02, rubber 0.01, glass 0.01, metal 0.01, inert 0.15 = 0.74 t; fossil carbon in it
    fossil_c = (
        0.06 * 0.90 * 0.46 * 0.01  # paper
        + 0.06 * 1.00 * 0.75 * 1.00  # plastics
        + 0.02 * 0.80 * 0.50 * 0.20  # textiles
        + 0.01 * 0.84 * 0.67 * 0.20  # rubber and leather
        + 0.15 * 0.90 * 0.03 * 1.00  # other inert
    )
    per_t = fossil_c / 0.74 * 44 / 12  # 0.2578 t CO2 per tonne, against 0.3625 unsorted
    composition = residual_composition(sorted_town)
    assert fossil_co2_t_per_t(composition) == pytest.approx(per_t)
    assert round(per_t, 4) == 0.2578
    twice = sort_at_source(sorted_town, SortingRates(kitchen_rate=0.2))
    assert twice.settings.residual_sorted_out["food"] == pytest.approx(1 - 0.8 * 0.8)
    assert "A2-kitchen-2" in {p.id for p in twice.points}
