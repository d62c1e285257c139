"""Physical ranges of an instance's numbers, ISO dates and printable ids.

The schema says a payload is positive; these ranges say it is a truck's. A value outside
them is a typo or a probe (a payload of 10^20 t, a speed of 10^-300 km/h), and it would
end in an opaque solver failure or a plan that serves nothing, so it is a validation
problem naming the field. Every number must also be finite.

The ranges are *assumptions*, wide on purpose, each with its reasoning:

- payload up to 100 t: China's heaviest legal road vehicle weighs 49 t in all (GB 1589-2016,
  six-axle articulated), so no road truck carries 100 t.
- up to 10,000 vehicles of one type: a city of ten million runs a few thousand.
- a point's waste up to 1,000 t/day: more than Daoxian's whole county (750 t/day of residual
  waste, carbon peak plan); a facility's capacity or inflow up to 50,000 t/day, several
  times the largest incinerators built (about 5,000-10,000 t/day).
- service and unloading times up to 720 min: half a day at one stop.
- speed 1-130 km/h: 120 km/h is China's expressway limit (Road Traffic Safety Law
  Implementing Regulations, art. 78); below walking pace is a unit mistake.
- circuity 1-5: road km per straight km is 1.2-1.6 on most networks (Ballou, Rahardja and
  Sakai, 2002) and below 3 on hill roads; 5 leaves room for a valley detour.
- money: at most 10^6 CNY per vehicle-day, 10^4 CNY/km, 10^5 CNY/h, 10^5 CNY/t, 10^11 CNY/yr,
  10^7 CNY per unserved tonne: beyond each lies a unit error (fen for yuan, say).
- energy up to 1,000 units per 100 km and 100 per stop: a heavy electric truck uses about
  150 kWh, a diesel one about 40 L.
- a search time between 0.1 s and one day.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from wasteopt.model import Instance

MIN_TIME_LIMIT_S = 0.1
MAX_TIME_LIMIT_S = 86_400.0
MAX_VEHICLES_PER_TYPE = 10_000
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Range:
    """A closed range ``[low, high]`` (open at ``low`` when ``above_low``) with its unit."""

    low: float
    high: float
    unit: str
    above_low: bool = False

    def holds(self, value: float) -> bool:
        low_ok = value > self.low if self.above_low else value >= self.low
        return low_ok and value <= self.high

    def describe(self) -> str:
        """``between 1 and 130 km/h``, or ``above 0 and at most 100 t``."""
        if self.above_low:
            return f"above {self.low:g} and at most {self.high:g} {self.unit}"
        return f"between {self.low:g} and {self.high:g} {self.unit}"


_MINUTES = Range(0, 720, "min")
_CNY = {
    "fixed_cost_per_day": Range(0, 1e6, "CNY per vehicle-day"),
    "cost_per_km": Range(0, 1e4, "CNY/km"),
    "cost_per_hour": Range(0, 1e5, "CNY/h"),
}
_ENERGY = Range(0, 1000, "per 100 km")

RANGES: dict[str, dict[str, Range]] = {
    "points": {
        "tonnes_per_day": Range(0, 1000, "t/day", above_low=True),
        "service_min": _MINUTES,
    },
    "facilities": {
        "capacity_t_per_day": Range(0, 50_000, "t/day", above_low=True),
        "external_inflow_t_per_day": Range(0, 50_000, "t/day"),
        "unload_min": _MINUTES,
        "cost_per_t": Range(0, 1e5, "CNY/t"),
        "annual_fixed_cost": Range(0, 1e11, "CNY/yr"),
    },
    "vehicle_types": {
        "payload_t": Range(0, 100, "t", above_low=True),
        "count": Range(1, MAX_VEHICLES_PER_TYPE, "vehicles"),
        "break.duration_min": Range(0, 720, "min", above_low=True),
        "energy.empty_per_100km": _ENERGY,
        "energy.full_per_100km": _ENERGY,
        "energy.per_stop": Range(0, 100, "per stop"),
        **_CNY,
    },
    "settings": {
        "average_speed_kmh": Range(1, 130, "km/h"),
        "circuity_factor": Range(1, 5, "road km per straight km"),
        "unserved_penalty_per_t": Range(0, 1e7, "CNY/t", above_low=True),
    },
}
TIME_LIMIT = Range(MIN_TIME_LIMIT_S, MAX_TIME_LIMIT_S, "s")


def _flat(document: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _number_problems(loc: str, document: dict[str, Any], ranges: dict[str, Range]):
    for field, value in _flat(document).items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if not math.isfinite(value):
            yield f"{loc}.{field}", f"{value} is not a finite number"
        elif field in ranges and not ranges[field].holds(value):
            yield f"{loc}.{field}", f"{value:g}: must be {ranges[field].describe()}"


def time_limit_problem(seconds: float) -> str | None:
    """What is wrong with ``seconds`` as a search time, or None."""
    if math.isfinite(seconds) and TIME_LIMIT.holds(seconds):
        return None
    return f"{seconds:g}: must be {TIME_LIMIT.describe()}"


def id_problem(value: str) -> str | None:
    """What is wrong with ``value`` as an id (printable, no path separator), or None."""
    if not value.isprintable():
        return "must hold printable characters only (no line breaks, tabs or control codes)"
    if "/" in value or "\\" in value or value in (".", ".."):
        return "must not contain '/' or '\\' or be '.' or '..' (ids name files)"
    return None


def date_problem(value: str) -> str | None:
    """What is wrong with ``value`` as an ISO date ``YYYY-MM-DD``, or None."""
    try:
        if _ISO_DATE.match(value):
            dt.date.fromisoformat(value)
            return None
    except ValueError:
        pass
    return f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-25"


def bound_problems(instance: Instance) -> list[tuple[str, str]]:
    """Numbers outside their physical range or not finite, dates not ISO, ids not printable."""
    problems: list[tuple[str, str]] = []
    if instance.date is not None and (message := date_problem(instance.date)) is not None:
        problems.append(("date", message))
    settings = instance.settings.model_dump(by_alias=True)
    problems += _number_problems("settings", settings, RANGES["settings"])
    for group in ("yards", "facilities", "vehicle_types", "points"):
        for i, item in enumerate(getattr(instance, group)):
            loc = f"{group}[{i}]"
            if (message := id_problem(item.id)) is not None:
                problems.append((f"{loc}.id", message))
            document = item.model_dump(by_alias=True)
            problems += _number_problems(loc, document, RANGES.get(group, {}))
    return problems


def changed_problems(instance: Instance, loc: str) -> list[tuple[str, str]]:
    """Where an instance that ``loc`` (a scenario, a sweep cell) made from a valid one passes
    the physical ranges: its changes are model copies, which pydantic does not validate, so a
    fleet of 10^20 trucks would otherwise reach the solver."""
    return [
        (loc, f"the changed instance's {where}: {message}")
        for where, message in bound_problems(instance)
    ]
