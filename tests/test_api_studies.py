"""HTTP API, planners' studies: transfer-station siting and scenario comparison."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from wasteopt.scenario import scenario_from_dict

TINY = json.loads((Path(__file__).parent / "data" / "api" / "tiny.json").read_text("utf-8"))
CANDIDATES_CSV = (
    "id,name,lon,lat,capacity_t_per_day,annual_fixed_cost\r\n"
    "TS2,西片中转站,111.52,25.50,40,150000\r\n"
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(db=tmp_path / "api.db", workers=1, max_time_limit_s=30)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def finished(client: TestClient, response, timeout_s: float = 90) -> dict:
    assert response.status_code == 202, response.text
    url = response.headers["location"]
    deadline = time.monotonic() + timeout_s
    while (job := client.get(url).json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    assert job["status"] == "done", job["error"]
    return job


def test_siting_result_feeds_a_comparison(client: TestClient) -> None:
    siting = finished(
        client,
        client.post(
            "/v1/sitings",
            json={
                "instance": TINY,
                "candidates_csv": CANDIDATES_CSV,
                "max_open": 1,
                "time_limit_s": 10,
                "name": "west",
            },
        ),
    )
    document = client.get(siting["links"]["result"]).json()
    chosen = document["result"]
    assert set(chosen["open_stations"]) <= {"TS1", "TS2"}
    assert set(chosen["assignment"]) == {p["id"] for p in TINY["points"]}
    assert siting["cost"] == pytest.approx(chosen["cost"]["total"])
    scenario = scenario_from_dict(document["scenario"])
    assert scenario.name == "west"
    assert "Siting over" in document["summary"]
    assignment = client.get(siting["links"]["assignment"]).content.decode("utf-8")
    rows = assignment.removeprefix("\ufeff").splitlines()
    assert rows[0] == "point_id,name,stream,tonnes_per_day,destination,dest_name"
    assert {row.split(",")[0] for row in rows[1:]} == {p["id"] for p in TINY["points"]}

    comparison = finished(
        client,
        client.post(
            "/v1/comparisons",
            json={
                "instance": TINY,
                "scenarios": [document["scenario"]],
                "time_limit_s": 1,
                "solution_limit": 1,
            },
        ),
    )
    table = client.get(comparison["links"]["result"]).json()
    assert [s["name"] for s in table["scenarios"]] == ["today", "west"]
    assert table["verdict"].startswith("verdict: ")
    assert all(len(row["values"]) == 2 for row in table["rows"])
    csv_text = client.get(comparison["links"]["csv"]).content.decode("utf-8")
    assert csv_text.startswith("\ufeffsection,metric,unit,today,west,west vs today")


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"instance": TINY, "open_exactly": 1, "max_open": 2}, "open_exactly"),
        ({"instance": TINY, "candidates": [{"id": "TS9", "lat": 99}]}, "candidates[0].lat"),
        ({"instance": TINY, "candidates_csv": "id,lon\r\nX,1\r\n"}, "candidates_csv"),
        ({"instance": TINY, "time_limit_s": 31}, "time_limit_s"),
    ],
)
def test_siting_refusals(client: TestClient, body: dict, loc: str) -> None:
    response = client.post("/v1/sitings", json=body)
    assert response.status_code == 422
    assert loc in [e["loc"] for e in response.json()["errors"]]


def test_a_candidate_may_not_reuse_an_instance_id(client: TestClient) -> None:
    clash = CANDIDATES_CSV.replace("TS2,", "TS1,")
    response = client.post("/v1/sitings", json={"instance": TINY, "candidates_csv": clash})
    assert response.status_code == 422
    assert "id already used" in response.text


def test_comparison_refusals(client: TestClient) -> None:
    unknown = client.post(
        "/v1/comparisons",
        json={"instance": TINY, "scenarios": [{"name": "x", "open_stations": ["NOPE"]}]},
    )
    assert unknown.status_code == 422
    assert "NOPE" in unknown.text
    misspelt = client.post(
        "/v1/comparisons", json={"instance": TINY, "scenarios": [{"name": "x", "colour": 1}]}
    )
    assert misspelt.status_code == 422
    assert "scenarios[0].colour" in [e["loc"] for e in misspelt.json()["errors"]]
    assert (
        client.post("/v1/comparisons", json={"instance": TINY, "scenarios": []}).status_code == 422
    )


def test_job_ids_belong_to_their_kind(client: TestClient) -> None:
    plan = client.post("/v1/plans", json={"instance": TINY, "time_limit_s": 1, "solution_limit": 1})
    job_id = plan.json()["id"]
    for prefix in ("/v1/sitings", "/v1/comparisons"):
        assert client.get(f"{prefix}/{job_id}").status_code == 404
    assert client.get(f"/v1/plans/{job_id}").json()["kind"] == "plan"


def test_a_comparison_that_cannot_stop_is_killed_when_cancelled(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "api.db", workers=1, cancel_grace_s=0.5)
    with TestClient(create_app(settings)) as client:
        body = {"instance": TINY, "scenarios": [{"name": "same"}], "time_limit_s": 30}
        job = client.post("/v1/comparisons", json=body).json()
        deadline = time.monotonic() + 30
        while client.get(f"/v1/comparisons/{job['id']}").json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.delete(f"/v1/comparisons/{job['id']}").json()["status"] == "cancelled"
        deadline = time.monotonic() + 10
        while client.get("/health").json()["running"]:
            assert time.monotonic() < deadline, "the cancelled solver was not stopped"
            time.sleep(0.1)
        assert client.get(f"/v1/comparisons/{job['id']}").json()["status"] == "cancelled"
