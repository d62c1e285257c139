"""HTTP API, /v1/sweeps: the results of `wasteopt sweep` in the server's sweeps folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from wasteopt.sweep.run import CellOutcome
from wasteopt.sweep.store import ResultStore


@pytest.fixture
def sweeps(tmp_path: Path) -> Path:
    """One sweep of three cells, two with a row (one failed), and a folder that is no sweep."""
    store = ResultStore(tmp_path / "sweeps" / "daoxian-2030")
    store.write_manifest("道县 2030", ["a", "b", "c"])
    store.append(CellOutcome({"key": "a", "status": "ok", "scenario": "today"}))
    store.append(CellOutcome({"key": "b", "status": "failed", "error": "InfeasibleError: x"}))
    store.append(CellOutcome({"key": "z", "status": "ok"}))  # a row of an earlier spec
    (store.out / "summary.csv").write_text("\ufeffscenario,annual_cost\r\ntoday,1.5\r\n", "utf-8")
    (store.out / "pareto.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", "utf-8")
    (tmp_path / "sweeps" / "notes").mkdir()
    return tmp_path / "sweeps"


@pytest.fixture
def client(tmp_path: Path, sweeps: Path) -> Iterator[TestClient]:
    settings = Settings(db=tmp_path / "api.db", data_dir=tmp_path, sweeps_dir=sweeps)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_sweeps_are_listed_with_their_progress(client: TestClient) -> None:
    listed = client.get("/v1/sweeps").json()["sweeps"]
    assert [(s["id"], s["name"], s["cells"], s["done"], s["failed"]) for s in listed] == [
        ("daoxian-2030", "道县 2030", 3, 2, 1)
    ]


def test_a_sweep_gives_its_summary_and_figures(client: TestClient) -> None:
    detail = client.get("/v1/sweeps/daoxian-2030").json()
    assert detail["summary"] == [{"scenario": "today", "annual_cost": "1.5"}]
    assert detail["figures"] == {"pareto.svg": "/v1/sweeps/daoxian-2030/figures/pareto.svg"}
    figure = client.get(detail["figures"]["pareto.svg"])
    assert figure.status_code == 200
    assert figure.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.parametrize(
    "url",
    [
        "/v1/sweeps/notes",
        "/v1/sweeps/.hidden",
        "/v1/sweeps/daoxian-2030%2F..",
        "/v1/sweeps/daoxian-2030/figures/results.csv",
        "/v1/sweeps/daoxian-2030/figures/axes.svg",
    ],
)
def test_anything_else_is_not_found(client: TestClient, sweeps: Path, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert str(sweeps) not in response.text  # never a server path


def test_no_sweeps_folder_lists_nothing(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "api.db", data_dir=tmp_path, sweeps_dir=tmp_path / "none")
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/sweeps").json() == {"sweeps": []}
