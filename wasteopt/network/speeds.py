"""Truck speeds by OSM road class, capped by posted limits, turned into edge travel times.

The default table is an *assumption*: the speeds a laden refuse truck (2-8 t payload,
compactor or hook-lift) keeps on each road class of a hilly rural county, with stops at
junctions and villages averaged in. They stay below the legal truck limits of the PRC Road
Traffic Safety Law Implementing Regulations (道路交通安全法实施条例, 2004): art. 78 caps trucks at
100 km/h on expressways; art. 45 caps unsigned roads at 70 km/h (one lane per direction,
highway) / 50 km/h (urban), and 40 / 30 km/h on roads without a centre line. Where OSM gives
``maxspeed:hgv`` or ``maxspeed``, the lower of it and the table is used.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from collections.abc import Mapping
from pathlib import Path

import networkx as nx

from wasteopt.errors import NetworkError

DEFAULT_TRUCK_SPEEDS_KMH: dict[str, float] = {
    "motorway": 80.0,
    "motorway_link": 40.0,
    "trunk": 60.0,
    "trunk_link": 35.0,
    "primary": 50.0,
    "primary_link": 30.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 35.0,
    "tertiary_link": 25.0,
    "unclassified": 30.0,
    "road": 25.0,
    "residential": 20.0,
    "living_street": 10.0,
    "service": 15.0,
}
FALLBACK_CLASS = "default"
FALLBACK_SPEED_KMH = 25.0  # *assumption*: any class not in the table, e.g. "busway"
MPH_TO_KMH = 1.609344
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph)?\s*$")


def speed_table(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """The default table with ``overrides`` (class -> km/h) applied and checked.

    Raises
    ------
    NetworkError
        If a speed is not a positive number.
    """
    table = {**DEFAULT_TRUCK_SPEEDS_KMH, FALLBACK_CLASS: FALLBACK_SPEED_KMH}
    for road_class, value in (overrides or {}).items():
        try:
            speed = float(value)
        except (TypeError, ValueError):
            speed = float("nan")
        if not speed > 0:
            raise NetworkError(
                f"speed for road class {road_class!r} is {value!r}: give a positive km/h value"
            )
        table[str(road_class)] = speed
    return table


def read_speed_file(path: str | Path) -> dict[str, float]:
    """Read speed overrides: JSON ``{"class": kmh}`` or CSV with columns ``highway,speed_kmh``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise NetworkError(f"speed file {path}: cannot read it ({exc.strerror})") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise NetworkError(f"speed file {path}: malformed JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise NetworkError(f"speed file {path}: must be an object of road class -> km/h")
        return speed_table(data)
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or not {"highway", "speed_kmh"} <= set(rows[0]):
        raise NetworkError(f"speed file {path}: CSV needs the columns highway,speed_kmh")
    return speed_table({row["highway"].strip(): row["speed_kmh"] for row in rows})


def _as_list(value: object) -> list[str]:
    """OSM attributes merged by simplification are lists (or their string form in GraphML)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    text = str(value)
    if text.startswith("["):
        try:
            return [str(v) for v in ast.literal_eval(text)]
        except (ValueError, SyntaxError):
            return [text]
    return [text]


def maxspeed_kmh(value: object) -> float | None:
    """The lowest numeric limit in an OSM ``maxspeed`` value (``"50"``, ``"30 mph"``, ``"30;50"``).

    Symbolic values (``"none"``, ``"AD:urban"``, ``"walk"``) give ``None``: no cap.
    """
    limits = []
    for item in _as_list(value):
        for part in item.split(";"):
            match = _NUMBER.match(part)
            if match:
                kmh = float(match.group(1)) * (MPH_TO_KMH if match.group(2) else 1.0)
                if kmh > 0:
                    limits.append(kmh)
    return min(limits) if limits else None


def edge_speed_kmh(data: Mapping[str, object], table: Mapping[str, float]) -> float:
    """Truck speed on one edge: the slowest of its classes, capped by its posted limits."""
    classes = _as_list(data.get("highway"))
    speeds = [table.get(c, table[FALLBACK_CLASS]) for c in classes] or [table[FALLBACK_CLASS]]
    speed = min(speeds)
    for key in ("maxspeed:hgv", "maxspeed"):
        cap = maxspeed_kmh(data.get(key))
        if cap is not None:
            speed = min(speed, cap)
    return speed


def add_truck_travel_times(graph: nx.MultiDiGraph, table: Mapping[str, float]) -> None:
    """Set ``speed_kph`` and ``travel_time`` (s) on every edge from its ``length`` (m)."""
    known: dict[tuple[str, ...], float] = {}  # a county has few distinct tag combinations
    for _, _, data in graph.edges(data=True):
        tags = tuple(str(data.get(key)) for key in ("highway", "maxspeed", "maxspeed:hgv"))
        speed = known.get(tags)
        if speed is None:
            speed = known[tags] = edge_speed_kmh(data, table)
        data["speed_kph"] = speed
        data["travel_time"] = float(data["length"]) / (speed / 3.6)


def road_classes(data: Mapping[str, object]) -> list[str]:
    """The OSM ``highway`` classes of an edge (several after simplification)."""
    return _as_list(data.get("highway"))
