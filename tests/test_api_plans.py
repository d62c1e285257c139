"""HTTP API, /v1/plans and /health: jobs from submission to results, and every refusal."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.jobs import INTERRUPTED_AT_SHUTDOWN
from api.settings import Settings
from api.store import Store
from wasteopt.check import check_plan
from wasteopt.errors import WasteoptError
from wasteopt.io import instance_from_dict
from wasteopt.matrix import GreatCircleProvider
from wasteopt.model import ImpactReport, Plan

TINY = json.loads((Path(__file__).parent / "data" / "api" / "tiny.json").read_text("utf-8"))
QUICK = {"time_limit_s": 1, "solution_limit": 1}
LONG = {"time_limit_s": 30}


def make_settings(tmp_path: Path) -> Settings:
    return Settings(
        db=tmp_path / "api.db", workers=1, queue_size=1, max_time_limit_s=60, cancel_grace_s=3
    )


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path))) as test_client:
        yield test_client


def upload(client: TestClient, document: dict = TINY) -> str:
    return client.post("/v1/instances", json=document).json()["id"]


def submit(client: TestClient, **body) -> dict:
    response = client.post("/v1/plans", json=body)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/plans/{response.json()['id']}"
    return response.json()


def wait_for(client: TestClient, job_id: str, statuses: set[str], timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/v1/plans/{job_id}").json()
        if job["status"] in statuses:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout_s} s")


def test_plan_runs_to_done_and_serves_plan_sheets_and_geojson(client: TestClient) -> None:
    instance_id = upload(client)
    job = submit(client, instance_id=instance_id, seed=3, **QUICK)
    assert job["status"] in {"queued", "running"}
    assert (job["instance_id"], job["date"], job["seed"]) == (instance_id, "2026-11-25", 3)

    done = wait_for(client, job["id"], {"done", "failed"})
    assert done["status"] == "done", done["error"]
    assert done["started_at"] <= done["finished_at"]

    plan = Plan.model_validate(client.get(done["links"]["result"]).json())
    instance = instance_from_dict(TINY)
    matrices = GreatCircleProvider.for_instance(instance).matrices(instance.sites)
    assert check_plan(instance, plan, matrices) == []
    assert plan.cost == done["cost"]
    assert plan.unserved == []

    sheets = client.get(done["links"]["sheets"]).json()["vehicles"]
    assert set(sheets) == {route.vehicle_id for route in plan.routes}
    collection = next(r for r in plan.routes if r.tier == "collection")
    sheet = client.get(sheets[collection.vehicle_id])
    assert sheet.headers["content-type"].startswith("text/csv")
    text = sheet.content.decode("utf-8")
    assert text.startswith("\ufeff") and "县环卫车场" in text
    assert client.get(f"{done['links']['sheets']}/NOPE-1").status_code == 404

    geojson = client.get(done["links"]["geojson"])
    assert geojson.headers["content-type"] == "application/geo+json"
    lines = [f for f in geojson.json()["features"] if f["geometry"]["type"] == "LineString"]
    assert len(lines) == len(plan.routes)

    assert client.delete(f"/v1/instances/{instance_id}").status_code == 204
    assert client.get(done["links"]["result"]).json() == plan.model_dump(mode="json")


def test_inline_instance_with_a_date_of_its_own(client: TestClient) -> None:
    job = submit(client, instance=TINY, date="2026-12-01", **QUICK)
    assert (job["instance_id"], job["instance_name"]) == (None, "api-tiny")
    done = wait_for(client, job["id"], {"done", "failed"})
    assert done["status"] == "done", done["error"]
    assert client.get(done["links"]["result"]).json()["date"] == "2026-12-01"


def test_same_seed_same_plan(client: TestClient) -> None:
    first, second = (submit(client, instance=TINY, **QUICK) for _ in range(2))
    plans = []
    for job in (first, second):
        wait_for(client, job["id"], {"done"})
        plans.append(client.get(f"/v1/plans/{job['id']}/result").json())
    assert plans[0]["routes"] == plans[1]["routes"]


def test_impact_of_a_finished_plan_as_json_and_csv(client: TestClient) -> None:
    body = {"instance": TINY, "time_limit_s": 1, "solution_limit": 1}
    cancelled = client.post("/v1/plans", json=body).json()["id"]
    client.delete(f"/v1/plans/{cancelled}")
    assert client.get(f"/v1/plans/{cancelled}/impact").status_code == 409
    done = wait_for(client, submit(client, **body)["id"], {"done"})
    report = ImpactReport.model_validate(client.get(done["links"]["impact"]).json())
    assert report.instance_name == "api-tiny"
    assert report.per_day.distance_km > 0
    assert report == Plan.model_validate(client.get(done["links"]["result"]).json()).impact
    as_csv = client.get(done["links"]["impact"], params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.content.decode("utf-8").startswith("\ufeff")
    assert client.get(done["links"]["impact"], params={"format": "pdf"}).status_code == 422


@pytest.mark.parametrize(
    ("body", "status", "loc"),
    [
        ({}, 422, "instance_id"),
        ({"instance_id": "x", "instance": TINY}, 422, "instance_id"),
        ({"instance": TINY, "time_limit_s": 61}, 422, "time_limit_s"),
        ({"instance": TINY, "time_limit_s": 0}, 422, "time_limit_s"),
        ({"instance": TINY, "seed": "seven"}, 422, "seed"),
        ({"instance": TINY, "date": "2026-13-01"}, 422, "date"),
        ({"instance": TINY, "colour": "red"}, 422, "colour"),
        (
            {"instance": {**TINY, "points": [{**TINY["points"][0], "lat": 95}]}},
            422,
            "instance.points[0].lat",
        ),
        ({"instance_id": "no-such-instance"}, 404, None),
    ],
)
def test_plan_request_refusals(client: TestClient, body: dict, status: int, loc: str) -> None:
    response = client.post("/v1/plans", json=body)
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["status"] == status and problem["detail"]
    if loc is not None:
        assert loc in [e["loc"] for e in problem["errors"]]


def test_time_limit_over_the_maximum_names_it(client: TestClient) -> None:
    response = client.post("/v1/plans", json={"instance": TINY, "time_limit_s": 600})
    assert "600 s exceeds this server's maximum of 60 s" in response.json()["detail"]


def test_cancel_queue_limit_and_resubmit(client: TestClient) -> None:
    instance_id = upload(client)
    running = submit(client, instance_id=instance_id, **LONG)
    wait_for(client, running["id"], {"running"})
    not_ready = client.get(f"/v1/plans/{running['id']}/result")
    assert not_ready.status_code == 409
    assert int(not_ready.headers["retry-after"]) > 0

    queued = submit(client, instance_id=instance_id, **LONG)
    assert queued["status"] == "queued"
    full = client.post("/v1/plans", json={"instance_id": instance_id, **LONG})
    assert full.status_code == 429
    assert int(full.headers["retry-after"]) >= 1

    cancelled = client.delete(f"/v1/plans/{queued['id']}")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    for path in ("result", "sheets", "geojson"):
        assert client.get(f"/v1/plans/{queued['id']}/{path}").status_code == 409
    assert client.delete(f"/v1/plans/{queued['id']}").status_code == 409

    assert client.post(f"/v1/plans/{running['id']}/resubmit").status_code == 409
    assert client.delete(f"/v1/plans/{running['id']}").json()["status"] == "cancelled"
    deadline = time.monotonic() + 10
    while client.get("/health").json()["running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.get("/health").json()["running"] == 0
    assert client.get(f"/v1/plans/{running['id']}").json()["status"] == "cancelled"

    again = client.post(f"/v1/plans/{queued['id']}/resubmit")
    assert again.status_code == 202
    assert again.json()["resubmitted_from"] == queued["id"]
    assert again.json()["time_limit_s"] == LONG["time_limit_s"]
    assert client.delete(again.headers["location"]).status_code == 200


def test_unknown_job_ids_get_404(client: TestClient) -> None:
    for method, path in [
        ("GET", ""),
        ("DELETE", ""),
        ("POST", "/resubmit"),
        ("GET", "/result"),
        ("GET", "/sheets"),
        ("GET", "/sheets/CT3-1"),
        ("GET", "/geojson"),
        ("GET", "/impact"),
    ]:
        response = client.request(method, f"/v1/plans/nope{path}")
        assert response.status_code == 404, (method, path)
        assert "'nope'" in response.json()["detail"]


def test_list_plans_newest_first_and_by_status(client: TestClient) -> None:
    first = submit(client, instance=TINY, **QUICK)
    wait_for(client, first["id"], {"done"})
    second = submit(client, instance=TINY, **QUICK)
    wait_for(client, second["id"], {"done"})
    listed = client.get("/v1/plans").json()["items"]
    assert [job["id"] for job in listed] == [second["id"], first["id"]]
    assert client.get("/v1/plans", params={"status": "queued"}).json()["items"] == []
    assert client.get("/v1/plans", params={"status": "lost"}).status_code == 422


def test_restart_marks_a_running_job_interrupted(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    store = Store(settings.db)
    job_id = store.submit_job(
        instance_id=None,
        instance_name="api-tiny",
        instance=json.dumps(TINY),
        date=None,
        time_limit_s=1,
        budget_s=2,
        seed=0,
        solution_limit=1,
        queue_size=1,
    )
    assert store.claim_next() is not None  # a server took it, then died
    store.close()
    with TestClient(create_app(settings)) as client:
        job = client.get(f"/v1/plans/{job_id}").json()
        assert job["status"] == "interrupted"
        assert "resubmit" in job["error"]
        assert client.get(f"/v1/plans/{job_id}/result").status_code == 409


def test_shutdown_stops_the_solver_and_marks_its_job_interrupted(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        job = submit(client, instance=TINY, **LONG)
        wait_for(client, job["id"], {"running"})
    with TestClient(create_app(settings)) as client:
        stopped = client.get(f"/v1/plans/{job['id']}").json()
        assert (stopped["status"], stopped["error"]) == ("interrupted", INTERRUPTED_AT_SHUTDOWN)
        assert client.post(f"/v1/plans/{job['id']}/resubmit").status_code == 202


def test_health_reports_the_pool(client: TestClient) -> None:
    health = client.get("/health").json()
    assert health == {
        "status": "ok",
        "version": health["version"],
        "workers": 1,
        "running": 0,
        "queued": 0,
        "queue_size": 1,
        "storage_bytes": health["storage_bytes"],  # the keyless local user is an admin
    }


def test_a_server_fault_reveals_no_internals(tmp_path: Path, monkeypatch) -> None:
    app = create_app(make_settings(tmp_path))

    def broken(*_args):
        raise RuntimeError("secret internals at /srv/db")

    monkeypatch.setattr(app.state.store, "get_job", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/plans/any")
    assert response.status_code == 500
    assert response.json()["title"] == "internal error"
    assert "secret" not in response.text and "Traceback" not in response.text


def test_a_second_server_on_the_same_database_is_refused(tmp_path: Path) -> None:
    first = TestClient(create_app(make_settings(tmp_path)))
    second = TestClient(create_app(make_settings(tmp_path)))
    with first, pytest.raises(WasteoptError, match="another wasteopt server"), second:
        pass


def test_a_running_plan_stopped_early_ends_done_with_a_checked_plan(client: TestClient) -> None:
    """POST .../stop: the solver finishes with its best plan so far, marked stopped early."""
    instance_id = upload(client)
    job = submit(client, instance_id=instance_id, time_limit_s=60)
    wait_for(client, job["id"], {"running"})
    while client.get(f"/v1/plans/{job['id']}").json()["progress"] is None:
        time.sleep(0.1)
    stopped = client.post(f"/v1/plans/{job['id']}/stop")
    assert stopped.status_code == 202, stopped.text
    done = wait_for(client, job["id"], {"done", "failed", "cancelled"}, timeout_s=30)
    assert done["status"] == "done", done["error"]
    plan = Plan.model_validate(client.get(f"/v1/plans/{job['id']}/result").json())
    assert plan.stats[0].stopped_early
    instance = instance_from_dict(TINY)
    matrices = GreatCircleProvider.for_instance(instance).matrices(instance.sites)
    assert not check_plan(instance, plan, matrices)
    again = client.post(f"/v1/plans/{job['id']}/stop")
    assert again.status_code == 409
