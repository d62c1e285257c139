"""HTTP API, ``POST /v1/plans/{id}/replan``: a re-plan is a plan job; bad events are a 422."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from wasteopt.check import check_plan
from wasteopt.io import instance_from_dict
from wasteopt.matrix import GreatCircleProvider
from wasteopt.model import Plan, clock_to_seconds
from wasteopt.replan import build_day, events_from_data

TINY = json.loads((Path(__file__).parent / "data" / "api" / "tiny.json").read_text("utf-8"))
QUICK = {"time_limit_s": 2, "solution_limit": 2}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(db=tmp_path / "api.db", workers=1, queue_size=2, max_time_limit_s=60)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def finished(client: TestClient, job_id: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/v1/plans/{job_id}").json()
        if job["status"] not in {"queued", "running"}:
            assert job["status"] == "done", job["error"]
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def test_replan_runs_as_a_plan_job_and_bad_events_are_named(client: TestClient) -> None:
    job = client.post("/v1/plans", json={"instance": TINY, **QUICK}).json()
    finished(client, job["id"])
    plan = Plan.model_validate(client.get(f"/v1/plans/{job['id']}/result").json())
    route = next(r for r in plan.routes if r.tier == "collection")
    at = route.stops[2].depart
    url = f"/v1/plans/{job['id']}/replan"
    for event, loc in (
        ({"type": "breakdown", "vehicle": "CT9-1"}, "events[0].vehicle"),
        ({"type": "breakdown", "vehicle": route.vehicle_id, "time": "23:50"}, "events[0].time"),
        ({"type": "point_cancelled", "point": route.stops[1].site_id}, "events[0].point"),
        ({"type": "road_slowed", "between": ["A", "B"], "factor": 0}, "events[0].factor"),
        ({"type": "road_closed", "between": ["A", "B"]}, "events[0]"),  # no road graph
    ):
        refused = client.post(url, json={"at": at, "events": [event]})
        assert refused.status_code == 422, refused.text
        assert [e["loc"] for e in refused.json()["errors"]] == [loc]
    assert client.post(url, json={"at": "25:00", "events": []}).status_code == 422
    away = {"positions": {route.vehicle_id: {"lon": 118.0, "lat": 25.5}}}
    refused = client.post(url, json={"at": at, "events": [], "actual": away})
    assert refused.status_code == 422, refused.text
    assert [e["loc"] for e in refused.json()["errors"]] == [f"actual.positions.{route.vehicle_id}"]

    added = {"id": "P99", "name": "新增点", "lon": 111.52, "lat": 25.50, "stream": "residual"}
    events = [
        {"type": "breakdown", "vehicle": route.vehicle_id},
        {"type": "point_added", "point": {**added, "tonnes_per_day": 0.2}},
    ]
    accepted = client.post(url, json={"at": at, "events": events, **QUICK})
    assert accepted.status_code == 202, accepted.text
    done = finished(client, accepted.json()["id"])
    replanned = Plan.model_validate(client.get(done["links"]["result"]).json())
    instance = instance_from_dict(TINY)
    day = build_day(instance, plan, clock_to_seconds(at), events_from_data(events)).instance
    matrices = GreatCircleProvider.for_instance(day).matrices(day.sites)
    assert check_plan(day, replanned, matrices) == []
    broken = next(r for r in replanned.routes if r.vehicle_id == route.vehicle_id)
    assert broken.stops[:-1] == route.stops[:3] and broken.stops[-1].action == "breakdown"
    serving = next(r for r in replanned.routes if any(s.site_id == "P99" for s in r.stops))
    sheet = client.get(f"{done['links']['sheets']}/{serving.vehicle_id}").text
    assert "\r\n序号," in sheet and ",P99,新增点," in sheet  # named by the day's instance
    diff = client.get(f"/v1/plans/{done['id']}/diff").json()
    assert route.vehicle_id in diff["affected"]
    assert client.get(f"/v1/plans/{job['id']}/diff").status_code == 404


def test_diff_prices_each_truck_so_the_desk_can_show_its_cost_change(client: TestClient) -> None:
    """Each truck's cost before and after (fixed, km, hours and unload fees, as the plan's cost
    counts them) sums to the day's: the desk's diff table shows both."""
    job = client.post("/v1/plans", json={"instance": TINY, **QUICK}).json()
    finished(client, job["id"])
    plan = Plan.model_validate(client.get(f"/v1/plans/{job['id']}/result").json())
    route = next(r for r in plan.routes if r.tier == "collection")
    events = [{"type": "breakdown", "vehicle": route.vehicle_id}]
    body = {"at": route.stops[2].depart, "events": events, **QUICK}
    accepted = client.post(f"/v1/plans/{job['id']}/replan", json=body).json()
    finished(client, accepted["id"])
    diff = client.get(f"/v1/plans/{accepted['id']}/diff").json()
    trucks = diff["vehicles"]
    assert sum(v["cost_before"] for v in trucks) == pytest.approx(diff["cost_before"], abs=0.05)
    assert sum(v["cost_after"] for v in trucks) == pytest.approx(diff["cost_after"], abs=0.05)
    broken = next(v for v in trucks if v["vehicle_id"] == route.vehicle_id)
    assert broken["cost_after"] < broken["cost_before"]


def test_a_replan_opens_like_a_plan_and_is_replanned_on_its_day_instance(
    client: TestClient,
) -> None:
    """What the desk fetches to draw a plan answers for a re-plan too: the instance is the
    day's (its extra pickup and the broken-down truck's place are sites) and the timeline has
    every truck's day, the broken-down one ending where it stopped. A re-plan of it revises
    its plan on that instance; a time before the first re-plan is a 422."""
    job = client.post("/v1/plans", json={"instance": TINY, **QUICK}).json()
    finished(client, job["id"])
    plan = Plan.model_validate(client.get(f"/v1/plans/{job['id']}/result").json())
    route = next(r for r in plan.routes if r.tier == "collection")
    added = {"id": "P99", "lon": 111.52, "lat": 25.50, "stream": "residual", "tonnes_per_day": 0.2}
    events = [
        {"type": "breakdown", "vehicle": route.vehicle_id},
        {"type": "point_added", "point": added},
    ]
    body = {"at": route.stops[2].depart, "events": events, **QUICK}
    accepted = client.post(f"/v1/plans/{job['id']}/replan", json=body).json()
    done = finished(client, accepted["id"])
    replanned = Plan.model_validate(client.get(done["links"]["result"]).json())
    instance = client.get(f"/v1/plans/{done['id']}/instance").json()
    sites = {s["id"] for kind in ("yards", "facilities", "points") for s in instance[kind]}
    assert {s.site_id for r in replanned.routes for s in r.stops} <= sites
    assert "P99" in sites
    timeline = client.get(f"/v1/plans/{done['id']}/timeline")
    assert timeline.status_code == 200, timeline.text
    days = {day["vehicle_id"]: day for day in timeline.json()}
    assert list(days) == [r.vehicle_id for r in replanned.routes]
    broken = next(r for r in replanned.routes if r.vehicle_id == route.vehicle_id)
    assert days[route.vehicle_id]["activities"][-1]["end"] == broken.stops[-1].arrive
    # the morning plan's instance is still the one it was planned on
    assert "P99" not in {
        p["id"] for p in client.get(f"/v1/plans/{job['id']}/instance").json()["points"]
    }
    url = f"/v1/plans/{done['id']}/replan"
    early = client.post(url, json={"at": route.stops[1].arrive, "events": []})
    assert early.status_code == 422 and [e["loc"] for e in early.json()["errors"]] == ["at"]
    later = f"{int(body['at'][:2]) + 1:02d}{body['at'][2:]}"
    more = {**added, "id": "P98", "lon": 111.53}
    again = {"at": later, "events": [{"type": "point_added", "point": more}], **QUICK}
    second = client.post(url, json=again)
    assert second.status_code == 202, second.text
    last = finished(client, second.json()["id"])
    twice = Plan.model_validate(client.get(last["links"]["result"]).json())
    assert [step.at for step in twice.replans] == [body["at"], later]
    day = instance_from_dict(client.get(f"/v1/plans/{last['id']}/instance").json())
    assert {p.id for p in day.points} == {p["id"] for p in instance["points"]} | {"P98"}
    matrices = GreatCircleProvider.for_instance(day).matrices(day.sites)
    assert check_plan(day, twice, matrices) == []
    assert next(r for r in twice.routes if r.vehicle_id == route.vehicle_id) == broken
