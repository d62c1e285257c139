"""``/v1/plans``: start a plan job, watch it, cancel it, fetch its plan, sheets and GeoJSON."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import RunnerDep, SettingsDep, StoreDep
from api.errors import ApiError, invalid, not_found, problem_responses
from api.jobs import JobRunner
from api.schemas import (
    JobLinks,
    JobList,
    JobProgress,
    JobStatus,
    JobStatusName,
    PlanRequest,
    SheetList,
)
from api.settings import Settings
from api.store import ACTIVE, JobRow, PlanRow, QueueFull, Store
from api.validation import instance_document, validate_instance

router = APIRouter(prefix="/v1/plans", tags=["plans"])

POLL_AFTER_S = 2
_PLAN_SCHEMA = {"$ref": "#/components/schemas/Plan"}


def job_status(row: JobRow) -> JobStatus:
    base = f"/v1/plans/{row.id}"
    progress = None
    if row.progress_tier is not None:
        progress = JobProgress(
            tier=row.progress_tier,
            elapsed_s=row.progress_elapsed_s or 0.0,
            best_cost=row.best_cost or 0.0,
        )
    return JobStatus(
        id=row.id,
        status=row.status,  # type: ignore[arg-type]
        instance_id=row.instance_id,
        instance_name=row.instance_name,
        date=row.date,
        time_limit_s=row.time_limit_s,
        seed=row.seed,
        solution_limit=row.solution_limit,
        resubmitted_from=row.resubmitted_from,
        submitted_at=row.submitted_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        progress=progress,
        cost=row.cost,
        error=row.error,
        links=JobLinks(
            self=base,
            result=f"{base}/result",
            sheets=f"{base}/sheets",
            geojson=f"{base}/geojson",
            impact=f"{base}/impact",
            resubmit=f"{base}/resubmit",
        ),
    )


def _job(store: Store, job_id: str) -> JobRow:
    row = store.get_job(job_id)
    if row is None:
        raise not_found("plan job", job_id)
    return row


def _accepted(store: Store, job_id: str, response: Response) -> JobStatus:
    response.headers["Location"] = f"/v1/plans/{job_id}"
    return job_status(_job(store, job_id))


def _queue_full(runner: JobRunner, settings: Settings) -> ApiError:
    wait = math.ceil(runner.seconds_until_free())
    return ApiError(
        429,
        "queue full",
        f"{settings.queue_size} jobs already wait for a solver; retry in about {wait} s",
        headers={"Retry-After": str(wait)},
    )


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
    if (request.instance_id is None) == (request.instance is None):
        raise invalid([("instance_id", "give exactly one of instance_id and instance")])
    time_limit_s = request.time_limit_s or settings.default_time_limit_s
    if time_limit_s > settings.max_time_limit_s:
        raise invalid(
            [
                (
                    "time_limit_s",
                    f"{time_limit_s:g} s exceeds this server's maximum of"
                    f" {settings.max_time_limit_s:g} s",
                )
            ]
        )
    if request.instance_id is not None:
        found = store.get_instance(request.instance_id)
        if found is None:
            raise not_found("instance", request.instance_id)
        instance_name, date, document = found[0].name, found[0].date, found[1]
    else:
        instance = validate_instance(request.instance, settings, prefix="instance")
        instance_name, date, document = instance.name, instance.date, instance_document(instance)
    if request.date is not None:
        date = request.date.isoformat()
    try:
        job_id = store.submit_job(
            instance_id=request.instance_id,
            instance_name=instance_name,
            instance=document,
            date=date,
            time_limit_s=time_limit_s,
            seed=request.seed,
            solution_limit=request.solution_limit,
            queue_size=settings.queue_size,
        )
    except QueueFull:
        raise _queue_full(runner, settings) from None
    runner.notify()
    return _accepted(store, job_id, response)


@router.get("", response_model=JobList, responses=problem_responses(422))
def list_plans(
    store: StoreDep,
    status: JobStatusName | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> JobList:
    """Plan jobs, newest first, optionally only those with ``status``."""
    rows = store.list_jobs(status, limit, offset)
    return JobList(items=[job_status(r) for r in rows], limit=limit, offset=offset)


@router.get("/{job_id}", response_model=JobStatus, responses=problem_responses(404))
async def get_plan(job_id: str, store: StoreDep) -> JobStatus:
    """Status, progress and best cost so far of a plan job.

    The route pollers hit: it runs on the event loop, as its one read by primary key never
    waits (in WAL mode readers do not wait for writers).
    """
    return job_status(_job(store, job_id))


@router.delete("/{job_id}", response_model=JobStatus, responses=problem_responses(404, 409))
def cancel_plan(job_id: str, store: StoreDep, runner: RunnerDep) -> JobStatus:
    """Cancel a queued or running job; a running solve is stopped (killed if it lingers)."""
    _job(store, job_id)
    if not store.finish(job_id, "cancelled", "cancelled by a client", ACTIVE):
        raise ApiError(
            409,
            "job already finished",
            f"job {job_id} is {_job(store, job_id).status}; there is nothing to cancel",
        )
    runner.cancel(job_id)
    return job_status(_job(store, job_id))


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
    row = _job(store, job_id)
    if row.status in ACTIVE:
        raise ApiError(409, "job still active", f"job {job_id} is {row.status}; wait or cancel it")
    job_input = store.job_input(job_id)
    assert job_input is not None
    try:
        new_id = store.submit_job(
            instance_id=row.instance_id,
            instance_name=row.instance_name,
            instance=job_input.instance,
            date=row.date,
            time_limit_s=min(row.time_limit_s, settings.max_time_limit_s),
            seed=row.seed,
            solution_limit=row.solution_limit,
            queue_size=settings.queue_size,
            resubmitted_from=job_id,
        )
    except QueueFull:
        raise _queue_full(runner, settings) from None
    runner.notify()
    return _accepted(store, new_id, response)


def _finished_plan(store: Store, job_id: str) -> PlanRow:
    """The stored plan of a done job, or ``409`` saying when (or whether) it will exist."""
    row = _job(store, job_id)
    if row.status in ACTIVE:
        raise ApiError(
            409,
            "plan not ready",
            f"job {job_id} is {row.status}; poll /v1/plans/{job_id} until its status is done",
            headers={"Retry-After": str(POLL_AFTER_S)},
        )
    plan = store.get_plan(job_id) if row.status == "done" else None
    if plan is None:
        raise ApiError(
            409,
            "no plan",
            f"job {job_id} is {row.status} ({row.error}); it has no plan —"
            f" POST /v1/plans/{job_id}/resubmit to run it again",
        )
    return plan


_RESULT_RESPONSES = {
    200: {"content": {"application/json": {"schema": _PLAN_SCHEMA}}},
    **problem_responses(404, 409),
}


@router.get("/{job_id}/result", response_class=Response, responses=_RESULT_RESPONSES)
def get_plan_result(job_id: str, store: StoreDep) -> Response:
    """The finished plan: the same document as ``plan.json`` from ``wasteopt plan``."""
    return Response(_finished_plan(store, job_id).plan, media_type="application/json")


@router.get("/{job_id}/sheets", response_model=SheetList, responses=problem_responses(404, 409))
def list_sheets(job_id: str, store: StoreDep) -> SheetList:
    """The per-vehicle sheets of a finished plan (only vehicles that drive)."""
    sheets = _finished_plan(store, job_id).sheets
    base = f"/v1/plans/{job_id}/sheets"
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
    """One vehicle's sheet as CSV (UTF-8 with BOM, opens in Excel)."""
    sheets = _finished_plan(store, job_id).sheets
    if vehicle_id not in sheets:
        raise not_found("vehicle sheet", vehicle_id)
    text = sheets[vehicle_id]
    data = text.encode("utf-8") if text.startswith("\ufeff") else ("\ufeff" + text).encode()
    return Response(
        data,
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
    return Response(_finished_plan(store, job_id).geojson, media_type="application/geo+json")
