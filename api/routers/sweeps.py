"""``/v1/sweeps``: results of ``wasteopt sweep`` kept in the server's sweeps folder, read only.

A sweep is a sub-folder of ``WASTEOPT_SWEEPS_DIR`` that ``wasteopt sweep --out`` wrote
(``sweep.json``, ``results.csv``, ``summary.csv``, the figures). Sweeps run from the command
line on a Dask cluster; the API only shows them, by folder name, never by server path.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.deps import SettingsDep
from api.errors import not_found, problem_responses
from api.settings import Settings

router = APIRouter(prefix="/v1/sweeps", tags=["sweeps"])
SWEEP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
FIGURES = {
    "pareto.svg": "image/svg+xml",
    "axes.svg": "image/svg+xml",
    "pareto.png": "image/png",
    "axes.png": "image/png",
}
MAX_LISTED = 500


class SweepSummary(BaseModel):
    """One sweep: its cells, how many have a row, how many of those failed."""

    id: str = Field(description="the sweep's folder name")
    name: str
    cells: int
    done: int
    failed: int
    updated_at: str | None = Field(description="when its last row was written (ISO 8601 UTC)")
    href: str


class SweepList(BaseModel):
    sweeps: list[SweepSummary]


class SweepDetail(SweepSummary):
    """A sweep with its summary table (one line per configuration) and its figures."""

    summary: list[dict[str, str]] = Field(description="summary.csv's lines, values as written")
    figures: dict[str, str] = Field(description="figure file name -> its URL")


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _summary(folder: Path) -> SweepSummary | None:
    try:
        manifest = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
        keys, name = set(manifest["keys"]), str(manifest["name"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    results = folder / "results.csv"
    rows = [r for r in _rows(results) if r.get("key") in keys]
    updated = (
        datetime.fromtimestamp(results.stat().st_mtime, UTC).isoformat(timespec="seconds")
        if results.is_file()
        else None
    )
    return SweepSummary(
        id=folder.name,
        name=name,
        cells=len(keys),
        done=len({r["key"] for r in rows}),
        failed=sum(1 for r in rows if r.get("status") != "ok"),
        updated_at=updated,
        href=f"/v1/sweeps/{folder.name}",
    )


def _folder(settings: Settings, sweep_id: str) -> Path:
    folder = settings.sweeps_dir / sweep_id
    if not SWEEP_ID.fullmatch(sweep_id) or not (folder / "sweep.json").is_file():
        raise not_found("sweep", sweep_id)
    return folder


@router.get("", response_model=SweepList)
def list_sweeps(settings: SettingsDep) -> SweepList:
    """The sweeps of the server's sweeps folder, most recently updated first."""
    root = settings.sweeps_dir
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    found = [s for p in folders if SWEEP_ID.fullmatch(p.name) and (s := _summary(p))]
    found.sort(key=lambda s: s.updated_at or "", reverse=True)
    return SweepList(sweeps=found[:MAX_LISTED])


@router.get("/{sweep_id}", response_model=SweepDetail, responses=problem_responses(404))
def get_sweep(sweep_id: str, settings: SettingsDep) -> SweepDetail:
    """A sweep's progress, its summary table and links to its figures."""
    folder = _folder(settings, sweep_id)
    summary = _summary(folder)
    if summary is None:
        raise not_found("sweep", sweep_id)
    figures = {
        name: f"/v1/sweeps/{sweep_id}/figures/{name}"
        for name in FIGURES
        if (folder / name).is_file()
    }
    return SweepDetail(
        **summary.model_dump(), summary=_rows(folder / "summary.csv"), figures=figures
    )


@router.get(
    "/{sweep_id}/figures/{name}",
    response_class=FileResponse,
    responses={
        200: {"content": {t: {} for t in sorted(set(FIGURES.values()))}},
        **problem_responses(404),
    },
)
def get_figure(sweep_id: str, name: str, settings: SettingsDep) -> FileResponse:
    """One of the sweep's figures: pareto or axes, as SVG or PNG."""
    folder = _folder(settings, sweep_id)
    if name not in FIGURES or not (folder / name).is_file():
        raise not_found("figure", name)
    return FileResponse(folder / name, media_type=FIGURES[name])
