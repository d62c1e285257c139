"""Terminal tables line up with Chinese names, label their numbers, and title by the area."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from wasteopt._text import display_width, pad, table
from wasteopt.impact import assess, format_impact
from wasteopt.io import load_instance
from wasteopt.model import Plan, Route, Stop
from wasteopt.scenario import Row, Scenario, format_comparison
from wasteopt.summary import format_summary

DAOXIAN = Path(__file__).resolve().parents[1] / "instances" / "daoxian" / "instance.json"


def test_display_width_counts_chinese_characters_as_two_columns():
    assert display_width("TS1") == 3
    assert display_width("城区垃圾转运站") == 14
    assert display_width("（应急）") == 8  # fullwidth brackets
    assert display_width("e\u0301") == 1  # a combining accent takes no column
    assert pad("道县", 6) == "道县  " and pad("道县", 6, ">") == "  道县"
    lines = table([["名称", "t"], ["城区垃圾转运站", "81.2"], ["INC", "5.0"]], "<>")
    assert {display_width(line) for line in lines} == {2 + 14 + 2 + 4}


def collect_and_unload(instance) -> Plan:
    """One route: collect the first point and unload it at a facility."""
    point = instance.points[0]
    vehicle = next(vt for vt in instance.vehicle_types if point.stream in vt.streams)
    stops = [Stop(action="start", site_id=vehicle.yard, arrive="06:00", depart="06:00")]
    stops.append(
        Stop(action="collect", site_id=point.id, arrive="06:10", depart="06:15", tonnes=1.0)
    )
    plant = next(f for f in instance.open_facilities() if point.stream in f.streams)
    stops.append(Stop(action="unload", site_id=plant.id, arrive="07:00", depart="07:10", tonnes=1))
    stops.append(Stop(action="end", site_id=vehicle.yard, arrive="08:00", depart="08:00"))
    route = Route(
        vehicle_id=f"{vehicle.id}-1",
        vehicle_type=vehicle.id,
        stream=point.stream,
        stops=stops,
        distance_km=42.5,
        duration_min=120,
    )
    return Plan(instance_name=instance.name, routes=[route])


def test_the_plan_summary_is_titled_by_the_area_and_labels_its_numbers():
    daoxian = load_instance(DAOXIAN)
    assert daoxian.title == "道县"
    text = format_summary(daoxian, collect_and_unload(daoxian))
    lines = text.splitlines()
    assert lines[0] == "Plan for 道县 (daoxian)"
    header = ["tier", "vehicles", "unload trips", "distance km", "duty hours"]
    assert re.split(r"\s{2,}", lines[1].strip()) == header
    assert lines[2].split() == ["collection", "1", "1", "42.5", "2.0"]


def test_the_facility_table_lines_up_with_chinese_names():
    daoxian = load_instance(DAOXIAN)
    lines = format_summary(daoxian, collect_and_unload(daoxian)).splitlines()
    start = lines.index("  tonnes unloaded per facility today:") + 1
    rows = [line for line in lines[start:] if line.startswith("    ")]
    assert len(rows) == 1 + len(daoxian.open_facilities())
    assert any("永州南部生活垃圾焚烧发电厂" in row for row in rows)
    # every column is right-aligned after the name: equal display widths mean aligned columns
    assert len({display_width(row) for row in rows}) == 1


def test_the_impact_block_is_titled_by_the_area():
    daoxian = load_instance(DAOXIAN)
    report = assess(daoxian, collect_and_unload(daoxian))
    assert format_impact(report).startswith("Impact of the plan for 道县 (daoxian) (per day;")


def test_the_comparison_lines_up_chinese_scenario_names():
    outcomes = [SimpleNamespace(scenario=Scenario(name=n)) for n in ("today", "二期+电动")]
    rows = [Row("vehicle distance", "km/day", [1234.5, 987.0]), Row("trucks", "count", [3, 4])]
    lines = format_comparison(outcomes, rows).splitlines()
    assert len({display_width(line) for line in lines}) == 1
    assert lines[0].endswith("二期+电动 vs today")
