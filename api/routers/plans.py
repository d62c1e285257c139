"""``/v1/plans``: start a plan job, watch it, cancel it, fetch its plan, sheets and GeoJSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api import job_views as jobs
from api.deps import RunnerDep, SettingsDep, StoreDep
from api.errors import not_found, problem_responses
from api.schemas import JobList, JobStatus, JobStatusName, PlanRequest, SheetList
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


@router.get("", response_model=JobList, responses=problem_responses(422))
def list_plans(
    store: StoreDep,
    status: JobStatusName | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> JobList:
    """Plan jobs, newest first, optionally only those with ``status``."""
    rows = store.list_jobs(KIND, status, limit, offset)
    return JobList(items=[jobs.job_status(r) for r in rows], limit=limit, offset=offset)


@router.get("/{job_id}", response_model=JobStatus, responses=problem_responses(404))
async def get_plan(job_id: str, store: StoreDep) -> JobStatus:
    """Status, progress and best cost so far of a plan job.

    The route pollers hit: it runs on the event loop, as its one read by primary key never
    waits (in WAL mode readers do not wait for writers).
    """
    return jobs.job_status(jobs.get_job(store, KIND, job_id))


@router.delete("/{job_id}", response_model=JobStatus, responses=problem_responses(404, 409))
def cancel_plan(job_id: str, store: StoreDep, runner: RunnerDep) -> JobStatus:
    """Cancel a queued or running job; a running solve is stopped (killed if it lingers)."""
    return jobs.cancel(store, runner, KIND, job_id)


@router.post(
    "/{job_id}/resubmit",
    status_code=202,
    response_model=JobStatus,
    responses=problem_responses(404, 409, 429),
)
def resubmit_plan(
    job_id: str, response: Response, store: StoreDep, settings: SettingsDep, runner: RunnerDep
) -> JobStatus:
    """Queue a new job with the same instance copy and options as a finished one."""
    new_id = jobs.resubmit(store, runner, settings, KIND, job_id)
    return jobs.accepted(store, KIND, new_id, response)


_RESULT_RESPONSES = {
    200: {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Plan"}}}},
    **problem_responses(404, 409),
}


@router.get("/{job_id}/result", response_class=Response, responses=_RESULT_RESPONSES)
def get_plan_result(job_id: str, store: StoreDep) -> Response:
    """The finished plan: the same document as ``plan.json`` from ``wasteopt plan``."""
    document = jobs.finished_result(store, KIND, job_id).document
    return Response(document, media_type="application/json")


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
