"""The task of a re-plan job: the whole-day plan from a finished plan, a time and events.

A re-plan job is a plan job whose options hold ``replan``: the plan it revises, the time, the
events and any reported actuals. Its result is the checked whole-day plan with the routes'
GeoJSON and timeline, the day's instance it is checked against (which also names the sheets'
sites) and the diff.
"""

from __future__ import annotations

import json

from api.tasks import TIMELINE_FILE, TaskInput, TaskResult, timeline_json
from wasteopt.export import GEOJSON_FILE, routes_geojson
from wasteopt.model import Plan, clock_to_seconds
from wasteopt.replan import (
    Actuals,
    ReplanOptions,
    build_day,
    events_from_data,
    replan_day,
)

DIFF_FILE = "diff.json"
DAY_INSTANCE_FILE = "day-instance.json"


def _dump(model) -> str:
    return json.dumps(model.model_dump(mode="json", by_alias=True), ensure_ascii=False)


def run_replan(task: TaskInput) -> TaskResult:
    """Re-plan the rest of the day (see :func:`wasteopt.replan.replan_day`)."""
    request = json.loads(task.job.options)["replan"]
    plan = Plan.model_validate(request["plan"])
    actual = request.get("actual")
    day = build_day(
        task.instance,
        plan,
        clock_to_seconds(request["at"]),
        events_from_data(request["events"]),
        Actuals.model_validate(actual) if actual is not None else None,
    )
    options = ReplanOptions(
        time_limit_s=task.job.time_limit_s,
        seed=task.job.seed,
        solution_limit=task.job.solution_limit,
        move_penalty=request["stability_cny"],
    )
    result = replan_day(
        task.instance, plan, day, task.provider, options, task.progress, task.should_stop
    )
    files = {
        GEOJSON_FILE: json.dumps(
            routes_geojson(result.instance, result.plan, result.network), ensure_ascii=False
        ),
        TIMELINE_FILE: timeline_json(result.plan, result.matrices),
        DIFF_FILE: _dump(result.diff),
        DAY_INSTANCE_FILE: _dump(result.instance),
    }
    return TaskResult(result.plan.cost, _dump(result.plan), files)
