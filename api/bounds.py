"""Server limits on an instance's size, checked on the raw document before full validation.

Counting the points, facilities and vehicles of the parsed JSON costs microseconds; building
the model of 30,000 facilities or a fleet of 10^20 trucks would cost gigabytes. The model
size (points x vehicles) bounds the routing model the solver builds.
"""

from __future__ import annotations

from typing import Any

from api.settings import Settings


def _count(document: dict[str, Any], field: str) -> int:
    items = document.get(field)
    return len(items) if isinstance(items, list) else 0


def _vehicles(document: dict[str, Any]) -> int:
    total = 0
    for vehicle_type in document.get("vehicle_types") or []:
        count = vehicle_type.get("count") if isinstance(vehicle_type, dict) else None
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            total += count
    return total


def size_problems(document: Any, settings: Settings, prefix: str = "") -> list[tuple[str, str]]:
    """Where ``document`` passes this server's limits, as ``(location, message)`` pairs."""
    if not isinstance(document, dict):
        return []

    def loc(field: str) -> str:
        return f"{prefix}.{field}" if prefix else field

    problems = []
    points, vehicles = _count(document, "points"), _vehicles(document)
    if points > settings.max_points:
        problems.append(
            (
                loc("points"),
                f"{points} points exceed this server's limit of {settings.max_points};"
                " split the instance by township",
            )
        )
    facilities = _count(document, "facilities")
    if facilities > settings.max_facilities:
        problems.append(
            (
                loc("facilities"),
                f"{facilities} facilities exceed this server's limit of {settings.max_facilities}",
            )
        )
    if vehicles > settings.max_vehicles:
        problems.append(
            (
                loc("vehicle_types"),
                f"{vehicles} vehicles in all exceed this server's limit of"
                f" {settings.max_vehicles}; lower the counts",
            )
        )
    elif points * vehicles > settings.max_model_size:
        problems.append(
            (
                loc("points"),
                f"{points} points x {vehicles} vehicles = {points * vehicles:,} exceeds this"
                f" server's model size limit of {settings.max_model_size:,}; split the instance"
                " by township or plan fewer vehicles",
            )
        )
    return problems
