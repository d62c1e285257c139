"""What each kind of job computes inside its solver process, and what it stores.

A task turns a job's instance (and its kind's options) into a result document and named
files; the worker stores both with the job's ``done`` status in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from pydantic import BaseModel, ConfigDict

from api.schemas import SitingRequest
from api.store import JobInput
from wasteopt.export import GEOJSON_FILE, PLAN_FILE, routes_geojson
from wasteopt.matrix import MatrixProvider
from wasteopt.model import Facility, Instance, Plan, TravelMatrices
from wasteopt.planning import PlanOptions, Progress, plan_day
from wasteopt.provenance import describe, grid_factor
from wasteopt.scenario import (
    COMPARISON_FILE,
    Scenario,
    compare_scenarios,
    comparison_csv,
    comparison_rows,
    comparison_verdict,
    scenario_from_siting,
)
from wasteopt.siting import SitingOptions, choose_stations
from wasteopt.siting.report import ASSIGNMENT_FILE, assignment_csv, siting_summary
from wasteopt.timeline import plan_timeline

SCENARIOS_PREFIX = "scenarios/"
INSTANCE_FILE = "instance.json"
TIMELINE_FILE = "timeline.json"


@dataclass(frozen=True)
class TaskResult:
    """A finished job: cost (CNY, if it has one), JSON document, files by name."""

    cost: float | None
    document: str
    files: dict[str, str]


@dataclass(frozen=True)
class TaskInput:
    """A job's instance (date applied), stored input, road provider and solver hooks."""

    instance: Instance
    job: JobInput
    provider: MatrixProvider
    progress: Callable[[Progress], None]
    should_stop: Callable[[], bool]


Task = Callable[[TaskInput], TaskResult]


def _plan_options(job: JobInput) -> PlanOptions:
    return PlanOptions(
        time_limit_s=job.time_limit_s, seed=job.seed, solution_limit=job.solution_limit
    )


def run_plan(task: TaskInput) -> TaskResult:
    """The day's plan with its GeoJSON routes and timeline (the dispatch sheets are drawn from
    the plan when asked for, in the language asked for)."""
    if "replan" in json.loads(task.job.options or "{}"):
        from api.replan_task import run_replan  # it builds on this module

        return run_replan(task)
    instance, provider, options = task.instance, task.provider, _plan_options(task.job)
    grid = grid_factor(json.loads(task.job.options or "{}").get("grid"))
    plan = plan_day(
        instance,
        provider,
        options,
        progress=task.progress,
        should_stop=task.should_stop,
        provenance=describe(instance, provider, options, grid),
    )
    files = {
        GEOJSON_FILE: json.dumps(routes_geojson(instance, plan, provider), ensure_ascii=False),
        TIMELINE_FILE: timeline_json(plan, provider.matrices(instance.sites)),
    }
    document = json.dumps(plan.model_dump(mode="json", by_alias=True), ensure_ascii=False)
    return TaskResult(plan.cost, document, files)


def siting_options(request: SitingRequest, time_limit_s: float, seed: int) -> SitingOptions:
    """The location model's options for ``request``; OptionsError names a field in conflict.

    One CP-SAT worker per job: the pool's bound is the server's CPU budget.
    """
    return SitingOptions(
        open_exactly=request.open_exactly,
        min_open=request.min_open,
        max_open=request.max_open,
        budget=request.budget,
        force_open=frozenset(request.force_open),
        force_closed=frozenset(request.force_closed),
        keep_existing=request.keep_existing,
        allow_direct=request.allow_direct,
        direct_max_km=request.direct_max_km,
        by_township=request.by_township,
        carbon_price_per_t=request.carbon_price_per_t,
        time_limit_s=time_limit_s,
        gap_limit=request.gap_limit,
        seed=seed,
        workers=1,
    )


def run_siting(task: TaskInput) -> TaskResult:
    """The stations ``wasteopt site`` would choose, that choice as a scenario, its summary
    and the point assignment CSV.

    The location model reports no progress and cannot be interrupted: a cancelled siting job
    is stopped by ending its process.
    """
    instance, job = task.instance, task.job
    request = SitingRequest.model_validate_json(job.options)
    added = [Facility.model_validate(c) for c in request.candidates]
    options = siting_options(request, job.time_limit_s, job.seed)
    result = choose_stations(instance, task.provider, options, added)
    scenario = scenario_from_siting(
        instance, result, request.name, added, "chosen by the wasteopt API's siting job"
    )
    outcome = {
        **asdict(result),
        "cost": {**asdict(result.cost), "total": result.cost.total},
    }
    document = {
        "result": outcome,
        "scenario": scenario.model_dump(mode="json"),
        "summary": siting_summary(result),
    }
    files = {ASSIGNMENT_FILE: assignment_csv(instance, result, added)}
    return TaskResult(result.cost.total, json.dumps(document, ensure_ascii=False), files)


class ComparisonJob(BaseModel):
    """What a comparison job stores: its scenarios, today's first when asked for."""

    model_config = ConfigDict(extra="forbid")

    scenarios: list[Scenario]


def run_comparison(task: TaskInput) -> TaskResult:
    """Each scenario routed and assessed, side by side as ``wasteopt compare`` tabulates it.

    Routing a scenario reports no progress here and cannot be interrupted: a cancelled
    comparison is stopped by ending its process.
    """
    scenarios = ComparisonJob.model_validate_json(task.job.options).scenarios
    outcomes = compare_scenarios(task.instance, scenarios, task.provider, _plan_options(task.job))
    rows = comparison_rows(outcomes)
    document = {
        "scenarios": [
            {
                "name": o.scenario.name,
                "open_stations": o.open_stations,
                "routing_cost_per_day": o.plan.cost,
                "annual_cost": o.annual_cost,
                "impact": o.impact.model_dump(mode="json"),
            }
            for o in outcomes
        ],
        "rows": [asdict(r) for r in rows],
        "verdict": comparison_verdict(outcomes),
    }
    files = {COMPARISON_FILE: comparison_csv(outcomes, rows)}
    for index, o in enumerate(outcomes):  # each scenario's plan, to open it on a map
        files.update(scenario_files(index, o.instance, o.plan, task.provider))
    return TaskResult(None, json.dumps(document, ensure_ascii=False), files)


def timeline_json(plan: Plan, matrices: TravelMatrices) -> str:
    """Each truck's day as activities (:mod:`wasteopt.timeline`), as JSON."""
    return json.dumps([asdict(day) for day in plan_timeline(plan, matrices)], ensure_ascii=False)


def scenario_files(
    index: int, instance: Instance, plan: Plan, provider: MatrixProvider
) -> dict[str, str]:
    """The changed instance, plan, GeoJSON routes and timeline of a comparison's ``index``-th
    scenario."""
    prefix = f"{SCENARIOS_PREFIX}{index}/"
    return {
        f"{prefix}{INSTANCE_FILE}": json.dumps(
            instance.model_dump(mode="json", by_alias=True), ensure_ascii=False
        ),
        f"{prefix}{PLAN_FILE}": json.dumps(
            plan.model_dump(mode="json", by_alias=True), ensure_ascii=False
        ),
        f"{prefix}{GEOJSON_FILE}": json.dumps(
            routes_geojson(instance, plan, provider), ensure_ascii=False
        ),
        f"{prefix}{TIMELINE_FILE}": timeline_json(plan, provider.matrices(instance.sites)),
    }


TASKS: dict[str, Task] = {"plan": run_plan, "siting": run_siting, "comparison": run_comparison}
