"""Server limits on an instance's size, checked on the raw document before full validation.

Counting the points, facilities and vehicles of the parsed JSON costs microseconds; building
the model of 30,000 facilities or a fleet of 10^20 trucks would cost gigabytes. The model
size (points x vehicles) bounds the routing model the solver builds. Candidate sites (of a
siting, or stations a scenario adds) count toward the facility limit with the instance's own
facilities, and the extra pickups and trucks of a re-plan's events toward the point and
vehicle limits, all counted before any of them is validated.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable
from typing import Any

from api.settings import Settings


def item_count(document: Any, field: str) -> int:
    """How many items ``document``'s list ``field`` holds (0 when it is no list)."""
    items = document.get(field) if isinstance(document, dict) else None
    return len(items) if isinstance(items, list) else 0


def _count(value: Any) -> int:
    """``value`` as a count of vehicles: a positive integer, else 0 (validation names it)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _vehicles(document: dict[str, Any]) -> int:
    types = document.get("vehicle_types") or []
    return sum(_count(t.get("count")) for t in types if isinstance(t, dict))


def size_problems(document: Any, settings: Settings, prefix: str = "") -> list[tuple[str, str]]:
    """Where ``document`` passes this server's limits, as ``(location, message)`` pairs."""
    if not isinstance(document, dict):
        return []

    def loc(field: str) -> str:
        return f"{prefix}.{field}" if prefix else field

    points, facilities = item_count(document, "points"), item_count(document, "facilities")
    return _over_limits(points, facilities, _vehicles(document), settings, loc)


def replan_size_problems(
    document: dict[str, Any], events: list[Any], settings: Settings
) -> list[tuple[str, str]]:
    """Where a re-plan's day passes this server's limits: the points and vehicles of its
    instance ``document`` with the extra pickups and trucks its raw ``events`` add, counted
    before any event is validated (a ``truck_added`` of 10^12 trucks would otherwise be
    built one by one)."""
    points, vehicles = item_count(document, "points"), _vehicles(document)
    for event in events:
        if isinstance(event, dict) and event.get("type") == "point_added":
            points += 1
        elif isinstance(event, dict) and event.get("type") == "truck_added":
            vehicles += _count(event.get("count", 1))
    facilities = item_count(document, "facilities")
    return [
        (where, f"with the extra pickups and trucks, {message}")
        for where, message in _over_limits(
            points, facilities, vehicles, settings, lambda _: "events"
        )
    ]


def _over_limits(
    points: int, facilities: int, vehicles: int, settings: Settings, loc: Callable[[str], str]
) -> list[tuple[str, str]]:
    problems = []
    if points > settings.max_points:
        problems.append(
            (
                loc("points"),
                f"{points} points exceed this server's limit of {settings.max_points};"
                " split the instance by township",
            )
        )
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


def csv_rows(text: str | None, stop_after: int | None = None) -> int:
    """Data rows of CSV ``text`` (neither its header nor blank lines count).

    With ``stop_after``, reading stops at the row after it: the answer is then at most
    ``stop_after + 1``, enough to tell a limit is passed without reading the rest.
    """
    if not text:
        return 0
    rows = (row for row in csv.reader(io.StringIO(text)) if row)
    next(rows, None)  # the header
    return sum(1 for _ in itertools.islice(rows, None if stop_after is None else stop_after + 1))


def csv_points_problems(text: str, source: str, settings: Settings) -> list[tuple[str, str]]:
    """Where a points CSV passes this server's point limit, counted while reading: a body of
    a million rows is refused after ``max_points + 1`` of them, before any is parsed."""
    if csv_rows(text, stop_after=settings.max_points) <= settings.max_points:
        return []
    return [
        (
            source,
            f"more than {settings.max_points} points (rows) exceed this server's limit of"
            f" {settings.max_points}; split the instance by township",
        )
    ]


def added_site_problems(
    facilities: int, added: int, loc: str, settings: Settings
) -> list[tuple[str, str]]:
    """Where an instance's ``facilities`` and ``added`` candidate sites (at ``loc``) together
    pass this server's facility limit."""
    if facilities + added <= settings.max_facilities:
        return []
    return [
        (
            loc,
            f"{facilities} facilities and {added} candidate sites exceed this server's limit of"
            f" {settings.max_facilities} facilities and candidate sites together;"
            " add fewer sites",
        )
    ]
