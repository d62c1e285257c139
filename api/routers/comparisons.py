"""``/v1/comparisons``: route an instance under several scenarios side by side as a job."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api import job_views
from api.bounds import added_site_problems, item_count
from api.deps import RunnerDep, SettingsDep, StoreDep
from api.downloads import attachment
from api.errors import instance_error, invalid, problem_responses
from api.json_body import ParsedJsonRoute
from api.schemas import ComparisonRequest, JobStatus
from api.tasks import COMPARISON_FILE, ComparisonJob
from api.validation import applied_problems
from wasteopt.errors import InstanceError
from wasteopt.scenario import apply_scenario, scenario_from_dict, with_today

KIND = "comparison"
router = APIRouter(
    prefix=job_views.PREFIXES[KIND], tags=["comparison"], route_class=ParsedJsonRoute
)

_RESULT_SCHEMA = {
    "type": "object",
    "description": "scenarios: each one's open stations, costs and impact report; rows: the"
    " side-by-side table of `wasteopt compare` (section, metric, unit, one value per"
    " scenario); verdict: its verdict line",
    "properties": {
        "scenarios": {"type": "array"},
        "rows": {"type": "array"},
        "verdict": {"type": "string"},
    },
    "required": ["scenarios", "rows", "verdict"],
}


@router.post(
    "",
    status_code=202,
    response_model=JobStatus,
    responses=problem_responses(404, 413, 422, 429),
    summary="Start a scenario comparison job",
)
def submit_comparison(
    request: ComparisonRequest,
    response: Response,
    store: StoreDep,
    settings: SettingsDep,
    runner: RunnerDep,
) -> JobStatus:
    """Queue a comparison: every scenario is applied, planned and assessed.

    Unless ``include_today`` is false or a scenario is named ``today``, today's unchanged
    instance comes first. ``time_limit_s`` applies to each scenario's plan.
    """
    limit = job_views.time_limit(request.time_limit_s, settings)
    source = job_views.job_instance(store, settings, request.instance_id, request.instance)
    instance = source.model()
    too_many = [
        problem
        for index, document in enumerate(request.scenarios)
        for problem in added_site_problems(
            len(instance.facilities),
            item_count(document, "add_stations"),
            f"scenarios[{index}].add_stations",
            settings,
        )
    ]
    if too_many:
        raise invalid(too_many, "instance too large")
    try:
        scenarios = [
            scenario_from_dict(document, f"scenarios[{index}]")
            for index, document in enumerate(request.scenarios)
        ]
        applied = [apply_scenario(instance, scenario) for scenario in scenarios]
    except InstanceError as exc:
        raise instance_error(exc) from None
    out_of_range = [
        problem
        for index, made in enumerate(applied)
        for problem in applied_problems(made, settings, f"scenarios[{index}]")
    ]
    if out_of_range:
        raise invalid(out_of_range, "invalid scenario")
    job = ComparisonJob(scenarios=with_today(scenarios, request.include_today))
    job_id = job_views.submit(
        store,
        runner,
        settings,
        kind=KIND,
        options=job.model_dump_json(exclude_defaults=True),
        instance_id=source.instance_id,
        instance_name=source.name,
        instance=source.document,
        date=source.date,
        time_limit_s=limit,
        budget_s=len(job.scenarios) * job_views.plan_budget_s(limit),
        seed=request.seed,
        solution_limit=request.solution_limit,
    )
    return job_views.accepted(store, KIND, job_id, response)


job_views.add_job_routes(router, KIND, _RESULT_SCHEMA)


@router.get(
    "/{job_id}/csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **problem_responses(404, 409),
    },
)
def get_comparison_csv(job_id: str, store: StoreDep) -> Response:
    """The comparison table as CSV (UTF-8 with BOM, opens in Excel), as ``wasteopt compare``."""
    files = job_views.finished_result(store, KIND, job_id).files
    return Response(
        files[COMPARISON_FILE].encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers=attachment(f"comparison-{job_id}.csv"),
    )
