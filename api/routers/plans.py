"""``/v1/plans``: start a plan job, watch it, cancel it, fetch its plan, sheets and GeoJSON."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api import job_views
from api.deps import RunnerDep, SettingsDep, StoreDep
from api.downloads import attachment
from api.errors import not_found, problem_responses
from api.json_body import ParsedJsonRoute
from api.replan_task import DAY_INSTANCE_FILE
from api.schemas import JobStatus, PlanRequest, SheetList
from api.store import Store
from api.tasks import GEOJSON_FILE
from wasteopt.export import sheet_csv
from wasteopt.headers import Language
from wasteopt.impact import assess, impact_csv
from wasteopt.io import instance_from_dict
from wasteopt.model import Instance, Plan

KIND = "plan"
router = APIRouter(prefix=job_views.PREFIXES[KIND], tags=["plans"], route_class=ParsedJsonRoute)


@router.post(
    "",
    status_code=202,
    response_model=JobStatus,
    responses=problem_responses(404, 413, 422, 429),
    summary="Start a plan job",
)
def submit_plan(
    request: PlanRequest,
    response: Response,
    store: StoreDep,
    settings: SettingsDep,
    runner: RunnerDep,
) -> JobStatus:
    """Queue a solve of a stored or inline instance; answers ``202`` with the job and its URL.

    ``time_limit_s`` defaults to the server's default and may not exceed its maximum.
    """
    limit = job_views.time_limit(request.time_limit_s, settings)
    source = job_views.job_instance(store, settings, request.instance_id, request.instance)
    job_id = job_views.submit(
        store,
        runner,
        settings,
        kind=KIND,
        instance_id=source.instance_id,
        instance_name=source.name,
        instance=source.document,
        date=source.date if request.date is None else request.date.isoformat(),
        time_limit_s=limit,
        budget_s=job_views.plan_budget_s(limit),
        seed=request.seed,
        solution_limit=request.solution_limit,
        options=json.dumps({"grid": request.grid.model_dump()} if request.grid else {}),
    )
    return job_views.accepted(store, KIND, job_id, response)


job_views.add_job_routes(router, KIND, {"$ref": "#/components/schemas/Plan"})


@router.post(
    "/{job_id}/stop",
    status_code=202,
    response_model=JobStatus,
    responses=problem_responses(404, 409),
)
def stop_early(job_id: str, store: StoreDep, runner: RunnerDep) -> JobStatus:
    """Finish a running plan now: the search stops within about a second and the job ends
    ``done`` with the best plan found so far, checked like any other (its tiers' stats say
    ``stopped_early``). ``DELETE`` instead cancels and keeps nothing."""
    return job_views.stop_early(store, runner, KIND, job_id)


def _csv_response(text: str, filename: str) -> Response:
    """CSV for Excel: UTF-8 with a BOM (added if the text lacks one), as an attachment."""
    data = text if text.startswith("\ufeff") else "\ufeff" + text
    return Response(
        data.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers=attachment(filename),
    )


def _sites_instance(store: Store, job_id: str, files: dict[str, str]) -> Instance:
    """The instance naming a finished plan's sites: a re-plan's day instance (its extra
    pickups are sites too), else the job's own."""
    document = files.get(DAY_INSTANCE_FILE) or store.job_instance(job_id)
    assert document is not None
    return instance_from_dict(json.loads(document))


@router.get("/{job_id}/sheets", response_model=SheetList, responses=problem_responses(404, 409))
def list_sheets(job_id: str, store: StoreDep) -> SheetList:
    """The per-vehicle sheets of a finished plan (only vehicles that drive)."""
    plan = Plan.model_validate_json(job_views.finished_result(store, KIND, job_id).document)
    base = f"{job_views.PREFIXES[KIND]}/{job_id}/sheets"
    return SheetList(vehicles={r.vehicle_id: f"{base}/{r.vehicle_id}" for r in plan.routes})


@router.get(
    "/{job_id}/sheets/{vehicle_id}",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(404, 409, 422),
    },
)
def get_sheet(
    job_id: str,
    vehicle_id: str,
    store: StoreDep,
    language: Annotated[Language, Query(alias="lang")] = "zh",
) -> Response:
    """One vehicle's dispatch sheet as CSV (UTF-8 with BOM, opens in Excel); headers in
    Chinese, or English with ``lang=en``."""
    result = job_views.finished_result(store, KIND, job_id)
    plan = Plan.model_validate_json(result.document)
    route = next((r for r in plan.routes if r.vehicle_id == vehicle_id), None)
    if route is None:
        raise not_found("vehicle sheet", vehicle_id)
    instance = _sites_instance(store, job_id, result.files)
    text = sheet_csv(instance, route, plan.date, plan.caveats, language)
    return _csv_response(text, f"{vehicle_id}.csv")


@router.get(
    "/{job_id}/geojson",
    response_class=Response,
    responses={
        200: {"content": {"application/geo+json": {"schema": {"type": "object"}}}},
        **problem_responses(404, 409),
    },
)
def get_geojson(job_id: str, store: StoreDep) -> Response:
    """The routes of a finished plan as a GeoJSON FeatureCollection (for a map)."""
    files = job_views.finished_result(store, KIND, job_id).files
    return Response(files[GEOJSON_FILE], media_type="application/geo+json")


@router.get(
    "/{job_id}/impact",
    response_model=None,
    responses={
        200: {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ImpactReport"}},
                "text/csv": {"schema": {"type": "string"}},
            }
        },
        **problem_responses(404, 409, 422),
    },
)
def get_impact(
    job_id: str,
    store: StoreDep,
    output: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Response:
    """What the finished plan means: energy, CO2e, plant intake, bricks and the county's KPIs.

    The report the plan carries (as ``wasteopt report`` gives it); ``format=csv`` gives its CSV
    (UTF-8 with BOM). A plan stored without one is assessed against its job's instance.
    """
    result = job_views.finished_result(store, KIND, job_id)
    plan = Plan.model_validate_json(result.document)
    report = plan.impact
    if report is None:
        instance_document = store.job_instance(job_id)
        assert instance_document is not None
        report = assess(instance_from_dict(json.loads(instance_document)), plan)
    if output == "csv":
        return _csv_response(impact_csv(report), f"impact-{job_id}.csv")
    return Response(report.model_dump_json(), media_type="application/json")
