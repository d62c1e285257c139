"""Impact accounting on a tiny hand-written plan: every figure recomputed here by hand.

The expected numbers use the published constants directly (IPCC 2006, AR5 GWPs, the MEE grid
factor, the 280 kWh/t benchmark, the seed's 21 million bricks/yr) and the documented
assumptions, never the code under test.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from wasteopt.cli import main
from wasteopt.errors import WasteoptError
from wasteopt.impact import assess, format_impact, impact_csv, route_energy
from wasteopt.io import dump_json, load_plan
from wasteopt.model import ImpactReport, Instance, Plan, Route, Stop

# Factors by hand (sources in wasteopt/factors.py and instances/daoxian/SOURCES.md).
DIESEL_KG_PER_L = 0.84 * 43.0e-6 * (74_100 + 28 * 3.9 + 265 * 3.9)  # ~2.7178
LNG_KG_PER_KG = 48.0e-6 * (56_100 + 28 * 92 + 265 * 3)  # ~2.8546
GRID = 0.5703
FOSSIL_T_PER_T = (
    (
        0.12 * 1.00 * 0.75 * 1.00  # plastics
        + 0.12 * 0.90 * 0.46 * 0.01  # paper
        + 0.04 * 0.80 * 0.50 * 0.20  # textiles
        + 0.01 * 0.84 * 0.67 * 0.20  # rubber and leather
        + 0.15 * 0.90 * 0.03 * 1.00  # other inert
    )
    * 44
    / 12
)
# Lifetime landfill CH4: DOC x DOCf x MCF x F x 16/12 x (1 - OX), as CO2e with GWP 28.
LANDFILL_DOC = 0.50 * 0.15 + 0.12 * 0.40 + 0.04 * 0.24 + 0.02 * 0.43 + 0.01 * 0.39
LANDFILL_CO2E_T_PER_T = LANDFILL_DOC * 0.5 * 1.0 * 0.5 * 16 / 12 * (1 - 0.1) * 28
BIOGAS_KWH_PER_T = 75 * 0.60 * (35.8 / 3.6) * 0.38 * (1 - 0.25)  # 127.5375
ASH_PER_BRICK_KG = 2.8 * 0.65


def stop(action, site, arrive, tonnes=0.0, load=0.0, km=0.0, depart=None):
    return Stop(
        action=action,
        site_id=site,
        arrive=arrive,
        depart=depart or arrive,
        tonnes=tonnes,
        load_after_t=load,
        distance_from_prev_km=km,
    )


@pytest.fixture
def instance() -> Instance:
    site = {"lon": 111.6, "lat": 25.5}
    return Instance.model_validate(
        {
            "name": "tiny",
            "yards": [{"id": "Y", **site}],
            "facilities": [
                {"id": "TS", "kind": "transfer_station", "streams": ["residual"],
                 "capacity_t_per_day": 50, **site},
                {"id": "INC", "kind": "incinerator", "streams": ["residual"],
                 "capacity_t_per_day": 600, "external_inflow_t_per_day": 590, **site},
                {"id": "KC", "kind": "kitchen_centre", "streams": ["kitchen"],
                 "capacity_t_per_day": 50, "external_inflow_t_per_day": 20, **site},
                {"id": "LF", "kind": "landfill", "streams": ["residual"],
                 "capacity_t_per_day": 100, **site},
            ],
            "vehicle_types": [
                {"id": "D4", "streams": ["residual"], "payload_t": 4, "count": 2, "yard": "Y",
                 "shift": {"start": "06:00", "end": "14:00"},
                 "break": {"window": {"start": "09:00", "end": "11:00"}, "duration_min": 30},
                 "energy": {"type": "diesel", "empty_per_100km": 20, "full_per_100km": 30,
                            "per_stop": 0.5}},
                {"id": "E2", "streams": ["kitchen"], "payload_t": 2, "count": 1, "yard": "Y",
                 "shift": {"start": "12:00", "end": "18:00"},
                 "energy": {"type": "electric", "empty_per_100km": 50, "full_per_100km": 70,
                            "per_stop": 1}},
                {"id": "H10", "tier": "transfer", "streams": ["residual"], "payload_t": 10,
                 "count": 1, "yard": "Y", "shift": {"start": "07:00", "end": "19:00"},
                 "energy": {"type": "lng", "empty_per_100km": 25, "full_per_100km": 35,
                            "per_stop": 0.2}},
            ],
            "points": [
                {"id": "R1", "stream": "residual", "tonnes_per_day": 1.5, **site},
                {"id": "R2", "stream": "residual", "tonnes_per_day": 2.5, **site},
                {"id": "R3", "stream": "residual", "tonnes_per_day": 0.5, **site},
                {"id": "R4", "stream": "residual", "tonnes_per_day": 3.0, **site},
                {"id": "K1", "stream": "kitchen", "tonnes_per_day": 1.0, **site},
            ],
        }
    )  # fmt: skip


@pytest.fixture
def plan() -> Plan:
    diesel_a = Route(
        vehicle_id="D4-1", vehicle_type="D4", stream="residual", distance_km=50,
        duration_min=240,
        stops=[
            stop("start", "Y", "06:00"),
            stop("collect", "R1", "06:30", 1.5, 1.5, 10),
            stop("break", "R1", "09:00", depart="09:30"),
            stop("collect", "R2", "09:45", 2.5, 4.0, 5),
            stop("unload", "INC", "10:30", 4.0, 0.0, 20),
            stop("end", "Y", "11:00", km=15),
        ],
    )  # fmt: skip
    diesel_b = Route(
        vehicle_id="D4-2", vehicle_type="D4", stream="residual", distance_km=18,
        duration_min=120,
        stops=[
            stop("start", "Y", "06:00"),
            stop("collect", "R4", "06:20", 3.0, 3.0, 8),
            stop("break", "R4", "09:00", depart="09:30"),
            stop("unload", "TS", "09:40", 3.0, 0.0, 4),
            stop("end", "Y", "10:00", km=6),
        ],
    )  # fmt: skip
    kitchen = Route(
        vehicle_id="E2-1", vehicle_type="E2", stream="kitchen", distance_km=27,
        duration_min=90,
        stops=[
            stop("start", "Y", "12:00"),
            stop("collect", "K1", "12:15", 1.0, 1.0, 6),
            stop("unload", "KC", "13:00", 1.0, 0.0, 12),
            stop("end", "Y", "13:30", km=9),
        ],
    )  # fmt: skip
    hooklift = Route(
        vehicle_id="H10-1", vehicle_type="H10", tier="transfer", stream="residual",
        distance_km=23, duration_min=80,
        stops=[
            stop("start", "Y", "10:00"),
            stop("pickup", "TS", "10:15", 2.0, 2.0, 7),
            stop("unload", "LF", "10:50", 2.0, 0.0, 11),
            stop("end", "Y", "11:20", km=5),
        ],
    )  # fmt: skip
    return Plan(
        instance_name="tiny",
        routes=[diesel_a, diesel_b, kitchen, hooklift],
        unserved=[{"point_id": "R3", "tonnes": 0.5, "reason": "test"}],
        backlog=[{"facility_id": "TS", "tonnes": 1.0, "reason": "test"}],
    )


# Energy per route, leg by leg with the load on board (breaks skipped), plus per-stop use.
DIESEL_A_L = (10 * 20 + 5 * (20 + 10 * 1.5 / 4) + 20 * 30 + 15 * 20) / 100 + 3 * 0.5
DIESEL_B_L = (8 * 20 + 4 * (20 + 10 * 3.0 / 4) + 6 * 20) / 100 + 2 * 0.5
KITCHEN_KWH = (6 * 50 + 12 * (50 + 20 * 1.0 / 2) + 9 * 50) / 100 + 2 * 1
HOOKLIFT_KG = (7 * 25 + 11 * (25 + 10 * 2.0 / 10) + 5 * 25) / 100 + 2 * 0.2


def test_route_energy_integrates_each_leg_with_its_load(instance, plan):
    energies = [route_energy(r, instance.vehicle_type(r.vehicle_type)) for r in plan.routes]
    assert [e for e, _ in energies] == pytest.approx(
        [13.6875, 4.9, 16.7, 6.37]  # the four expressions above, worked out on paper
    )
    assert [e for e, _ in energies] == pytest.approx(
        [DIESEL_A_L, DIESEL_B_L, KITCHEN_KWH, HOOKLIFT_KG]
    )
    assert [tk for _, tk in energies] == pytest.approx([5 * 1.5 + 20 * 4, 4 * 3, 12 * 1, 11 * 2])


def test_transport_energy_and_co2e_per_fuel(instance, plan):
    report = assess(instance, plan)
    day = report.per_day
    assert day.diesel_l == pytest.approx(DIESEL_A_L + DIESEL_B_L)
    assert day.lng_kg == pytest.approx(HOOKLIFT_KG)
    assert day.electricity_kwh == pytest.approx(KITCHEN_KWH)
    assert day.distance_km == pytest.approx(50 + 18 + 27 + 23)
    transport_kg = (
        (DIESEL_A_L + DIESEL_B_L) * DIESEL_KG_PER_L
        + HOOKLIFT_KG * LNG_KG_PER_KG
        + KITCHEN_KWH * GRID
    )
    assert day.transport_co2e_t == pytest.approx(transport_kg / 1000)
    assert [r.co2e_kg for r in report.routes] == pytest.approx(
        [DIESEL_A_L * DIESEL_KG_PER_L, DIESEL_B_L * DIESEL_KG_PER_L, KITCHEN_KWH * GRID,
         HOOKLIFT_KG * LNG_KG_PER_KG]
    )  # fmt: skip
    assert report.vehicles_used == 4
    assert report.trips == 4


def test_tonnes_follow_the_waste_to_treatment_and_overflow(instance, plan):
    day = assess(instance, plan).per_day
    assert day.generated_t == pytest.approx(8.5)
    assert day.collected_t == pytest.approx(8.0)
    assert day.unserved_t == pytest.approx(0.5)
    assert day.incinerated_t == pytest.approx(4.0)
    assert day.kitchen_treated_t == pytest.approx(1.0)
    assert day.landfilled_t == pytest.approx(2.0)
    assert day.backlog_t == pytest.approx(1.0)
    assert day.overflow_t == pytest.approx(2.0 + 1.0 + 0.5)  # landfill + backlog + uncollected


def test_power_co2_bricks_and_grease(instance, plan):
    report = assess(instance, plan)
    day = report.per_day
    assert day.wte_electricity_kwh == pytest.approx(4.0 * 280)
    assert day.biogas_electricity_kwh == pytest.approx(1.0 * BIOGAS_KWH_PER_T)
    assert round(BIOGAS_KWH_PER_T, 4) == 127.5375
    assert day.avoided_grid_co2_t == pytest.approx((4.0 * 280 + BIOGAS_KWH_PER_T) * GRID / 1000)
    assert day.incineration_fossil_co2_t == pytest.approx(4.0 * FOSSIL_T_PER_T)
    assert round(FOSSIL_T_PER_T, 4) == 0.3625
    assert day.landfill_ch4_co2e_t == pytest.approx(2.0 * LANDFILL_CO2E_T_PER_T)
    assert round(LANDFILL_CO2E_T_PER_T, 4) == 1.2188
    assert day.net_co2e_t == pytest.approx(
        day.transport_co2e_t
        + 4.0 * FOSSIL_T_PER_T
        + 4.0 * 50e-6 * 265  # N2O, IPCC 2006 Vol. 5 Table 5.6: 50 g per wet tonne
        + 4.0 * 0.2e-6 * 28  # CH4, IPCC 2006 Vol. 5 Table 5.3: 0.2 kg per Gg
        + 2.0 * LANDFILL_CO2E_T_PER_T
        - day.avoided_grid_co2_t
    )
    assert day.bottom_ash_t == pytest.approx(4.0 * 0.22)
    bricks = 4.0 * 0.22 * 1000 / ASH_PER_BRICK_KG
    assert day.bricks_potential == pytest.approx(bricks)
    # The plant burns 4 + 590 t/day: its ash could make more than the line's 21 million/yr,
    # so this plan's share of the line's output is scaled down pro rata.
    line_potential = (4.0 + 590) * 0.22 * 1000 / ASH_PER_BRICK_KG
    assert line_potential > 21e6 / 365
    assert day.bricks_capped == pytest.approx(bricks * (21e6 / 365) / line_potential)
    assert day.grease_t == pytest.approx(1.0 * 0.025)


def test_annual_figures_are_the_day_times_365(instance, plan):
    report = assess(instance, plan)
    assert report.days_per_year == 365
    assert report.per_year.diesel_l == pytest.approx(365 * (DIESEL_A_L + DIESEL_B_L))
    assert report.per_year.bricks_capped == pytest.approx(365 * report.per_day.bricks_capped)


def test_kpis_against_the_county_targets(instance, plan):
    kpis = {k.key: k for k in assess(instance, plan).kpis}
    harmless = kpis["harmless_treatment_rate"]
    assert harmless.value == pytest.approx((4.0 + 1.0 + 2.0) / 8.5)
    assert (harmless.target, harmless.met) == (1.0, False)
    recovery = kpis["resource_recovery_share"]
    assert recovery.value == pytest.approx((4.0 + 1.0) / 8.5)
    assert (recovery.target, recovery.met) == (0.65, False)
    assert kpis["utilisation:INC"].value == pytest.approx(594 / 600)
    assert kpis["utilisation:KC"].value == pytest.approx(21 / 50)
    assert kpis["utilisation:LF"].value == pytest.approx(2 / 100)
    assert "utilisation:TS" not in kpis  # stations pass waste on; they treat none


def test_everything_treated_meets_both_targets(instance):
    small = instance.model_copy(
        update={"points": [instance.points[0].model_copy(update={"tonnes_per_day": 2.0})]}
    )
    route = Route(
        vehicle_id="D4-1", vehicle_type="D4", stream="residual", distance_km=0, duration_min=60,
        stops=[stop("start", "Y", "06:00"), stop("collect", "R1", "06:10", 2.0, 2.0),
               stop("unload", "INC", "06:40", 2.0, 0.0), stop("end", "Y", "07:00")],
    )  # fmt: skip
    # every site is at the same place: no distance, only the per-stop use remains
    report = assess(small, Plan(instance_name="tiny", routes=[route]))
    kpis = {k.key: k for k in report.kpis}
    assert kpis["harmless_treatment_rate"].met and kpis["resource_recovery_share"].met
    assert report.per_day.diesel_l == pytest.approx(2 * 0.5)
    assert report.per_day.overflow_t == 0


def test_plant_shortfall_is_residual_beyond_free_capacity(instance, plan):
    assert assess(instance, plan).plant_shortfall_t == 0  # 7.5 t residual, 10 t free
    plant = instance.facilities[1].model_copy(update={"external_inflow_t_per_day": 595})
    tight = instance.model_copy(update={"facilities": [*instance.facilities[:1], plant,
                                                       *instance.facilities[2:]]})  # fmt: skip
    assert assess(tight, plan).plant_shortfall_t == pytest.approx(7.5 - 5)


def test_a_plan_file_round_trips_with_its_impact_typed(instance, plan, tmp_path):
    report = assess(instance, plan)
    path = tmp_path / "plan.json"
    path.write_text(dump_json(plan.model_copy(update={"impact": report})), encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8"))["impact"] == report.model_dump(mode="json")
    again = load_plan(path)
    assert isinstance(again.impact, ImpactReport) and again.impact == report
    assert again.impact.per_day.diesel_l == pytest.approx(DIESEL_A_L + DIESEL_B_L)


def _stored(plan: Plan, impact: dict, path) -> Plan:
    """``plan`` saved with ``impact`` as a plan file's dict, then loaded."""
    document = {**plan.model_dump(mode="json"), "impact": impact}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return load_plan(path)


def test_a_report_stored_before_charging_was_counted_loads_when_no_route_is_electric(
    instance, plan, tmp_path
):
    fuelled = plan.model_copy(update={"routes": [r for r in plan.routes if r.vehicle_id != "E2-1"]})
    impact = assess(instance, fuelled).model_dump(mode="json")
    del impact["charging"]
    loaded = _stored(fuelled, impact, tmp_path / "plan.json")
    assert loaded.impact is not None and loaded.impact.charging is None
    assert loaded.impact.per_day.diesel_l == pytest.approx(DIESEL_A_L + DIESEL_B_L)


@pytest.mark.parametrize(
    "older", ["charging", "per_day.incineration_n2o_co2e_t"], ids=["electric", "no-n2o"]
)
def test_a_stored_report_that_cannot_be_completed_loads_as_none(
    instance, plan, tmp_path, caplog, older
):
    impact = assess(instance, plan).model_dump(mode="json")
    *parents, key = older.split(".")
    holder = impact
    for parent in parents:
        holder = holder[parent]
    del holder[key]
    loaded = _stored(plan, impact, tmp_path / "plan.json")
    assert loaded.impact is None and loaded.routes == plan.routes
    assert f"({older}: Field required)" in caplog.text


def test_wrong_instance_or_vehicle_type_is_a_clear_error(instance, plan):
    with pytest.raises(WasteoptError, match="made for instance 'other'"):
        assess(instance, plan.model_copy(update={"instance_name": "other"}))
    ghost = plan.routes[0].model_copy(update={"vehicle_type": "X9"})
    with pytest.raises(WasteoptError, match="D4-1: vehicle type 'X9'"):
        assess(instance, plan.model_copy(update={"routes": [ghost]}))


def test_text_and_csv_renderings(instance, plan):
    report = assess(instance, plan)
    text = format_impact(report)
    assert "diesel" in text and "NOT met" in text and "x 365" in text
    rows = list(csv.DictReader(io.StringIO(impact_csv(report))))
    diesel = next(r for r in rows if r["section"] == "total" and r["metric"] == "diesel_l")
    assert diesel["unit"] == "L"
    assert float(diesel["per_day"]) == pytest.approx(DIESEL_A_L + DIESEL_B_L)
    assert float(diesel["per_year"]) == pytest.approx(365 * (DIESEL_A_L + DIESEL_B_L))
    route_rows = [r for r in rows if r["section"] == "route" and r["metric"] == "energy"]
    assert {r["item"]: r["unit"] for r in route_rows} == {
        "D4-1": "L", "D4-2": "L", "E2-1": "kWh", "H10-1": "kg"
    }  # fmt: skip


def test_report_command_prints_and_writes_csv_with_bom(instance, plan, tmp_path, capsys):
    (tmp_path / "instance.json").write_text(instance.model_dump_json(by_alias=True))
    (tmp_path / "plan.json").write_text(plan.model_dump_json())
    out = tmp_path / "impact.csv"
    code = main(["report", str(tmp_path / "plan.json"), "--instance",
                 str(tmp_path / "instance.json"), "--out", str(out)])  # fmt: skip
    assert code == 0
    assert "harmless-treatment rate" in capsys.readouterr().out
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0] == (
        "section,item,metric,unit,per_day,per_year,target,met"
    )


def test_report_command_finds_the_shipped_daoxian_instance(tmp_path, capsys):
    (tmp_path / "plan.json").write_text(json.dumps({"instance_name": "daoxian-phase2"}))
    assert main(["report", str(tmp_path / "plan.json")]) == 0
    text = capsys.readouterr().out
    assert "daoxian-phase2" in text and "830" in text  # 750 + 80 t generated, none collected


def test_report_command_unknown_instance_name_is_one_line_error(tmp_path, capsys):
    (tmp_path / "plan.json").write_text(json.dumps({"instance_name": "elsewhere"}))
    assert main(["report", str(tmp_path / "plan.json")]) == 2
    assert "pass the plan's instance with --instance" in capsys.readouterr().err
