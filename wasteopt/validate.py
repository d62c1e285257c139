"""Semantic checks of an instance that the schema alone cannot express.

Each problem is ``(location, message)`` where the message says what is wrong and what to change.

A site far from the points is a problem (:func:`far_sites`): it lies more than
``FAR_SPREAD_FACTOR`` times the points' median distance from their median location, and more
than ``FAR_MIN_KM``. *Assumption*, with its reasoning: points spread evenly over a disc lie
within 1.41 times their median distance from its centre (the median radius of a disc is R/√2),
over a square within 1.8 times, over a long strip within 2 times; Daoxian's points, clustered
around the township seats, lie within 2.8 times. So 5 times flags none of an area's own points,
and the median location and distance are robust: one stray point (a mistyped or swapped
coordinate) cannot move them far. 100 km, twice the width of a county such as Daoxian (about 50
km), keeps a small area from flagging a regional plant or landfill in a neighbouring county.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from wasteopt.errors import InstanceError
from wasteopt.matrix import great_circle_m
from wasteopt.model import Instance, Site, TimeWindow
from wasteopt.units import TONNE_TOL, m_to_km, minutes_to_s

FAR_SPREAD_FACTOR = 5.0
FAR_MIN_KM = 100.0


def _overlaps(a: TimeWindow, b: TimeWindow) -> bool:
    return a.start_s < b.end_s and b.start_s < a.end_s


def _km_from(sites: list[Site], lon: float, lat: float) -> np.ndarray:
    lons, lats = np.array([s.lon for s in sites]), np.array([s.lat for s in sites])
    return m_to_km(great_circle_m(lons, lats, lon, lat))


def _points_area(instance: Instance) -> tuple[tuple[float, float], float, float]:
    """The points' median location, their median distance from it (km) and the distance
    beyond which a site is far from them (km); see the module docstring."""
    centre = (
        float(np.median([p.lon for p in instance.points])),
        float(np.median([p.lat for p in instance.points])),
    )
    spread_km = float(np.median(_km_from(instance.points, *centre)))
    return centre, spread_km, max(FAR_MIN_KM, FAR_SPREAD_FACTOR * spread_km)


def _far(area: tuple[tuple[float, float], float, float], lon: float, lat: float, km: float) -> str:
    centre, spread_km, _ = area
    return (
        f"lon {lon:g}, lat {lat:g} lies {km:,.0f} km from the middle of the points"
        f" ({centre[0]:.4f}, {centre[1]:.4f}), half of which lie within {spread_km:.1f} km of"
        " it; check its lon/lat"
    )


def far_place(instance: Instance, lon: float, lat: float) -> str | None:
    """How far ``(lon, lat)`` lies from where the points are, when it is far from them."""
    if not instance.points:
        return None
    area = _points_area(instance)
    km = float(m_to_km(great_circle_m(lon, lat, *area[0])))
    return _far(area, lon, lat, km) if km > area[2] else None


def far_sites(instance: Instance) -> list[tuple[str, str]]:
    """Yards, facilities and points far from where the points are (see the module docstring)."""
    if not instance.points:
        return []
    area = _points_area(instance)
    problems = []
    for group in ("yards", "facilities", "points"):
        sites = getattr(instance, group)
        km = _km_from(sites, *area[0])
        for i in np.flatnonzero(km > area[2]).tolist():
            site = sites[i]
            name = f" ({site.name})" if site.name else ""
            far = _far(area, site.lon, site.lat, float(km[i]))
            problems.append((f"{group}[{i}] ({site.id})", f"{site.id}{name} at {far}"))
    return problems


def find_problems(instance: Instance) -> list[tuple[str, str]]:
    """Every semantic problem of ``instance`` (empty when it can be planned)."""
    problems = far_sites(instance)
    collectors = [vt for vt in instance.vehicle_types if vt.tier == "collection"]
    facilities = instance.open_facilities()
    point_streams = {p.stream for p in instance.points}
    for stream in sorted(point_streams):
        if not any(stream in vt.streams for vt in collectors):
            problems.append(
                (
                    "vehicle_types",
                    f"no collection vehicle type carries stream {stream!r};"
                    f" add one whose streams include {stream!r}",
                )
            )
        if not any(stream in f.streams for f in facilities):
            problems.append(
                (
                    "facilities",
                    f"no open facility accepts stream {stream!r};"
                    f" open one whose streams include {stream!r}",
                )
            )

    for i, point in enumerate(instance.points):
        payloads = [vt.payload_t for vt in collectors if point.stream in vt.streams]
        if payloads and point.tonnes_per_day > max(payloads):
            problems.append(
                (
                    f"points[{i}] ({point.id})",
                    f"{point.tonnes_per_day:g} t exceeds every compatible payload"
                    f" (largest {max(payloads):g} t); split the point or add a larger truck",
                )
            )
        shifts = [vt.shift for vt in collectors if point.stream in vt.streams]
        if (
            point.window is not None
            and shifts
            and not any(_overlaps(point.window, s) for s in shifts)
        ):
            problems.append(
                (
                    f"points[{i}] ({point.id}).window",
                    f"{point.window.start}-{point.window.end} lies outside every compatible shift",
                )
            )

    for i, facility in enumerate(instance.facilities):
        if facility.status != "open":
            continue
        users = [vt for vt in instance.vehicle_types if set(vt.streams) & set(facility.streams)]
        if facility.kind == "transfer_station":
            users = [vt for vt in users if vt.tier == "collection"]
        if users and not any(_overlaps(facility.gate, vt.shift) for vt in users):
            problems.append(
                (
                    f"facilities[{i}] ({facility.id}).gate",
                    f"gate hours {facility.gate.start}-{facility.gate.end} overlap no shift of the"
                    " vehicles that unload there; widen the gate hours or move the shifts",
                )
            )
        if facility.external_inflow_t_per_day > facility.capacity_t_per_day:
            problems.append(
                (
                    f"facilities[{i}] ({facility.id}).external_inflow_t_per_day",
                    f"{facility.external_inflow_t_per_day:g} t/day inflow exceeds the capacity"
                    f" {facility.capacity_t_per_day:g} t/day",
                )
            )

    for i, vt in enumerate(instance.vehicle_types):
        if vt.break_ is not None:
            brk = vt.break_
            if minutes_to_s(brk.duration_min) > brk.window.end_s - brk.window.start_s:
                problems.append(
                    (
                        f"vehicle_types[{i}] ({vt.id}).break",
                        f"a {brk.duration_min:g} min break does not fit in its window"
                        f" {brk.window.start}-{brk.window.end}",
                    )
                )
            elif brk.window.start_s < vt.shift.start_s or brk.window.end_s > vt.shift.end_s:
                problems.append(
                    (
                        f"vehicle_types[{i}] ({vt.id}).break",
                        f"break window {brk.window.start}-{brk.window.end} must lie inside the"
                        f" shift {vt.shift.start}-{vt.shift.end}",
                    )
                )

    waste: dict[str, float] = defaultdict(float)
    for point in instance.points:
        waste[point.stream] += point.tonnes_per_day
    for stream, tonnes in sorted(waste.items()):
        capacity = sum(f.free_capacity_t for f in facilities if stream in f.streams)
        if capacity and tonnes > capacity + TONNE_TOL:
            problems.append(
                (
                    "facilities",
                    f"{tonnes:g} t/day of {stream!r} waste exceeds the free capacity"
                    f" {capacity:g} t/day of all open facilities accepting it; add capacity",
                )
            )
    return problems


def ensure_valid(instance: Instance) -> None:
    """Raise InstanceError listing every semantic problem of ``instance``."""
    problems = find_problems(instance)
    if problems:
        raise InstanceError(problems)
