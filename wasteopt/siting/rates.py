"""Per-km and per-hour rates of a tier's fleet, as the location model charges them.

Trip cost = km x ``cost_per_km`` + hours x (``cost_per_hour`` + ``fixed_cost_per_day`` / shift
hours), averaged over the tier's vehicle types weighted by their count (*assumption*: charging
a truck's daily fixed cost per hour it is busy lets the model see that shorter hauls need fewer
trucks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from wasteopt.factors import KG_CO2E_PER_UNIT
from wasteopt.model import Instance, Stream, VehicleType
from wasteopt.units import SECONDS_PER_HOUR


@dataclass(frozen=True)
class FleetRate:
    """Count-weighted average of a tier's vehicle types: CNY/km, CNY/h, payload t, kg CO2e/km."""

    per_km: float
    per_hour: float
    payload_t: float
    co2e_kg_per_km: float


def co2e_kg_per_km(vt: VehicleType) -> float:
    """kg CO2e per km of a round trip loaded one way and empty back (mean of the two rates)."""
    per_km = (vt.energy.empty_per_100km + vt.energy.full_per_100km) / 2 / 100
    return per_km * KG_CO2E_PER_UNIT[vt.energy.type]


def co2e_rates(instance: Instance, overrides: Mapping[str, float]) -> dict[str, float]:
    """kg CO2e per km of each vehicle type: ``overrides`` where given, else its energy model."""
    return {
        vt.id: float(overrides[vt.id]) if vt.id in overrides else co2e_kg_per_km(vt)
        for vt in instance.vehicle_types
    }


def fleet_rate(types: Sequence[VehicleType], co2e: Mapping[str, float]) -> FleetRate:
    """Count-weighted average rates of ``types`` (a daily fixed cost is spread over the shift)."""
    count = sum(vt.count for vt in types)

    def mean(values: Iterable[float]) -> float:
        return sum(v * vt.count for v, vt in zip(values, types, strict=True)) / count

    return FleetRate(
        per_km=mean(vt.cost_per_km for vt in types),
        per_hour=mean(
            vt.cost_per_hour
            + vt.fixed_cost_per_day * SECONDS_PER_HOUR / (vt.shift.end_s - vt.shift.start_s)
            for vt in types
        ),
        payload_t=mean(vt.payload_t for vt in types),
        co2e_kg_per_km=mean(co2e[vt.id] for vt in types),
    )


def tier_rates(instance: Instance, tier: str, co2e: Mapping[str, float]) -> dict[Stream, FleetRate]:
    """The rate of ``tier``'s fleet for each stream some of its vehicle types carry."""
    rates = {}
    for stream in ("residual", "kitchen", "recyclable"):
        types = [v for v in instance.vehicle_types if v.tier == tier and stream in v.streams]
        if types:
            rates[stream] = fleet_rate(types, co2e)
    return rates
