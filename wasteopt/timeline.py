"""A truck's day as consecutive activities, for a Gantt chart: drive, idle, collect, unload, break.

A plan's stops say when each service starts (``arrive``) and ends (``depart``); the gap before
a stop holds the drive from the previous site (its travel time from the matrices) and, after
it, the wait until the service may start (a time window, a gate, a break's window).
"""

from __future__ import annotations

from dataclasses import dataclass

from wasteopt.model import (
    Plan,
    Route,
    TravelMatrices,
    clock_to_seconds,
    seconds_to_clock,
)

ENDPOINTS = ("start", "end")  # leaving and coming home take no time of their own


@dataclass(frozen=True)
class Activity:
    """What a truck does from ``start`` to ``end`` (clock times) at or towards ``site_id``."""

    kind: str  # drive, idle, break, or the stop's action: collect, unload, pickup, ...
    start: str
    end: str
    site_id: str


@dataclass(frozen=True)
class TruckDay:
    """One used truck's activities in time order."""

    vehicle_id: str
    vehicle_type: str
    tier: str
    stream: str
    activities: list[Activity]


def truck_day(route: Route, matrices: TravelMatrices, index: dict[str, int]) -> TruckDay:
    """The activities of one route. Each leg is driven as early as it can be: from the last
    departure until a break (if one falls in the gap), on after the break, and the rest of the
    gap is waiting at the next site."""
    activities: list[Activity] = []

    def add(kind: str, start: float, end: float, site_id: str) -> None:
        begin, finish = seconds_to_clock(start), seconds_to_clock(end)
        if finish > begin:
            activities.append(Activity(kind, begin, finish, site_id))

    cursor = float(clock_to_seconds(route.stops[0].depart))
    site = route.stops[0].site_id
    pending_break: tuple[float, float] | None = None
    for stop in route.stops[1:]:
        arrive, depart = float(clock_to_seconds(stop.arrive)), float(clock_to_seconds(stop.depart))
        if stop.action == "break":
            pending_break = (arrive, depart)
            continue
        travel = float(matrices.duration_s[index[site], index[stop.site_id]])
        if pending_break is not None:
            before = min(travel, max(0.0, pending_break[0] - cursor))
            add("drive", cursor, cursor + before, stop.site_id)
            add("idle", cursor + before, pending_break[0], site)
            add("break", pending_break[0], pending_break[1], site)
            travel -= before
            cursor, pending_break = max(cursor, pending_break[1]), None
        drive_end = min(cursor + travel, arrive)
        add("drive", cursor, drive_end, stop.site_id)
        add("idle", drive_end, arrive, stop.site_id)
        if stop.action not in ENDPOINTS:
            add(stop.action, arrive, depart, stop.site_id)
        cursor, site = max(cursor, depart), stop.site_id
    return TruckDay(route.vehicle_id, route.vehicle_type, route.tier, route.stream, activities)


def plan_timeline(plan: Plan, matrices: TravelMatrices) -> list[TruckDay]:
    """Every used truck's day, in the plan's route order (``matrices`` cover its sites)."""
    index = matrices.index()
    return [truck_day(route, matrices, index) for route in plan.routes]
