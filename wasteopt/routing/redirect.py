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
from wasteopt.routing.regions import StartRoute


@dataclass(frozen=True)
class Trip:
    """One trip of a start route: its visits ``first`` to ``unload`` (positions in the
    route), the facility it unloads at and the kilograms it carries there."""

    first: int
    unload: int
    facility: str
    kg: int


def trips(route: StartRoute, kg: dict[str, int]) -> list[Trip]:
    """The trips of ``route`` in order, ``kg`` giving each job's kilograms (a trip through an
    unload with nothing collected carries 0)."""
    out, first, load = [], 0, 0
    for position, (kind, ref) in enumerate(route):
        if kind == "job":
            load += kg[ref]
        elif kind == "unload":
            out.append(Trip(first, position, ref, load))
            first, load = position + 1, 0
    return out


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
    route_fits: Callable[[int, StartRoute], bool],
) -> list[StartRoute] | None:
    """``routes`` (one per vehicle) with trips into facilities over their free capacity sent
    to facilities of the trip's stream with room, the cheapest per kilogram first, where
    ``route_fits(v, route)`` holds for the changed route (see the module docstring): ``routes``
    themselves where they fit, ``None`` where not every facility could be brought within its
    capacity."""
    room = _room(problem, routes)
    if all(left >= 0 for left in room.values()):
        return routes
    options = _unload_options(
        problem, routes, distance_m, duration_s, site_index, lambda trip: room[trip.facility] < 0
    )
    out, _ = _sent(routes, options, room, route_fits, lambda option: room[option.source] < 0)
    return out if all(left >= 0 for left in room.values()) else None


def refilled(
    problem: TierProblem,
    routes: list[StartRoute],
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
    route_fits: Callable[[int, StartRoute], bool],
) -> list[StartRoute] | None:
    """``routes`` (one per vehicle, within every facility's free capacity) with trips sent to
    facilities of their stream that still have room where that costs the truck less, the
    largest saving per kilogram first, where ``route_fits(v, route)`` holds for the changed
    route; ``None`` where no trip moves.

    A capacity price left too high sends trips past a cheaper facility that has room: on
    Daoxian's transfer tier, containers to the landfill (160 CNY/t) while the incinerator (75
    CNY/t) could take them. The search under that price sees no gain in moving them back.
    """
    room = _room(problem, routes)
    options = _unload_options(problem, routes, distance_m, duration_s, site_index, lambda _: True)
    out, moved = _sent(routes, options, room, route_fits, lambda option: option.per_kg < 0)
    return out if moved else None


def _room(problem: TierProblem, routes: list[StartRoute]) -> dict[str, int]:
    """Each facility's free capacity less what ``routes`` unload there (kilograms)."""
    kg = {job.id: job.kg for job in problem.jobs}
    room = {f.id: problem.free_capacity_kg.get(f.id, 0) for f in problem.facilities}
    for route in routes:
        for trip in trips(route, kg):
            room[trip.facility] -= trip.kg
    return room


def _sent(
    routes: list[StartRoute],
    options: list[_Option],
    room: dict[str, int],
    route_fits: Callable[[int, StartRoute], bool],
    wanted: Callable[[_Option], bool],
) -> tuple[list[StartRoute], bool]:
    """``routes`` with the ``wanted`` options taken, cheapest per kilogram first, each where
    its target has room for the trip, the trip has not moved yet and ``route_fits`` holds;
    ``room`` is kept up to date. Also whether any trip moved."""
    out = [list(route) for route in routes]
    moved = False
    for option in sorted(options, key=lambda o: (o.per_kg, o.v, o.position, o.target)):
        if not wanted(option) or room[option.target] < option.kg:
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
        moved = True
    return out, moved


def _unload_options(
    problem: TierProblem,
    routes: list[StartRoute],
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    site_index: dict[str, int],
    include: Callable[[Trip], bool],
) -> list[_Option]:
    """Every other facility of its stream for each trip of ``routes`` that carries something
    and that ``include`` names, at the change in its truck's cost per kilogram."""
    facilities = {f.id: f for f in problem.facilities}
    jobs = {job.id: job for job in problem.jobs}
    kg = {job.id: job.kg for job in problem.jobs}
    options = []
    for v, route in enumerate(routes):
        vehicle = problem.vehicles[v]
        yard = site_index[vehicle.vehicle_type.yard]
        for trip in trips(route, kg):
            if trip.kg == 0 or not include(trip):
                continue
            before = site_index[_site(route[trip.unload - 1], jobs)]
            after = yard
            if trip.unload + 1 < len(route):
                after = site_index[_site(route[trip.unload + 1], jobs)]
            legs = _Legs(vehicle.vehicle_type, distance_m, duration_s, site_index, before, after)
            here = legs.cost(facilities[trip.facility], trip.kg)
            options += [
                _Option(
                    (legs.cost(facility, trip.kg) - here) / trip.kg,
                    v,
                    trip.unload,
                    trip.facility,
                    target,
                    trip.kg,
                )
                for target, facility in facilities.items()
                if target != trip.facility and vehicle.stream in facility.streams
            ]
    return options


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
