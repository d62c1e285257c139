"""Incineration N2O and CH4, the grid factor a user chooses, and recyclables at a sorting centre.

Expected figures are worked out here from the published defaults (IPCC 2006 Vol. 5 Ch. 5
Tables 5.3 and 5.6, AR5 GWPs) and the documented assumptions, never from the code under test.
"""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from api.schemas import PlanRequest
from api.store import JobInput
from api.tasks import TaskInput, run_plan
from wasteopt.impact import assess, format_impact
from wasteopt.matrix import GreatCircleProvider
from wasteopt.model import GridFactor, Instance, Plan, Route, Stop

SITE = {"lon": 111.6, "lat": 25.5}


def stop(action: str, site: str, tonnes: float = 0.0, load: float = 0.0, km: float = 0.0):
    return Stop(action=action, site_id=site, arrive="07:00", depart="07:00", tonnes=tonnes,
                load_after_t=load, distance_from_prev_km=km)  # fmt: skip


@pytest.fixture
def instance() -> Instance:
    return Instance.model_validate(
        {
            "name": "circular",
            "yards": [{"id": "Y", **SITE}],
            "facilities": [
                {"id": "INC", "kind": "incinerator", "streams": ["residual"],
                 "capacity_t_per_day": 600, **SITE},
                {"id": "SC", "kind": "sorting_centre", "streams": ["recyclable"],
                 "capacity_t_per_day": 50, "assumption": "assumed site, not in the plan",
                 **SITE},
            ],
            "vehicle_types": [
                {"id": "E", "streams": ["residual", "recyclable"], "payload_t": 10, "count": 2,
                 "yard": "Y", "shift": {"start": "06:00", "end": "14:00"},
                 "energy": {"type": "electric", "empty_per_100km": 100, "full_per_100km": 100}},
            ],
            "points": [
                {"id": "R", "stream": "residual", "tonnes_per_day": 8.0, **SITE},
                {"id": "C", "stream": "recyclable", "tonnes_per_day": 2.0, **SITE},
            ],
        }
    )  # fmt: skip


@pytest.fixture
def plan() -> Plan:
    residual = Route(
        vehicle_id="E-1", vehicle_type="E", stream="residual", distance_km=10, duration_min=60,
        stops=[stop("start", "Y"), stop("collect", "R", 8.0, 8.0, 4), stop("unload", "INC", 8.0),
               stop("end", "Y", km=6)],
    )  # fmt: skip
    recyclable = Route(
        vehicle_id="E-2", vehicle_type="E", stream="recyclable", distance_km=20, duration_min=60,
        stops=[stop("start", "Y"), stop("collect", "C", 2.0, 2.0, 5), stop("unload", "SC", 2.0),
               stop("end", "Y", km=15)],
    )  # fmt: skip
    return Plan(instance_name="circular", routes=[residual, recyclable])


def test_incineration_n2o_and_ch4_by_hand(instance, plan):
    day = assess(instance, plan).per_day
    # 8 t x 50 g N2O/t (Table 5.6, continuous incinerators, MSW) x GWP 265 = 0.106 t CO2e
    assert day.incineration_n2o_co2e_t == pytest.approx(0.106)
    # 8 t x 0.2 kg CH4/Gg = 1.6 g CH4 (Table 5.3, continuous stoker) x GWP 28 = 44.8 g CO2e
    assert day.incineration_ch4_co2e_t == pytest.approx(44.8e-6)
    assert day.net_co2e_t == pytest.approx(
        day.transport_co2e_t + day.incineration_fossil_co2_t + 0.106 + 44.8e-6
        - day.avoided_grid_co2_t
    )  # fmt: skip


def test_daoxian_scale_n2o_is_about_six_and_a_half_tonnes_co2e_a_day(instance, plan):
    big = plan.routes[0].model_copy(
        update={"stops": [stop("start", "Y"), stop("collect", "R", 500.0, 500.0),
                          stop("unload", "INC", 500.0), stop("end", "Y")]}
    )  # fmt: skip
    points = [instance.points[0].model_copy(update={"tonnes_per_day": 500.0})]
    day = assess(instance.model_copy(update={"points": points}), Plan(
        instance_name="circular", routes=[big])).per_day  # fmt: skip
    assert day.incineration_n2o_co2e_t == pytest.approx(500 * 0.050 * 265 / 1000)  # 6.625


def test_the_grid_factor_is_the_users_choice_and_the_report_names_it(instance, plan):
    national = assess(instance, plan)
    assert national.grid.kg_co2_per_kwh == 0.5703
    assert "China national grid average 2022" in format_impact(national)
    central = GridFactor(kg_co2_per_kwh=0.5257, source="华中区域电网 (given by the user)")
    regional = assess(instance, plan, central)
    kwh = 10 + 20  # 100 kWh/100 km, empty or full
    assert regional.per_day.electricity_kwh == pytest.approx(kwh)
    assert regional.per_day.transport_co2e_t == pytest.approx(kwh * 0.5257 / 1000)
    wte_kwh = 8 * 280
    assert regional.per_day.avoided_grid_co2_t == pytest.approx(wte_kwh * 0.5257 / 1000)
    assert "grid factor 0.5257 kg CO2/kWh: 华中区域电网" in format_impact(regional)
    assert regional.factors["grid_kg_co2_per_kwh"] == 0.5257


def test_recyclables_reach_the_sorting_centre_and_count_as_recovered(instance, plan):
    report = assess(instance, plan)
    assert report.per_day.sorted_t == pytest.approx(2.0)
    assert report.per_day.recycled_t == pytest.approx(2.0 * 0.9)  # 10 % sorting residue
    kpis = {k.key: k.value for k in report.kpis}
    assert kpis["resource_recovery_share"] == pytest.approx((8.0 + 1.8) / 10.0)
    assert kpis["harmless_treatment_rate"] == pytest.approx(1.0)
    assert kpis["utilisation:SC"] == pytest.approx(2.0 / 50)


def test_an_api_plan_records_the_grid_factor_it_was_given(instance):
    with pytest.raises(ValidationError, match="grid.kg_co2_per_kwh"):
        PlanRequest.model_validate({"instance_id": "x", "grid": {"kg_co2_per_kwh": -1,
                                                                   "source": "s"}})  # fmt: skip
    grid = {"kg_co2_per_kwh": 0.45, "source": "湖南省 2021, given"}
    job = JobInput(id="j", kind="plan", options=json.dumps({"grid": grid}), instance="",
                   date=None, time_limit_s=1, budget_s=2, seed=0, solution_limit=5)  # fmt: skip
    provider = GreatCircleProvider.for_instance(instance)
    result = run_plan(TaskInput(instance, job, provider, lambda _: None, lambda: False))
    plan = Plan.model_validate_json(result.document)
    assert plan.provenance.grid.model_dump() == grid
    assert plan.impact.grid.model_dump() == grid
    assert any("great-circle" in caveat for caveat in plan.caveats)
    assert any("SC" in caveat and "assumed site" in caveat for caveat in plan.caveats)
