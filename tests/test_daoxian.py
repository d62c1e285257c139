"""The shipped Daoxian instance: the seed's totals, its scenarios, and a solved day."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from pathlib import Path

import pytest

from wasteopt.impact import assess, plant_shortfall_t
from wasteopt.io import load_instance
from wasteopt.model import Instance
from wasteopt.planning import PlanOptions, plan_day

DAOXIAN = Path(__file__).resolve().parents[1] / "instances" / "daoxian"
SCENARIOS = ["instance.json", "phase2.json", "diesel.json", "electric.json"]


def incinerator(instance: Instance):
    return next(f for f in instance.facilities if f.kind == "incinerator")


def vehicles(instance: Instance) -> list[tuple[str, str, float]]:
    """(yard, tier, payload) of every vehicle."""
    return sorted(
        (vt.yard, vt.tier, vt.payload_t) for vt in instance.vehicle_types for _ in range(vt.count)
    )


@pytest.fixture(scope="module")
def phase1() -> Instance:
    return load_instance(DAOXIAN / "instance.json")


@pytest.fixture(scope="module")
def phase2() -> Instance:
    return load_instance(DAOXIAN / "phase2.json")


@pytest.mark.parametrize("file_name", SCENARIOS)
def test_every_scenario_carries_the_seed_totals(file_name):
    instance = load_instance(DAOXIAN / file_name)
    totals: dict[str, float] = defaultdict(float)
    for point in instance.points:
        totals[point.stream] += point.tonnes_per_day
    assert totals["residual"] == pytest.approx(750.0, abs=0.001)  # 专栏14: 27.375万吨/yr
    assert totals["kitchen"] == pytest.approx(80.0, abs=0.001)  # 专栏14: 2.92万吨/yr
    assert len({p.township for p in instance.points}) == 22  # (十)2: 22 乡镇（街道）
    assert len(instance.points) >= 1000


def test_every_township_has_village_points_and_kitchen_sources_have_after_meal_windows(phase1):
    by_township: dict[str, set[str]] = defaultdict(set)
    for point in phase1.points:
        by_township[point.township].add(point.stream)
        if point.stream == "kitchen":
            assert point.window is not None and point.window.start >= "12:30", point.id
        else:
            assert point.window is None
    assert all("residual" in streams for streams in by_township.values())


def test_facilities_of_the_plan(phase1, phase2):
    plant1, plant2 = incinerator(phase1), incinerator(phase2)
    assert (plant1.capacity_t_per_day, plant2.capacity_t_per_day) == (600, 900)
    assert plant1.external_inflow_t_per_day == plant2.external_inflow_t_per_day > 0
    centre = next(f for f in phase1.facilities if f.kind == "kitchen_centre")
    assert centre.capacity_t_per_day == pytest.approx(94_900 / 365)
    landfill = next(f for f in phase1.facilities if f.kind == "landfill")
    assert landfill.status == "open" and landfill.cost_per_t > plant1.cost_per_t
    stations = [f for f in phase1.facilities if f.kind == "transfer_station"]
    assert {s.status for s in stations} == {"open", "candidate"}
    assert all(s.annual_fixed_cost > 0 for s in stations if s.status == "candidate")


def test_fleet_has_every_tier_stream_and_energy(phase1):
    kinds = {(vt.tier, vt.streams[0], vt.energy.type) for vt in phase1.vehicle_types}
    for energy in ("diesel", "electric", "lng"):
        assert ("collection", "residual", energy) in kinds
        assert ("transfer", "residual", energy) in kinds
    assert any(stream == "kitchen" for _, stream, _ in kinds)
    assert len(phase1.yards) >= 4


@pytest.mark.parametrize(
    ("file_name", "energy"), [("diesel.json", "diesel"), ("electric.json", "electric")]
)
def test_fleet_variants_change_only_the_energy(phase2, file_name, energy):
    """A fleet variant changes the trucks' energy and, for battery trucks, the plugs at the
    facilities where they unload; nothing else of the facilities."""
    variant = load_instance(DAOXIAN / file_name)
    assert {vt.energy.type for vt in variant.vehicle_types} == {energy}

    def without_chargers(instance):
        return [f.model_copy(update={"charger": None}) for f in instance.facilities]

    assert without_chargers(variant) == without_chargers(phase2)
    if energy == "diesel":
        assert variant.facilities == phase2.facilities
    assert vehicles(variant) == vehicles(phase2)


def test_phase1_is_short_of_incinerator_capacity_and_phase2_is_not(phase1, phase2):
    free1 = 600 - incinerator(phase1).external_inflow_t_per_day
    assert plant_shortfall_t(phase1) == pytest.approx(750 - free1)
    assert plant_shortfall_t(phase1) > 0
    assert plant_shortfall_t(phase2) == 0


def test_generator_is_deterministic_and_the_shipped_files_are_current(tmp_path):
    spec = importlib.util.spec_from_file_location("daoxian_generate", DAOXIAN / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    first, second = generate.build(), generate.build()
    assert first == second
    for name, text in first.items():
        assert (DAOXIAN / name).read_text(encoding="utf-8") == text, (
            f"{name} is stale: run python instances/daoxian/generate.py"
        )


def test_phase1_day_is_checker_clean_and_reports_the_overflow(phase1):
    plan = plan_day(phase1)  # default time limit; plan_day raises if the checker objects
    report = assess(phase1, plan)
    plant = next(f for f in report.facilities if f.kind == "incinerator")
    assert plant.plan_t + plant.external_t <= plant.capacity_t + 0.001
    assert report.per_day.overflow_t >= plant_shortfall_t(phase1) - 0.001
    assert report.per_day.landfilled_t + report.per_day.backlog_t > 0
    assert report.per_day.diesel_l > 0 and report.per_day.bricks_potential > 0


def test_phase2_day_incinerates_all_residual_waste_it_collects(phase2):
    # The first (greedy) solution is enough here; plan_day still runs the checker on it.
    plan = plan_day(phase2, options=PlanOptions(solution_limit=1))
    report = assess(phase2, plan)
    day = report.per_day
    assert report.plant_shortfall_t == 0
    assert day.landfilled_t == 0 and day.backlog_t == 0
    residual_collected = day.collected_t - day.kitchen_treated_t
    assert day.incinerated_t == pytest.approx(residual_collected, abs=0.001)
    assert day.incinerated_t > 600 - incinerator(phase2).external_inflow_t_per_day
