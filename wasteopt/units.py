"""Unit conversions and numeric tolerances, in one place.

Solvers work in whole metres, seconds, kilograms and milli-CNY; people see tonnes, km,
minutes, hours and CNY (shared/DESIGN.md, Conventions).
"""

from __future__ import annotations

KG_PER_TONNE = 1000
M_PER_KM = 1000
SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3600
MILLI_CNY_PER_CNY = 1000

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


def s_to_minutes(seconds: float) -> float:
    return seconds / SECONDS_PER_MINUTE


def minutes_to_hours(minutes: float) -> float:
    return minutes * SECONDS_PER_MINUTE / SECONDS_PER_HOUR


def s_to_hours(seconds: float) -> float:
    return seconds / SECONDS_PER_HOUR


def cny_to_milli(cny: float) -> int:
    """CNY as whole milli-CNY (rounded), the routing solver's cost unit."""
    return int(round(cny * MILLI_CNY_PER_CNY))
