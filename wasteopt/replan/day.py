"""The day as it stands: the instance with the events applied, and the state of every truck.

Every event is checked against the plan and the state; each bad one is a problem naming the
event (``events[2].vehicle``) and what is wrong, all of them in one InstanceError.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pydantic import ValidationError

from wasteopt.errors import InstanceError
from wasteopt.io import validation_problems
from wasteopt.model import (
    CollectionPoint,
    Facility,
    Instance,
    Plan,
    TimeWindow,
    Yard,
    clock_to_seconds,
    seconds_to_clock,
)
from wasteopt.replan.events import (
    ROAD_EVENTS,
    Breakdown,
    Event,
    FacilityClosed,
    GateDelayed,
    PointAdded,
    PointCancelled,
    TonnesChanged,
    TruckAdded,
    TruckWithdrawn,
)
from wasteopt.replan.state import Actuals, DayState, day_state, position_site_id
from wasteopt.validate import far_place

# Minutes for another truck's crew to take over a broken-down truck's load (assumption: a
# manual transfer with the recovering truck's bin lifter, about twice a busy point's service).
RECOVERY_SERVICE_MIN = 30.0


@dataclass(frozen=True)
class Day:
    """The day's instance after the events (added trucks and points, recovery points for
    broken-down trucks' loads, gate hours) and the state of every truck at the re-plan time."""

    instance: Instance
    state: DayState
    events: list[Event]
    actuals: Actuals | None = None

    @property
    def road_events(self) -> list[Event]:
        return [event for event in self.events if isinstance(event, ROAD_EVENTS)]


def day_bounds(instance: Instance) -> tuple[int, int]:
    """The working day: from the earliest shift start to the latest shift end (seconds)."""
    return (
        min(vt.shift.start_s for vt in instance.vehicle_types),
        max(vt.shift.end_s for vt in instance.vehicle_types),
    )


class _Problems(list):
    def add(self, where: str, message: str) -> None:
        self.append((where, message))


def _event_time(event: Event, at_s: int, bounds: tuple[int, int], k: int, out: _Problems) -> int:
    time = getattr(event, "time", None)
    if time is None:
        return at_s
    seconds = clock_to_seconds(time)
    if not bounds[0] <= seconds <= bounds[1]:
        out.add(
            f"events[{k}].time",
            f"{time} is outside the day {seconds_to_clock(bounds[0])}–"
            f"{seconds_to_clock(bounds[1])} (the trucks' shifts)",
        )
    elif seconds > at_s:
        out.add(
            f"events[{k}].time",
            f"{time} is after the re-plan time {seconds_to_clock(at_s)}; report what has happened",
        )
    return seconds


def _vehicle_known(vehicle: str, known: set[str], k: int, out: _Problems) -> bool:
    if vehicle in known:
        return True
    sample = ", ".join(sorted(known)[:6])
    out.add(f"events[{k}].vehicle", f"unknown truck {vehicle!r}; trucks are named like {sample}")
    return False


def build_day(
    instance: Instance,
    plan: Plan,
    at_s: int,
    events: list[Event],
    actuals: Actuals | None = None,
) -> Day:
    """Apply ``events`` to ``instance`` and derive the state at ``at_s`` from ``plan``.

    Raises InstanceError listing every bad event (unknown truck, point or facility, a time
    outside the day or after ``at_s``, a change to a point already collected...).
    """
    out = _Problems()
    bounds = day_bounds(instance)
    if not bounds[0] <= at_s <= bounds[1]:
        raise InstanceError(
            [
                (
                    "at",
                    f"{seconds_to_clock(at_s)} is outside the day {seconds_to_clock(bounds[0])}–"
                    f"{seconds_to_clock(bounds[1])} (the trucks' shifts)",
                )
            ]
        )
    if plan.replans and at_s < clock_to_seconds(plan.replans[-1].at):
        raise InstanceError(
            [
                (
                    "at",
                    f"{seconds_to_clock(at_s)} is before {plan.replans[-1].at}, when this plan"
                    " was re-planned; its stops up to then are done",
                )
            ]
        )
    if plan.instance_name != instance.name:
        raise InstanceError(
            [("plan", f"is for instance {plan.instance_name!r}, not {instance.name!r}")]
        )
    known = {vid for vt in instance.vehicle_types for vid in vt.vehicle_ids()}
    # trucks an earlier re-plan of this plan took out of service; one that broke down on the
    # road ends its route there, one that broke down at its yard has none
    down = {
        route.vehicle_id: route.stops[-1].arrive
        for route in plan.routes
        if route.stops and route.stops[-1].action == "breakdown"
    }
    broken: dict[str, int] = {}
    for step in plan.replans:
        for vehicle_id in step.broken_down:
            if vehicle_id not in down:
                down[vehicle_id] = step.at
                broken[vehicle_id] = clock_to_seconds(step.at)
    out_before = {vid: step.at for step in plan.replans for vid in step.withdrawn}
    withdrawn: set[str] = set()
    counts = {vt.id: vt.count for vt in instance.vehicle_types}
    ready: dict[str, int] = {}
    for k, event in enumerate(events):
        time_s = _event_time(event, at_s, bounds, k, out)
        if isinstance(event, Breakdown | TruckWithdrawn):
            if not _vehicle_known(event.vehicle, known, k, out):
                continue
            if event.vehicle in down:
                out.add(
                    f"events[{k}].vehicle",
                    f"{event.vehicle} already broke down at {down[event.vehicle]}",
                )
            elif event.vehicle in broken or event.vehicle in withdrawn:
                out.add(f"events[{k}].vehicle", f"{event.vehicle} already has an event")
            elif isinstance(event, Breakdown):  # a withdrawn truck may break down on its way
                broken[event.vehicle] = time_s
            elif event.vehicle in out_before:
                out.add(
                    f"events[{k}].vehicle",
                    f"{event.vehicle} was already withdrawn at {out_before[event.vehicle]}",
                )
            else:
                withdrawn.add(event.vehicle)
        elif isinstance(event, TruckAdded):
            if event.vehicle_type not in counts:
                out.add(
                    f"events[{k}].vehicle_type",
                    f"unknown vehicle type {event.vehicle_type!r};"
                    f" types: {', '.join(sorted(counts))}",
                )
                continue
            first = counts[event.vehicle_type] + 1
            counts[event.vehicle_type] += event.count
            when = clock_to_seconds(event.ready) if event.ready else at_s
            for n in range(first, counts[event.vehicle_type] + 1):
                ready[f"{event.vehicle_type}-{n}"] = max(at_s, when)
    for vehicle_id in actuals.vehicles if actuals else {}:
        if vehicle_id not in known:
            out.add(f"actual.vehicles.{vehicle_id}", "unknown truck")
    positions = _position_sites(instance, actuals, known, at_s, out)
    if out:
        raise InstanceError(out)
    grown = instance.model_copy(
        update={
            "vehicle_types": [
                vt.model_copy(update={"count": counts[vt.id]}) for vt in instance.vehicle_types
            ],
            "yards": [*instance.yards, *positions],
        }
    )
    withdrawn |= out_before.keys() - broken.keys()
    state = day_state(grown, plan, at_s, actuals, broken, frozenset(withdrawn), ready)
    for vehicle_id, stops in (actuals.vehicles if actuals else {}).items():
        late = [s for s in stops if clock_to_seconds(s.arrive) > at_s]
        if late:
            out.add(
                f"actual.vehicles.{vehicle_id}",
                f"reports arriving at {late[0].site} at {late[0].arrive}, after the re-plan time",
            )
    points = {p.id: p for p in instance.points}
    facilities = {f.id: f for f in instance.facilities}
    changes = _point_changes(events, state, points, {s.id for s in instance.sites}, out)
    gates = _facility_changes(events, state, facilities, at_s, out)
    if out:
        raise InstanceError(out)
    cancelled, tonnes, added = changes
    kept = [
        p.model_copy(update={"tonnes_per_day": tonnes[p.id]}) if p.id in tonnes else p
        for p in instance.points
        if p.id not in cancelled
    ]
    day = grown.model_copy(
        update={
            "facilities": [gates.get(f.id, f) for f in instance.facilities],
            "points": [*kept, *added, *_recovery_points(grown, state)],
        }
    )
    try:
        day = Instance.model_validate(day.model_dump(by_alias=True))
    except ValidationError as exc:
        raise InstanceError(validation_problems(exc, "events")) from None
    return Day(day, state, events, actuals)


def _position_sites(
    instance: Instance, actuals: Actuals | None, known: set[str], at_s: int, out: _Problems
) -> list[Yard]:
    """A site for each truck's reported position (a yard of the day's instance, so that the
    roads reach it as they reach every site), or the problems of the reports."""
    sites = []
    site_ids = {site.id for site in instance.sites}
    for vehicle_id, position in (actuals.positions if actuals else {}).items():
        where = f"actual.positions.{vehicle_id}"
        site_id = position_site_id(vehicle_id, at_s)
        far = far_place(instance, position.lon, position.lat)
        if vehicle_id not in known:
            out.add(where, f"unknown truck {vehicle_id!r}")
        elif position.time is not None and clock_to_seconds(position.time) != at_s:
            out.add(
                f"{where}.time",
                f"{position.time} is not the re-plan time {seconds_to_clock(at_s)}; report where"
                " the truck is at that time",
            )
        elif far is not None:
            out.add(where, far)
        elif site_id in site_ids:
            out.add(where, f"{site_id!r} is already a site: the truck was reported at this time")
        else:
            sites.append(
                Yard(
                    id=site_id,
                    name=f"{vehicle_id} reported at {seconds_to_clock(at_s)}",
                    lon=position.lon,
                    lat=position.lat,
                )
            )
    return sites


def _point_changes(
    events: list[Event],
    state: DayState,
    points: dict[str, CollectionPoint],
    site_ids: set[str],
    out: _Problems,
) -> tuple[set[str], dict[str, float], list[CollectionPoint]]:
    cancelled: set[str] = set()
    tonnes: dict[str, float] = {}
    added: list[CollectionPoint] = []
    for k, event in enumerate(events):
        if isinstance(event, PointCancelled | TonnesChanged):
            if event.point not in points:
                out.add(f"events[{k}].point", f"unknown point {event.point!r}")
            elif event.point in state.collected:
                vehicle, when = state.collected[event.point]
                out.add(
                    f"events[{k}].point",
                    f"point {event.point} was already collected by {vehicle} at {when}",
                )
            elif isinstance(event, PointCancelled):
                cancelled.add(event.point)
            else:
                tonnes[event.point] = event.tonnes
        elif isinstance(event, PointAdded):
            if event.point.id in site_ids or any(p.id == event.point.id for p in added):
                out.add(f"events[{k}].point.id", f"{event.point.id!r} is already a site id")
            else:
                added.append(event.point)
    return cancelled, tonnes, added


def _facility_changes(
    events: list[Event],
    state: DayState,
    facilities: dict[str, Facility],
    at_s: int,
    out: _Problems,
) -> dict[str, Facility]:
    visits: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for vehicle in state.vehicles.values():
        for stop in vehicle.done:
            if stop.site_id in facilities and stop.action in ("unload", "pickup"):
                visits[stop.site_id].append(
                    (clock_to_seconds(stop.arrive), clock_to_seconds(stop.depart))
                )
    changed: dict[str, Facility] = {}
    for k, event in enumerate(events):
        if not isinstance(event, FacilityClosed | GateDelayed):
            continue
        facility = changed.get(event.facility) or facilities.get(event.facility)
        if facility is None:
            out.add(f"events[{k}].facility", f"unknown facility {event.facility!r}")
            continue
        gate = facility.gate
        if isinstance(event, FacilityClosed):
            since = clock_to_seconds(event.from_) if event.from_ else at_s
            # a truck already unloading when the gate closes finishes its unload
            since = max([since, *(depart for _, depart in visits[facility.id])])
            if since <= gate.start_s:
                changed[facility.id] = facility.model_copy(update={"status": "closed"})
            elif since < gate.end_s:
                window = TimeWindow(start=gate.start, end=seconds_to_clock(since))
                changed[facility.id] = facility.model_copy(update={"gate": window})
        else:
            opens = clock_to_seconds(event.opens)
            early = [arrive for arrive, _ in visits[facility.id] if arrive < opens]
            if early:
                out.add(
                    f"events[{k}].opens",
                    f"{facility.id} already took in a truck at {seconds_to_clock(min(early))},"
                    f" before {event.opens}",
                )
            elif opens >= gate.end_s:
                out.add(f"events[{k}].opens", f"is not before the gate closes at {gate.end}")
            else:
                window = TimeWindow(start=event.opens, end=gate.end)
                changed[facility.id] = facility.model_copy(update={"gate": window})
    return changed


def _recovery_points(instance: Instance, state: DayState) -> list[CollectionPoint]:
    """A point for each broken-down truck's load, where it stands, from its breakdown on."""
    sites = {site.id: site for site in instance.sites}
    points = []
    for vehicle in state.vehicles.values():
        if vehicle.status != "broken" or vehicle.load_t <= 0 or not vehicle.done:
            continue
        site = sites[vehicle.site_id]
        points.append(
            CollectionPoint(
                id=recovery_point_id(vehicle.vehicle_id),
                name=f"load of broken-down {vehicle.vehicle_id}",
                lon=site.lon,
                lat=site.lat,
                stream=vehicle.stream,
                tonnes_per_day=vehicle.load_t,
                service_min=RECOVERY_SERVICE_MIN,
                window=TimeWindow(start=seconds_to_clock(vehicle.ready_s), end="24:00"),
                left_by=vehicle.vehicle_id,
            )
        )
    return points


def recovery_point_id(vehicle_id: str) -> str:
    """The id of the point that stands for a broken-down truck's load."""
    return f"{vehicle_id}@breakdown"
