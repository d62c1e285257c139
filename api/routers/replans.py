"""``/v1/plans/{id}/replan``: re-plan the rest of a planned day as a job; its diff."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from api import job_views
from api.bounds import replan_size_problems
from api.deps import RunnerDep, SettingsDep, StoreDep
from api.errors import ApiError, invalid, problem_responses
from api.json_body import ParsedJsonRoute
from api.replan_task import DAY_INSTANCE_FILE, DIFF_FILE
from api.schemas import JobStatus
from wasteopt.bounds import MIN_TIME_LIMIT_S
from wasteopt.errors import InstanceError
from wasteopt.io import instance_from_dict
from wasteopt.model import ClockTime, Plan, clock_to_seconds
from wasteopt.replan import DEFAULT_MOVE_PENALTY, Actuals, Event, build_day, events_from_data
from wasteopt.replan.events import ROAD_EVENTS

KIND = "plan"
router = APIRouter(prefix=job_views.PREFIXES[KIND], tags=["plans"], route_class=ParsedJsonRoute)


class ReplanRequest(BaseModel):
    """Re-plan a finished plan's day from ``at`` on, after ``events``."""

    model_config = ConfigDict(extra="forbid")

    at: ClockTime = Field(description="the re-plan time, HH:MM")
    events: list[dict[str, Any]] = Field(
        default_factory=list, description="the events (see README: Re-planning during the day)"
    )
    actual: Actuals | None = Field(
        default=None, description="reported stops with real times, positions of trucks on the road"
    )
    time_limit_s: float | None = Field(
        default=None,
        ge=MIN_TIME_LIMIT_S,
        description="search time of the collection tier's rest, s; the server's default applies"
        " when absent and its maximum may not be exceeded",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    solution_limit: int | None = Field(default=None, ge=1, le=1_000_000)
    stability_cny: float = Field(
        default=DEFAULT_MOVE_PENALTY,
        ge=0,
        description="price of each point moved to another truck; 0 turns stability off",
    )


def _no_road_events(events: list[Event]) -> None:
    """InstanceError naming each road event, for an instance without a road graph."""
    problems = [
        (f"events[{k}]", "a road closure or slowdown needs the instance's road graph"
         " (settings.graph); this instance has none")
        for k, event in enumerate(events)
        if isinstance(event, ROAD_EVENTS)
    ]  # fmt: skip
    if problems:
        raise InstanceError(problems)


@router.post(
    "/{job_id}/replan",
    status_code=202,
    response_model=JobStatus,
    responses=problem_responses(404, 409, 413, 422, 429),
    summary="Re-plan the rest of a planned day",
)
def submit_replan(
    job_id: str,
    request: ReplanRequest,
    response: Response,
    store: StoreDep,
    settings: SettingsDep,
    runner: RunnerDep,
) -> JobStatus:
    """Queue a re-plan of the finished plan ``job_id`` (a morning plan or a re-plan) from
    ``at`` after ``events``: a new plan job whose result is the checked whole-day plan (frozen
    stops kept as they were, those of earlier re-plans included).
    Every bad event (unknown truck, a time outside the day, a point already collected...) is
    a ``422`` naming it, before anything is queued."""
    source = job_views.get_job(store, KIND, job_id)
    result = job_views.finished_result(store, KIND, job_id)
    # a re-plan is re-planned on its day's instance (its extra pickups, broken-down loads...)
    document = result.files.get(DAY_INSTANCE_FILE) or store.job_instance(job_id)
    if document is None:
        raise ApiError(409, "instance gone", f"the instance of plan job {job_id} is not stored")
    data = json.loads(document)
    too_large = replan_size_problems(data, request.events, settings)
    if too_large:
        raise invalid(too_large, "re-plan too large")
    plan = Plan.model_validate_json(result.document)
    instance = instance_from_dict(data)
    if source.date is not None:
        instance = instance.model_copy(update={"date": source.date})
    try:
        events = events_from_data(request.events)
        build_day(instance, plan, clock_to_seconds(request.at), events, request.actual)
        if instance.settings.graph is None:
            _no_road_events(events)
    except InstanceError as exc:
        raise invalid(exc.problems, "invalid re-plan request") from None
    limit = job_views.time_limit(request.time_limit_s, settings)
    replan = {
        "plan": json.loads(plan.model_dump_json()),
        "at": request.at,
        "events": request.events,
        "actual": request.actual.model_dump(mode="json") if request.actual else None,
        "stability_cny": request.stability_cny,
    }
    new_id = job_views.submit(
        store,
        runner,
        settings,
        kind=KIND,
        instance_id=source.instance_id,
        instance_name=source.instance_name,
        instance=document,
        date=source.date,
        time_limit_s=limit,
        budget_s=job_views.plan_budget_s(limit),
        seed=request.seed,
        solution_limit=request.solution_limit,
        options=json.dumps({"replan": replan}, ensure_ascii=False),
    )
    return job_views.accepted(store, KIND, new_id, response)


@router.get(
    "/{job_id}/diff",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {"schema": {"type": "object"}}}},
        **problem_responses(404, 409),
    },
)
def get_diff(job_id: str, store: StoreDep) -> Response:
    """What a finished re-plan changes against the plan it revises: points moved to which
    truck, new and removed stops, km, cost and finishing times, the trucks affected."""
    files = job_views.finished_result(store, KIND, job_id).files
    if DIFF_FILE not in files:
        raise ApiError(404, "not a re-plan", f"plan job {job_id} revises no plan: it has no diff")
    return Response(files[DIFF_FILE], media_type="application/json")
