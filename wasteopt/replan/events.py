"""What happened during the day: the events a re-plan takes into account, as a JSON schema.

An events file is a JSON list (or an object with an ``events`` list); every event has a
``type``. Clock times are ``HH:MM``; an event without a ``time`` happened at the re-plan time.

- ``breakdown``: ``vehicle`` stops where it is at ``time``; its load waits there to be
  recovered by another truck of its stream.
- ``truck_withdrawn``: ``vehicle`` takes no new work after ``time``: it unloads what it carries
  and goes home.
- ``truck_added``: ``count`` more trucks of ``vehicle_type`` at its yard, ready at ``ready``.
- ``point_added``: an extra pickup, ``point`` as an instance's point (id, lon, lat, stream,
  tonnes_per_day, window...).
- ``point_cancelled``, ``tonnes_changed``: a point that is not collected yet.
- ``road_closed``, ``road_slowed``: the roads ``between`` two places (site ids or
  ``[lon, lat]``) along the fastest path on the road graph are closed, or take ``factor`` times
  as long, for every leg that starts after the re-plan time.
- ``facility_closed``: ``facility`` takes no truck from ``from`` on (default: the re-plan time).
- ``gate_delayed``: ``facility`` opens at ``opens`` instead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from wasteopt.errors import InstanceError
from wasteopt.io import validation_problems
from wasteopt.model import ClockTime, CollectionPoint

Place = Annotated[str, Field(min_length=1)] | tuple[float, float]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Breakdown(_Event):
    """A truck breaks down where it is; its load is to be recovered by another truck."""

    type: Literal["breakdown"]
    vehicle: str
    time: ClockTime | None = None


class TruckWithdrawn(_Event):
    """A truck takes no new work: it unloads what it carries and goes home."""

    type: Literal["truck_withdrawn"]
    vehicle: str
    time: ClockTime | None = None


class TruckAdded(_Event):
    """``count`` more trucks of an existing type, at its yard from ``ready``."""

    type: Literal["truck_added"]
    vehicle_type: str
    count: int = Field(default=1, ge=1)
    ready: ClockTime | None = None


class PointAdded(_Event):
    """An extra pickup (a point of the instance's format, with tonnes and a window)."""

    type: Literal["point_added"]
    point: CollectionPoint


class PointCancelled(_Event):
    type: Literal["point_cancelled"]
    point: str


class TonnesChanged(_Event):
    type: Literal["tonnes_changed"]
    point: str
    tonnes: float = Field(gt=0)


class RoadClosed(_Event):
    """The roads along the fastest path between two places are closed."""

    type: Literal["road_closed"]
    between: tuple[Place, Place]


class RoadSlowed(_Event):
    """The roads along the fastest path between two places take ``factor`` times as long."""

    type: Literal["road_slowed"]
    between: tuple[Place, Place]
    factor: float = Field(gt=1, le=100)


class FacilityClosed(_Event):
    type: Literal["facility_closed"]
    facility: str
    from_: ClockTime | None = Field(default=None, alias="from")


class GateDelayed(_Event):
    type: Literal["gate_delayed"]
    facility: str
    opens: ClockTime


Event = Annotated[
    Breakdown
    | TruckWithdrawn
    | TruckAdded
    | PointAdded
    | PointCancelled
    | TonnesChanged
    | RoadClosed
    | RoadSlowed
    | FacilityClosed
    | GateDelayed,
    Field(discriminator="type"),
]
ROAD_EVENTS = (RoadClosed, RoadSlowed)
_EVENTS = TypeAdapter(list[Event])
_MEMBER = (
    r"\.("
    + "|".join(m.model_fields["type"].annotation.__args__[0] for m in Event.__origin__.__args__)
    + r")(?=\.|$)"
)


def events_from_data(data: Any) -> list[Event]:
    """Validate parsed JSON (a list, or an object with ``events``) into events.

    Raises InstanceError naming each bad field as ``events[2].vehicle``.
    """
    if isinstance(data, dict) and set(data) == {"events"}:
        data = data["events"]
    if not isinstance(data, list):
        raise InstanceError([("events", 'must be a JSON list of events (or {"events": [...]})')])
    try:
        return _EVENTS.validate_python(data)
    except ValidationError as exc:
        # pydantic names the union member (``[2].breakdown.vehicle``): the index says enough
        problems = [
            (f"events{re.sub(_MEMBER, '', loc)}", message)
            for loc, message in validation_problems(exc)
        ]
        raise InstanceError(problems) from None


def read_json_file(path: str | Path, what: str) -> Any:
    """A JSON file's content; InstanceError naming the file when it is missing or malformed."""
    path = Path(path)
    try:
        return json.loads(Path(path).read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise InstanceError([(str(path), f"{what} file not found")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InstanceError([(str(path), f"{what} file is not valid JSON: {exc}")]) from None


def load_events(path: str | Path) -> list[Event]:
    """Read and validate an events JSON file."""
    return events_from_data(read_json_file(path, "events"))


def events_schema() -> dict[str, Any]:
    """The JSON Schema of an events list."""
    return _EVENTS.json_schema()
