"""Unit conversions and numeric tolerances, in one place.

Solvers work in whole metres, seconds and kilograms; people see tonnes, km, minutes, hours
(shared/DESIGN.md, Conventions). The routing tiers' own solver units (milli-CNY) are converted
where their problem is built, in :mod:`wasteopt.routing`.
"""

from __future__ import annotations

KG_PER_TONNE = 1000
M_PER_KM = 1000
SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3600
MINUTES_PER_HOUR = 60

TONNE_TOL = 1e-6
"""Slack when comparing tonnages summed in floating point (a gram in a thousand tonnes)."""
ROUNDING_TOL = 1e-9
"""Slack for ratios and shares computed in floating point (counts of containers, targets met)."""


def tonnes_to_kg(tonnes: float) -> int:
    """Tonnes as whole kilograms (rounded)."""
    return int(round(tonnes * KG_PER_TONNE))


def kg_to_tonnes(kg: float) -> float:
    return kg / KG_PER_TONNE


def m_to_km(metres: float) -> float:
    return metres / M_PER_KM


def minutes_to_s(minutes: float) -> int:
    """Minutes as whole seconds (rounded)."""
    return int(round(minutes * SECONDS_PER_MINUTE))


def minutes_to_hours(minutes: float) -> float:
    return minutes / MINUTES_PER_HOUR


def s_to_hours(seconds: float) -> float:
    return seconds / SECONDS_PER_HOUR
