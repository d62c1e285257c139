"""Re-planning during the day: the state at a clock time, events, the re-planned rest, a diff.

``build_day`` applies the events to the instance and derives every truck's state from the plan
being revised; ``replan_day`` re-plans what is not done yet with the routing core and returns a
checked whole-day plan with its diff.
"""

from wasteopt.replan.day import Day, build_day
from wasteopt.replan.diff import PlanDiff, plan_diff
from wasteopt.replan.events import Event, events_from_data, events_schema, load_events
from wasteopt.replan.replan import (
    DEFAULT_MOVE_PENALTY,
    ReplanOptions,
    ReplanResult,
    replan_day,
)
from wasteopt.replan.state import Actuals, load_actuals

__all__ = [
    "DEFAULT_MOVE_PENALTY",
    "Actuals",
    "Day",
    "Event",
    "PlanDiff",
    "ReplanOptions",
    "ReplanResult",
    "build_day",
    "events_from_data",
    "events_schema",
    "load_actuals",
    "load_events",
    "plan_diff",
    "replan_day",
]
