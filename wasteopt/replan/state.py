"""The state of the day at a clock time: where each truck is, what it carries, what is done.

A stop is done when the truck arrived there by the re-plan time (a stop under way is finished
as planned). A truck that left its last stop and is on the road is committed to its next stop:
that stop is done too, and the truck is free there when it leaves it. A truck that breaks down
stands at the last stop it reached; a stop under way at the breakdown is not done. Reported
actuals replace the plan's times: a vehicle's reported stops are exactly its done stops (its
plan's first stops, in order), and the truck is free at the last of them from the re-plan time
on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wasteopt.errors import InstanceError
from wasteopt.io import validation_problems
from wasteopt.model import (
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


class Actuals(BaseModel):
    """Reported progress: for each vehicle id, the stops it has done, in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vehicles: dict[str, list[ActualStop]]


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
    ``ready_s`` (seconds after midnight). An idle truck has not left its yard.
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

    @property
    def started(self) -> bool:
        return bool(self.done)


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
) -> VehicleState:
    """A truck's state at ``at_s`` (see the module docstring); ``broken_s`` when it broke down."""
    cutoff = at_s if broken_s is None else broken_s
    if route is None:
        done: list[Stop] = []
    elif actual is not None:
        done = _with_actuals(route, actual, f"actual.vehicles.{vehicle_id}")
    else:
        done = _planned_done(route, cutoff, commit_next=broken_s is None)
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
