"""One routing tier as plain data: jobs, vehicles, unload facilities, in solver units.

Nothing here knows a solver: :mod:`wasteopt.routing.or_model` turns a :class:`TierProblem` into
an OR-Tools routing model, :mod:`wasteopt.routing.compiled` into PyVRP data. Quantities are
integers: kilograms, seconds, metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from wasteopt.model import Facility, Tier, VehicleType, Yard

JobAction = Literal["collect", "pickup"]
MILLI = 1000  # objective units per CNY
DAY_S = 86400
# A time-of-use tariff in solver units: (start s, end s, milli-CNY per kWh) per period, the
# periods covering 0..86400 once
Tariff = tuple[tuple[int, int, int], ...]


def fixed_cost_milli(vt: VehicleType) -> int:
    """A vehicle type's fixed cost per day in objective units."""
    return int(round(vt.fixed_cost_per_day * MILLI))


def duty_cost_milli_per_s(vt: VehicleType) -> int:
    """A vehicle type's cost of a second on duty in objective units (its span coefficient)."""
    return int(round(vt.cost_per_hour * MILLI / 3600))


def kg_up(tonnes: float) -> int:
    """Tonnes to whole kilograms, rounded up (a job never looks lighter than it is)."""
    return int(math.ceil(tonnes * 1000 - 1e-6))


def kg_down(tonnes: float) -> int:
    """Tonnes to whole kilograms, rounded down (a limit never looks larger than it is)."""
    return int(math.floor(tonnes * 1000 + 1e-6))


@dataclass(frozen=True)
class Job:
    """Something a vehicle must load: a collection point or a container at a transfer station."""

    id: str
    site_id: str
    stream: str
    tonnes: float
    service_s: int
    window: tuple[int, int] | None
    action: JobAction = "collect"

    @property
    def kg(self) -> int:
        return kg_up(self.tonnes)


@dataclass(frozen=True)
class Vehicle:
    """One physical vehicle committed to one stream for the day."""

    vehicle_id: str
    vehicle_type: VehicleType
    stream: str

    @property
    def payload_kg(self) -> int:
        return kg_down(self.vehicle_type.payload_t)


@dataclass(frozen=True)
class TierProblem:
    """Everything one solve needs; ``free_capacity_kg`` is each facility's remaining intake."""

    tier: Tier
    jobs: list[Job]
    vehicle_types: list[VehicleType]
    facilities: list[Facility]
    free_capacity_kg: dict[str, int]
    yards: dict[str, Yard]
    unserved_penalty_per_t: float
    only_vehicle_ids: frozenset[str] | None = None  # a region's trucks (None: the whole fleet)
    # re-planning: the vehicle id that had each job in the plan being revised, and the price
    # (CNY) of serving such a job with another vehicle (0: no preference)
    keep_with: dict[str, str] = field(default_factory=dict)
    move_penalty: float = 0.0
    tariff: Tariff = ()  # charging's time-of-use tariff (empty: none)
    # collection: the share of a route's kilometres driven out and back above which it strays
    # where a nearer yard's truck idles (None: no such rule; wasteopt.routing.strays), and the
    # (job, yard) pairs the search has barred for that
    stray_share: float | None = None
    barred: frozenset[tuple[str, str]] = frozenset()
    vehicles: list[Vehicle] = field(init=False)

    def __post_init__(self) -> None:
        streams_with_jobs = {job.stream for job in self.jobs}
        vehicles = [
            Vehicle(vehicle_id, vt, stream)
            for vt in self.vehicle_types
            for vehicle_id in vt.vehicle_ids()
            if self.only_vehicle_ids is None or vehicle_id in self.only_vehicle_ids
            for stream in vt.streams
            if stream in streams_with_jobs
        ]
        object.__setattr__(self, "vehicles", vehicles)

    def facilities_for(self, stream: str) -> list[Facility]:
        return [
            f
            for f in self.facilities
            if stream in f.streams and self.free_capacity_kg.get(f.id, 0) > 0
        ]

    def copies_needed(self, facility: Facility) -> int:
        """How many unload visits of ``facility`` the model offers.

        Enough for every compatible tonne to arrive in full loads of the smallest compatible
        truck, plus one final unload per compatible vehicle, and never more than the facility's
        free capacity can absorb in such loads (plus the final unloads).
        """
        streams = set(facility.streams)
        vehicles = [v for v in self.vehicles if v.stream in streams]
        if not vehicles:
            return 0
        physical = len({v.vehicle_id for v in vehicles})
        smallest = min(v.payload_kg for v in vehicles)
        demand = sum(job.kg for job in self.jobs if job.stream in streams)
        free = self.free_capacity_kg.get(facility.id, 0)
        return min(math.ceil(demand / smallest), math.ceil(free / smallest)) + physical


def premium_periods(tariff: Tariff, until_s: int) -> list[tuple[int, int, int]]:
    """``tariff``'s periods from 0 to ``until_s`` (the day repeated) as (start s, end s,
    milli-CNY per kWh above the tariff's cheapest price), neighbours of equal price merged;
    empty without a tariff or when every period costs the same (nothing then to prefer)."""
    if not tariff or len({price for _, _, price in tariff}) < 2:
        return []
    valley = min(price for _, _, price in tariff)
    merged: list[tuple[int, int, int]] = []
    for day in range(math.ceil(until_s / DAY_S)):
        for start, end, price in sorted(tariff):
            start, end = start + day * DAY_S, end + day * DAY_S
            if merged and merged[-1][2] == price - valley:
                merged[-1] = (merged[-1][0], end, price - valley)
            else:
                merged.append((start, end, price - valley))
    return merged
