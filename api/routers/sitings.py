"""``/v1/sitings``: choose transfer stations (``wasteopt site``) as a job."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import ValidationError

from api import job_views
from api.bounds import added_site_problems, csv_rows
from api.deps import RunnerDep, SettingsDep, StoreDep
from api.downloads import attachment
from api.errors import instance_error, invalid, problem_responses
from api.json_body import ParsedJsonRoute
from api.schemas import JobStatus, SitingRequest
from api.tasks import ASSIGNMENT_FILE, siting_options
from wasteopt.errors import InstanceError, OptionsError
from wasteopt.io import validation_problems
from wasteopt.model import Facility
from wasteopt.siting import candidates_from_csv_text, with_candidates

KIND = "siting"
router = APIRouter(prefix=job_views.PREFIXES[KIND], tags=["siting"], route_class=ParsedJsonRoute)

_RESULT_SCHEMA = {
    "type": "object",
    "description": "result: the chosen stations (with names, and which of today's they"
    " close), point assignment, annual cost by component and the proven gap; scenario: the"
    " choice as a scenario for /v1/comparisons; summary: the text `wasteopt site` prints",
    "properties": {
        "result": {"type": "object"},
        "scenario": {"type": "object"},
        "summary": {"type": "string"},
    },
    "required": ["result", "scenario", "summary"],
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
    limit = job_views.time_limit(request.time_limit_s, settings)
    try:
        siting_options(request, limit, request.seed)
    except OptionsError as exc:
        raise invalid(exc.problems) from None
    source = job_views.job_instance(store, settings, request.instance_id, request.instance)
    instance = source.model()
    added = len(request.candidates) + csv_rows(request.candidates_csv)
    where = "candidates" if request.candidates else "candidates_csv"
    too_many = added_site_problems(len(instance.facilities), added, where, settings)
    if too_many:
        raise invalid(too_many, "instance too large")
    candidates = _candidates(request)
    try:
        with_candidates(instance, candidates)
    except InstanceError as exc:
        raise instance_error(exc) from None
    stored = request.model_copy(
        update={
            "instance_id": None,
            "instance": None,
            "candidates_csv": None,
            "candidates": [c.model_dump(mode="json", by_alias=True) for c in candidates],
        }
    )
    job_id = job_views.submit(
        store,
        runner,
        settings,
        kind=KIND,
        options=stored.model_dump_json(),
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


@router.get(
    "/{job_id}/assignment",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(404, 409),
    },
)
def get_assignment_csv(job_id: str, store: StoreDep) -> Response:
    """Each point's destination as CSV (UTF-8 with BOM), as ``wasteopt site`` writes it."""
    files = job_views.finished_result(store, KIND, job_id).files
    return Response(
        files[ASSIGNMENT_FILE].encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers=attachment(f"assignment-{job_id}.csv"),
    )
