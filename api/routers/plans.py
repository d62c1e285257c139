"""``/v1/plans``: start a plan job, watch it, cancel it, fetch its plan, sheets and GeoJSON."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api import job_views as jobs
from api.deps import RunnerDep, SettingsDep, StoreDep
from api.errors import not_found, problem_responses
from api.schemas import JobStatus, PlanRequest, SheetList
from api.tasks import GEOJSON_FILE, SHEETS_PREFIX

KIND = "plan"
router = APIRouter(prefix=jobs.PREFIXES[KIND], tags=["plans"])


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
    limit = jobs.time_limit(request.time_limit_s, settings)
    source = jobs.job_instance(store, settings, request.instance_id, request.instance)
    job_id = jobs.submit(
        store,
        runner,
        settings,
        kind=KIND,
        instance_id=source.instance_id,
        instance_name=source.name,
        instance=source.document,
        date=source.date if request.date is None else request.date.isoformat(),
        time_limit_s=limit,
        budget_s=jobs.plan_budget_s(limit),
        seed=request.seed,
        solution_limit=request.solution_limit,
    )
    return jobs.accepted(store, KIND, job_id, response)


jobs.add_job_routes(router, KIND, {"$ref": "#/components/schemas/Plan"})


def _sheets(files: dict[str, str]) -> dict[str, str]:
    return {
        name.removeprefix(SHEETS_PREFIX).removesuffix(".csv"): text
        for name, text in files.items()
        if name.startswith(SHEETS_PREFIX)
    }


@router.get("/{job_id}/sheets", response_model=SheetList, responses=problem_responses(404, 409))
def list_sheets(job_id: str, store: StoreDep) -> SheetList:
    """The per-vehicle sheets of a finished plan (only vehicles that drive)."""
    sheets = _sheets(jobs.finished_result(store, KIND, job_id).files)
    base = f"{jobs.PREFIXES[KIND]}/{job_id}/sheets"
    return SheetList(vehicles={vehicle: f"{base}/{vehicle}" for vehicle in sheets})


@router.get(
    "/{job_id}/sheets/{vehicle_id}",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(404, 409),
    },
)
def get_sheet(job_id: str, vehicle_id: str, store: StoreDep) -> Response:
    """One vehicle's dispatch sheet as CSV (UTF-8 with BOM, opens in Excel)."""
    sheets = _sheets(jobs.finished_result(store, KIND, job_id).files)
    if vehicle_id not in sheets:
        raise not_found("vehicle sheet", vehicle_id)
    return Response(
        sheets[vehicle_id].encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{vehicle_id}.csv"'},
    )


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
    files = jobs.finished_result(store, KIND, job_id).files
    return Response(files[GEOJSON_FILE], media_type="application/geo+json")
