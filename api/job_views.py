"""What every kind of job shares over HTTP: status documents, submit, cancel, resubmit, results.

Routers for plans (and siting and comparison) build on these; a job of another kind is
``404`` under a router's prefix, as if it did not exist there.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.auth import current_key
from api.deps import RunnerDep, SettingsDep, StoreDep
from api.errors import ApiError, invalid, not_found, problem_responses
from api.jobs import JobRunner
from api.quotas import job_admission
from api.schemas import JobList, JobProgress, JobStatus, JobStatusName
from api.settings import Settings
from api.store import ACTIVE, JobRow, QueueFull, ResultRow, Store
from api.validation import instance_document, validate_instance
from wasteopt.io import instance_from_dict
from wasteopt.model import Instance
from wasteopt.planning import PlanOptions

POLL_AFTER_S = 2
PREFIXES = {"plan": "/v1/plans", "siting": "/v1/sitings", "comparison": "/v1/comparisons"}
FILE_LINKS = {
    "plan": {"sheets": "sheets", "geojson": "geojson", "impact": "impact"},
    "siting": {"assignment": "assignment"},
    "comparison": {"csv": "csv"},
}


def job_status(row: JobRow) -> JobStatus:
    base = f"{PREFIXES[row.kind]}/{row.id}"
    progress = None
    if row.progress_tier is not None:
        progress = JobProgress(
            tier=row.progress_tier,
            elapsed_s=row.progress_elapsed_s or 0.0,
            best_cost=row.best_cost or 0.0,
        )
    links = {"self": base, "result": f"{base}/result", "resubmit": f"{base}/resubmit"}
    links.update({name: f"{base}/{path}" for name, path in FILE_LINKS[row.kind].items()})
    return JobStatus(
        id=row.id,
        kind=row.kind,  # type: ignore[arg-type]
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
        links=links,
    )


def get_job(store: Store, kind: str, job_id: str) -> JobRow:
    row = store.get_job(job_id, kind)
    if row is None:
        raise not_found(f"{kind} job", job_id)
    return row


def accepted(store: Store, kind: str, job_id: str, response: Response) -> JobStatus:
    """The ``202`` answer to a submission: the new job, with its URL in ``Location``."""
    response.headers["Location"] = f"{PREFIXES[kind]}/{job_id}"
    return job_status(get_job(store, kind, job_id))


def queue_full(runner: JobRunner, settings: Settings) -> ApiError:
    wait = math.ceil(runner.seconds_until_free())
    return ApiError(
        429,
        "queue full",
        f"{settings.queue_size} jobs already wait for a solver; retry in about {wait} s",
        headers={"Retry-After": str(wait)},
    )


def submit(store: Store, runner: JobRunner, settings: Settings, **job: object) -> str:
    """Queue a job (``Store.submit_job`` arguments) for the caller's key and wake the runner;
    ``429`` when the queue is full or the key's quota used up."""
    key = current_key()
    admit = job_admission(key, settings, float(job["budget_s"]))  # type: ignore[arg-type]
    owner = None if key is None else key.id
    try:
        job_id = store.submit_job(
            queue_size=settings.queue_size,
            owner=owner,
            admit=admit,
            **job,  # type: ignore[arg-type]
        )
    except QueueFull:
        raise queue_full(runner, settings) from None
    runner.notify()
    return job_id


def cancel(store: Store, runner: JobRunner, kind: str, job_id: str) -> JobStatus:
    """Cancel a queued or running job (``409`` when it has already finished)."""
    get_job(store, kind, job_id)
    if not store.finish(job_id, "cancelled", "cancelled by a client", ACTIVE):
        status = get_job(store, kind, job_id).status
        raise ApiError(
            409, "job already finished", f"job {job_id} is {status}; there is nothing to cancel"
        )
    runner.cancel(job_id)
    return job_status(get_job(store, kind, job_id))


def stop_early(store: Store, runner: JobRunner, kind: str, job_id: str) -> JobStatus:
    """Ask a running job to finish now with its best result so far (``409`` unless running)."""
    row = get_job(store, kind, job_id)
    if row.status != "running" or not runner.stop_early(job_id):
        raise ApiError(
            409,
            "job not running",
            f"job {job_id} is {row.status}; only a running job can be stopped early"
            " (DELETE cancels a queued one)",
        )
    return job_status(get_job(store, kind, job_id))


def resubmit(store: Store, runner: JobRunner, settings: Settings, kind: str, job_id: str) -> str:
    """Queue a new job with the same instance copy and options as a finished one."""
    row = get_job(store, kind, job_id)
    if row.status in ACTIVE:
        raise ApiError(409, "job still active", f"job {job_id} is {row.status}; wait or cancel it")
    job_input = store.job_input(job_id)
    assert job_input is not None
    scale = min(1.0, settings.max_time_limit_s / job_input.time_limit_s)  # the cap may be lower now
    return submit(
        store,
        runner,
        settings,
        kind=kind,
        options=job_input.options,
        instance_id=row.instance_id,
        instance_name=row.instance_name,
        instance=job_input.instance,
        date=row.date,
        time_limit_s=job_input.time_limit_s * scale,
        budget_s=job_input.budget_s * scale,
        seed=row.seed,
        solution_limit=row.solution_limit,
        resubmitted_from=job_id,
    )


def finished_result(store: Store, kind: str, job_id: str) -> ResultRow:
    """The stored result of a done job, or ``409`` saying when (or whether) it will exist."""
    row = get_job(store, kind, job_id)
    base = f"{PREFIXES[kind]}/{job_id}"
    if row.status in ACTIVE:
        raise ApiError(
            409,
            "result not ready",
            f"job {job_id} is {row.status}; poll {base} until its status is done",
            headers={"Retry-After": str(POLL_AFTER_S)},
        )
    result = store.get_result(job_id) if row.status == "done" else None
    if result is None:
        raise ApiError(
            409,
            "no result",
            f"job {job_id} is {row.status} ({row.error}); it has no result —"
            f" POST {base}/resubmit to run it again",
        )
    return result


def plan_budget_s(time_limit_s: float) -> float:
    """Search time of one ``plan_day`` whose collection tier gets ``time_limit_s``."""
    return PlanOptions(time_limit_s=time_limit_s).day_time_limit_s


def time_limit(requested: float | None, settings: Settings) -> float:
    """The requested search time, or the server default; ``422`` above the server maximum."""
    limit = requested or settings.default_time_limit_s
    if limit > settings.max_time_limit_s:
        message = f"{limit:g} s exceeds this server's maximum of {settings.max_time_limit_s:g} s"
        raise invalid([("time_limit_s", message)])
    return limit


@dataclass(frozen=True)
class JobInstance:
    """The instance a submission names (stored) or carries (inline), as a job keeps it."""

    instance_id: str | None
    name: str
    date: str | None
    document: str

    def model(self) -> Instance:
        return instance_from_dict(json.loads(self.document))


def job_instance(
    store: Store, settings: Settings, instance_id: str | None, inline: dict[str, Any] | None
) -> JobInstance:
    """Exactly one of a stored instance's id and an inline document (``422``/``404`` else)."""
    if (instance_id is None) == (inline is None):
        raise invalid([("instance_id", "give exactly one of instance_id and instance")])
    if instance_id is not None:
        found = store.get_instance(instance_id)
        if found is None:
            raise not_found("instance", instance_id)
        return JobInstance(instance_id, found[0].name, found[0].date, found[1])
    instance = validate_instance(inline, settings, prefix="instance")
    return JobInstance(None, instance.name, instance.date, instance_document(instance))


def add_job_routes(router: APIRouter, kind: str, result_schema: dict[str, Any]) -> None:
    """Register the routes every kind of job has under ``router``: list, status, cancel,
    resubmit and the result document (described by ``result_schema``)."""

    @router.get("", response_model=JobList, responses=problem_responses(422))
    def list_jobs(
        store: StoreDep,
        status: JobStatusName | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    ) -> JobList:
        """Jobs of this kind, newest first, optionally only those with ``status``."""
        rows = store.list_jobs(kind, status, limit, offset)
        return JobList(items=[job_status(r) for r in rows], limit=limit, offset=offset)

    @router.get("/{job_id}", response_model=JobStatus, responses=problem_responses(404))
    async def get_status(job_id: str, store: StoreDep) -> JobStatus:
        """Status, progress and best cost so far of a job.

        The route pollers hit: it runs on the event loop, as its one read by primary key
        never waits (in WAL mode readers do not wait for writers).
        """
        return job_status(get_job(store, kind, job_id))

    @router.delete("/{job_id}", response_model=JobStatus, responses=problem_responses(404, 409))
    def cancel_job(job_id: str, store: StoreDep, runner: RunnerDep) -> JobStatus:
        """Cancel a queued or running job; a running solve is stopped (killed if it lingers)."""
        return cancel(store, runner, kind, job_id)

    @router.post(
        "/{job_id}/resubmit",
        status_code=202,
        response_model=JobStatus,
        responses=problem_responses(404, 409, 429),
    )
    def resubmit_job(
        job_id: str,
        response: Response,
        store: StoreDep,
        settings: SettingsDep,
        runner: RunnerDep,
    ) -> JobStatus:
        """Queue a new job with the same instance copy and options as a finished one."""
        return accepted(store, kind, resubmit(store, runner, settings, kind, job_id), response)

    @router.get(
        "/{job_id}/result",
        response_class=Response,
        responses={
            200: {"content": {"application/json": {"schema": result_schema}}},
            **problem_responses(404, 409),
        },
    )
    def get_result(job_id: str, store: StoreDep) -> Response:
        """The result document of a finished job."""
        document = finished_result(store, kind, job_id).document
        return Response(document, media_type="application/json")
