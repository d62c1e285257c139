"""Every output a person sees marks what is assumed or approximate."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import openpyxl

from wasteopt.export import routes_geojson, sheet_csv
from wasteopt.impact import assess, format_impact
from wasteopt.matrix import GreatCircleProvider
from wasteopt.model import Instance
from wasteopt.planning import PlanOptions, plan_day
from wasteopt.provenance import caveats, road_network
from wasteopt.summary import format_summary
from wasteopt.workbook import plan_workbook


def labelled(example: Instance) -> Instance:
    """The example with an assumption of its own and an assumed landfill."""
    facilities = [
        f.model_copy(update={"assumption": "assumed outlet, not in the plan"})
        if f.kind == "incinerator"
        else f
        for f in example.facilities
    ]
    return example.model_copy(
        update={"facilities": facilities, "assumptions": ["design capacity used as tonnage"]}
    )


def test_plan_summary_report_sheets_and_geojson_carry_the_caveats(example):
    instance = labelled(example)
    plan = plan_day(instance, options=PlanOptions(time_limit_s=2, solution_limit=10))
    plant = next(f for f in instance.facilities if f.kind == "incinerator")
    assert plan.caveats[0].startswith("no road network: great-circle distance x 1.35")
    assert "design capacity used as tonnage" in plan.caveats
    assert f"{plant.id}: assumed outlet, not in the plan" in plan.caveats

    summary = format_summary(instance, plan)
    assert f"{plant.name} (assumed)" in summary
    assert "design capacity used as tonnage" in summary
    report = format_impact(assess(instance, plan))
    assert "great-circle" in report and "not counted:" in report

    route = next(r for r in plan.routes if any(s.site_id == plant.id for s in r.stops))
    sheet = sheet_csv(instance, route, plan.date, plan.caveats).removeprefix("\ufeff")
    lines = sheet.splitlines()
    assert lines[0].startswith(f"车辆,{route.vehicle_id},{route.vehicle_type},日期,")
    assert "说明,design capacity used as tonnage" in lines
    assert any(f",{plant.id},{plant.name} (assumed)," in line for line in lines)

    provider = GreatCircleProvider.for_instance(instance)
    geojson = json.loads(json.dumps(routes_geojson(instance, plan, provider)))
    assert geojson["caveats"] == plan.caveats
    lines_ = [f for f in geojson["features"] if f["geometry"]["type"] == "LineString"]
    assert all("great-circle" in f["properties"]["road_network"] for f in lines_)
    [point] = [f for f in geojson["features"] if f["properties"].get("id") == plant.id]
    assert point["properties"]["assumed"] == "assumed outlet, not in the plan"

    book = openpyxl.load_workbook(io.BytesIO(plan_workbook(instance, plan, "en")))
    overview = [row[0] for row in book["Overview"].iter_rows(values_only=True)]
    assert overview[-len(plan.caveats) - 1 :] == ["Assumed or approximate", *plan.caveats]


def test_a_schematic_road_network_says_so():
    schematic = SimpleNamespace(graph=SimpleNamespace(graph={"name": "schematic road network"}))
    assert road_network(schematic).startswith("SCHEMATIC road network, not surveyed")
    surveyed = SimpleNamespace(graph=SimpleNamespace(graph={"name": "OSM Daoxian"}))
    assert "truck speeds by road class assumed" in road_network(surveyed)


def test_facilities_sharing_an_assumption_are_named_on_one_line(example):
    stations = [f for f in example.facilities if f.kind == "transfer_station"]
    marked = [
        f.model_copy(update={"assumption": "site assumed"}) if f in stations else f
        for f in example.facilities
    ]
    instance = example.model_copy(update={"facilities": marked})
    notes = caveats(instance, GreatCircleProvider.for_instance(instance))
    open_ids = [f.id for f in stations if f.status == "open"]
    assert notes[1:] == [f"{', '.join(open_ids)}: site assumed"]
