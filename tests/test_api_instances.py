"""HTTP API, /v1/instances: upload (JSON and CSV), list, get, delete, and every refusal."""

from __future__ import annotations

import copy
import csv
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from api import bounds
from api.app import create_app
from api.routers import instances
from api.settings import Settings
from wasteopt.errors import InstanceError
from wasteopt.io import instance_from_dict

DATA = Path(__file__).parent / "data" / "api"
TINY = json.loads((DATA / "tiny.json").read_text(encoding="utf-8"))
POINTS_CSV = (DATA / "points.csv").read_bytes()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    (tmp_path / "graphs").mkdir()
    (tmp_path / "graphs" / "town.graphml").write_text("<graphml/>")
    settings = Settings(
        db=tmp_path / "api.db", data_dir=tmp_path / "graphs", max_points=6, max_body_bytes=20_000
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def upload(client: TestClient, document: dict) -> str:
    response = client.post("/v1/instances", json=document)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def locations(response) -> list[str]:
    return [e["loc"] for e in response.json()["errors"]]


def test_json_upload_is_stored_listed_and_returned_intact(client: TestClient) -> None:
    response = client.post("/v1/instances", json=TINY)
    assert response.status_code == 201
    summary = response.json()
    assert response.headers["location"] == f"/v1/instances/{summary['id']}"
    assert (summary["name"], summary["points"], summary["date"]) == ("api-tiny", 4, "2026-11-25")

    listed = client.get("/v1/instances").json()["items"]
    assert [item["id"] for item in listed] == [summary["id"]]

    record = client.get(summary["href"]).json()
    assert instance_from_dict(record["instance"]) == instance_from_dict(TINY)
    assert record["instance"]["yards"][0]["name"] == "县环卫车场"


def test_list_pages_with_limit_and_offset(client: TestClient) -> None:
    ids = [upload(client, {**TINY, "name": f"day-{k}"}) for k in range(3)]
    page = client.get("/v1/instances", params={"limit": 2, "offset": 1}).json()
    assert [item["id"] for item in page["items"]] == ids[1:]
    response = client.get("/v1/instances", params={"limit": 0})
    assert response.status_code == 422
    assert locations(response) == ["query parameter limit"]


def test_invalid_instance_gets_422_with_the_clis_paths_and_messages(client: TestClient) -> None:
    document = copy.deepcopy(TINY)
    document["points"][1]["tonnes_per_day"] = -1
    document["points"][2]["colour"] = "red"
    response = client.post("/v1/instances", json=document)
    assert response.status_code == 422
    with pytest.raises(InstanceError) as cli_error:
        instance_from_dict(document)
    expected = [{"loc": loc, "msg": msg} for loc, msg in cli_error.value.problems]
    assert response.json()["errors"] == expected
    assert {"points[1].tonnes_per_day", "points[2].colour"} <= set(locations(response))


def test_semantic_problems_get_422_like_wasteopt_validate(client: TestClient) -> None:
    document = copy.deepcopy(TINY)
    document["points"][0]["stream"] = "kitchen"
    response = client.post("/v1/instances", json=document)
    assert response.status_code == 422
    assert "no collection vehicle type carries stream 'kitchen'" in response.text


def test_a_bad_clock_time_gets_422_in_words(client: TestClient) -> None:
    document = copy.deepcopy(TINY)
    document["vehicle_types"][0]["shift"]["end"] = "25:00"
    response = client.post("/v1/instances", json=document)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "loc": "vehicle_types[0].shift.end",
            "msg": "must be a clock time HH:MM, 00:00–24:00 (got '25:00')",
        }
    ]


def test_a_point_far_from_the_rest_gets_422_naming_it(client: TestClient) -> None:
    document = copy.deepcopy(TINY)
    document["points"][2]["lat"] += 5.0
    response = client.post("/v1/instances", json=document)
    assert response.status_code == 422
    assert locations(response) == [f"points[2] ({TINY['points'][2]['id']})"]
    assert "km from the middle of the points" in response.text


def test_malformed_json_gets_422_naming_the_place(client: TestClient) -> None:
    response = client.post(
        "/v1/instances", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == "body"
    assert "line 1 column 10" in response.json()["errors"][0]["msg"]


def test_server_files_cannot_be_named(client: TestClient) -> None:
    response = client.post("/v1/instances", json={**TINY, "points_csv": "/etc/passwd"})
    assert response.status_code == 422
    assert locations(response) == ["points_csv"]


@pytest.mark.parametrize(
    ("graph", "message"),
    [("../../etc/hosts", "relative path inside"), ("missing.graphml", "no road graph")],
)
def test_road_graph_must_be_a_file_in_the_data_directory(
    client: TestClient, graph: str, message: str
) -> None:
    response = client.post("/v1/instances", json={**TINY, "settings": {"graph": graph}})
    assert response.status_code == 422
    assert locations(response) == ["settings.graph"]
    assert message in response.text


def test_road_graph_inside_the_data_directory_is_accepted(client: TestClient) -> None:
    instance_id = upload(client, {**TINY, "settings": {"graph": "town.graphml"}})
    stored = client.get(f"/v1/instances/{instance_id}").json()["instance"]
    assert stored["settings"]["graph"] == "town.graphml"


def test_more_points_than_the_server_allows_get_422(client: TestClient) -> None:
    document = copy.deepcopy(TINY)
    document["points"] += [{**p, "id": p["id"] + "b"} for p in TINY["points"]]
    response = client.post("/v1/instances", json=document)
    assert response.status_code == 422
    assert locations(response) == ["points"]
    assert "limit of 6" in response.text


def test_body_over_the_limit_gets_413(client: TestClient) -> None:
    document = {**TINY, "description": "x" * 30_000}
    assert client.post("/v1/instances", json=document).status_code == 413

    def chunks() -> Iterator[bytes]:
        yield json.dumps(document).encode()

    streamed = client.post(
        "/v1/instances", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert "20000 bytes" in streamed.json()["detail"]


def test_csv_points_replace_the_points_of_the_base_instance(client: TestClient) -> None:
    base = upload(client, TINY)
    response = client.post(
        "/v1/instances",
        params={"base": base, "name": "营江 day"},
        content=POINTS_CSV,
        headers={"content-type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "营江 day"
    stored = client.get(response.headers["location"]).json()["instance"]
    assert [p["id"] for p in stored["points"]] == ["Q1", "Q2"]
    assert stored["points"][1]["window"] == {"start": "07:00", "end": "11:00"}
    assert (
        stored["facilities"] == client.get(f"/v1/instances/{base}").json()["instance"]["facilities"]
    )
    assert response.json()["csv_encoding"] == "UTF-8"


def test_a_csv_saved_by_excel_in_chinese_gbk_is_read_and_the_answer_says_so(
    client: TestClient,
) -> None:
    base = upload(client, TINY)
    gbk = POINTS_CSV.decode("utf-8").encode("gbk")
    assert gbk != POINTS_CSV  # the Chinese names are encoded differently
    response = client.post(
        "/v1/instances", params={"base": base}, content=gbk, headers={"content-type": "text/csv"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["csv_encoding"] == "GB18030"
    stored = client.get(response.headers["location"]).json()["instance"]
    assert [p["name"] for p in stored["points"]] == ["柑子园村", "营江社区"]
    assert stored["points"][1]["township"] == "营江街道"


def test_csv_upload_refusals(client: TestClient) -> None:
    base = upload(client, TINY)
    csv_headers = {"content-type": "text/csv"}

    no_base = client.post("/v1/instances", content=POINTS_CSV, headers=csv_headers)
    assert no_base.status_code == 422
    assert locations(no_base) == ["query parameter base"]

    unknown = client.post(
        "/v1/instances", params={"base": "nope"}, content=POINTS_CSV, headers=csv_headers
    )
    assert unknown.status_code == 404

    bad_row = POINTS_CSV.replace(b"1.4,6", b"lots,6")
    bad = client.post("/v1/instances", params={"base": base}, content=bad_row, headers=csv_headers)
    assert bad.status_code == 422
    assert locations(bad) == ["points.csv line 3.tonnes_per_day"]

    clash = POINTS_CSV.replace(b"Q1,", b"TS1,")
    clashing = client.post(
        "/v1/instances", params={"base": base}, content=clash, headers=csv_headers
    )
    assert clashing.status_code == 422
    assert "duplicate id 'TS1'" in clashing.text

    latin_1 = "Q1,é".encode("latin-1")
    params = {"base": base}
    latin = client.post("/v1/instances", params=params, content=latin_1, headers=csv_headers)
    assert latin.status_code == 422
    assert "UTF-8" in latin.text


def test_a_csv_of_too_many_points_is_refused_while_reading_before_any_row_is_parsed(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = upload(client, TINY)
    header, row = POINTS_CSV.decode("utf-8").splitlines()[:2]
    body = "\n".join([header, *(row.replace("Q1,", f"Q{n},") for n in range(250))])
    rows_read: list[list[str]] = []
    parsed: list[str] = []

    def counting_reader(*args, **kwargs) -> Iterator[list[str]]:
        for csv_row in csv.reader(*args, **kwargs):
            rows_read.append(csv_row)
            yield csv_row

    monkeypatch.setattr(bounds, "csv", SimpleNamespace(reader=counting_reader))
    monkeypatch.setattr(instances, "points_from_csv_text", lambda text, source: parsed.append(text))
    response = client.post(
        "/v1/instances",
        params={"base": base},
        content=body.encode(),
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 422
    assert locations(response) == ["points.csv"]
    assert "limit of 6" in response.text
    assert len(rows_read) == 1 + 7  # the header and max_points + 1 rows, of 250
    assert parsed == []


def test_csv_only_parameters_are_refused_on_json(client: TestClient) -> None:
    response = client.post("/v1/instances", params={"base": "x"}, json=TINY)
    assert response.status_code == 422
    assert locations(response) == ["query parameter base"]


def test_other_media_types_get_415(client: TestClient) -> None:
    response = client.post(
        "/v1/instances", content=b"<instance/>", headers={"content-type": "application/xml"}
    )
    assert response.status_code == 415


def test_delete_then_unknown_ids_get_404(client: TestClient) -> None:
    instance_id = upload(client, TINY)
    assert client.delete(f"/v1/instances/{instance_id}").status_code == 204
    for response in (
        client.get(f"/v1/instances/{instance_id}"),
        client.delete(f"/v1/instances/{instance_id}"),
    ):
        assert response.status_code == 404
        assert instance_id in response.json()["detail"]
    assert client.get("/v1/instances").json()["items"] == []
