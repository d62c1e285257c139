"""Trips sent from an overfilled facility to others with room: a plan that fits, from one that
does not.

PyVRP sees no daily capacity; the compiled search prices it (:func:`~wasteopt.routing.compiled.
solve_compiled`). Where many trips are alike the price flips them all at once: Daoxian's
transfer tier hauls 70 containers of about 11 t to an incinerator with 500 t of room, 85 CNY/t
cheaper than the landfill, so below that gap every trip goes to the incinerator (750 t) and
above it none does, and the rounds of pricing halve the budget while they look for the price
between. The plan a round ends with is made to fit instead: each trip into an overfilled
facility may unload at another one of its stream with room, at the change in its truck's cost
(the legs into and out of the unload, the time on them and the unload, the handling fees);
the trips that cost the least per kilogram to send elsewhere go first, where the truck's day
still keeps every window and its shift (PyVRP's check of the route).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from wasteopt.model import Facility, VehicleType
from wasteopt.routing.problem import TierProblem, duty_cost_milli_per_s

StartRoute = list[tuple[str, str]]


@dataclass(frozen=True)
class _Option:
    """Vehicle ``v``'s unload at ``position`` sent from ``source`` to ``target``."""

    per_kg: float
    v: int
    position: int
    source: str
    target: str
    kg: int


def redirected(
    problem: TierProblem,
    routes: list[StartRoute],
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
    free_kg: dict[str, int],
    route_fits: Callable[[int, StartRoute], bool],
) -> list[StartRoute]:
    """``routes`` (one per vehicle) with trips into facilities over their ``free_kg`` sent to
    facilities of the trip's stream with room, the cheapest per kilogram first, where
    ``route_fits(v, route)`` holds for the changed route (see the module docstring). What
    cannot be sent elsewhere stays where it was: the caller checks what still overfills."""
    facilities = {f.id: f for f in problem.facilities if free_kg.get(f.id, 0) > 0}
    jobs = {job.id: job for job in problem.jobs}
    intake: dict[str, int] = {}
    for route in routes:
        for _, fid, kg in _trips(route, jobs):
            intake[fid] = intake.get(fid, 0) + kg
    room = {fid: free_kg.get(fid, 0) - intake.get(fid, 0) for fid in facilities}
    if all(left >= 0 for left in room.values()):
        return routes
    options = []
    for v, route in enumerate(routes):
        vehicle = problem.vehicles[v]
        yard = site_index[vehicle.vehicle_type.yard]
        for position, source, kg in _trips(route, jobs):
            if room.get(source, 0) >= 0:
                continue
            before = site_index[_site(route[position - 1], jobs)]
            after = yard
            if position + 1 < len(route):
                after = site_index[_site(route[position + 1], jobs)]
            legs = _Legs(vehicle.vehicle_type, distance_m, duration_s, site_index, before, after)
            here = legs.cost(facilities[source], kg)
            options += [
                _Option((legs.cost(facility, kg) - here) / kg, v, position, source, target, kg)
                for target, facility in facilities.items()
                if target != source and vehicle.stream in facility.streams
            ]
    out = [list(route) for route in routes]
    for option in sorted(options, key=lambda o: (o.per_kg, o.v, o.position, o.target)):
        if room[option.source] >= 0 or room[option.target] < option.kg:
            continue
        if out[option.v][option.position] != ("unload", option.source):
            continue  # this trip has gone elsewhere already
        changed = list(out[option.v])
        changed[option.position] = ("unload", option.target)
        if not route_fits(option.v, changed):
            continue
        out[option.v] = changed
        room[option.source] += option.kg
        room[option.target] -= option.kg
    return out


@dataclass(frozen=True)
class _Legs:
    """A truck's way from ``before`` through an unload to ``after`` (matrix rows)."""

    vehicle_type: VehicleType
    distance_m: np.ndarray
    duration_s: np.ndarray
    site_index: dict[str, int]
    before: int
    after: int

    def cost(self, facility: Facility, kg: int) -> float:
        """Milli-CNY of the way through ``facility`` unloading ``kg``: kilometres, time on
        duty (the legs and the unload) and the handling fee."""
        at, vt = self.site_index[facility.id], self.vehicle_type
        metres = self.distance_m[self.before, at] + self.distance_m[at, self.after]
        seconds = self.duration_s[self.before, at] + self.duration_s[at, self.after]
        seconds += facility.unload_min * 60
        duty = duty_cost_milli_per_s(vt)
        return vt.cost_per_km * metres + duty * seconds + facility.cost_per_t * kg


def _site(visit: tuple[str, str], jobs: dict) -> str:
    """The site of a visit: a job's point or station, or the facility unloaded at."""
    kind, ref = visit
    return jobs[ref].site_id if kind == "job" else ref


def _trips(route: StartRoute, jobs: dict) -> list[tuple[int, str, int]]:
    """(position of the unload, facility, kilograms) of each trip of ``route`` that collects."""
    trips, load = [], 0
    for position, (kind, ref) in enumerate(route):
        if kind == "job":
            load += jobs[ref].kg
        elif kind == "unload":
            if load:
                trips.append((position, ref, load))
            load = 0
    return trips
