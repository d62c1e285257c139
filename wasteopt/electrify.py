"""Converting part of a fleet to battery-electric trucks: the electric-share lever of scenarios
and sweeps.

A converted type keeps its yard, shift, break, streams and payload and takes the energy model,
rates and battery of a matching :class:`ElectricVariant`, or of the instance's own electric
type of the same tier, streams and payload. Each function returns a changed copy and never
edits its input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from wasteopt.charging import with_yard_plugs
from wasteopt.errors import InstanceError
from wasteopt.model import Battery, EnergyModel, Instance, Stream, VehicleType

ELECTRIC_SUFFIX = "-ev"


class ElectricVariant(BaseModel):
    """What an electric truck of a payload and streams costs and uses, for converted vehicles:
    its energy model, its rates and its battery (without one a converted truck would have an
    unlimited range)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    streams: list[Stream] = Field(min_length=1)
    payload_t: float = Field(gt=0)
    energy: EnergyModel
    battery: Battery
    fixed_cost_per_day: float = Field(ge=0)
    cost_per_km: float = Field(ge=0)
    cost_per_hour: float | None = Field(default=None, ge=0, description="default: unchanged")


def converted_count(count: int, share: float) -> int:
    """Vehicles of a type of ``count`` converted at ``share``, rounded half up."""
    return math.floor(share * count + 0.5)


def _electric_fields(
    instance: Instance, vt: VehicleType, variants: Sequence[ElectricVariant]
) -> dict[str, Any] | None:
    """What an electric ``vt`` is made of: a spec variant of its payload and streams, else the
    instance's own electric type of the same tier, streams and payload (its yard first)."""
    for variant in variants:
        if variant.payload_t == vt.payload_t and set(vt.streams) <= set(variant.streams):
            fields = variant.model_dump(exclude={"streams", "payload_t"}, exclude_none=True)
            fields["energy"], fields["battery"] = variant.energy, variant.battery
            return fields
    same = [
        e
        for e in instance.vehicle_types
        if e.energy.type == "electric"
        and e.tier == vt.tier
        and set(e.streams) == set(vt.streams)
        and e.payload_t == vt.payload_t
    ]
    same.sort(key=lambda e: e.yard != vt.yard)
    if not same:
        return None
    keep = {"id", "name", "count", "yard", "shift", "break_", "tier", "streams", "payload_t"}
    return {name: getattr(same[0], name) for name in type(same[0]).model_fields if name not in keep}


def electrify(
    instance: Instance, share: float, variants: Sequence[ElectricVariant] = ()
) -> Instance:
    """``share`` of each non-electric collection vehicle type's count made electric.

    The converted trucks become a type ``<id>-ev`` at the same yard, with the same shift,
    break, streams and payload, and the energy model, rates and battery of a matching electric
    variant (:func:`_electric_fields`); the original type keeps the rest (or disappears at 0).
    Each yard gets a plug per battery truck it lacks (:func:`wasteopt.charging.with_yard_plugs`:
    a truck leaves its yard charged).
    Raises InstanceError naming a type that has no electric variant.
    """
    if share == 0:
        return instance
    ids = {vt.id for vt in instance.vehicle_types}
    types: list[VehicleType] = []
    problems: list[tuple[str, str]] = []
    for vt in instance.vehicle_types:
        converted = converted_count(vt.count, share)
        if vt.tier != "collection" or vt.energy.type == "electric" or converted == 0:
            types.append(vt)
            continue
        fields = _electric_fields(instance, vt, variants)
        new_id = vt.id + ELECTRIC_SUFFIX
        if fields is None:
            problems.append(
                (
                    f"vehicle type {vt.id!r}",
                    f"no electric variant for {vt.payload_t:g} t {'/'.join(vt.streams)} trucks;"
                    " add one under electric_variants",
                )
            )
            continue
        if new_id in ids:
            problems.append((f"vehicle type {vt.id!r}", f"{new_id!r} is already a type id"))
            continue
        if converted < vt.count:
            types.append(vt.model_copy(update={"count": vt.count - converted}))
        name = f"{vt.name} (electric)" if vt.name else ""
        types.append(
            vt.model_copy(update={**fields, "id": new_id, "name": name, "count": converted})
        )
    if problems:
        raise InstanceError(problems)
    return with_yard_plugs(instance.model_copy(update={"vehicle_types": types}))


def electric_fleet_share(instance: Instance) -> float:
    """Electric vehicles' share of the collection fleet (by count)."""
    fleet = [vt for vt in instance.vehicle_types if vt.tier == "collection"]
    total = sum(vt.count for vt in fleet)
    electric = sum(vt.count for vt in fleet if vt.energy.type == "electric")
    return electric / total if total else 0.0
