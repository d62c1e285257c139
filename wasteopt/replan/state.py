"""The state of the day at a clock time: where each truck is, what it carries, what is done.

A stop is done when the truck arrived there by the re-plan time (a stop under way is finished
as planned). A truck that left its last stop and is on the road is committed to its next stop:
that stop is done too, and the truck is free there when it leaves it. A truck that breaks down
stands at the last stop it reached; a stop under way at the breakdown is not done. Reported
actuals replace the plan's times: a vehicle's reported stops are exactly its done stops (its
plan's first stops, in order), and the truck is free at the last of them from the re-plan time
on.

A truck reported on the road (a position at the re-plan time, lon/lat and optionally its load)
has done the stops it arrived at by then and left the last of them; it is free at its position
(a site of the day's instance, :func:`position_site_id`), where its route gets a ``position``
stop (see :mod:`wasteopt.replan.position`). A broken-down truck reported so stands there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wasteopt.errors import InstanceError
from wasteopt.io import validation_problems
from wasteopt.model import (
    ClockTime,
    Instance,
    Plan,
    PlanClock,
    Route,
    Stop,
    VehicleType,
    clock_to_seconds,
)
from wasteopt.replan.events import read_json_file

Status = Literal["idle", "working", "finished", "broken", "withdrawn"]


class ActualStop(BaseModel):
    """A stop as it happened: the plan's site at that position, with its real times."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site: str
    arrive: PlanClock
    depart: PlanClock | None = Field(default=None, description="default: the planned stay later")


class ReportedPosition(BaseModel):
    """Where a truck on the road is at the re-plan time, and what it carries if weighed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    time: ClockTime | None = Field(default=None, description="default: the re-plan time")
    load_t: float | None = Field(
        default=None, ge=0, description="default: what its done stops leave on board"
    )


class Actuals(BaseModel):
    """Reported progress: for each vehicle id, the stops it has done, in order, and where a
    truck on the road between two stops is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vehicles: dict[str, list[ActualStop]] = Field(default_factory=dict)
    positions: dict[str, ReportedPosition] = Field(default_factory=dict)


def position_site_id(vehicle_id: str, at_s: int) -> str:
    """The id of the site that stands for a truck's position reported at ``at_s``."""
    return f"{vehicle_id}@{_clock(at_s)}"


def load_actuals(path: str) -> Actuals:
    """Read and validate an actuals JSON file."""
    try:
        return Actuals.model_validate(read_json_file(path, "actuals"))
    except ValidationError as exc:
        raise InstanceError(validation_problems(exc, "actual")) from None


@dataclass(frozen=True)
class VehicleState:
    """One truck at the re-plan time.

    ``done`` are its frozen stops; it is at ``site_id`` with ``load_t`` on board and free from
    ``ready_s`` (seconds after midnight). An idle truck has not left its yard. ``reported``:
    ``site_id`` is its reported position, which ``done`` ends at once the roads are known.
    """

    vehicle_id: str
    vehicle_type: VehicleType
    morning: Route | None
    done: list[Stop]
    site_id: str
    ready_s: int
    load_t: float
    break_taken: bool
    status: Status
    stream: str | None
    reported: bool = False

    @property
    def started(self) -> bool:
        return bool(self.done)

    @property
    def planned_done(self) -> int:
        """How many of its planned route's stops are done (its position is none of them)."""
        return len(self.done) - (self.reported and self.done[-1].action == "position")


@dataclass(frozen=True)
class DayState:
    """Every truck's state and what each facility took in (and each station gave) so far."""

    at_s: int
    vehicles: dict[str, VehicleState]
    intake_t: dict[str, float] = field(default_factory=dict)
    picked_t: dict[tuple[str, str], float] = field(default_factory=dict)
    collected: dict[str, tuple[str, str]] = field(default_factory=dict)  # point: (vehicle, time)


def _with_actuals(route: Route, actual: list[ActualStop], where: str) -> list[Stop]:
    """The route's first stops with their reported times."""
    if len(actual) > len(route.stops):
        raise InstanceError(
            [(where, f"reports {len(actual)} stops, the plan has {len(route.stops)}")]
        )
    done = []
    for k, (reported, planned) in enumerate(zip(actual, route.stops, strict=False)):
        if reported.site != planned.site_id:
            raise InstanceError(
                [
                    (
                        f"{where}[{k}].site",
                        f"is {reported.site!r}, the plan's stop is {planned.site_id!r}",
                    )
                ]
            )
        stay = clock_to_seconds(planned.depart) - clock_to_seconds(planned.arrive)
        depart = reported.depart or _clock(clock_to_seconds(reported.arrive) + stay)
        if clock_to_seconds(depart) < clock_to_seconds(reported.arrive) or (
            done and clock_to_seconds(reported.arrive) < clock_to_seconds(done[-1].depart)
        ):
            raise InstanceError([(f"{where}[{k}]", "times go backwards")])
        done.append(planned.model_copy(update={"arrive": reported.arrive, "depart": depart}))
    return done


def _clock(seconds: int) -> str:
    minutes = seconds // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _planned_done(route: Route, cutoff_s: int, commit_next: bool) -> list[Stop]:
    """Stops reached by ``cutoff_s``; with ``commit_next``, also the next stop of a truck on
    its way there (not a break, which waits at the last stop)."""
    stops = route.stops
    count = 0
    while count < len(stops) and clock_to_seconds(stops[count].arrive) <= cutoff_s:
        count += 1
    if (
        commit_next
        and 0 < count < len(stops)
        and clock_to_seconds(stops[count - 1].depart) <= cutoff_s
        and stops[count].action != "break"
    ):
        count += 1
    return list(stops[:count])


def vehicle_state(
    vehicle_id: str,
    vt: VehicleType,
    route: Route | None,
    at_s: int,
    actual: list[ActualStop] | None = None,
    broken_s: int | None = None,
    withdrawn: bool = False,
    ready_s: int | None = None,
    position: ReportedPosition | None = None,
) -> VehicleState:
    """A truck's state at ``at_s`` (see the module docstring); ``broken_s`` when it broke down,
    ``position`` when it is reported on the road."""
    cutoff = at_s if broken_s is None else broken_s
    if route is None:
        done: list[Stop] = []
    elif actual is not None:
        done = _with_actuals(route, actual, f"actual.vehicles.{vehicle_id}")
    else:
        done = _planned_done(route, cutoff, commit_next=broken_s is None and position is None)
    if position is not None:
        return _on_the_road(
            vehicle_id, vt, route, done, at_s, cutoff, position, broken_s, withdrawn
        )
    site_id = done[-1].site_id if done else vt.yard
    under_way = done and done[-1].action != "end" and clock_to_seconds(done[-1].depart) > cutoff
    if broken_s is not None and under_way:  # it broke down during this stop
        site_id = done.pop().site_id
    if not done:
        start = max(at_s, vt.shift.start_s, ready_s or 0)
        status: Status = "broken" if broken_s is not None else "idle"
        if withdrawn:
            status = "withdrawn"
        return VehicleState(vehicle_id, vt, route, [], vt.yard, start, 0.0, False, status, None)
    last = done[-1]
    if last.action == "end":
        status = "finished"
    elif broken_s is not None or last.action == "breakdown":  # now or in an earlier re-plan
        status = "broken"
    elif withdrawn:
        status = "withdrawn"
    else:
        status = "working"
    return VehicleState(
        vehicle_id=vehicle_id,
        vehicle_type=vt,
        morning=route,
        done=done,
        site_id=site_id,
        ready_s=max(cutoff, clock_to_seconds(last.depart)),
        load_t=last.load_after_t,
        break_taken=any(s.action == "break" for s in done),
        status=status,
        stream=route.stream if route is not None else None,
    )


def _on_the_road(
    vehicle_id: str,
    vt: VehicleType,
    route: Route | None,
    done: list[Stop],
    at_s: int,
    cutoff: int,
    position: ReportedPosition,
    broken_s: int | None,
    withdrawn: bool,
) -> VehicleState:
    """A truck reported at ``position``: free there from ``cutoff`` (the re-plan time, or its
    breakdown) once it left its last stop done. InstanceError when it was not on the road."""
    where = f"actual.positions.{vehicle_id}"
    last = done[-1] if done else None
    problem = None
    if last is None:
        problem = f"has done no stop by {_clock(cutoff)}: it is at its yard {vt.yard}"
    elif last.action in ("end", "breakdown"):
        problem = f"ended its route ({last.action}) at {last.site_id} at {last.arrive}"
    elif clock_to_seconds(last.depart) > cutoff:
        problem = (
            f"is at {last.site_id} until {last.depart}, not on the road at {_clock(cutoff)};"
            f" report the stops it has done with their times (actual.vehicles.{vehicle_id})"
        )
    if problem is not None:
        raise InstanceError([(where, f"{vehicle_id} {problem}")])
    assert last is not None and route is not None
    load = last.load_after_t if position.load_t is None else position.load_t
    if load > vt.payload_t:
        raise InstanceError(
            [(f"{where}.load_t", f"{load:g} t is more than {vt.id}'s payload {vt.payload_t:g} t")]
        )
    status: Status = "broken" if broken_s is not None else "working"
    if broken_s is None and withdrawn:
        status = "withdrawn"
    return VehicleState(
        vehicle_id=vehicle_id,
        vehicle_type=vt,
        morning=route,
        done=done,
        site_id=position_site_id(vehicle_id, at_s),
        ready_s=cutoff,
        load_t=load,
        break_taken=any(s.action == "break" for s in done),
        status=status,
        stream=route.stream,
        reported=True,
    )


def day_state(
    instance: Instance,
    plan: Plan,
    at_s: int,
    actuals: Actuals | None = None,
    broken: dict[str, int] | None = None,
    withdrawn: frozenset[str] = frozenset(),
    ready: dict[str, int] | None = None,
) -> DayState:
    """Every truck's state at ``at_s`` and what the facilities took in so far.

    ``broken`` maps a vehicle id to its breakdown time, ``ready`` an added truck's id to the
    time it is ready. Vehicles are those of ``instance`` (with any added trucks in it).
    """
    routes = {route.vehicle_id: route for route in plan.routes}
    reported = actuals.vehicles if actuals is not None else {}
    vehicles = {}
    for vt in instance.vehicle_types:
        for vehicle_id in vt.vehicle_ids():
            vehicles[vehicle_id] = vehicle_state(
                vehicle_id,
                vt,
                routes.get(vehicle_id),
                at_s,
                reported.get(vehicle_id),
                (broken or {}).get(vehicle_id),
                vehicle_id in withdrawn,
                (ready or {}).get(vehicle_id),
                actuals.positions.get(vehicle_id) if actuals is not None else None,
            )
    intake: dict[str, float] = defaultdict(float)
    picked: dict[tuple[str, str], float] = defaultdict(float)
    collected: dict[str, tuple[str, str]] = {}
    for state in vehicles.values():
        for stop in state.done:
            if stop.action == "unload":
                intake[stop.site_id] += stop.tonnes
            elif stop.action == "pickup":
                picked[(stop.site_id, state.stream or "")] += stop.tonnes
            elif stop.action == "collect":
                collected[stop.site_id] = (state.vehicle_id, stop.arrive)
    return DayState(at_s, vehicles, dict(intake), dict(picked), collected)
