"""``/v1/sitings``: choose transfer stations (``wasteopt site``) as a job."""

from __future__ import annotations

import json

from fastapi import APIRouter, Response
from pydantic import ValidationError

from api import job_views
from api.deps import RunnerDep, SettingsDep, StoreDep
from api.errors import instance_error, invalid, problem_responses
from api.schemas import JobStatus, SitingRequest
from wasteopt.errors import InstanceError
from wasteopt.io import validation_problems
from wasteopt.model import Facility
from wasteopt.siting import candidates_from_csv_text, with_candidates

KIND = "siting"
router = APIRouter(prefix=job_views.PREFIXES[KIND], tags=["siting"])

_RESULT_SCHEMA = {
    "type": "object",
    "description": "result: the chosen stations, point assignment, annual cost by component"
    " and the proven gap; scenario: the choice as a scenario for /v1/comparisons",
    "properties": {"result": {"type": "object"}, "scenario": {"type": "object"}},
    "required": ["result", "scenario"],
}


def _candidates(request: SitingRequest) -> list[Facility]:
    problems: list[tuple[str, str]] = []
    candidates: list[Facility] = []
    for index, document in enumerate(request.candidates):
        try:
            candidates.append(Facility.model_validate(document))
        except ValidationError as exc:
            problems.extend(validation_problems(exc, prefix=f"candidates[{index}]"))
    if request.candidates_csv is not None:
        try:
            candidates += candidates_from_csv_text(request.candidates_csv, "candidates_csv")
        except InstanceError as exc:
            problems.extend(exc.problems)
    if problems:
        raise invalid(problems, "invalid candidates")
    return candidates


@router.post(
    "",
    status_code=202,
    response_model=JobStatus,
    responses=problem_responses(404, 413, 422, 429),
    summary="Start a siting job",
)
def submit_siting(
    request: SitingRequest,
    response: Response,
    store: StoreDep,
    settings: SettingsDep,
    runner: RunnerDep,
) -> JobStatus:
    """Queue a transfer-station location run; answers ``202`` with the job and its URL.

    The result holds the choice and its estimated annual cost (``cost`` of the job, CNY/yr)
    and the same choice as a scenario document to send to ``POST /v1/comparisons``.
    """
    if request.open_exactly is not None and (
        request.min_open is not None or request.max_open is not None
    ):
        raise invalid([("open_exactly", "give open_exactly, or min_open/max_open, not both")])
    limit = job_views.time_limit(request.time_limit_s, settings)
    source = job_views.job_instance(store, settings, request.instance_id, request.instance)
    candidates = _candidates(request)
    try:
        with_candidates(source.model(), candidates)
    except InstanceError as exc:
        raise instance_error(exc) from None
    options = request.model_dump(
        exclude={"instance_id", "instance", "candidates_csv", "time_limit_s", "seed"}
    )
    options["candidates"] = [c.model_dump(mode="json", by_alias=True) for c in candidates]
    job_id = job_views.submit(
        store,
        runner,
        settings,
        kind=KIND,
        options=json.dumps(options, ensure_ascii=False),
        instance_id=source.instance_id,
        instance_name=source.name,
        instance=source.document,
        date=source.date,
        time_limit_s=limit,
        budget_s=limit,
        seed=request.seed,
        solution_limit=None,
    )
    return job_views.accepted(store, KIND, job_id, response)


job_views.add_job_routes(router, KIND, _RESULT_SCHEMA)
