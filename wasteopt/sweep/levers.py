"""The levers of a sweep cell applied to an instance: waste growth and plant phase (the electric
share is :func:`wasteopt.electrify.electrify`, shared with scenarios).

Each function returns a changed copy and never edits its input. Scenarios (station sets,
fleet and facility changes) are applied first by :func:`wasteopt.scenario.apply_scenario`.
"""

from __future__ import annotations

from wasteopt.errors import InstanceError
from wasteopt.model import Instance


def grow(instance: Instance, factor: float) -> Instance:
    """Every point's tonnes multiplied by ``factor``."""
    if factor == 1.0:
        return instance
    points = [
        p.model_copy(update={"tonnes_per_day": p.tonnes_per_day * factor}) for p in instance.points
    ]
    return instance.model_copy(update={"points": points})


def incinerator_id(instance: Instance, chosen: str | None) -> str:
    """The incinerator a phase changes: ``chosen``, or the instance's only incinerator."""
    incinerators = [f.id for f in instance.facilities if f.kind == "incinerator"]
    if chosen is not None:
        if chosen not in incinerators:
            known = ", ".join(incinerators) or "none"
            raise InstanceError(
                [("phases.incinerator", f"{chosen!r} is not an incinerator; known: {known}")]
            )
        return chosen
    if len(incinerators) != 1:
        found = ", ".join(incinerators) or "none"
        raise InstanceError(
            [("phases.incinerator", f"name the incinerator whose phase varies (found: {found})")]
        )
    return incinerators[0]


def set_capacity(instance: Instance, facility_id: str, capacity_t: float) -> Instance:
    """``facility_id``'s daily capacity set to ``capacity_t``."""
    facilities = [
        f.model_copy(update={"capacity_t_per_day": capacity_t}) if f.id == facility_id else f
        for f in instance.facilities
    ]
    return instance.model_copy(update={"facilities": facilities})
