"""What the dispatch desk shows beside a plan: its instance, each truck's timeline, the road
network under the map, and the plan as one Excel workbook."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api import job_views
from api.deps import SettingsDep, StoreDep
from api.downloads import attachment
from api.errors import ApiError, not_found, problem_responses
from api.replan_task import DAY_INSTANCE_FILE
from api.store import Store
from api.tasks import (
    GEOJSON_FILE,
    INSTANCE_FILE,
    PLAN_FILE,
    SCENARIOS_PREFIX,
    TIMELINE_FILE,
    timeline_json,
)
from wasteopt.io import instance_from_dict
from wasteopt.matrix import MatrixProvider
from wasteopt.model import Instance, Plan
from wasteopt.network import RoadNetworkProvider, load_provider
from wasteopt.network.drawing import roads_geojson
from wasteopt.planning import resolve_provider
from wasteopt.workbook import plan_workbook

KIND = "plan"
router = APIRouter(tags=["dispatch desk"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_INSTANCE_SCHEMA = {"$ref": "#/components/schemas/Instance"}
_GEOJSON = {"application/geo+json": {"schema": {"type": "object"}}}


@functools.lru_cache(maxsize=4)
def _road_provider(path: str, modified_ns: int) -> RoadNetworkProvider:
    """A road graph loaded once per file version (loading Daoxian's takes about a second)."""
    del modified_ns  # part of the cache key: a rebuilt graph file is loaded again
    return load_provider(path)


@functools.lru_cache(maxsize=4)
def _roads_body(path: str, modified_ns: int) -> bytes:
    """The road graph's GeoJSON, drawn once per file version."""
    roads = _road_provider(path, modified_ns).roads
    return json.dumps(roads_geojson(roads), separators=(",", ":")).encode()


def _graph_path(instance: Instance, data_dir: Path) -> Path:
    assert instance.settings.graph is not None
    path = (data_dir / instance.settings.graph).resolve()
    if not path.is_file():
        raise ApiError(
            409,
            "road graph missing",
            f"the road graph {instance.settings.graph!r} of this instance is no longer on the"
            " server; ask its operator",
        )
    return path


def _provider(instance: Instance, data_dir: Path) -> MatrixProvider:
    if instance.settings.graph is None:
        return resolve_provider(instance)
    path = _graph_path(instance, data_dir)
    return _road_provider(str(path), path.stat().st_mtime_ns)


def _instance_document(store: Store, job_id: str) -> str:
    """The instance document ``GET /v1/plans/{id}/instance`` answers with."""
    row = job_views.get_job(store, KIND, job_id)
    result = store.get_result(job_id) if row.status == "done" else None
    if result is not None and DAY_INSTANCE_FILE in result.files:
        return result.files[DAY_INSTANCE_FILE]
    document = store.job_instance(job_id)
    assert document is not None
    if row.date is None:
        return document
    # the stored snapshot was validated when the job was submitted
    return json.dumps({**json.loads(document), "date": row.date}, ensure_ascii=False)


def _job_instance(store: Store, job_id: str) -> Instance:
    return instance_from_dict(json.loads(_instance_document(store, job_id)))


def _finished_plan(store: Store, job_id: str) -> Plan:
    return Plan.model_validate_json(job_views.finished_result(store, KIND, job_id).document)


def _network(instance: Instance, data_dir: Path) -> Response:
    if instance.settings.graph is None:
        raise ApiError(
            404,
            "no road network",
            "this instance names no road graph (settings.graph): legs are straight lines"
            " between sites, an approximation of the roads",
        )
    path = _graph_path(instance, data_dir)
    body = _roads_body(str(path), path.stat().st_mtime_ns)
    return Response(body, media_type="application/geo+json")


@router.get(
    "/v1/plans/{job_id}/instance",
    responses={
        200: {"content": {"application/json": {"schema": _INSTANCE_SCHEMA}}},
        **problem_responses(404),
    },
    response_class=Response,
)
def get_plan_instance(job_id: str, store: StoreDep) -> Response:
    """The instance a plan job solves, as the job keeps it (its date applied); for a finished
    re-plan, the day's instance it is checked against, whose sites include its extra pickups
    and the places where trucks broke down."""
    return Response(_instance_document(store, job_id), media_type="application/json")


@router.get(
    "/v1/plans/{job_id}/timeline",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {"schema": {"type": "array"}}}},
        **problem_responses(404, 409),
    },
)
def get_timeline(job_id: str, store: StoreDep, settings: SettingsDep) -> Response:
    """Each used truck's day as activities (drive, idle, collect, unload, pickup, break) with
    clock times, for a Gantt chart. Drive times come from the instance's travel matrices."""
    files = job_views.finished_result(store, KIND, job_id).files
    body = files.get(TIMELINE_FILE)
    if body is None:  # a plan stored before timelines were
        instance = _job_instance(store, job_id)
        matrices = _provider(instance, settings.data_dir).matrices(instance.sites)
        body = timeline_json(_finished_plan(store, job_id), matrices)
    return Response(body, media_type="application/json")


@router.get(
    "/v1/plans/{job_id}/workbook",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}, **problem_responses(404, 409, 422)},
)
def get_workbook(
    job_id: str,
    store: StoreDep,
    language: Annotated[Literal["zh", "en"], Query(alias="lang")] = "zh",
) -> Response:
    """The plan as an Excel workbook: an overview sheet (every truck, totals, unserved points
    and station backlog) and one sheet per truck with its stops; Chinese headers by default."""
    instance = _job_instance(store, job_id)
    plan = _finished_plan(store, job_id)
    filename = f"{instance.title or instance.name}-{plan.date or job_id}.xlsx"
    return Response(
        plan_workbook(instance, plan, language), media_type=XLSX, headers=attachment(filename)
    )


@router.get(
    "/v1/plans/{job_id}/network",
    response_class=Response,
    responses={200: {"content": _GEOJSON}, **problem_responses(404, 409)},
)
def get_plan_network(job_id: str, store: StoreDep, settings: SettingsDep) -> Response:
    """The road network of the plan's instance as GeoJSON lines (``404`` when it has none)."""
    return _network(_job_instance(store, job_id), settings.data_dir)


@router.get(
    "/v1/instances/{instance_id}/network",
    response_class=Response,
    responses={200: {"content": _GEOJSON}, **problem_responses(404, 409)},
)
def get_instance_network(instance_id: str, store: StoreDep, settings: SettingsDep) -> Response:
    """The road network of a stored instance as GeoJSON lines (``404`` when it has none)."""
    found = store.get_instance(instance_id)
    if found is None:
        raise not_found("instance", instance_id)
    return _network(instance_from_dict(json.loads(found[1])), settings.data_dir)


@router.get(
    "/v1/comparisons/{job_id}/scenarios/{index}", responses=problem_responses(404, 409, 422)
)
def get_scenario_plan(job_id: str, index: int, store: StoreDep) -> dict[str, Any]:
    """The ``index``-th compared scenario's plan, as a map shows it: its changed instance, the
    plan, its GeoJSON routes and each truck's timeline (scenarios count from 0, today first)."""
    files = job_views.finished_result(store, "comparison", job_id).files
    prefix = f"{SCENARIOS_PREFIX}{index}/"
    names = {"instance": INSTANCE_FILE, "plan": PLAN_FILE, "routes": GEOJSON_FILE}
    names["timeline"] = TIMELINE_FILE
    if any(f"{prefix}{name}" not in files for name in names.values()):
        raise not_found("scenario", str(index))
    return {key: json.loads(files[f"{prefix}{name}"]) for key, name in names.items()}
