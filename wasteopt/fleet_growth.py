"""How many more trucks or chargers a fleet needs to serve every point: plan, grow, plan again.

A scenario with ``grow`` set (:class:`FleetGrowth`) is planned; while points are left unserved
and rounds remain, each stream with unserved points gets one change, chosen from the reasons the
plan gives (:mod:`wasteopt.planning`):

- points left for want of charge: a charger (``FleetGrowth.charger``) at the open facility of
  the stream nearest the unserved points, or one plug more where that facility has one and the
  plan used every plug at once; where neither applies, trucks;
- otherwise: trucks, each point's tonnes counted to the stream's type based nearest it (a
  battery type first, the fleet's direction), per type enough for its tonnes in
  :data:`TRIPS_PER_ADDED_TRUCK` full trips each, and their yard a plug per battery truck
  (:func:`wasteopt.charging.with_yard_plugs`); but none while a truck that stood idle in the
  plan could have served one of them on a trip of its own (:func:`_could_serve`: its stream,
  shift, the point's window, a facility's gate and its battery): then the search, not the
  fleet, left the points (more time may serve them), and the stream is named in
  :attr:`Growth.idle_streams`. An idle truck that could not (a night-shift truck for a point
  open by day, or one whose battery does not reach it) does not hold the growth back.

Nearest is by straight line between coordinates (*assumption*: the road network's order of
sites is close enough for choosing where to add). The search stops when every point is served
after ``max_rounds`` changes, or when a round has nothing to add, and reports what it added and
what is still unserved: the least it found, not a proven minimum.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from wasteopt.charging import with_yard_plugs
from wasteopt.matrix import great_circle_m
from wasteopt.model import (
    Charger,
    ChargingFigures,
    CollectionPoint,
    Facility,
    Instance,
    Plan,
    Site,
    TravelMatrices,
    Unserved,
    VehicleType,
)
from wasteopt.planning import DayResult, trip_kwh

# Full trips an added truck is counted on for the tonnes left (assumption: a collection truck
# makes two or more trips a day in the Daoxian plans; two keeps the estimate on the safe side)
TRIPS_PER_ADDED_TRUCK = 2
CHARGE_REASONS = ("out of charge", "cut from a battery truck")


class FleetGrowth(BaseModel):
    """Grow the fleet until every point is served: at most ``max_rounds`` rounds of changes,
    new chargers as ``charger``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_rounds: int = Field(default=3, ge=1, le=20)
    charger: Charger = Field(
        default=Charger(power_kw=120.0, count=2),
        description="a charger built where one is missing (assumption: the 120 kW DC rating"
        " of the Daoxian station chargers, two plugs)",
    )


@dataclass(frozen=True)
class GrowthRound:
    """One plan of the search: what it left unserved."""

    unserved_points: int
    unserved_t: float


@dataclass(frozen=True)
class Growth:
    """What the search added to the scenario's fleet and chargers, and each round's plan."""

    trucks_added: dict[str, int]  # vehicle type id -> trucks
    plugs_added: dict[str, int]  # yard or facility id -> plugs
    rounds: list[GrowthRound]
    idle_streams: list[str]  # streams left unserved beside idle trucks in the last plan

    @property
    def served(self) -> bool:
        return self.rounds[-1].unserved_points == 0


def grow(
    instance: Instance, plan: Callable[[Instance], DayResult], growth: FleetGrowth
) -> tuple[Instance, DayResult, Growth]:
    """The grown instance, its plan (the last ``plan`` made) and what the search added."""
    current = instance
    rounds: list[GrowthRound] = []
    while True:
        day = plan(current)
        left = day.plan.unserved
        rounds.append(GrowthRound(len(left), round(sum(u.tonnes for u in left), 3)))
        idle = _idle_streams(current, day.plan, day.matrices)
        if not left or len(rounds) > growth.max_rounds:
            break
        bigger = grown(current, left, day.impact.charging, growth, idle)
        if bigger == current:
            break
        current = bigger
    added = Growth(_trucks_added(instance, current), _plugs_added(instance, current), rounds, idle)
    return current, day, added


def _idle_streams(instance: Instance, plan: Plan, matrices: TravelMatrices) -> list[str]:
    """Streams with an unserved point that a collection truck left unused in ``plan`` could
    have served on a trip of its own (:func:`_could_serve`)."""
    points = {p.id: p for p in instance.points}
    used = Counter(r.vehicle_type for r in plan.routes)
    idle = [
        vt for vt in instance.vehicle_types if vt.tier == "collection" and used[vt.id] < vt.count
    ]
    facilities = instance.open_facilities()
    index = matrices.index()
    return sorted(
        {
            point.stream
            for point in (points[u.point_id] for u in plan.unserved)
            if any(_could_serve(vt, point, facilities, matrices, index) for vt in idle)
        }
    )


def _could_serve(
    vt: VehicleType,
    point: CollectionPoint,
    facilities: list[Facility],
    matrices: TravelMatrices,
    index: dict[str, int],
) -> bool:
    """Whether a truck of ``vt`` could collect ``point`` on a trip of its own: out from its
    yard at the shift's start, served within the point's window, unloaded at a facility of
    the stream within its gate hours, home within the shift less any break, and, for a
    battery truck, the trip's energy (:func:`~wasteopt.planning.trip_kwh`) within its charge
    above the reserve (``index``: each site's row in ``matrices``)."""
    if point.stream not in vt.streams:
        return False
    yard, at = index[vt.yard], index[point.id]
    seconds = matrices.duration_s
    rest = vt.break_.duration_min * 60 if vt.break_ is not None else 0.0
    window = point.window
    arrive = vt.shift.start_s + seconds[yard, at]
    if window is not None:
        if arrive > window.end_s:
            return False
        arrive = max(arrive, window.start_s)
    leave = arrive + point.service_min * 60
    for facility in facilities:
        if point.stream not in facility.streams:
            continue
        f = index[facility.id]
        unload = max(leave + seconds[at, f], facility.gate.start_s)
        if unload + facility.unload_min * 60 > facility.gate.end_s:
            continue
        home = unload + facility.unload_min * 60 + seconds[f, yard]
        if home + rest > vt.shift.end_s:
            continue
        if vt.battery is None:
            return True
        kwh = trip_kwh(vt, matrices, index, point.id, point.tonnes_per_day, facility.id)
        if kwh <= vt.battery.usable_kwh - vt.battery.reserve_kwh:
            return True
    return False


def grown(
    instance: Instance,
    unserved: list[Unserved],
    charging: ChargingFigures | None,
    growth: FleetGrowth,
    idle: list[str],
) -> Instance:
    """``instance`` with one change per stream with ``unserved`` points, no trucks for a stream
    of ``idle`` (module docstring)."""
    points = {p.id: p for p in instance.points}
    by_stream: dict[str, list[Unserved]] = {}
    for u in unserved:
        by_stream.setdefault(points[u.point_id].stream, []).append(u)
    busy = {use.site_id: use.busiest >= use.plugs for use in charging.chargers} if charging else {}
    for stream, left in sorted(by_stream.items()):
        here = [points[u.point_id] for u in left]
        centre = (sum(p.lon for p in here) / len(here), sum(p.lat for p in here) / len(here))
        if any(u.reason.startswith(CHARGE_REASONS) for u in left):
            facilities = [f for f in instance.open_facilities() if stream in f.streams]
            if facilities:
                site = min(facilities, key=lambda f: _distance(f, centre))
                if site.charger is None or busy.get(site.id, False):
                    instance = _with_plug(instance, site.id, growth.charger)
                    continue
        if stream not in idle:
            instance = _with_trucks(
                instance, stream, [(points[u.point_id], u.tonnes) for u in left]
            )
    return with_yard_plugs(instance)


def _distance(site: Site, centre: tuple[float, float]) -> float:
    """Straight-line (great-circle) metres from ``site`` to ``centre``."""
    return float(great_circle_m(site.lon, site.lat, *centre))


def _with_plug(instance: Instance, site_id: str, new: Charger) -> Instance:
    """A charger ``new`` at facility ``site_id``, or one plug more where it has a charger."""
    facilities = []
    for f in instance.facilities:
        if f.id == site_id:
            charger = (
                new
                if f.charger is None
                else f.charger.model_copy(update={"count": f.charger.count + 1})
            )
            f = f.model_copy(update={"charger": charger})
        facilities.append(f)
    return instance.model_copy(update={"facilities": facilities})


def _with_trucks(
    instance: Instance, stream: str, left: list[tuple[CollectionPoint, float]]
) -> Instance:
    """Trucks for the tonnes ``left`` at each point of ``stream``, added to the type of the
    stream based nearest the point (a battery type first), per type enough for its points'
    tonnes in :data:`TRIPS_PER_ADDED_TRUCK` full trips; ``instance`` unchanged when no
    collection type carries the stream. Points left at both ends of a county get trucks at
    both ends, not at a yard between them."""
    yards = {y.id: y for y in instance.yards}
    types = [
        vt for vt in instance.vehicle_types if vt.tier == "collection" and stream in vt.streams
    ]
    if not types:
        return instance
    tonnes: Counter = Counter()
    for point, t in left:
        at = (point.lon, point.lat)
        chosen = min(types, key=lambda vt: (vt.battery is None, _distance(yards[vt.yard], at)))
        tonnes[chosen.id] += t
    payload = {vt.id: vt.payload_t for vt in types}
    more = {
        type_id: max(1, math.ceil(t / (payload[type_id] * TRIPS_PER_ADDED_TRUCK)))
        for type_id, t in tonnes.items()
    }
    fleet = [
        vt.model_copy(update={"count": vt.count + more[vt.id]}) if vt.id in more else vt
        for vt in instance.vehicle_types
    ]
    return instance.model_copy(update={"vehicle_types": fleet})


def _trucks_added(before: Instance, after: Instance) -> dict[str, int]:
    old = {vt.id: vt.count for vt in before.vehicle_types}
    return {vt.id: vt.count - old[vt.id] for vt in after.vehicle_types if vt.count > old[vt.id]}


def _plugs_added(before: Instance, after: Instance) -> dict[str, int]:
    def plugs(instance: Instance) -> dict[str, int]:
        sites = (*instance.yards, *instance.facilities)
        return {s.id: s.charger.count if s.charger else 0 for s in sites}

    old = plugs(before)
    return {site: n - old[site] for site, n in plugs(after).items() if n > old[site]}
