"""What the desk reads beside a plan: timelines, the Excel workbook, the road network as
GeoJSON, the offline docs, and the API routes that serve them."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import openpyxl
import osmnx as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from wasteopt.export import sheet_csv
from wasteopt.headers import word
from wasteopt.matrix import GreatCircleProvider
from wasteopt.model import Instance, Plan, clock_to_seconds
from wasteopt.network import RoadNetworkProvider
from wasteopt.network.drawing import roads_geojson
from wasteopt.planning import PlanOptions, plan_day
from wasteopt.timeline import plan_timeline
from wasteopt.workbook import plan_workbook

TINY = json.loads((Path(__file__).parent / "data" / "api" / "tiny.json").read_text("utf-8"))
QUICK = {"time_limit_s": 1, "solution_limit": 1}


@pytest.fixture(scope="module")
def day(example: Instance) -> tuple[Instance, Plan, GreatCircleProvider]:
    provider = GreatCircleProvider.for_instance(example)
    plan = plan_day(example, provider, PlanOptions(time_limit_s=2, solution_limit=5))
    assert plan.routes
    return example, plan, provider


def minutes(clock: str) -> float:
    return clock_to_seconds(clock) / 60


def test_timeline_fills_each_truck_day_with_its_drives_and_services(day) -> None:
    instance, plan, provider = day
    matrices = provider.matrices(instance.sites)
    index = matrices.index()
    for route, truck in zip(plan.routes, plan_timeline(plan, matrices), strict=True):
        acts = truck.activities
        assert truck.vehicle_id == route.vehicle_id
        assert acts[0].start == route.stops[0].depart and acts[-1].end == route.stops[-1].arrive
        assert all(a.end == b.start for a, b in zip(acts, acts[1:], strict=False)), "a gap"
        for action in ("collect", "unload", "pickup", "break"):
            assert sum(a.kind == action for a in acts) == sum(
                s.action == action and s.arrive != s.depart for s in route.stops
            )
        moves = [s for s in route.stops if s.action != "break"]
        legs = list(zip(moves, moves[1:], strict=False))
        travel_min = sum(
            matrices.duration_s[index[a.site_id], index[b.site_id]] / 60 for a, b in legs
        )
        drive_min = sum(minutes(a.end) - minutes(a.start) for a in acts if a.kind == "drive")
        assert drive_min == pytest.approx(travel_min, abs=len(legs))  # clocks round to minutes


def test_workbook_has_an_overview_and_one_sheet_per_truck_in_chinese_or_english(day) -> None:
    instance, plan, _ = day
    book = openpyxl.load_workbook(io.BytesIO(plan_workbook(instance, plan)))
    assert book.sheetnames == ["总览", *(r.vehicle_id for r in plan.routes)]
    overview = list(book["总览"].iter_rows(values_only=True))
    assert overview[2][:2] == ("日期", instance.date)
    total = next(row for row in overview if row[0] == "合计")
    assert total[1] == len(plan.routes)
    assert total[8] == pytest.approx(sum(r.distance_km for r in plan.routes), abs=0.01)
    route = plan.routes[0]
    rows = list(book[route.vehicle_id].iter_rows(values_only=True))
    assert rows[1] == ("车型", instance.vehicle_type(route.vehicle_type).name, *[None] * 7)
    collected = sum(s.tonnes for s in route.stops if s.action == "collect")
    assert rows[-1][0] == "合计" and rows[-1][6] == pytest.approx(collected, abs=1e-3)
    english = openpyxl.load_workbook(io.BytesIO(plan_workbook(instance, plan, "en")))
    assert english.sheetnames[0] == "Overview"
    assert list(english[route.vehicle_id].iter_rows(values_only=True))[5][:2] == ("No.", "Site id")


def test_dispatch_sheets_have_the_workbooks_headers_chinese_by_default(day) -> None:
    instance, plan, _ = day
    route = plan.routes[0]
    for language, first, header in (
        ("zh", ["车辆", "日期", "说明"], ["序号", "地点编号", "地点", "作业", "到达", "离开"]),
        (
            "en",
            ["Vehicle", "Date", "Note"],
            ["No.", "Site id", "Place", "Action", "Arrive", "Leave"],
        ),
    ):
        text = sheet_csv(instance, route, plan.date, plan.caveats, language=language)
        assert text.startswith("\ufeff")  # UTF-8 with BOM in either language
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
        assert rows[0] == [first[0], route.vehicle_id, route.vehicle_type, first[1], plan.date]
        assert rows[1] == [first[2], plan.caveats[0]]
        columns = rows[len(plan.caveats) + 2]
        assert columns[:6] == header and len(rows) == len(plan.caveats) + 3 + len(route.stops)
        actions = [row[3] for row in rows[len(plan.caveats) + 3 :]]
        assert actions == [word(language, stop.action) for stop in route.stops]
        assert ("收集" in actions) == (language == "zh")  # Chinese words on the Chinese sheet
        book = openpyxl.load_workbook(io.BytesIO(plan_workbook(instance, plan, language)))
        workbook_header = list(book[route.vehicle_id].iter_rows(values_only=True))[5]
        assert tuple(columns[:9]) == workbook_header[:9]  # one table of headers for both


def test_workbook_keeps_formula_like_names_as_text(day) -> None:
    instance, plan, _ = day
    visited = plan.routes[0].stops[1].site_id
    hostile = '=HYPERLINK("http://example.com","点我")'
    points = [
        p.model_copy(update={"name": hostile}) if p.id == visited else p for p in instance.points
    ]
    book = openpyxl.load_workbook(
        io.BytesIO(plan_workbook(instance.model_copy(update={"points": points}), plan))
    )
    cells = [c for row in book[plan.routes[0].vehicle_id].iter_rows() for c in row]
    named = [c for c in cells if c.value == hostile]
    assert named and all(c.data_type == "s" for c in named)


def test_sheet_names_are_valid_and_distinct() -> None:
    from wasteopt.workbook import _sheet_name

    taken: set[str] = set()
    names = [_sheet_name(v, taken) for v in ("a/b", "a:b", "x" * 40, "x" * 40, "总览")]
    assert names[:2] == ["a_b", "a_b~2"]
    assert all(len(n) <= 31 for n in names) and len({n.lower() for n in names}) == len(names)


def two_roads() -> nx.MultiDiGraph:
    """A two-way road 1-2 and one-way roads 2->3->1 (osmnx attributes, lon/lat nodes)."""
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (x, y) in {1: (111.50, 25.50), 2: (111.51, 25.50), 3: (111.51, 25.51)}.items():
        graph.add_node(node, x=x, y=y)
    for u, v, oneway in ((1, 2, False), (2, 1, False), (2, 3, True), (3, 1, True)):
        graph.add_edge(u, v, length=1100.0, highway="residential", oneway=oneway)
    return graph


def test_road_network_draws_each_road_once() -> None:
    provider = RoadNetworkProvider(two_roads())
    features = roads_geojson(provider.roads)["features"]
    assert sorted(f["properties"]["oneway"] for f in features) == [False, True, True]
    assert all(f["geometry"]["type"] == "LineString" for f in features)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    graphs = tmp_path / "graphs"
    graphs.mkdir()
    ox.save_graphml(two_roads(), graphs / "two.graphml")
    settings = Settings(db=tmp_path / "api.db", data_dir=graphs, workers=1, max_time_limit_s=60)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def wait_done(client: TestClient, url: str) -> dict:
    deadline = time.monotonic() + 180  # a bound for a loaded machine, not a timing
    while (job := client.get(url).json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"{url} still {job['status']}"
        time.sleep(0.1)
    assert job["status"] == "done", job
    return job


def test_desk_pages_and_docs_use_only_shipped_assets(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'id="map"' in page.text
    for path in ("/docs", "/redoc"):
        response = client.get(path)
        assert response.headers["content-security-policy"].startswith("default-src 'self' ")
        html = response.text
        assert "http" not in html  # no CDN, no web fonts
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert len(sources) >= 2
        for source in sources:
            if source.startswith("/desk/static/"):
                assert client.get(source).status_code == 200, source
    licence = client.get("/desk/static/vendor/leaflet/LICENSE")
    assert licence.status_code == 200 and "BSD 2-Clause License" in licence.text


def test_plan_job_serves_instance_timeline_workbook_and_network(client: TestClient) -> None:
    instance_id = client.post("/v1/instances", json=TINY).json()["id"]
    missing = client.get(f"/v1/instances/{instance_id}/network")
    assert missing.status_code == 404 and "straight lines" in missing.json()["detail"]
    job = client.post(
        "/v1/plans", json={"instance_id": instance_id, "date": "2026-12-01", **QUICK}
    ).json()
    base = f"/v1/plans/{job['id']}"
    wait_done(client, base)
    plan = client.get(f"{base}/result").json()
    instance = client.get(f"{base}/instance").json()
    assert instance["name"] == TINY["name"] and instance["date"] == "2026-12-01"
    timeline = client.get(f"{base}/timeline").json()
    assert [t["vehicle_id"] for t in timeline] == [r["vehicle_id"] for r in plan["routes"]]
    workbook = client.get(f"{base}/workbook?lang=en")
    disposition = workbook.headers["content-disposition"]
    assert "filename*=UTF-8''api-tiny-2026-12-01.xlsx" in disposition
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames == ["Overview", *(r["vehicle_id"] for r in plan["routes"])]
    assert client.get(f"{base}/workbook?lang=fr").status_code == 422
    sheet = f"{base}/sheets/{plan['routes'][0]['vehicle_id']}"
    chinese = client.get(sheet)
    assert (
        chinese.content.startswith("\ufeff车辆,".encode()) and "\r\n序号,地点编号," in chinese.text
    )
    english = client.get(f"{sheet}?lang=en").text
    assert english.startswith("\ufeffVehicle,") and "\r\nNo.,Site id," in english
    assert client.get(f"{sheet}?lang=fr").status_code == 422
    assert client.get(f"{base}/network").status_code == 404

    assert client.get("/v1/graphs").json() == {"graphs": ["two.graphml"]}
    on_roads = {**TINY, "name": "on-roads", "settings": {"graph": "two.graphml"}}
    road_id = client.post("/v1/instances", json=on_roads).json()["id"]
    network = client.get(f"/v1/instances/{road_id}/network")
    assert network.headers["content-type"] == "application/geo+json"
    assert len(network.json()["features"]) == 3


def test_each_compared_scenario_opens_with_its_plan_and_timeline(client: TestClient) -> None:
    scenarios = [{"name": "二期", "facilities": [{"id": "INC", "capacity_t_per_day": 900}]}]
    job = client.post(
        "/v1/comparisons", json={"instance": TINY, "scenarios": scenarios, **QUICK}
    ).json()
    base = f"/v1/comparisons/{job['id']}"
    wait_done(client, base)
    names = [s["name"] for s in client.get(f"{base}/result").json()["scenarios"]]
    for index, name in enumerate(names):
        view = client.get(f"{base}/scenarios/{index}").json()
        assert set(view) == {"instance", "plan", "routes", "timeline"}
        assert len(view["timeline"]) == len(view["plan"]["routes"])
        capacity = {f["id"]: f["capacity_t_per_day"] for f in view["instance"]["facilities"]}
        assert capacity["INC"] == (900 if name == "二期" else 600)
    assert client.get(f"{base}/scenarios/{len(names)}").status_code == 404
