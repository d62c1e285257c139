"""The CLI through a subprocess: plan, check, validate, and one clear line for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wasteopt.io import dump_json, load_instance, load_plan, read_points_csv

ROOT = Path(__file__).resolve().parents[1]


def wasteopt(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wasteopt", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def planned(tmp_path_factory, example_path) -> Path:
    out = tmp_path_factory.mktemp("plan")
    result = wasteopt("plan", example_path, "--time-limit", "2", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "checked: no violations" in result.stdout
    return out


def test_plan_writes_plan_geojson_and_one_sheet_per_truck(planned, example_path):
    plan = load_plan(planned / "plan.json")
    assert plan.impact is not None and plan.impact.per_day.distance_km == pytest.approx(
        sum(r.distance_km for r in plan.routes), rel=1e-6
    )
    geojson = json.loads((planned / "routes.geojson").read_text(encoding="utf-8"))
    lines = [f for f in geojson["features"] if f["geometry"]["type"] == "LineString"]
    assert len(lines) == len(plan.routes)
    sheets = sorted(p.stem for p in (planned / "sheets").glob("*.csv"))
    assert sheets == sorted(r.vehicle_id for r in plan.routes)
    raw = (planned / "sheets" / f"{plan.routes[0].vehicle_id}.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith(f"车辆,{plan.routes[0].vehicle_id},")  # Chinese by default
    assert any(line.startswith("说明,no road network: great-circle") for line in lines)
    assert any(line.startswith("序号,地点编号,地点,作业,到达,离开") for line in lines)
    names = {s.id: s.name for s in load_instance(example_path).sites}
    first_collect = next(s for s in plan.routes[0].stops if s.action in ("collect", "pickup"))
    assert names[first_collect.site_id] in text


def test_plan_lang_en_writes_english_sheet_headers(example_path, tmp_path):
    args = ("--time-limit", "1", "--solution-limit", "5", "--lang", "en", "--out", tmp_path)
    result = wasteopt("plan", example_path, *args)
    assert result.returncode == 0, result.stderr
    sheet = next((tmp_path / "sheets").glob("*.csv")).read_text(encoding="utf-8-sig")
    assert sheet.startswith("Vehicle,") and "\nNo.,Site id,Place,Action," in sheet


def test_a_solution_limit_the_time_limit_cuts_short_is_said_to_be_unrepeatable(
    example_path, tmp_path
):
    args = ("--time-limit", "1", "--solution-limit", "1000000", "--out", tmp_path)
    result = wasteopt("plan", example_path, *args)
    assert result.returncode == 0, result.stderr
    assert "ended a tier's search before its solution limit" in result.stdout
    assert load_plan(tmp_path / "plan.json").stats[0].time_limited


def test_check_accepts_the_written_plan_and_rejects_a_broken_one(planned, example_path, tmp_path):
    assert wasteopt("check", example_path, planned / "plan.json").returncode == 0
    plan = load_plan(planned / "plan.json")
    route = plan.routes[0]
    collect = next(i for i, s in enumerate(route.stops) if s.action == "collect")
    heavier = route.stops[collect].model_copy(update={"tonnes": 99.0})
    stops = [*route.stops[:collect], heavier, *route.stops[collect + 1 :]]
    broken = plan.model_copy(
        update={"routes": [route.model_copy(update={"stops": stops}), *plan.routes[1:]]}
    )
    (tmp_path / "broken.json").write_text(dump_json(broken), encoding="utf-8")
    result = wasteopt("check", example_path, tmp_path / "broken.json")
    assert result.returncode == 1
    assert "[tonnes]" in result.stdout


def wasteopt_into_closed_pipe(*args: str | Path, buffered: bool) -> subprocess.CompletedProcess:
    """Run wasteopt with its stdout a pipe whose reader has gone, as in ``| head``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "wasteopt", *map(str, args)],
            stdout=write,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            timeout=300,
        )
    finally:
        os.close(write)


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("command", ["report", "validate"])
def test_a_closed_pipe_ends_quietly(command, buffered, planned, example_path):
    args = {
        "report": ("report", planned / "plan.json", "--instance", example_path),
        "validate": ("validate", example_path),
    }[command]
    result = wasteopt_into_closed_pipe(*args, buffered=buffered)
    assert result.stderr == ""
    assert result.returncode == 141


def test_help_into_a_closed_pipe_ends_quietly():
    assert wasteopt_into_closed_pipe("plan", "--help", buffered=True).stderr == ""


def test_validate_accepts_the_example(example_path):
    result = wasteopt("validate", example_path)
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def _mutate(example_path: Path, change) -> dict:
    data = json.loads(example_path.read_text(encoding="utf-8"))
    change(data)
    return data


def _set(path: tuple, value):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path: tuple):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _duplicate_point(data):
    data["points"].append(dict(data["points"][0]))


def _kitchen_without_truck(data):
    data["vehicle_types"] = [vt for vt in data["vehicle_types"] if "kitchen" not in vt["streams"]]


def _kitchen_without_facility(data):
    data["facilities"] = [f for f in data["facilities"] if "kitchen" not in f["streams"]]


def _gate_outside_shifts(data):
    data["facilities"][2]["gate"] = {"start": "21:00", "end": "23:00"}


def _too_much_waste(data):
    for facility in data["facilities"]:
        if "residual" in facility["streams"]:
            facility["capacity_t_per_day"] = 1
            facility["external_inflow_t_per_day"] = 0


BAD_INSTANCES = {
    "negative tonnes": (_set(("points", 0, "tonnes_per_day"), -1), "points[0].tonnes_per_day"),
    "missing tonnes": (_delete(("points", 0, "tonnes_per_day")), "is required"),
    "inverted window": (
        _set(("points", 0, "window"), {"start": "10:00", "end": "09:00"}),
        "inverted",
    ),
    "duplicate id": (_duplicate_point, "duplicate id"),
    "unknown yard": (_set(("vehicle_types", 0, "yard"), "NOPE"), "unknown yard 'NOPE'"),
    "stream no vehicle carries": (_kitchen_without_truck, "no collection vehicle type carries"),
    "stream no facility accepts": (_kitchen_without_facility, "no open facility accepts"),
    "point heavier than payloads": (
        _set(("points", 0, "tonnes_per_day"), 40),
        "exceeds every compatible payload",
    ),
    "gate hours outside shifts": (_gate_outside_shifts, "overlap no shift"),
    "waste above capacity": (_too_much_waste, "exceeds the free capacity"),
    "unknown field": (_set(("points", 0, "tonnage"), 1), "not a known field"),
    "clock time 25:00": (
        _set(("vehicle_types", 0, "shift", "end"), "25:00"),
        "vehicle_types[0].shift.end: must be a clock time HH:MM, 00:00–24:00 (got '25:00')",
    ),
    "point 500 km away": (
        _set(("points", 3, "lat"), 30.0),
        "points[3] (P04): P04 (",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INSTANCES))
def test_bad_instance_gets_one_clear_line_exit_2_and_nothing_written(case, example_path, tmp_path):
    change, expected = BAD_INSTANCES[case]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_mutate(example_path, change), ensure_ascii=False), "utf-8")
    out = tmp_path / "out"
    result = wasteopt("plan", path, "--time-limit", "1", "--out", out)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_malformed_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"name": "x",\n "yards": [}', encoding="utf-8")
    result = wasteopt("validate", path)
    assert result.returncode == 2
    assert "malformed JSON at line 2" in result.stderr


def test_validate_names_a_point_far_from_the_rest(example_path, tmp_path):
    path = tmp_path / "far.json"
    far = _mutate(example_path, _set(("points", 1, "lon"), 116.5))  # ~490 km east
    path.write_text(json.dumps(far, ensure_ascii=False), "utf-8")
    result = wasteopt("validate", path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "points[1] (P02): P02 (下关村) at lon 116.5, lat 25.5236 lies 49" in lines[0]
    assert "check its lon/lat" in lines[0]


def test_a_points_csv_given_as_the_instance_says_how_to_use_it(tmp_path):
    points = ROOT / "instances" / "daoxian" / "points.csv"
    result = wasteopt("plan", points, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"wasteopt: error: {points}: is a points CSV, not JSON; name it in an instance JSON's"
        ' points_csv field, e.g. {"name": "my-county", "points_csv": "points.csv", "yards":'
        ' [...], "facilities": [...], "vehicle_types": [...]} (as'
        " instances/daoxian/instance.json does), and pass that JSON"
    ]
    assert not (tmp_path / "out").exists()


def test_a_gbk_points_csv_is_read_and_the_encoding_named(example_path, tmp_path):
    data = json.loads(example_path.read_text(encoding="utf-8"))
    columns = ("id", "name", "lon", "lat", "stream", "tonnes_per_day", "service_min", "township")
    rows = [",".join(columns) + ",window_start,window_end"]
    for point in data.pop("points"):
        window = point.get("window", {})
        values = [*(point.get(c, "") for c in columns), window.get("start"), window.get("end")]
        rows.append(",".join("" if v is None else str(v) for v in values))
    (tmp_path / "points.csv").write_bytes("\r\n".join(rows).encode("gbk"))
    path = tmp_path / "gbk.json"
    path.write_text(json.dumps({**data, "points_csv": "points.csv"}), encoding="utf-8")
    result = wasteopt("validate", path)
    assert result.returncode == 0, result.stderr
    assert "points.csv: not UTF-8; read as GBK/GB18030" in result.stderr
    assert load_instance(path).points == load_instance(example_path).points


def test_validate_lists_every_problem(example_path, tmp_path):
    def two_problems(data):
        data["points"][0]["tonnes_per_day"] = -1
        data["points"][1]["stream"] = "plastic"

    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_mutate(example_path, two_problems), ensure_ascii=False), "utf-8")
    result = wasteopt("validate", path)
    assert result.returncode == 2
    assert "points[0].tonnes_per_day" in result.stderr
    assert "points[1].stream" in result.stderr


def test_points_csv_with_chinese_names_and_bad_rows(tmp_path):
    good = tmp_path / "points.csv"
    good.write_text(
        "\ufeffid,name,lon,lat,stream,tonnes_per_day,window_start,window_end\n"
        "A1,上关村,111.6,25.5,residual,0.8,,\n"
        "A2,濂溪饭店,111.61,25.51,kitchen,0.4,13:00,15:00\n",
        encoding="utf-8",
    )
    points = read_points_csv(good)
    assert [p.name for p in points] == ["上关村", "濂溪饭店"]
    assert points[1].window is not None and points[1].window.start == "13:00"

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,lon,lat,stream,tonnes_per_day\nA1,111.6,25.5,residual,abc\n", encoding="utf-8"
    )
    result = wasteopt("plan", tmp_path / "inst.json")  # missing instance file
    assert result.returncode == 2 and "file not found" in result.stderr
    from wasteopt.errors import InstanceError

    with pytest.raises(InstanceError, match=r"line 2\.tonnes_per_day"):
        read_points_csv(bad)


def test_instance_and_plan_json_round_trip(example, planned):
    again = type(example).model_validate_json(dump_json(example))
    assert again == example
    plan = load_plan(planned / "plan.json")
    assert type(plan).model_validate_json(dump_json(plan)) == plan


def test_slower_truck_speeds_lengthen_the_day_on_a_road_graph(example_path, tmp_path):
    graph = example_path.parents[2] / "graphs" / "daoxian.graphml"
    slow = tmp_path / "slow.json"
    slow.write_text('{"unclassified": 10, "residential": 8, "tertiary": 15}', encoding="utf-8")
    hours = []
    for extra in ([], ["--speeds", slow]):
        out = tmp_path / f"out{len(hours)}"
        result = wasteopt(
            "plan", example_path, "--time-limit", "1", "--graph", graph, "--out", out, *extra
        )
        assert result.returncode == 0, result.stderr
        hours.append(sum(r.duration_min for r in load_plan(out / "plan.json").routes))
    assert hours[1] > hours[0]
    result = wasteopt("plan", example_path, "--speeds", slow, "--out", tmp_path / "none")
    assert result.returncode == 2 and "need a road graph" in result.stderr
