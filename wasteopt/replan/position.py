"""The stop at a truck's reported position, once the roads are known.

A truck reported on the road (``Actuals.positions``) drove from its last stop done to its
position, a site of the day's instance: its route gets a ``position`` stop there at the
re-plan time (at its breakdown, for a truck that broke down), after its done stops and before
its rest, with the leg's distance on the roads of its departure and the load on board as
reported. The checker holds that leg to the roads like any other, so a report the roads cannot
explain (the truck could not be there yet) is refused here, naming it, rather than accepted
unchecked.
"""

from __future__ import annotations

from dataclasses import replace

from wasteopt.check import TIME_TOL_S
from wasteopt.errors import InstanceError
from wasteopt.model import Stop, TravelMatrices, clock_to_seconds, seconds_to_clock
from wasteopt.replan.day import Day
from wasteopt.replan.state import VehicleState
from wasteopt.replan.stitch import stop_here, whole_route
from wasteopt.soc import soc_walk


def position_stop(
    state: VehicleState, matrices: TravelMatrices, earlier: list[tuple[int, TravelMatrices]]
) -> Stop:
    """The ``position`` stop of a truck reported on the road (``state.reported``): the leg
    from its last stop done, on the matrices of the leg's departure (``earlier``: as for
    ``check_plan``). InstanceError when the roads do not take it there by then."""
    moves = [s for s in state.done if s.action != "break"]
    last = moves[-1]
    breaks_s = sum(
        clock_to_seconds(s.depart) - clock_to_seconds(s.arrive)
        for s in state.done[state.done.index(last) + 1 :]
    )
    leaves = clock_to_seconds(last.depart)
    roads = next((m for until, m in earlier if leaves < until), matrices)
    index = roads.index()
    i, j = index[last.site_id], index[state.site_id]
    earliest = leaves + int(roads.duration_s[i, j]) + breaks_s
    if earliest > state.ready_s + TIME_TOL_S:
        raise InstanceError(
            [
                (
                    f"actual.positions.{state.vehicle_id}",
                    f"{state.vehicle_id} left {last.site_id} at {last.depart} and by the roads"
                    f" reaches its position ({roads.distance_m[i, j] / 1000:.1f} km) at"
                    f" {seconds_to_clock(earliest)} at the earliest, after"
                    f" {seconds_to_clock(state.ready_s)}; check the position and its stops done",
                )
            ]
        )
    stop = stop_here(state, "position", float(roads.distance_m[i, j]), load_after_t=state.load_t)
    if state.vehicle_type.battery is None:
        return stop
    route = whole_route(state, [*state.done, stop])
    assert route is not None
    return stop.model_copy(update={"soc_kwh": round(soc_walk(route, state.vehicle_type)[-1], 3)})


def with_positions(
    day: Day, matrices: TravelMatrices, earlier: list[tuple[int, TravelMatrices]]
) -> Day:
    """``day`` with each reported truck's position stop after its done stops."""
    vehicles = {
        vehicle_id: replace(state, done=[*state.done, position_stop(state, matrices, earlier)])
        if state.reported
        else state
        for vehicle_id, state in day.state.vehicles.items()
    }
    return replace(day, state=replace(day.state, vehicles=vehicles))
