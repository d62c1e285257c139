"""Semantic checks of an instance that the schema alone cannot express.

Each problem is ``(location, message)`` where the message says what is wrong and what to change.
"""

from __future__ import annotations

from collections import defaultdict

from wasteopt.errors import InstanceError
from wasteopt.model import Instance, TimeWindow


def _overlaps(a: TimeWindow, b: TimeWindow) -> bool:
    return a.start_s < b.end_s and b.start_s < a.end_s


def find_problems(instance: Instance) -> list[tuple[str, str]]:
    """Every semantic problem of ``instance`` (empty when it can be planned)."""
    problems: list[tuple[str, str]] = []
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
            if brk.duration_min * 60 > brk.window.end_s - brk.window.start_s:
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
        if capacity and tonnes > capacity + 1e-9:
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
