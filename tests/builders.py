"""One builder for the small instances tests write by hand.

Sites stand on a line east of the origin (111.6 E, 25.5 N), ``x`` km apart, so distances can
be worked out by hand; every helper returns an instance document's item with sensible defaults
that a test overrides by keyword.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from wasteopt.model import Instance

ORIGIN_LON, ORIGIN_LAT = 111.6, 25.5
KM_PER_DEGREE = 111.32  # at the equator; a degree of longitude shrinks by cos(latitude)


def at(site_id: str, x: float = 0.0, **fields: Any) -> dict[str, Any]:
    """A site ``x`` km east of the origin."""
    lon = ORIGIN_LON + x / (KM_PER_DEGREE * math.cos(math.radians(ORIGIN_LAT)))
    return {"id": site_id, "lon": round(lon, 6), "lat": ORIGIN_LAT, **fields}


def point(
    point_id: str, x: float, tonnes: float = 1.0, stream: str = "residual", **fields: Any
) -> dict[str, Any]:
    """A collection point."""
    return at(point_id, x, stream=stream, tonnes_per_day=tonnes, **fields)


def facility(
    facility_id: str,
    x: float,
    kind: str = "incinerator",
    streams: Sequence[str] = ("residual",),
    capacity: float = 600.0,
    **fields: Any,
) -> dict[str, Any]:
    """A plant or transfer station (``kind``)."""
    return at(
        facility_id, x, kind=kind, streams=list(streams), capacity_t_per_day=capacity, **fields
    )


def station(station_id: str, x: float, capacity: float = 40.0, **fields: Any) -> dict[str, Any]:
    """A residual-waste transfer station."""
    return facility(station_id, x, "transfer_station", ("residual",), capacity, **fields)


def truck(
    type_id: str,
    streams: Sequence[str] = ("residual",),
    payload: float = 5.0,
    count: int = 1,
    tier: str = "collection",
    **fields: Any,
) -> dict[str, Any]:
    """A vehicle type based at yard ``Y``, on shift 06:00-18:00 unless told otherwise."""
    return {
        "id": type_id,
        "tier": tier,
        "streams": list(streams),
        "payload_t": payload,
        "count": count,
        "yard": "Y",
        "shift": {"start": "06:00", "end": "18:00"},
        **fields,
    }


def build_instance(
    facilities: Sequence[dict[str, Any]],
    points: Sequence[dict[str, Any]],
    vehicle_types: Sequence[dict[str, Any]],
    name: str = "test-town",
    **fields: Any,
) -> Instance:
    """An instance with one yard ``Y`` at the origin."""
    return Instance.model_validate(
        {
            "name": name,
            "yards": [at("Y")],
            "facilities": list(facilities),
            "points": list(points),
            "vehicle_types": list(vehicle_types),
            **fields,
        }
    )
