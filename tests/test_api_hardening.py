"""HTTP API against a hostile client: each reproduction of issue 19 answered as it should be."""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from api import json_body
from api.app import create_app
from api.settings import Settings
from wasteopt.cli import main as cli

TINY = json.loads((Path(__file__).parent / "data" / "api" / "tiny.json").read_text("utf-8"))
QUICK = {"time_limit_s": 1, "solution_limit": 1}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    graphs = tmp_path / "graphs"
    graphs.mkdir()
    (graphs / "broken.graphml").write_text("<graphml>not a graph")
    (graphs / "notes.txt").write_text("not a graph")
    settings = Settings(
        db=tmp_path / "api.db",
        data_dir=graphs,
        workers=1,
        queue_size=8,
        max_time_limit_s=60,
        max_facilities=10,
        max_vehicles=50,
        max_model_size=1000,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["loc"]: e["msg"] for e in response.json()["errors"]}


def wait_done(client: TestClient, job_id: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/v1/plans/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def with_changes(**changes) -> dict:
    document = copy.deepcopy(TINY)
    for path, value in changes.items():
        target = document
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return document


def test_size_limits_are_checked_before_full_validation(client: TestClient) -> None:
    fleet = with_changes(vehicle_types__0__count=10**20)
    assert (
        "vehicles in all exceed"
        in errors(client.post("/v1/plans", json={"instance": fleet}))["instance.vehicle_types"]
    )
    # eleven facilities that are not even valid: only the size is reported, nothing was built
    many = with_changes(facilities=[{}] * 11)
    assert set(errors(client.post("/v1/instances", json=many))) == {"facilities"}
    model = with_changes(vehicle_types__0__count=40, points=TINY["points"] * 10)
    assert "model size limit" in errors(client.post("/v1/instances", json=model))["points"]


@pytest.mark.parametrize(
    ("path", "value", "loc"),
    [
        ("vehicle_types__0__payload_t", 1e20, "vehicle_types[0].payload_t"),
        ("points__0__service_min", 1e308, "points[0].service_min"),
        ("settings", {"average_speed_kmh": 1e-300}, "settings.average_speed_kmh"),
        ("settings", {"circuity_factor": 1e300}, "settings.circuity_factor"),
        ("date", "next tuesday", "date"),
        ("date", "2026-02-30", "date"),
        ("vehicle_types__0__id", "CT\r\nX-Injected: 1", "vehicle_types[0].id"),
        ("points__0__id", "../../etc/P1", "points[0].id"),
    ],
)
def test_absurd_numbers_free_dates_and_unprintable_ids_are_refused(
    client: TestClient, path: str, value, loc: str
) -> None:
    assert loc in errors(client.post("/v1/instances", json=with_changes(**{path: value})))


def test_non_finite_numbers_and_tiny_time_limits_are_refused(client: TestClient) -> None:
    body = json.dumps({"instance": TINY}).replace('"payload_t": 3', '"payload_t": Infinity')
    infinite = client.post("/v1/plans", content=body, headers={"Content-Type": "application/json"})
    assert "Infinity is not a number JSON allows" in errors(infinite)["body"]
    tiny_limit = client.post("/v1/plans", json={"instance": TINY, "time_limit_s": 5e-324})
    assert "time_limit_s" in errors(tiny_limit)


def test_deep_and_malformed_json_answer_422_with_where(client: TestClient) -> None:
    deep = '{"instance": ' + "[" * 5000 + "]" * 5000 + "}"
    answer = client.post("/v1/plans", content=deep, headers={"Content-Type": "application/json"})
    assert "nests deeper than" in errors(answer)["body"]
    broken = '{\n  "instance_id": "x",\n  "seed": 1,,\n}'
    answer = client.post("/v1/plans", content=broken, headers={"Content-Type": "application/json"})
    assert "line 3 column" in errors(answer)["body"]


def test_graphs_only_from_the_graphs_folder_and_no_server_path_in_messages(
    client: TestClient, tmp_path: Path
) -> None:
    not_graphml = client.post("/v1/instances", json=with_changes(settings={"graph": "notes.txt"}))
    assert ".graphml" in errors(not_graphml)["settings.graph"]
    outside = client.post("/v1/instances", json=with_changes(settings={"graph": "../api.db"}))
    assert "graphs folder" in errors(outside)["settings.graph"]
    job = client.post(
        "/v1/plans", json={"instance": with_changes(settings={"graph": "broken.graphml"}), **QUICK}
    ).json()
    failed = wait_done(client, job["id"])
    assert failed["status"] == "failed"
    assert str(tmp_path) not in failed["error"] and "/graphs/" not in failed["error"]


def test_method_not_allowed_names_the_allowed_methods(client: TestClient) -> None:
    assert client.put("/v1/plans").headers["allow"] == "GET, POST"
    assert client.patch("/v1/plans/abc").headers["allow"] == "DELETE, GET"


def test_downloads_carry_utf8_names_and_neutralised_cells(client: TestClient) -> None:
    document = with_changes(
        vehicle_types__0__id='垃圾车"a',
        points__0__name='=HYPERLINK("http://evil.example","x")',
        name="=cmd|' /C calc'!A0",
    )
    job = client.post("/v1/plans", json={"instance": document, **QUICK}).json()
    done = wait_done(client, job["id"])
    assert done["status"] == "done", done["error"]
    vehicle = '垃圾车"a-1'
    sheet = client.get(f"/v1/plans/{job['id']}/sheets/{quote(vehicle, safe='')}")
    assert sheet.status_code == 200
    disposition = sheet.headers["content-disposition"]
    expected = quote(vehicle + ".csv", safe="")
    assert disposition == f"attachment; filename=\"____a-1.csv\"; filename*=UTF-8''{expected}"
    cells = [c for row in csv.reader(io.StringIO(sheet.text.lstrip("\ufeff"))) for c in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert not any(c.startswith("=") for c in cells)
    impact = client.get(f"/v1/plans/{job['id']}/impact?format=csv")
    assert "filename*=UTF-8''impact-" in impact.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(impact.text.lstrip("\ufeff"))))
    assert "'=cmd|' /C calc'!A0" in rows[1] and not any(c.startswith("=") for r in rows for c in r)


def test_resubmits_share_one_snapshot_and_purge_frees_the_space(
    client: TestClient, tmp_path: Path
) -> None:
    job = client.post("/v1/plans", json={"instance": TINY, "time_limit_s": 30}).json()
    client.delete(f"/v1/plans/{job['id']}")
    for _ in range(5):
        again = client.post(f"/v1/plans/{job['id']}/resubmit")
        client.delete(again.headers["location"])
    conn = sqlite3.connect(tmp_path / "api.db")
    assert conn.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM jobs WHERE instance != ''").fetchone()[0] == 0

    purged = client.post("/v1/purge?older_than_days=0")
    assert purged.status_code == 200 and purged.json()["jobs_deleted"] == 6
    assert conn.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 0
    assert conn.execute("PRAGMA freelist_count").fetchone()[0] == 0  # pages given back
    conn.close()
    assert client.get(f"/v1/plans/{job['id']}").status_code == 404


def test_the_cli_applies_the_same_ranges(tmp_path: Path, capsys) -> None:
    path = tmp_path / "absurd.json"
    path.write_text(json.dumps(with_changes(vehicle_types__0__payload_t=1e20)), encoding="utf-8")
    assert cli(["validate", str(path)]) == 2
    message = "vehicle_types[0].payload_t: 1e+20: must be above 0 and at most 100 t"
    assert message in capsys.readouterr().err
    tiny = Path(__file__).parent / "data" / "api" / "tiny.json"
    assert cli(["plan", str(tiny), "--time-limit", "5e-324"]) == 2
    assert "--time-limit: 4.94066e-324: must be between 0.1 and 86400 s" in capsys.readouterr().err


@pytest.mark.parametrize(("seconds", "shown"), [("5e-324", "4.94066e-324"), ("1e9", "1e+09")])
def test_site_and_replan_apply_the_time_limit_range(
    tmp_path: Path, capsys, seconds: str, shown: str
) -> None:
    tiny = Path(__file__).parent / "data" / "api" / "tiny.json"
    message = f"--time-limit: {shown}: must be between 0.1 and 86400 s"
    assert cli(["site", str(tiny), "--time-limit", seconds, "--out", str(tmp_path / "s")]) == 2
    assert capsys.readouterr().err.strip().endswith(message)
    # checked before any input is read: the plan and events named here do not exist
    replan = ["replan", str(tmp_path / "plan.json"), "--at", "10:00", "--events"]
    replan += [str(tmp_path / "events.json"), "--time-limit", seconds, "--out", str(tmp_path)]
    assert cli(replan) == 2
    assert capsys.readouterr().err.strip().endswith(message)
    assert not (tmp_path / "s").exists()


def test_siting_and_replan_routes_apply_the_time_limit_range(client: TestClient) -> None:
    siting = client.post("/v1/sitings", json={"instance": TINY, "time_limit_s": 0.01})
    assert "time_limit_s" in errors(siting)
    replan = client.post("/v1/plans/0123/replan", json={"at": "10:00", "time_limit_s": 0.01})
    assert "time_limit_s" in errors(replan)


def test_candidate_sites_count_toward_the_facility_limit(client: TestClient) -> None:
    # tiny.json has 2 facilities and this server allows 10; candidates that are not even
    # valid: only the size is reported, none of them was validated
    too_many = client.post("/v1/sitings", json={"instance": TINY, "candidates": [{}] * 9})
    problems = errors(too_many)
    assert too_many.json()["title"] == "instance too large"
    assert set(problems) == {"candidates"}
    assert "2 facilities and 9 candidate sites exceed" in problems["candidates"]
    rows = "id,lon,lat,capacity_t_per_day,annual_fixed_cost\r\n" + "X,,,,\r\n" * 9
    stored = client.post("/v1/instances", json=TINY).json()["id"]
    from_csv = client.post("/v1/sitings", json={"instance_id": stored, "candidates_csv": rows})
    assert set(errors(from_csv)) == {"candidates_csv"}
    within = errors(client.post("/v1/sitings", json={"instance": TINY, "candidates": [{}] * 8}))
    assert "candidates" not in within and "candidates[0].id" in within
    added = {"name": "more", "add_stations": [{}] * 9}
    compared = client.post("/v1/comparisons", json={"instance": TINY, "scenarios": [added]})
    assert set(errors(compared)) == {"scenarios[0].add_stations"}


def test_a_replans_extra_trucks_and_pickups_count_toward_the_limits(tmp_path: Path) -> None:
    # no lifespan, so no solver: the job is marked done by hand (the counts come first)
    app = create_app(Settings(db=tmp_path / "api.db", max_vehicles=50, max_model_size=1000))
    client = TestClient(app)
    job = client.post("/v1/plans", json={"instance": TINY}).json()
    assert app.state.store.claim_next().id == job["id"]
    app.state.store.finish_done(job["id"], 0.0, "{}", {})

    def replan(events: list[dict]) -> dict[str, str]:
        answer = client.post(
            f"/v1/plans/{job['id']}/replan", json={"at": "10:00", "events": events}
        )
        return errors(answer)

    fleet = replan([{"type": "truck_added", "vehicle_type": "CT3", "count": 10**12}])
    assert set(fleet) == {"events"} and "vehicles in all exceed" in fleet["events"]
    # 3 trucks x (4 + 330 points) passes the model size of 1,000; the pickups, not even
    # valid, were counted and none was validated
    pickups = replan([{"type": "point_added", "point": {}}] * 330)
    assert set(pickups) == {"events"} and "model size limit" in pickups["events"]


def test_a_scenarios_changes_keep_to_the_limits_and_ranges(client: TestClient) -> None:
    scenarios = [
        {"name": "huge", "fleet": [{"vehicle_type": "CT3", "count": 10**20}]},
        {"name": "heavy", "tonnes_factor": 1e300},
        {"name": "fine", "fleet": [{"vehicle_type": "CT3", "count": 3}]},
    ]
    answer = client.post("/v1/comparisons", json={"instance": TINY, "scenarios": scenarios})
    assert answer.status_code == 422
    problems = [(e["loc"], e["msg"]) for e in answer.json()["errors"]]
    assert {loc for loc, _ in problems} == {"scenarios[0]", "scenarios[1]"}
    assert any("vehicles in all exceed" in msg for _, msg in problems)
    assert any("vehicle_types[0].count: 1e+20: must be between 1 and" in m for _, m in problems)
    assert any("points[0].tonnes_per_day" in msg for loc, msg in problems if loc == "scenarios[1]")


@pytest.mark.parametrize("path", ["/v1/plans", "/v1/plans/0123/replan", "/v1/session", "/v1/keys"])
def test_bodies_are_bounded_and_parsed_off_the_event_loop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    json_type = {"Content-Type": "application/json"}
    huge = client.post(path, content=b" " * 10_000_001, headers=json_type)
    assert huge.status_code == 413 and huge.json()["title"] == "request too large"
    deep = client.post(path, content='{"at": ' + "[" * 100 + "]" * 100 + "}", headers=json_type)
    assert "nests deeper than" in errors(deep)["body"]

    parsed_on_loop: list[bool] = []
    route_parses: list[str] = []
    parse_body = json_body.parse_body

    def recording_parse(*args):
        try:
            asyncio.get_running_loop()
            parsed_on_loop.append(True)
        except RuntimeError:  # a worker thread has no running loop
            parsed_on_loop.append(False)
        return parse_body(*args)

    async def recording_json(request: Request):
        route_parses.append(request.url.path)
        return json.loads(await request.body())

    monkeypatch.setattr(json_body, "parse_body", recording_parse)
    monkeypatch.setattr(Request, "json", recording_json)
    client.post(path, json={"at": "10:00", "instance_id": "0123"})
    assert parsed_on_loop == [False]
    assert route_parses == []  # the route reads the document parsed off the loop
