"""The trucks whose plan still holds: a re-plan with stability leaves their routes as they are.

A truck's plan holds when its done stops and the rest of its planned route, as planned, pass
every rule of a single route (times, travel, windows, gates, shift, break, loads, streams,
distances) against the day's instance and roads: an event that touches it (a cancelled point,
changed tonnes, a closed road or facility, a later gate, a late report) breaks one of them.
"""

from __future__ import annotations

from wasteopt.check import (
    BACKLOG,
    BREAKDOWN,
    CAPACITY,
    COST,
    COVERAGE,
    DUPLICATE_VEHICLE,
    STATION_BALANCE,
    STATION_ORDER,
    UNSERVED,
    check_plan,
)
from wasteopt.model import Instance, Plan, Route, TravelMatrices
from wasteopt.replan.state import VehicleState
from wasteopt.replan.stitch import whole_route

# rules of the whole plan, which a single route cannot be held to
PLAN_RULES = frozenset(
    {
        BACKLOG,
        BREAKDOWN,
        CAPACITY,
        COST,
        COVERAGE,
        DUPLICATE_VEHICLE,
        STATION_BALANCE,
        STATION_ORDER,
        UNSERVED,
    }
)


def planned_route(state: VehicleState) -> Route | None:
    """The truck's done stops followed by the rest of its planned route."""
    if state.morning is None:
        return None
    return whole_route(state, [*state.done, *state.morning.stops[state.planned_done :]])


def standing_routes(
    instance: Instance,
    states: list[VehicleState],
    matrices: TravelMatrices,
    earlier: list[tuple[int, TravelMatrices]],
) -> dict[str, Route]:
    """Vehicle id -> its planned route, for the trucks in ``states`` whose plan still holds
    (one check of all of them: the route rules are reported per vehicle)."""
    planned = {s.vehicle_id: planned_route(s) for s in states if s.morning is not None}
    routes = [route for route in planned.values() if route is not None]
    together = Plan(instance_name=instance.name, routes=routes)
    broken = {
        v.vehicle_id
        for v in check_plan(instance, together, matrices, earlier)
        if v.kind not in PLAN_RULES
    }
    return {
        vehicle_id: route
        for vehicle_id, route in planned.items()
        if route is not None and vehicle_id not in broken
    }
