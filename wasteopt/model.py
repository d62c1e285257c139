"""The domain model: instances, plans and the impact report a plan carries, validated once at
the edge.

Units a person sees: tonnes, km, minutes, local clock times ``HH:MM``. Solvers convert to
integer kilograms, metres and seconds with the helpers at the bottom of this module.
This module imports nothing of the project.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

Stream = Literal["residual", "kitchen", "recyclable"]
FacilityKind = Literal[
    "transfer_station", "incinerator", "kitchen_centre", "sorting_centre", "landfill"
]
FacilityStatus = Literal["open", "candidate", "closed"]
EnergyType = Literal["diesel", "electric", "lng"]
Tier = Literal["collection", "transfer"]
WasteMaterial = Literal[
    "food",
    "paper",
    "plastics",
    "textiles",
    "wood",
    "rubber_leather",
    "glass",
    "metal",
    "other_inert",
]
StopAction = Literal[
    "start", "collect", "unload", "pickup", "charge", "break", "breakdown", "position", "end"
]

log = logging.getLogger(__name__)

CLOCK_PATTERN = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"
PLAN_CLOCK_PATTERN = r"^\d{2,}:[0-5]\d$"


def _matching(pattern: str, expected: str) -> AfterValidator:
    """A validator whose error says ``expected`` in words rather than showing ``pattern``."""
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise ValueError(f"must be a clock time {expected}")
        return value

    return AfterValidator(check)


# the pattern stays in the JSON Schema (API clients, generated test data); the validator words
# the error for people
ClockTime = Annotated[
    str,
    _matching(CLOCK_PATTERN, "HH:MM, 00:00–24:00"),
    Field(
        description="local clock time HH:MM, 00:00 to 24:00",
        json_schema_extra={"pattern": CLOCK_PATTERN},
    ),
]
PlanClock = Annotated[
    str,
    _matching(PLAN_CLOCK_PATTERN, "HH:MM (past midnight it counts on: 25:10)"),
    Field(
        description="local clock time HH:MM; past midnight it counts on (25:10)",
        json_schema_extra={"pattern": PLAN_CLOCK_PATTERN},
    ),
]
ENERGY_UNITS: dict[str, str] = {"diesel": "L", "lng": "kg", "electric": "kWh"}
ENERGY_STOPS = ("collect", "unload", "pickup")  # stops whose work uses energy (per_stop)


def clock_to_seconds(clock: str) -> int:
    """``"07:30"`` -> 27000 (seconds after midnight)."""
    hours, minutes = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def seconds_to_clock(seconds: float) -> str:
    """Seconds after midnight -> ``HH:MM`` rounded to the nearest minute (may exceed 24:00)."""
    minutes = int(round(seconds / 60.0))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def titled_name(name: str, title: str) -> str:
    """``title (name)``, or ``name`` when there is no title."""
    return f"{title} ({name})" if title and title != name else name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class TimeWindow(_Strict):
    """A half-open daily interval ``[start, end]`` of clock times, ``start`` before ``end``."""

    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if clock_to_seconds(self.end) <= clock_to_seconds(self.start):
            raise ValueError(
                f"time window {self.start}-{self.end} is inverted or empty: end must be after start"
            )
        return self

    @property
    def start_s(self) -> int:
        return clock_to_seconds(self.start)

    @property
    def end_s(self) -> int:
        return clock_to_seconds(self.end)


ALL_DAY = TimeWindow(start="00:00", end="24:00")


class Charger(_Strict):
    """Charging points at a yard or facility: ``count`` plugs of ``power_kw`` each."""

    power_kw: float = Field(gt=0, description="power one plug delivers, kW")
    count: int = Field(default=1, ge=1, description="trucks that can charge at once")
    session_min: float = Field(
        default=30.0, gt=0, le=600, description="length of one charging session a route plans, min"
    )


class Site(_Strict):
    """Anything with a place: id chosen by the user, optional (Chinese) name, WGS84 lon/lat."""

    id: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
    name: str = ""
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class CollectionPoint(Site):
    """A village/community collection point or a kitchen-waste source."""

    stream: Stream
    tonnes_per_day: float = Field(gt=0, description="waste to collect today, t")
    service_min: float = Field(default=5.0, ge=0, description="loading time at the point, min")
    window: TimeWindow | None = Field(default=None, description="when the point may be served")
    township: str | None = None
    left_by: str | None = Field(
        default=None,
        description="a re-plan's recovery point: the broken-down vehicle whose load waits here",
    )


class Facility(Site):
    """Where trucks unload: transfer station, incinerator, kitchen-waste centre or landfill."""

    kind: FacilityKind
    streams: list[Stream] = Field(min_length=1)
    capacity_t_per_day: float = Field(gt=0, description="hard daily intake limit, t")
    external_inflow_t_per_day: float = Field(
        default=0.0, ge=0, description="intake from outside this plan (e.g. neighbouring counties)"
    )
    gate: TimeWindow = ALL_DAY
    unload_min: float = Field(default=10.0, ge=0, description="time to unload one truck, min")
    cost_per_t: float = Field(default=0.0, ge=0, description="handling or tipping fee, CNY/t")
    status: FacilityStatus = "open"
    annual_fixed_cost: float = Field(default=0.0, ge=0, description="CNY/yr, for siting")
    charger: Charger | None = Field(
        default=None, description="where battery trucks charge while they unload and wait"
    )
    assumption: str = Field(
        default="",
        description="what about this facility is assumed rather than sourced (e.g. not in the"
        " county plan); every output that shows the facility marks it so",
    )

    @property
    def free_capacity_t(self) -> float:
        return max(0.0, self.capacity_t_per_day - self.external_inflow_t_per_day)


class Yard(Site):
    """A depot where vehicles start and end their shift."""

    charger: Charger | None = Field(
        default=None, description="overnight charging: battery trucks based here start full"
    )


class Break(_Strict):
    """A rest of ``duration_min`` minutes taken entirely inside ``window``."""

    window: TimeWindow
    duration_min: float = Field(gt=0)


class EnergyModel(_Strict):
    """Load-dependent consumption: linear from empty to full payload, per 100 km.

    Units by ``type``: diesel litres, LNG kilograms, electric kWh. ``per_stop`` is the extra
    use per collect/unload stop (idling, compaction, lifting) in the same unit.
    """

    type: EnergyType = "diesel"
    empty_per_100km: float = Field(default=25.0, ge=0)
    full_per_100km: float = Field(default=35.0, ge=0)
    per_stop: float = Field(default=0.0, ge=0)

    @property
    def unit(self) -> str:
        return ENERGY_UNITS[self.type]


class Battery(_Strict):
    """A traction battery. The state of charge (SoC) counts usable kWh: a truck leaves its yard
    with ``usable_kwh`` and must keep ``reserve_kwh`` at every stop."""

    capacity_kwh: float = Field(gt=0, description="nameplate capacity, kWh")
    usable_share: float = Field(
        default=0.9, gt=0, le=1, description="share of the capacity the battery lets a truck use"
    )
    reserve_share: float = Field(
        default=0.1, ge=0, lt=1, description="share of the usable energy always kept in reserve"
    )

    @property
    def usable_kwh(self) -> float:
        return self.capacity_kwh * self.usable_share

    @property
    def reserve_kwh(self) -> float:
        return self.usable_kwh * self.reserve_share


class VehicleType(_Strict):
    """``count`` identical vehicles based at ``yard``."""

    id: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
    name: str = ""
    tier: Tier = "collection"
    streams: list[Stream] = Field(min_length=1)
    payload_t: float = Field(gt=0)
    count: int = Field(ge=1)
    yard: str
    shift: TimeWindow
    break_: Break | None = Field(default=None, alias="break")
    fixed_cost_per_day: float = Field(default=0.0, ge=0, description="CNY per vehicle used")
    cost_per_km: float = Field(default=0.0, ge=0, description="CNY/km")
    cost_per_hour: float = Field(default=0.0, ge=0, description="CNY per hour on duty")
    energy: EnergyModel = EnergyModel()
    battery: Battery | None = Field(
        default=None, description="electric types: range and charging are planned when given"
    )

    @model_validator(mode="after")
    def _battery_fits(self) -> VehicleType:
        if self.battery is not None and self.energy.type != "electric":
            raise ValueError(f"battery: type {self.id!r} runs on {self.energy.type}, not electric")
        return self

    def vehicle_ids(self) -> list[str]:
        return [f"{self.id}-{k}" for k in range(1, self.count + 1)]

    def leg_energy(self, distance_km: float, load_t: float) -> float:
        """Energy (the type's unit) to drive ``distance_km`` carrying ``load_t``: per 100 km,
        ``empty + (full - empty) * load / payload``, the load share clipped to 0..1.

        The one consumption formula: impact, the checker and the routing all use it.
        """
        model = self.energy
        share = min(max(load_t / self.payload_t, 0.0), 1.0)
        per_100km = model.empty_per_100km + (model.full_per_100km - model.empty_per_100km) * share
        return distance_km / 100.0 * per_100km

    def stop_energy(self, action: str) -> float:
        """Energy of the work at a stop: ``per_stop`` for a collect, unload or pickup."""
        return self.energy.per_stop if action in ENERGY_STOPS else 0.0


class TariffPeriod(_Strict):
    """One period of a time-of-use electricity tariff (分时电价): its hours and its price."""

    window: TimeWindow
    cny_per_kwh: float = Field(ge=0)


class InstanceSettings(_Strict):
    """Instance-wide settings; every default is an assumption documented in the README."""

    circuity_factor: float = Field(
        default=1.35, ge=1.0, description="road km per great-circle km (no-network provider)"
    )
    average_speed_kmh: float = Field(
        default=30.0, gt=0, description="truck speed for the no-network provider"
    )
    unserved_penalty_per_t: float = Field(
        default=20000.0, gt=0, description="CNY/t charged for each tonne left unserved"
    )
    graph: str | None = Field(default=None, description="road graph file, relative to instance")
    residual_sorted_out: dict[WasteMaterial, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict,
        description="share of each material households sort out of residual waste before"
        " collection, as a sorting scenario sets it; the impact's residual composition",
    )
    stray_share: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="dispatch rule: a collection route that spends over this share of its"
        " kilometres driving out to its first point and back from its last unload must not"
        " run while a nearer yard has an idle truck of its stream whose shift covers it"
        " (the planner leaves such work to the nearer yard); null: no such rule",
    )
    tariff: list[TariffPeriod] = Field(
        default_factory=list,
        description="time-of-use electricity tariff for charging: periods covering the whole"
        " day once (00:00-24:00); empty: charging energy is reported without a cost",
    )

    @model_validator(mode="after")
    def _tariff_covers_the_day(self) -> InstanceSettings:
        if not self.tariff:
            return self
        spans = sorted((p.window.start_s, p.window.end_s) for p in self.tariff)
        at = 0
        for start, end in spans:
            if start != at:
                where = seconds_to_clock(min(start, at))
                raise ValueError(
                    f"tariff: {'gap' if start > at else 'overlap'} at {where};"
                    " the periods must cover 00:00-24:00 once"
                )
            at = end
        if at != 86400:
            raise ValueError(
                f"tariff: nothing from {seconds_to_clock(at)} to 24:00; cover the whole day"
            )
        return self


class Instance(_Strict):
    """One day's problem: sites, fleet and settings. One instance = one JSON file."""

    name: str
    title: str = Field(
        default="", description="what people call the area, e.g. 道县; shown in titles beside name"
    )
    description: str = ""
    date: str | None = None
    assumptions: list[str] = Field(
        default_factory=list,
        description="what the whole instance assumes or approximates (e.g. a design capacity"
        " used as the day's tonnage); every output repeats it",
    )
    settings: InstanceSettings = InstanceSettings()
    yards: list[Yard] = Field(min_length=1)
    facilities: list[Facility] = Field(min_length=1)
    vehicle_types: list[VehicleType] = Field(min_length=1)
    points: list[CollectionPoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ids_consistent(self) -> Instance:
        seen: dict[str, str] = {}
        problems: list[str] = []
        for group in ("yards", "facilities", "points"):
            for index, site in enumerate(getattr(self, group)):
                if site.id in seen:
                    problems.append(
                        f"{group}[{index}].id: duplicate id {site.id!r} (also in {seen[site.id]});"
                        " give every site its own id"
                    )
                else:
                    seen[site.id] = f"{group}[{index}]"
        yard_ids = {y.id for y in self.yards}
        type_ids: set[str] = set()
        for index, vt in enumerate(self.vehicle_types):
            if vt.id in type_ids:
                problems.append(f"vehicle_types[{index}].id: duplicate vehicle type id {vt.id!r}")
            type_ids.add(vt.id)
            if vt.yard not in yard_ids:
                problems.append(
                    f"vehicle_types[{index}].yard: unknown yard {vt.yard!r};"
                    f" known yards: {', '.join(sorted(yard_ids))}"
                )
            elif vt.battery is not None and not any(
                y.id == vt.yard and y.charger is not None for y in self.yards
            ):
                problems.append(
                    f"vehicle_types[{index}].battery: yard {vt.yard!r} has no charger, so its"
                    " trucks cannot start the day full; give the yard a charger"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def display_name(self) -> str:
        """How titles name the instance: ``道县 (daoxian)``, or the name alone without a title."""
        return titled_name(self.name, self.title)

    @property
    def sites(self) -> list[Site]:
        """Yards, then facilities, then points: the order of every travel matrix."""
        return [*self.yards, *self.facilities, *self.points]

    def site(self, site_id: str) -> Site:
        for site in self.sites:
            if site.id == site_id:
                return site
        raise KeyError(site_id)

    def open_facilities(self) -> list[Facility]:
        return [f for f in self.facilities if f.status == "open"]

    def vehicle_type(self, type_id: str) -> VehicleType:
        for vt in self.vehicle_types:
            if vt.id == type_id:
                return vt
        raise KeyError(type_id)


class Stop(_Strict):
    """One event of a route. ``tonnes`` is what was collected, unloaded or picked up.

    Battery trucks' stops carry the state of charge after the stop (``soc_kwh``, usable kWh);
    a ``charge`` stop also the energy it took in (``charged_kwh``).
    """

    action: StopAction
    site_id: str
    arrive: PlanClock
    depart: PlanClock
    tonnes: float = 0.0
    load_after_t: float = 0.0
    distance_from_prev_km: float = 0.0
    soc_kwh: float | None = None
    charged_kwh: float = 0.0


class Route(_Strict):
    """A vehicle's whole day, from its yard back to its yard."""

    vehicle_id: str
    vehicle_type: str
    tier: Tier = "collection"
    stream: Stream
    stops: list[Stop]
    distance_km: float
    duration_min: float

    @property
    def trips(self) -> int:
        return sum(1 for s in self.stops if s.action == "unload")


class Unserved(_Strict):
    """A point not served today, with the reason a dispatcher can act on."""

    point_id: str
    tonnes: float
    reason: str


class Backlog(_Strict):
    """Waste delivered to a transfer station that no transfer trip hauled away today."""

    facility_id: str
    tonnes: float
    reason: str


class SolveStats(_Strict):
    """How the plan was found: timings, objective and its history ``[(seconds, cost)]``."""

    solver: str = "ortools"
    seconds: float = 0.0
    first_feasible_s: float | None = None
    objective: float = 0.0
    history: list[tuple[float, float]] = Field(default_factory=list)
    time_limit_s: float = 0.0
    seed: int = 0
    iterations: int = 0  # of the compiled search and of ruin and recreate
    starts_rejected: int = 0  # starts OR-Tools' check refused (the search then went on alone)
    stopped_early: bool = False  # the search was stopped (Ctrl-C, cancel) before its budget
    # under a solution limit, the time limit ended the search first: the plan may not repeat
    time_limited: bool = False


class GridFactor(_Strict):
    """The grid's CO2 per kWh used for charging and for avoided generation, and its source."""

    kg_co2_per_kwh: float = Field(gt=0, le=2.0, description="kg CO2 per kWh")
    source: str = Field(min_length=1, description="which grid and year, and who publishes it")


# ---------------------------------------------------------------- the impact report
# wasteopt.impact computes it; a plan carries it (Plan.impact) and plan.json stores it.


class RouteEnergy(_Strict):
    """One vehicle's day: distance, tonne-km carried, energy in its own unit, CO2e."""

    vehicle_id: str
    vehicle_type: str
    tier: str
    stream: str
    energy_type: str
    unit: str
    distance_km: float
    tonne_km: float
    energy: float
    co2e_kg: float


class Figures(_Strict):
    """Additive quantities of one period (a plan day, or the day x365)."""

    distance_km: float
    tonne_km: float
    diesel_l: float
    lng_kg: float
    electricity_kwh: float
    transport_co2e_t: float
    generated_t: float
    collected_t: float
    unserved_t: float
    incinerated_t: float
    kitchen_treated_t: float
    landfilled_t: float
    backlog_t: float
    overflow_t: float
    wte_electricity_kwh: float
    biogas_electricity_kwh: float
    avoided_grid_co2_t: float
    incineration_fossil_co2_t: float
    incineration_n2o_co2e_t: float
    incineration_ch4_co2e_t: float
    landfill_ch4_co2e_t: float
    net_co2e_t: float
    bottom_ash_t: float
    bricks_potential: float
    bricks_capped: float
    grease_t: float
    sorted_t: float
    recycled_t: float

    def scaled(self, factor: float) -> Figures:
        return Figures(**{k: v * factor for k, v in self.model_dump().items()})


class FacilityIntake(_Strict):
    """A treatment site's day: this plan's deliveries, outside inflow, capacity."""

    facility_id: str
    name: str
    kind: str
    plan_t: float
    external_t: float
    capacity_t: float
    utilisation: float


class Kpi(_Strict):
    """A ratio against the county plan's target (``met`` is None where no target is set)."""

    key: str
    label: str
    value: float
    target: float | None = None
    comparison: Literal[">=", "<="] | None = None
    met: bool | None = None
    source: str = ""


class ChargerUse(_Strict):
    """One site's charger over the day: sessions, hours plugged, most trucks at once, plugs."""

    site_id: str
    sessions: int
    plugged_hours: float
    busiest: int
    plugs: int


class ChargingFigures(_Strict):
    """A day's charging: en route (charge stops) and overnight at the yards; its cost when the
    instance has a tariff (None otherwise); each charging site's use."""

    battery_trucks: int
    charge_stops: int
    en_route_kwh: float
    overnight_kwh: float
    cost_cny: float | None
    chargers: list[ChargerUse]

    @property
    def total_kwh(self) -> float:
        return self.en_route_kwh + self.overnight_kwh


class ImpactReport(_Strict):
    """The impact block of a plan: per route, per facility, per day and per year, and KPIs.

    Every field is required, so a stored report states all it was computed with. ``charging``
    is None where the plan has no battery truck.
    """

    instance_name: str
    instance_title: str
    days_per_year: int
    vehicles_used: int
    trips: int
    routes: list[RouteEnergy]
    facilities: list[FacilityIntake]
    per_day: Figures
    per_year: Figures
    plant_shortfall_t: float
    kpis: list[Kpi]
    factors: dict[str, float]
    grid: GridFactor
    caveats: list[str]
    not_counted: list[str]
    charging: ChargingFigures | None

    @model_validator(mode="before")
    @classmethod
    def _no_charging_without_electric_routes(cls, data: object) -> object:
        """A report stored before charging was counted lacks ``charging``. Without an electric
        route the plan had no battery truck, so it is None; with one it is not known, and the
        report stays incomplete."""
        if isinstance(data, dict) and "charging" not in data:
            routes = data.get("routes")
            if isinstance(routes, list) and all(
                isinstance(r, dict) and r.get("energy_type") != "electric" for r in routes
            ):
                return {**data, "charging": None}
        return data


class InputFile(_Strict):
    """A file a plan was made from: its absolute path when planned and its SHA-256."""

    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Provenance(_Strict):
    """What made a plan: inputs with their hashes, options, seed and software version.

    ``instance`` and ``graph`` are None when they did not come from a file (an instance sent
    to the API; great-circle estimates instead of a road graph). ``instance_sha256`` hashes the
    validated instance itself (points from its CSV included), so any copy of it matches.
    """

    software: str
    created_at: str = Field(description="ISO 8601 UTC")
    instance: InputFile | None = None
    instance_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    graph: InputFile | None = None
    road_network: str = Field(description="what the travel times come from, in words")
    speeds_kmh: dict[str, float] | None = Field(
        default=None, description="truck speed by road class used on the graph, km/h"
    )
    options: dict[str, float | int | str | bool | None] = Field(default_factory=dict)
    seed: int = 0
    grid: GridFactor


class ReplanStep(_Strict):
    """A re-plan a plan went through: its clock time, the road events it applied (as in an
    events file), which hold for every leg that leaves after it, and the trucks it took out of
    service, which get no work in a later re-plan."""

    at: ClockTime
    road_events: list[dict[str, Any]] = Field(default_factory=list)
    withdrawn: list[str] = Field(default_factory=list, description="trucks withdrawn then")
    broken_down: list[str] = Field(default_factory=list, description="trucks broken down then")


class Plan(_Strict):
    """The day's routes for both tiers, what was left, and how they were found."""

    instance_name: str
    date: str | None = None
    routes: list[Route] = Field(default_factory=list)
    unserved: list[Unserved] = Field(default_factory=list)
    backlog: list[Backlog] = Field(default_factory=list)
    cost: float = Field(default=0.0, description="fixed + distance + time + handling, CNY")
    stats: list[SolveStats] = Field(default_factory=list, description="one entry per tier")
    caveats: list[str] = Field(
        default_factory=list,
        description="what in this plan is assumed or approximate (road network, facilities,"
        " tonnages), in words",
    )
    provenance: Provenance | None = None
    replans: list[ReplanStep] = Field(
        default_factory=list,
        description="the re-plans that made this plan from a morning plan, in time order",
    )
    impact: ImpactReport | None = Field(
        default=None,
        description="what the plan means for the county (wasteopt.impact); a stored report of"
        " another shape, from another version, loads as None",
    )

    @field_validator("impact", mode="wrap")
    @classmethod
    def _impact_or_none(cls, value: object, handler: ValidatorFunctionWrapHandler) -> object:
        """A stored report that is not this version's shape is dropped rather than guessed at:
        it is derived from the plan and its instance, and ``wasteopt report`` recomputes it."""
        try:
            return handler(value)
        except ValidationError as error:
            if not isinstance(value, dict):
                raise
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            log.warning(
                "plan's stored impact report is of another version (%s: %s); it is left out,"
                " and wasteopt report recomputes it",
                where,
                first["msg"],
            )
            return None


@dataclass(frozen=True)
class TravelMatrices:
    """Travel distance (m) and time (s) between sites, indexed by ``site_ids`` order."""

    site_ids: Sequence[str]
    distance_m: np.ndarray
    duration_s: np.ndarray

    def index(self) -> dict[str, int]:
        return {site_id: i for i, site_id in enumerate(self.site_ids)}
