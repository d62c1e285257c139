"""What each kind of job computes inside its solver process, and what it stores.

A task turns a job's instance (and its kind's options) into a result document and named
files; the worker stores both with the job's ``done`` status in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from api.store import JobInput
from wasteopt.export import routes_geojson, sheets_csv
from wasteopt.matrix import MatrixProvider
from wasteopt.model import Instance
from wasteopt.planning import PlanOptions, Progress, plan_day

SHEETS_PREFIX = "sheets/"
GEOJSON_FILE = "routes.geojson"


@dataclass(frozen=True)
class TaskResult:
    """A finished job: cost (CNY, if it has one), JSON document, files by name."""

    cost: float | None
    document: str
    files: dict[str, str]


Task = Callable[
    [Instance, JobInput, MatrixProvider, Callable[[Progress], None], Callable[[], bool]],
    TaskResult,
]


def run_plan(
    instance: Instance,
    job: JobInput,
    provider: MatrixProvider,
    progress: Callable[[Progress], None],
    should_stop: Callable[[], bool],
) -> TaskResult:
    """The day's plan, with the files ``wasteopt plan`` writes: sheets and GeoJSON routes."""
    options = PlanOptions(
        time_limit_s=job.time_limit_s, seed=job.seed, solution_limit=job.solution_limit
    )
    plan = plan_day(instance, provider, options, progress=progress, should_stop=should_stop)
    sheets = sheets_csv(instance, plan)
    files = {f"{SHEETS_PREFIX}{vehicle}.csv": text for vehicle, text in sheets.items()}
    files[GEOJSON_FILE] = json.dumps(routes_geojson(instance, plan, provider), ensure_ascii=False)
    document = json.dumps(plan.model_dump(mode="json", by_alias=True), ensure_ascii=False)
    return TaskResult(plan.cost, document, files)


TASKS: dict[str, Task] = {"plan": run_plan}
