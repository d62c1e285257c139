"""The location model's data: every choice's daily cost, distance and CO2e.

Collection tier: the line-haul of collection trucks from each point to its destination and
back, charged per tonne as ``round trip / payload`` (a full truck shares one line-haul trip,
the continuous approximation of Daganzo 1984, "The distance traveled to visit N points with a
maximum of C stops per vehicle", Transportation Science 18(4)); the local tour between points
does not depend on the destination and is left out. Transfer tier: hook-lift round trips
station -> plant, a whole number of full containers a day per station and stream. Handling
fees (``cost_per_t``) at stations and plants; optionally a carbon price x the CO2e of those
vehicle-km.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from wasteopt.errors import WasteoptError
from wasteopt.matrix import GreatCircleProvider, MatrixProvider
from wasteopt.model import CollectionPoint, Facility, Instance, Stream
from wasteopt.siting.options import SitingOptions
from wasteopt.siting.rates import FleetRate, co2e_rates, tier_rates
from wasteopt.units import KG_PER_TONNE, m_to_km, s_to_hours


@dataclass
class Legs:
    """Daily figures of a set of choices (``nan`` transport where a choice is not allowed).

    ``transport`` CNY of vehicle km and hours, ``handling`` CNY of fees, ``km`` vehicle-km,
    ``co2e_kg`` kg CO2e of those km.
    """

    transport: np.ndarray
    handling: np.ndarray
    km: np.ndarray
    co2e_kg: np.ndarray

    @classmethod
    def empty(cls, shape: tuple[int, ...]) -> Legs:
        return cls(np.full(shape, np.nan), np.zeros(shape), np.zeros(shape), np.zeros(shape))

    def cost(self, carbon_price_per_t: float) -> np.ndarray:
        """Daily CNY including carbon at ``carbon_price_per_t`` CNY per t CO2e."""
        return self.transport + self.handling + carbon_price_per_t * self.co2e_kg / KG_PER_TONNE


@dataclass
class LocationProblem:
    """The location model's data, built by :func:`build_problem`.

    Units are points or township clusters (``units[u]`` lists point ids). ``assign`` holds the
    daily figures of unit ``u`` sent to station ``j`` (shape U x J), ``direct`` of direct
    haul (U), ``trip`` of one transfer round trip of station ``j`` for stream ``streams[s]``
    (J x S), each carrying ``container_t[j, s]`` tonnes.
    """

    units: list[list[str]]
    unit_stream: list[Stream]
    unit_tonnes: np.ndarray
    point_plant: dict[str, str]
    stations: list[Facility]
    capacity_t: np.ndarray
    fixed_cost: np.ndarray
    streams: list[Stream]
    assign: Legs
    direct: Legs
    trip: Legs
    container_t: np.ndarray
    station_plant: list[list[str | None]]
    carbon_price_per_t: float
    days_per_year: int

    def stream_index(self, u: int) -> int:
        return self.streams.index(self.unit_stream[u])


def _units(points: Sequence[CollectionPoint], by_township: bool) -> list[list[CollectionPoint]]:
    if not by_township:
        return [[p] for p in points]
    groups: dict[tuple, list[CollectionPoint]] = {}
    for p in points:
        key = (p.stream, p.township) if p.township else (p.stream, None, p.id)
        groups.setdefault(key, []).append(p)
    return list(groups.values())


def _check_instance(instance: Instance, plants: Sequence[Facility], collect: Mapping) -> None:
    if not any(f.kind == "transfer_station" for f in instance.facilities):
        raise WasteoptError(
            "the instance has no transfer stations to choose from; add facilities of kind"
            " 'transfer_station' (status 'candidate') or pass a candidates CSV"
        )
    if not instance.points:
        raise WasteoptError("the instance has no collection points; add points to site for")
    for stream in sorted({p.stream for p in instance.points}):
        if stream not in collect:
            raise WasteoptError(
                f"no collection-tier vehicle type serves stream {stream!r}; add one to"
                " vehicle_types"
            )
        if not any(stream in f.streams for f in plants):
            raise WasteoptError(
                f"no open plant (incinerator, kitchen centre or landfill) takes stream"
                f" {stream!r}; open one or change the points' stream"
            )


def build_problem(
    instance: Instance,
    provider: MatrixProvider | None = None,
    options: SitingOptions = SitingOptions(),
) -> LocationProblem:
    """Turn an instance's transfer stations, plants, points and fleet into a location problem.

    Every ``transfer_station`` facility is a candidate. Waste from a point or station ends at
    the open facility of another kind that takes its stream at the least haul + fee per tonne;
    plant capacity is left to the routing (the comparison shows intake against capacity). A
    station serves a stream only when a transfer-tier vehicle type carries it. Raises
    WasteoptError naming what to change.
    """
    provider = provider or GreatCircleProvider.for_instance(instance)
    plants = [f for f in instance.open_facilities() if f.kind != "transfer_station"]
    co2e = co2e_rates(instance, options.co2e_kg_per_km)
    collect_rates = tier_rates(instance, "collection", co2e)
    transfer_rates = tier_rates(instance, "transfer", co2e)
    _check_instance(instance, plants, collect_rates)
    stations = [f for f in instance.facilities if f.kind == "transfer_station"]
    points = instance.points
    mats = provider.matrices([*points, *stations, *plants])
    km = m_to_km(mats.distance_m)
    hours = s_to_hours(mats.duration_s)
    km2, hours2 = km + km.T, hours + hours.T  # round trips
    st_off, pl_off = len(points), len(points) + len(stations)

    def plant_for(origin: int, stream: Stream, rate: FleetRate) -> int:
        """The plant with the least haul + fee per tonne from ``origin`` (a matrix index)."""
        per_km = rate.per_km + options.carbon_price_per_t * rate.co2e_kg_per_km / KG_PER_TONNE

        def per_tonne(k: int) -> float:
            b = pl_off + k
            trip = km2[origin, b] * per_km + hours2[origin, b] * rate.per_hour
            return trip / rate.payload_t + plants[k].cost_per_t

        takers = [k for k, f in enumerate(plants) if stream in f.streams]
        return pl_off + min(takers, key=per_tonne)

    streams = sorted({s for f in stations for s in f.streams if s in transfer_rates})
    trip = Legs.empty((len(stations), len(streams)))
    container = np.ones((len(stations), len(streams)))
    station_plant: list[list[str | None]] = [[None] * len(streams) for _ in stations]
    for j, st in enumerate(stations):
        for s, stream in enumerate(streams):
            if stream in st.streams:
                rate = transfer_rates[stream]
                a, b = st_off + j, plant_for(st_off + j, stream, rate)
                trip.transport[j, s] = km2[a, b] * rate.per_km + hours2[a, b] * rate.per_hour
                trip.km[j, s] = km2[a, b]
                trip.co2e_kg[j, s] = km2[a, b] * rate.co2e_kg_per_km
                container[j, s] = rate.payload_t
                station_plant[j][s] = plants[b - pl_off].id

    units = _units(points, options.by_township)
    index = {p.id: i for i, p in enumerate(points)}
    assign = Legs.empty((len(units), len(stations)))
    direct = Legs.empty((len(units),))
    point_plant: dict[str, str] = {}
    for u, members in enumerate(units):
        rows = np.array([index[p.id] for p in members])
        tonnes = np.array([p.tonnes_per_day for p in members])
        stream = members[0].stream
        rate = collect_rates[stream]
        share = tonnes / rate.payload_t  # full-truck line-haul trips per day
        dest = np.array([plant_for(i, stream, rate) for i in rows])
        fee = np.array([plants[d - pl_off].cost_per_t for d in dest])
        point_plant.update(
            {p.id: plants[d - pl_off].id for p, d in zip(members, dest, strict=True)}
        )
        direct_ok = options.allow_direct and (
            options.direct_max_km is None or km[rows, dest].max() <= options.direct_max_km
        )
        if direct_ok:
            direct.transport[u] = share @ (
                km2[rows, dest] * rate.per_km + hours2[rows, dest] * rate.per_hour
            )
            direct.handling[u] = tonnes @ fee
            direct.km[u] = share @ km2[rows, dest]
            direct.co2e_kg[u] = direct.km[u] * rate.co2e_kg_per_km
        if stream not in streams:
            continue
        s = streams.index(stream)
        for j, st in enumerate(stations):
            if stream in st.streams:
                col = st_off + j
                plant = next(f for f in plants if f.id == station_plant[j][s])
                assign.transport[u, j] = share @ (
                    km2[rows, col] * rate.per_km + hours2[rows, col] * rate.per_hour
                )
                assign.handling[u, j] = tonnes.sum() * (st.cost_per_t + plant.cost_per_t)
                assign.km[u, j] = share @ km2[rows, col]
                assign.co2e_kg[u, j] = assign.km[u, j] * rate.co2e_kg_per_km
    return LocationProblem(
        units=[[p.id for p in members] for members in units],
        unit_stream=[members[0].stream for members in units],
        unit_tonnes=np.array([sum(p.tonnes_per_day for p in members) for members in units]),
        point_plant=point_plant,
        stations=stations,
        capacity_t=np.array([st.free_capacity_t for st in stations]),
        fixed_cost=np.array([st.annual_fixed_cost for st in stations]),
        streams=streams,
        assign=assign,
        direct=direct,
        trip=trip,
        container_t=container,
        station_plant=station_plant,
        carbon_price_per_t=options.carbon_price_per_t,
        days_per_year=options.days_per_year,
    )
