"""The state of charge (SoC) of a battery truck through its day, stop by stop.

A truck leaves its yard with the battery's usable energy (charged overnight at the yard). Each
leg takes :meth:`~wasteopt.model.VehicleType.leg_energy` at the load carried on it, each
collect, unload and pickup its ``per_stop`` energy, and each ``charge`` stop adds the energy it
states, never beyond the usable energy. The consumption figures are taken as drawn from the
battery: they are grid-side figures (SOURCES.md), so charging losses make the SoC lower than
the truck's true one, never higher. This module imports nothing of the project but the model.
"""

from __future__ import annotations

from wasteopt.model import Battery, Charger, Instance, Route, Stop, VehicleType


def soc_walk(route: Route, vehicle: VehicleType) -> list[float]:
    """The SoC (usable kWh) after each stop of ``route``, recomputed from its distances, loads
    and charges; ``vehicle`` must have a battery."""
    soc = _battery(vehicle).usable_kwh
    load = 0.0
    walk: list[float] = []
    for stop in route.stops:
        soc = soc_after(vehicle, soc, load, stop)
        if stop.action != "break":
            load = stop.load_after_t
        walk.append(soc)
    return walk


def soc_after(vehicle: VehicleType, soc: float, load_t: float, stop: Stop) -> float:
    """The SoC after ``stop``, from ``soc`` before the leg to it driven with ``load_t``."""
    if stop.action != "break":
        soc -= vehicle.leg_energy(stop.distance_from_prev_km, load_t)
        soc -= vehicle.stop_energy(stop.action)
    if stop.action == "charge":
        soc = min(_battery(vehicle).usable_kwh, soc + stop.charged_kwh)
    return soc


def charger_at(instance: Instance, site_id: str) -> Charger | None:
    """The charger of the yard or facility ``site_id``, if it has one."""
    for site in (*instance.yards, *instance.facilities):
        if site.id == site_id:
            return site.charger
    return None


def _battery(vehicle: VehicleType) -> Battery:
    if vehicle.battery is None:
        raise ValueError(f"vehicle type {vehicle.id!r} has no battery")
    return vehicle.battery
