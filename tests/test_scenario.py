"""Scenario files: round trip, applying changes, clear errors for bad files."""

from __future__ import annotations

import csv
import itertools
import json
import subprocess
import sys

import pytest

from tests.builders import build_instance, facility, point, station, truck
from wasteopt.check import check_plan
from wasteopt.errors import InstanceError
from wasteopt.io import dump_json, load_plan
from wasteopt.matrix import GreatCircleProvider
from wasteopt.model import EnergyModel, Facility, Instance
from wasteopt.planning import PlanOptions
from wasteopt.scenario import (
    SECTIONS,
    FacilityChange,
    FleetChange,
    Scenario,
    apply_scenario,
    compare_scenarios,
    comparison_csv,
    comparison_rows,
    comparison_verdict,
    format_comparison,
    load_scenario,
    save_scenario,
    with_today,
)
from wasteopt.siting import SitingOptions, choose_stations

STATION = {"kind": "transfer_station", "streams": ["residual"], "capacity_t_per_day": 40}


def instance() -> Instance:
    """A town with a plant at the yard and two stations (one a candidate) to the NE and SW."""
    return build_instance(
        name="town",
        facilities=[
            facility("PLANT", 0.0, name="焚烧厂"),
            station("TS-A", 0.0, lon=111.7, lat=25.6),
            station("TS-B", 0.0, lon=111.5, lat=25.4, status="candidate"),
        ],
        points=[
            point("P1", 0.0, tonnes=2, lon=111.72, lat=25.61),
            point("P2", 0.0, tonnes=3, lon=111.48, lat=25.41),
        ],
        vehicle_types=[
            truck("compactor", count=2, shift={"start": "06:00", "end": "16:00"}, cost_per_km=3.0),
            truck("hooklift", tier="transfer", payload=10, cost_per_km=5.0),
        ],
    )


def full_scenario() -> Scenario:
    return Scenario(
        name="新站+二期",
        description="open a new station, close one, phase 2, electric compactors, +10 % waste",
        add_stations=[Facility(id="TS-NEW", name="新站", lon=111.55, lat=25.45, **STATION)],
        open_stations=["TS-NEW", "TS-B"],
        close_stations=["TS-A"],
        facilities=[
            FacilityChange(id="PLANT", capacity_t_per_day=900, external_inflow_t_per_day=120)
        ],
        fleet=[
            FleetChange(
                vehicle_type="compactor",
                energy=EnergyModel(type="electric", empty_per_100km=90, full_per_100km=130),
                count=3,
            )
        ],
        tonnes_factor=1.1,
    )


def test_scenario_file_round_trips(tmp_path):
    scenario = full_scenario()
    path = tmp_path / "s.json"
    save_scenario(scenario, path)
    assert "新站+二期" in path.read_text(encoding="utf-8")
    assert load_scenario(path) == scenario


def test_apply_scenario_makes_every_change_and_leaves_the_original_alone():
    base = instance()
    changed = apply_scenario(base, full_scenario())
    status = {f.id: f.status for f in changed.facilities}
    assert status == {"PLANT": "open", "TS-A": "closed", "TS-B": "open", "TS-NEW": "open"}
    plant = changed.facilities[0]
    assert (plant.capacity_t_per_day, plant.external_inflow_t_per_day) == (900, 120)
    assert plant.name == "焚烧厂"
    compactor = changed.vehicle_type("compactor")
    assert compactor.energy.type == "electric" and compactor.count == 3
    assert compactor.payload_t == 5  # untouched fields stay
    assert [p.tonnes_per_day for p in changed.points] == pytest.approx([2.2, 3.3])
    # the original instance is unchanged and the empty scenario changes nothing but the name
    assert {f.id: f.status for f in base.facilities}["TS-A"] == "open"
    assert base.vehicle_type("compactor").energy.type == "diesel"
    today = apply_scenario(base, Scenario(name="today"))
    assert today.model_dump(exclude={"name"}) == base.model_dump(exclude={"name"})


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"open_stations": ["TS-X"]}, "open_stations[0]", "unknown transfer station 'TS-X'"),
        ({"close_stations": ["PLANT"]}, "close_stations[0]", "unknown transfer station"),
        ({"open_stations": ["TS-A"], "close_stations": ["TS-A"]}, "", "both opened and closed"),
        ({"facilities": [{"id": "NOPE", "capacity_t_per_day": 5}]}, "facilities[0].id", "NOPE"),
        ({"fleet": [{"vehicle_type": "bus", "count": 2}]}, "fleet[0].vehicle_type", "'bus'"),
        (
            {"add_stations": [{"id": "P1", "lon": 111, "lat": 25, **STATION}]},
            "add_stations[0].id",
            "already in the instance",
        ),
    ],
)
def test_bad_scenario_names_the_item(change, where, words):
    scenario = Scenario.model_validate({"name": "bad", **change})
    with pytest.raises(InstanceError) as err:
        apply_scenario(instance(), scenario)
    location, message = err.value.problems[0]
    assert location == f"scenario 'bad'.{where}".rstrip(".")
    assert words in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"name": "x", "open_station": ["TS-A"]}', "open_station: is not a known field"),
        ('{"name": "x", "tonnes_factor": 0}', "tonnes_factor"),
        (
            '{"name": "x", "facilities": [{"id": "PLANT", "capacity_t_per_day": -1}]}',
            "facilities[0]",
        ),
        ('{"open_stations": []}', "name: is required"),
        ('{"name": "x",', "malformed JSON at line 1"),
        ("[]", "must be a JSON object"),
    ],
)
def test_bad_scenario_file_gives_one_clear_error(tmp_path, text, words):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstanceError) as err:
        load_scenario(path)
    assert str(path) in str(err.value)
    assert words in str(err.value)
    with pytest.raises(InstanceError, match="file not found"):
        load_scenario(tmp_path / "missing.json")


def test_siting_result_becomes_a_scenario_that_applies(tmp_path):
    from wasteopt.scenario import scenario_from_siting

    base = instance()
    extra = [Facility(id="TS-NEW", lon=111.49, lat=25.41, **STATION, status="candidate")]
    result = choose_stations(
        base,
        options=SitingOptions(open_exactly=1, force_closed=frozenset({"TS-B"})),
        candidates=extra,
    )
    scenario = scenario_from_siting(base, result, "one station", extra)
    save_scenario(scenario, tmp_path / "s.json")
    applied = apply_scenario(base, load_scenario(tmp_path / "s.json"))
    open_ids = {f.id for f in applied.open_facilities() if f.kind == "transfer_station"}
    assert open_ids == set(result.open_stations)
    assert len(open_ids) == 1
    assert scenario.estimate.total == pytest.approx(result.cost.total)
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["name"] == "one station"


def wasteopt(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from wasteopt.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


def test_site_then_compare_from_the_command_line(tmp_path):
    path = tmp_path / "town.json"
    path.write_text(dump_json(instance()), encoding="utf-8")
    out = tmp_path / "site"
    done = wasteopt("site", str(path), "--open", "1", "--time-limit", "5", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "proven optimal" in done.stdout
    chosen = load_scenario(out / "scenario.json")
    assert len(chosen.open_stations) == 1
    assert load_scenario(out / "today.json").estimate is not None
    sheet = (out / "assignment.csv").read_bytes()
    assert sheet.startswith(b"\xef\xbb\xbf") and b"P1," in sheet
    compared = tmp_path / "cmp"
    args = [str(path), str(out / "today.json"), str(out / "scenario.json")]
    done = wasteopt("compare", *args, "--time-limit", "1", "--lang", "en", "--out", str(compared))
    assert done.returncode == 0, done.stderr
    sheet = next((compared / "today" / "sheets").glob("*.csv")).read_text(encoding="utf-8-sig")
    assert sheet.startswith("Vehicle,")
    with (compared / "comparison.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = {r[1]: r[3:] for r in csv.reader(handle)}
    assert rows["metric"] == ["today", "sited", "sited vs today"]
    assert rows["transfer stations open"] == ["1", "1", "0"]
    routed = [float(v) for v in rows["annual cost (routing-validated)"]]
    estimated = [float(v) for v in rows["annual cost (location model, excl. carbon)"][:2]]
    assert all(v > 0 for v in routed[:2] + estimated)
    assert routed[2] == pytest.approx(routed[1] - routed[0], abs=0.01)
    assert float(rows["left uncollected"][1]) == 0.0
    assert "annual cost (routing-validated)" in done.stdout
    assert done.stdout.count("verdict: ") == 1
    for name, scenario in (("today", Scenario(name="today")), ("sited", chosen)):
        plan = load_plan(compared / name / "plan.json")
        changed = apply_scenario(instance(), scenario)
        matrices = GreatCircleProvider.for_instance(changed).matrices(changed.sites)
        assert check_plan(changed, plan, matrices) == []
        assert json.loads((compared / name / "routes.geojson").read_text())["features"]


def test_command_line_refusals_are_one_line(tmp_path):
    path = tmp_path / "town.json"
    path.write_text(dump_json(instance()), encoding="utf-8")
    done = wasteopt("site", str(path), "--open", "3", "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "asked for 3 station(s)" in done.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "close_stations": ["TS-Z"]}', encoding="utf-8")
    done = wasteopt("compare", str(path), str(bad), "--out", str(tmp_path / "c"))
    assert done.returncode == 2
    assert "unknown transfer station 'TS-Z'" in done.stderr
    assert not (tmp_path / "c").exists()
    huge = tmp_path / "huge.json"
    fleet = [{"vehicle_type": "compactor", "count": 10**20}]
    huge.write_text(json.dumps({"name": "huge", "fleet": fleet}), encoding="utf-8")
    done = wasteopt("compare", str(path), str(huge), "--out", str(tmp_path / "c"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "scenario 'huge'" in done.stderr and "count" in done.stderr
    assert not (tmp_path / "c").exists()


def test_comparison_shows_differences_sections_and_a_verdict_without_repeated_words():
    town = instance().model_copy(update={"name": "incinerator"})  # ids that repeat the kind
    plant = town.facilities[0].model_copy(update={"id": "incinerator", "name": ""})
    town = town.model_copy(update={"facilities": [plant, *town.facilities[1:]]})
    more = Scenario(name="more waste", tonnes_factor=1.5)
    outcomes = compare_scenarios(
        town, with_today([more]), options=PlanOptions(time_limit_s=5, solution_limit=20)
    )
    rows = comparison_rows(outcomes)
    for r in rows:
        words = r.metric.replace(":", " ").split()
        assert all(a != b for a, b in itertools.pairwise(words)), r.metric
    by_metric = {r.metric: r for r in rows}
    assert by_metric["vehicle distance"].section == "per day"
    assert by_metric["net CO2e"].section == "per year"
    assert [r.section for r in rows] == sorted((r.section for r in rows), key=SECTIONS.index)
    table = format_comparison(outcomes, rows)
    assert table.splitlines()[0].split()[-3:] == ["waste", "vs", "today"]
    assert "per day:" in table and "per year:" in table
    today_t, more_t = by_metric["incinerator: intake incl. outside inflow"].values
    assert more_t == pytest.approx(1.5 * today_t)  # every tonne reaches the plant
    lines = comparison_csv(outcomes, rows).removeprefix("\ufeff").splitlines()
    cells = {row[1]: row for row in csv.reader(lines)}
    intake = cells["incinerator: intake incl. outside inflow"]
    assert float(intake[5]) == pytest.approx(float(intake[4]) - float(intake[3]), abs=0.011)
    assert all(len(v.partition(".")[2]) <= 4 for row in cells.values() for v in row[3:])
    verdict = comparison_verdict(outcomes)
    cheaper, dearer = sorted(outcomes, key=lambda o: o.annual_cost)
    assert verdict.startswith("verdict: ") and cheaper.scenario.name in verdict
    extra = f"{dearer.annual_cost - cheaper.annual_cost:,.0f} CNY/yr"
    assert extra in verdict
