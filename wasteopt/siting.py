"""Transfer-station siting: capacitated facility location over candidate sites.

Which transfer stations to open, and where each collection point (or township cluster) sends
its waste: to one open station, or straight to the plant ("direct haul"). Minimises the
annualised cost

* fixed: ``Facility.annual_fixed_cost`` of every open station;
* collection tier: the line-haul of collection trucks from each point to its destination and
  back, charged per tonne as ``round trip / payload`` (a full truck shares one line-haul trip,
  the continuous approximation of Daganzo 1984, "The distance traveled to visit N points with a
  maximum of C stops per vehicle", Transportation Science 18(4)); the local tour between points
  does not depend on the destination and is left out;
* transfer tier: hook-lift round trips station -> plant, a whole number of full containers a
  day per station and stream;
* handling fees (``cost_per_t``) at stations and plants;
* optionally a carbon price x the CO2e of those vehicle-km.

Trip cost = km x ``cost_per_km`` + hours x (``cost_per_hour`` + ``fixed_cost_per_day`` / shift
hours), averaged over the tier's vehicle types weighted by their count (*assumption*: charging
a truck's daily fixed cost per hour it is busy lets the model see that shorter hauls need fewer
trucks). Distances and times come from any :class:`~wasteopt.matrix.MatrixProvider`.

The model is solved with OR-Tools CP-SAT to proven optimality or to a reported gap within a
time limit. Costs inside the solver are whole CNY per year and tonnes are kilograms.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from ortools.sat.python import cp_model
from pydantic import ValidationError

from wasteopt.errors import InfeasibleError, InstanceError, WasteoptError
from wasteopt.factors import DAYS_PER_YEAR, KG_CO2E_PER_UNIT
from wasteopt.io import read_csv_text, validation_problems
from wasteopt.matrix import GreatCircleProvider, MatrixProvider
from wasteopt.model import (
    CollectionPoint,
    Facility,
    Instance,
    Stream,
    TimeWindow,
    VehicleType,
    tonnes_to_kg,
)
from wasteopt.planning import Progress

log = logging.getLogger(__name__)

Status = Literal["optimal", "gap_limit", "time_limit", "stopped"]

CANDIDATE_CSV_COLUMNS = (
    "id",
    "name",
    "lon",
    "lat",
    "capacity_t_per_day",
    "annual_fixed_cost",
    "streams",
    "cost_per_t",
    "gate_start",
    "gate_end",
    "unload_min",
    "status",
)
REQUIRED_CANDIDATE_COLUMNS = ("id", "lon", "lat", "capacity_t_per_day", "annual_fixed_cost")


@dataclass(frozen=True)
class SitingOptions:
    """What the planner asks of the location model.

    Parameters
    ----------
    open_exactly, min_open, max_open
        Number of transfer stations open in the answer (existing and new together).
    budget
        Ceiling on the open stations' summed ``annual_fixed_cost``, CNY/yr.
    force_open, force_closed
        Station ids that must (not) be open. Stations whose status is ``"closed"`` stay closed
        unless forced open.
    allow_direct
        Whether collection trucks may haul straight to the plant.
    direct_max_km
        Points farther than this road distance from their plant may not haul direct.
    by_township
        Assign whole townships (points sharing ``township`` and stream) to one destination.
    carbon_price_per_t
        CNY per tonne CO2e added to the objective.
    co2e_kg_per_km
        kg CO2e per vehicle-km by vehicle type id; types not listed use their energy model
        and the emission factors of :mod:`wasteopt.factors`.
    time_limit_s, gap_limit, seed, workers
        CP-SAT search limits: stop at ``time_limit_s`` or once (cost - proven lower bound) /
        cost <= ``gap_limit`` (0 proves optimality). The default 0.1 % is *assumption*: far
        below the uncertainty of the cost rates, and on Daoxian a few tens of thousands of CNY
        a year against 1.2 million for one station. Same instance, options and seed give the
        same answer when the search ends by a gap rather than the clock.
    """

    open_exactly: int | None = None
    min_open: int | None = None
    max_open: int | None = None
    budget: float | None = None
    force_open: frozenset[str] = frozenset()
    force_closed: frozenset[str] = frozenset()
    allow_direct: bool = True
    direct_max_km: float | None = None
    by_township: bool = False
    carbon_price_per_t: float = 0.0
    co2e_kg_per_km: Mapping[str, float] = field(default_factory=dict)
    days_per_year: int = DAYS_PER_YEAR
    time_limit_s: float = 30.0
    gap_limit: float = 1e-3
    seed: int = 0
    workers: int = 2


@dataclass(frozen=True)
class FleetRate:
    """Count-weighted average of a tier's vehicle types: CNY/km, CNY/h, payload t, kg CO2e/km."""

    per_km: float
    per_hour: float
    payload_t: float
    co2e_kg_per_km: float


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
        return self.transport + self.handling + carbon_price_per_t * self.co2e_kg / 1000.0


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


@dataclass(frozen=True)
class AnnualCost:
    """Annualised cost by component, CNY/yr."""

    station_fixed: float
    collection: float
    transfer: float
    handling: float
    carbon: float

    @property
    def total(self) -> float:
        return self.station_fixed + self.collection + self.transfer + self.handling + self.carbon


@dataclass(frozen=True)
class Evaluation:
    """What an assignment costs and moves; see :func:`evaluate`."""

    cost: AnnualCost
    station_load_t: np.ndarray
    trips: dict[tuple[int, int], int]
    vehicle_km_per_day: float
    co2e_t_per_year: float


@dataclass(frozen=True)
class SitingResult:
    """The chosen configuration, its estimated cost and how it was found.

    ``assignment`` maps each point id to the facility id it sends waste to (an open station or,
    for direct haul, its plant). ``objective`` and ``bound`` are the solver's cost and proven
    lower bound (whole CNY/yr); ``gap`` is (objective - bound) / objective. ``status`` says why
    the search ended: ``"optimal"`` (gap 0), ``"gap_limit"``, ``"time_limit"`` or
    ``"stopped"`` (``should_stop`` said so).
    """

    candidates: list[str]
    open_stations: list[str]
    closed_stations: list[str]
    assignment: dict[str, str]
    station_load_t: dict[str, float]
    transfer_trips_per_day: dict[str, int]
    cost: AnnualCost
    vehicle_km_per_day: float
    co2e_t_per_year: float
    status: Status
    objective: float
    bound: float
    gap: float
    seconds: float


# ---------------------------------------------------------------- candidate sites from CSV


def candidates_from_csv_text(text: str, source: str = "candidates.csv") -> list[Facility]:
    """Parse candidate transfer stations from CSV text; see ``CANDIDATE_CSV_COLUMNS``.

    ``streams`` is a ``;``-separated list (default ``residual``); ``status`` defaults to
    ``candidate``; gate hours need both ``gate_start`` and ``gate_end``.
    """
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_CANDIDATE_COLUMNS if c not in header]
    if missing:
        raise InstanceError([(source, f"missing column(s) {', '.join(missing)}")])
    unknown = [c for c in header if c not in CANDIDATE_CSV_COLUMNS]
    if unknown:
        known = ", ".join(CANDIDATE_CSV_COLUMNS)
        raise InstanceError([(source, f"unknown column(s) {', '.join(unknown)}; known: {known}")])
    problems: list[tuple[str, str]] = []
    stations: list[Facility] = []
    for line_no, row in enumerate(reader, start=2):
        where = f"{source} line {line_no}"
        record: dict = {k: v.strip() for k, v in row.items() if k and v and v.strip()}
        record["kind"] = "transfer_station"
        record["streams"] = [s.strip() for s in record.get("streams", "residual").split(";")]
        record.setdefault("status", "candidate")
        start, end = record.pop("gate_start", None), record.pop("gate_end", None)
        if (start is None) != (end is None):
            problems.append((where, "give both gate_start and gate_end, or neither"))
            continue
        try:
            if start is not None:
                record["gate"] = TimeWindow(start=start, end=end)
            stations.append(Facility.model_validate(record))
        except ValidationError as exc:
            problems.extend(validation_problems(exc, prefix=where))
    if problems:
        raise InstanceError(problems)
    if not stations:
        raise InstanceError([(source, "has no candidate rows")])
    return stations


def read_candidates_csv(path: str | Path) -> list[Facility]:
    """Read candidate transfer stations from a CSV file (UTF-8, or GBK/GB18030)."""
    return candidates_from_csv_text(read_csv_text(path), str(path))


def with_candidates(instance: Instance, candidates: Sequence[Facility]) -> Instance:
    """The instance with extra candidate stations appended (ids must be new)."""
    known = {s.id for s in instance.sites}
    clash = [c.id for c in candidates if c.id in known]
    if clash:
        raise InstanceError(
            [(f"candidate {cid!r}", "id already used in the instance; rename it") for cid in clash]
        )
    bad = [c.id for c in candidates if c.kind != "transfer_station"]
    if bad:
        raise InstanceError([(f"candidate {bad[0]!r}", "kind must be 'transfer_station'")])
    return instance.model_copy(update={"facilities": [*instance.facilities, *candidates]})


# ---------------------------------------------------------------- building the problem


def co2e_kg_per_km(vt: VehicleType) -> float:
    """kg CO2e per km of a round trip loaded one way and empty back (mean of the two rates)."""
    per_km = (vt.energy.empty_per_100km + vt.energy.full_per_100km) / 2 / 100
    return per_km * KG_CO2E_PER_UNIT[vt.energy.type]


def _co2e_rates(instance: Instance, overrides: Mapping[str, float]) -> dict[str, float]:
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
            vt.cost_per_hour + vt.fixed_cost_per_day * 3600 / (vt.shift.end_s - vt.shift.start_s)
            for vt in types
        ),
        payload_t=mean(vt.payload_t for vt in types),
        co2e_kg_per_km=mean(co2e[vt.id] for vt in types),
    )


def _tier_rates(
    instance: Instance, tier: str, co2e: Mapping[str, float]
) -> dict[Stream, FleetRate]:
    rates = {}
    for stream in ("residual", "kitchen", "recyclable"):
        types = [v for v in instance.vehicle_types if v.tier == tier and stream in v.streams]
        if types:
            rates[stream] = fleet_rate(types, co2e)
    return rates


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
    co2e = _co2e_rates(instance, options.co2e_kg_per_km)
    collect_rates = _tier_rates(instance, "collection", co2e)
    transfer_rates = _tier_rates(instance, "transfer", co2e)
    _check_instance(instance, plants, collect_rates)
    stations = [f for f in instance.facilities if f.kind == "transfer_station"]
    points = instance.points
    mats = provider.matrices([*points, *stations, *plants])
    km = mats.distance_m / 1000.0
    hours = mats.duration_s / 3600.0
    km2, hours2 = km + km.T, hours + hours.T  # round trips
    st_off, pl_off = len(points), len(points) + len(stations)

    def plant_for(origin: int, stream: Stream, rate: FleetRate) -> int:
        """The plant with the least haul + fee per tonne from ``origin`` (a matrix index)."""
        per_km = rate.per_km + options.carbon_price_per_t * rate.co2e_kg_per_km / 1000

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


# ---------------------------------------------------------------- checking the request


def _station_states(
    problem: LocationProblem, options: SitingOptions
) -> tuple[list[int], list[int], list[int]]:
    """Indices of stations forced open, forced closed and free; raises on unknown ids."""
    ids = [st.id for st in problem.stations]
    for label, wanted in (
        ("forced open", options.force_open),
        ("forced closed", options.force_closed),
    ):
        unknown = sorted(set(wanted) - set(ids))
        if unknown:
            raise WasteoptError(
                f"{label}: unknown transfer station(s) {', '.join(unknown)};"
                f" known: {', '.join(ids)}"
            )
    both = sorted(set(options.force_open) & set(options.force_closed))
    if both:
        raise WasteoptError(
            f"station(s) {', '.join(both)} are forced both open and closed; drop one of the two"
        )
    forced_open = [j for j, i in enumerate(ids) if i in options.force_open]
    forced_closed = [
        j
        for j, st in enumerate(problem.stations)
        if st.id in options.force_closed
        or (st.status == "closed" and st.id not in options.force_open)
    ]
    free = [j for j in range(len(ids)) if j not in forced_open and j not in forced_closed]
    return forced_open, forced_closed, free


def _count_bounds(options: SitingOptions, usable: int, forced: int) -> tuple[int, int]:
    exact = options.open_exactly
    if exact is not None and (options.min_open is not None or options.max_open is not None):
        raise WasteoptError("give either an exact number of stations or a min/max range, not both")
    low = exact if exact is not None else (options.min_open or 0)
    high = exact if exact is not None else options.max_open
    high = usable if high is None else high
    if low < 0 or high < 0:
        raise WasteoptError("station counts must be zero or more")
    if low > high:
        raise WasteoptError(
            f"minimum number of stations ({low}) is above the maximum ({high});"
            " lower the minimum or raise the maximum"
        )
    if low > usable:
        raise WasteoptError(
            f"asked for {low} station(s) but only {usable} candidate site(s) can open;"
            " lower the number or add candidate sites"
        )
    if high < forced:
        raise WasteoptError(
            f"{forced} station(s) are forced open but at most {high} may open;"
            " allow more stations or force fewer open"
        )
    return low, min(high, usable)


def _check_request(
    problem: LocationProblem, options: SitingOptions
) -> tuple[list[int], list[int], int, int]:
    """Catch requests that cannot be met before the solver does, naming what to change."""
    forced_open, forced_closed, free = _station_states(problem, options)
    usable = forced_open + free
    low, high = _count_bounds(options, len(usable), len(forced_open))
    if options.budget is not None:
        extra = max(0, low - len(forced_open))
        need = (
            problem.fixed_cost[forced_open].sum() + np.sort(problem.fixed_cost[free])[:extra].sum()
        )
        if options.budget < need:
            raise WasteoptError(
                f"budget {options.budget:,.0f} CNY/yr is below {need:,.0f} CNY/yr, the fixed cost"
                " of the forced-open stations and the cheapest ones to reach the minimum number;"
                " raise the budget or force fewer stations open"
            )
    no_direct = np.isnan(problem.direct.transport)
    for u in np.flatnonzero(no_direct):
        if problem.unit_stream[u] not in problem.streams:
            raise WasteoptError(
                f"point {problem.units[u][0]} ({problem.unit_stream[u]}) may not haul direct and"
                " no transfer station takes that stream; allow direct haul"
            )
    for s, stream in enumerate(problem.streams):
        must = [u for u in np.flatnonzero(no_direct) if problem.unit_stream[u] == stream]
        must_t = float(problem.unit_tonnes[must].sum())
        takers = [j for j in usable if not np.isnan(problem.trip.transport[j, s])]
        most = float(np.sort(problem.capacity_t[takers])[::-1][:high].sum())
        if must_t > most + 1e-6:
            raise WasteoptError(
                f"{must_t:.1f} t/day of {stream} waste must go through transfer stations (no"
                f" direct haul) but the {min(high, len(takers))} largest usable station(s) take"
                f" only {most:.1f} t/day; add candidate sites or capacity, allow more stations,"
                " or allow direct haul (raise the direct-haul distance limit)"
            )
    return forced_open, forced_closed, low, high


# ---------------------------------------------------------------- solving and evaluating


def evaluate(
    problem: LocationProblem,
    chosen: Sequence[int | None],
    opened: Sequence[int] | None = None,
) -> Evaluation:
    """Annual cost of sending unit ``u`` to station ``chosen[u]`` (None = direct haul).

    ``opened`` defaults to the stations that receive waste. Every station sends the fewest
    full containers its load needs.
    """
    days = problem.days_per_year
    price = problem.carbon_price_per_t
    load = np.zeros(problem.container_t.shape)
    parts = np.zeros(4)  # transport, handling, km, co2e kg (collection tier)
    for u, j in enumerate(chosen):
        legs, at = (problem.direct, u) if j is None else (problem.assign, (u, j))
        parts += [legs.transport[at], legs.handling[at], legs.km[at], legs.co2e_kg[at]]
        if j is not None:
            load[j, problem.stream_index(u)] += problem.unit_tonnes[u]
    trips = {
        (j, s): math.ceil(round(t / problem.container_t[j, s], 9))
        for (j, s), t in np.ndenumerate(load)
        if t > 0
    }
    tr = np.zeros(3)  # transport, km, co2e kg (transfer tier)
    for (j, s), n in trips.items():
        tr += n * np.array(
            [problem.trip.transport[j, s], problem.trip.km[j, s], problem.trip.co2e_kg[j, s]]
        )
    if opened is None:
        opened = sorted({j for j in chosen if j is not None})
    co2e_kg = parts[3] + tr[2]
    cost = AnnualCost(
        station_fixed=float(problem.fixed_cost[list(opened)].sum()),
        collection=float(parts[0] * days),
        transfer=float(tr[0] * days),
        handling=float(parts[1] * days),
        carbon=float(price * co2e_kg / 1000 * days),
    )
    return Evaluation(
        cost=cost,
        station_load_t=load.sum(axis=1),
        trips=trips,
        vehicle_km_per_day=float(parts[2] + tr[1]),
        co2e_t_per_year=float(co2e_kg / 1000 * days),
    )


def _annual(daily: float, days: int) -> int:
    return int(round(daily * days))


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Passes every improving configuration's cost to ``progress``."""

    def __init__(self, progress: Callable[[Progress], None], started: float):
        super().__init__()
        self._progress = progress
        self._started = started

    def on_solution_callback(self) -> None:
        elapsed = time.perf_counter() - self._started
        self._progress(Progress("siting", elapsed, self.objective_value))


def _run(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    started: float,
    progress: Callable[[Progress], None] | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[int, bool]:
    """Solve, polling ``should_stop`` every 0.1 s from this thread; (status, stopped)."""
    callback = _Reporter(progress, started) if progress is not None else None
    if should_stop is None:
        return solver.solve(model, callback), False
    outcome: list[int] = []
    worker = threading.Thread(target=lambda: outcome.append(solver.solve(model, callback)))
    worker.start()
    stopped = False
    while worker.is_alive():
        worker.join(0.1)
        if not stopped and worker.is_alive() and should_stop():
            solver.stop_search()
            stopped = True
    return outcome[0], stopped


def solve_problem(
    problem: LocationProblem,
    options: SitingOptions = SitingOptions(),
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SitingResult:
    """Choose stations and assignments with CP-SAT.

    ``progress`` receives each improving configuration's cost (tier ``"siting"``, CNY/yr);
    ``should_stop`` is polled every 0.1 s and ends the search with the best answer so far.
    Raises WasteoptError for a request that cannot be met and InfeasibleError when the solver
    proves none exists or finds none in time.
    """
    forced_open, forced_closed, low, high = _check_request(problem, options)
    days, price = problem.days_per_year, problem.carbon_price_per_t
    n_units, n_st = problem.assign.transport.shape
    assign_cost = problem.assign.cost(price)
    direct_cost = problem.direct.cost(price)
    trip_cost = problem.trip.cost(price)
    model = cp_model.CpModel()
    y = [model.new_bool_var(f"open[{st.id}]") for st in problem.stations]
    for j in forced_open:
        model.add(y[j] == 1)
    for j in forced_closed:
        model.add(y[j] == 0)
    model.add(sum(y) >= low)
    model.add(sum(y) <= high)
    if options.budget is not None:
        fixed = [int(math.ceil(c)) for c in problem.fixed_cost]
        model.add(sum(c * v for c, v in zip(fixed, y, strict=True)) <= int(options.budget))
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    terms = [_annual(c, 1) * v for c, v in zip(problem.fixed_cost, y, strict=True)]
    # Without a minimum number of stations, sending a unit to a station that costs at least as
    # much as direct haul (before container trips) never pays: direct haul has no capacity.
    with np.errstate(invalid="ignore"):
        dominated = (assign_cost >= direct_cost[:, None]) & (low == 0)
    for u in range(n_units):
        choices = []
        for j in range(n_st):
            if not np.isnan(assign_cost[u, j]) and j not in forced_closed and not dominated[u, j]:
                x[u, j] = model.new_bool_var(f"x[{u},{j}]")
                model.add_implication(x[u, j], y[j])
                choices.append(x[u, j])
                terms.append(_annual(assign_cost[u, j], days) * x[u, j])
        if not np.isnan(direct_cost[u]):
            haul = model.new_bool_var(f"direct[{u}]")
            choices.append(haul)
            terms.append(_annual(direct_cost[u], days) * haul)
        model.add_exactly_one(choices)
    kg = [tonnes_to_kg(t) for t in problem.unit_tonnes]
    trips: dict[tuple[int, int], cp_model.IntVar] = {}
    for j in range(n_st):
        mine = [u for u in range(n_units) if (u, j) in x]
        if not mine:
            model.add(y[j] == int(j in forced_open))
            continue
        cap = tonnes_to_kg(problem.capacity_t[j])
        model.add(sum(kg[u] * x[u, j] for u in mine) <= cap * y[j])
        if j not in forced_open:  # a station opens only to receive waste
            model.add(y[j] <= sum(x[u, j] for u in mine))
        for s in range(len(problem.streams)):
            flow = [u for u in mine if problem.stream_index(u) == s]
            if flow:
                box = tonnes_to_kg(problem.container_t[j, s])
                most = -(-min(cap, sum(kg[u] for u in flow)) // box)
                trips[j, s] = model.new_int_var(0, most, f"trips[{j},{s}]")
                model.add(trips[j, s] * box >= sum(kg[u] * x[u, j] for u in flow))
                for u in flow:  # any waste at all takes a whole container trip
                    model.add(trips[j, s] >= x[u, j])
                terms.append(_annual(trip_cost[j, s], days) * trips[j, s])
    model.minimize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = options.time_limit_s
    solver.parameters.random_seed = options.seed
    solver.parameters.num_workers = options.workers
    solver.parameters.relative_gap_limit = options.gap_limit
    started = time.perf_counter()
    status, stopped = _run(solver, model, started, progress, should_stop)
    seconds = time.perf_counter() - started
    if status == cp_model.INFEASIBLE:
        raise InfeasibleError(
            "no station configuration meets the request (station count, budget, capacities and"
            " forced stations together); relax the count or budget, or add capacity"
        )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if stopped:
            raise InfeasibleError("siting was stopped before any station configuration was found")
        raise InfeasibleError(
            f"no station configuration found within {options.time_limit_s:g} s;"
            " raise the time limit"
        )
    chosen = [
        next((j for j in range(n_st) if (u, j) in x and solver.value(x[u, j])), None)
        for u in range(n_units)
    ]
    opened = [j for j in range(n_st) if solver.value(y[j])]
    evaluation = evaluate(problem, chosen, opened)  # the fewest full containers per station
    objective, bound = solver.objective_value, solver.best_objective_bound
    log.info(
        "siting: %s cost %.0f bound %.0f in %.1f s",
        solver.status_name(status),
        objective,
        bound,
        seconds,
    )
    if objective - bound < 0.5:
        ended = "optimal"
    elif status == cp_model.OPTIMAL:
        ended = "gap_limit"
    else:
        ended = "stopped" if stopped else "time_limit"
    return _result(problem, chosen, opened, evaluation, ended, objective, bound, seconds)


def _result(
    problem: LocationProblem,
    chosen: Sequence[int | None],
    opened: Sequence[int],
    evaluation: Evaluation,
    status: Status,
    objective: float,
    bound: float,
    seconds: float,
) -> SitingResult:
    ids = [st.id for st in problem.stations]
    assignment = {}
    for u, j in enumerate(chosen):
        for pid in problem.units[u]:
            assignment[pid] = problem.point_plant[pid] if j is None else ids[j]
    trips: dict[str, int] = {}
    for (j, _), n in evaluation.trips.items():
        trips[ids[j]] = trips.get(ids[j], 0) + n
    return SitingResult(
        candidates=ids,
        open_stations=[ids[j] for j in opened],
        closed_stations=[i for j, i in enumerate(ids) if j not in opened],
        assignment=assignment,
        station_load_t={ids[j]: float(evaluation.station_load_t[j]) for j in opened},
        transfer_trips_per_day={i: trips.get(i, 0) for i in (ids[j] for j in opened)},
        cost=evaluation.cost,
        vehicle_km_per_day=evaluation.vehicle_km_per_day,
        co2e_t_per_year=evaluation.co2e_t_per_year,
        status=status,
        objective=objective,
        bound=bound,
        gap=max(0.0, (objective - bound) / max(abs(objective), 1.0)),
        seconds=seconds,
    )


def site(
    instance: Instance,
    provider: MatrixProvider | None = None,
    options: SitingOptions = SitingOptions(),
    candidates: Sequence[Facility] = (),
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SitingResult:
    """Choose transfer stations for ``instance`` (plus extra ``candidates``).

    Parameters
    ----------
    instance
        The day's instance; its ``transfer_station`` facilities are the candidates, whatever
        their status (``"closed"`` ones only when forced open).
    provider
        Road distances and times; default great-circle x circuity from the instance settings.
    options
        Counts, budget, forced stations, carbon price, time limit.
    candidates
        Extra candidate stations (e.g. from :func:`read_candidates_csv`).
    progress, should_stop
        Progress reports and a stop request, as for :func:`solve_problem`.

    Returns
    -------
    SitingResult
        Open stations, assignments, annual cost by component, and the proven gap.
    """
    if candidates:
        instance = with_candidates(instance, candidates)
    problem = build_problem(instance, provider, options)
    return solve_problem(problem, options, progress, should_stop)
