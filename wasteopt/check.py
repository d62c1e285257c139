"""Independent plan checker: recompute every rule of a Plan from the instance and matrices.

The rules are those of the plan contract (loads, times, travel, windows, gate hours, shift,
break, payload, streams, tiers, facility capacity, transfer-station balance, coverage,
distances, durations and cost; for battery trucks the state of charge at every stop and the
chargers they use). Nothing is taken from the solver: loads are rebuilt from the
points' tonnes, travel from the matrices, costs from the vehicle types and facilities. The
checker reports; it never raises on a plan that parsed, whatever its content.

A broken rule is reported at its cause, not again as its consequences: an unload always
empties the truck in the recomputation, so a wrong ``tonnes`` on an unload is a ``tonnes``
violation and not also a cascade of ``load`` and ``ends_empty`` ones; a wrong stated distance
or duration does not also make ``plan.cost`` wrong, because the cost is recomputed from the
matrices and clocks.

Readings of the contract where it leaves room (the stricter one, as a dispatcher expects):

- A break lies between its neighbours: it starts no earlier than the previous stop's
  departure and ends no later than the next stop's arrival (it never overlaps a service).
- Gate hours apply to every truck entering a facility: hook-lift pickups at a transfer
  station must also fall within the station's gate.
- "start", "end" and "break" stops carry no tonnes; "start" and "break" carry no distance.
- An unserved point needs a non-empty reason (a point is never dropped silently).
- A pickup has no minimum duration (the contract states none).
- A battery truck's state of charge (:mod:`wasteopt.soc`) may not fall below its reserve after
  any stop; a charge stop needs a charger at its site, takes in at most the charger's power
  times its duration, and no more trucks charge at a site at once than it has plugs (a stop
  holds its plug from arrival to departure).
- A route may end in a ``breakdown`` stop instead of at its yard (a re-plan's broken-down
  truck): where it stands, it hands its whole load to the instance's point that stands for
  it (``left_by``), which nobody may collect before the breakdown; such a route takes at most
  one break and may have collected nothing.
- A ``position`` stop is a truck's position reported in a re-plan (a site of the day's
  instance): the legs into and out of it are checked like any other; it moves no tonnes, and
  the load on board there is the one reported (a truck's scales, which the points' estimated
  tonnes cannot confirm), within the payload.
- With ``earlier`` (a re-plan after a road closure), a leg is checked against the matrices
  of the first of its times that the leg leaves before, every later leg against ``matrices``.
- Only unloads by collection-tier routes feed a transfer station's balance, and the balance
  holds per stream: sorted waste stays sorted, so a hook-lift hauling ``recyclable`` cannot
  take away ``residual`` tonnes. The backlog (which has no stream) is the station's total.

Tolerances: clock times are whole minutes, so times compare with ``TIME_TOL_S`` (60 s) and
durations with ``MINUTE_TOL``; a single tonnage with ``TONNE_TOL``, sums of tonnages (loads,
capacity, balances, backlog) with ``SUM_TOL_T`` (kg rounding); distances with ``KM_TOL``; the
cost with the tolerance these allow in its terms plus ``COST_TOL``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from wasteopt.charging import busiest
from wasteopt.model import (
    Charger,
    CollectionPoint,
    Facility,
    Instance,
    Plan,
    Route,
    Stop,
    TravelMatrices,
    VehicleType,
    clock_to_seconds,
    seconds_to_clock,
)
from wasteopt.soc import soc_walk

TIME_TOL_S = 60
TONNE_TOL = 1e-6
SUM_TOL_T = 0.001
KM_TOL = 0.001
MINUTE_TOL = 1.0
COST_TOL = 0.01
SOC_TOL_KWH = 0.01

UNKNOWN_SITE = "unknown_site"
UNKNOWN_VEHICLE = "unknown_vehicle"
DUPLICATE_VEHICLE = "duplicate_vehicle"
TIER = "tier"
VEHICLE_STREAM = "vehicle_stream"
ROUTE_SHAPE = "route_shape"
EMPTY_ROUTE = "empty_route"
STOP_TIME = "stop_time"
SHIFT = "shift"
TRAVEL = "travel"
WINDOW = "window"
SERVICE_TIME = "service_time"
GATE = "gate"
BREAK = "break"
ACTION_SITE = "action_site"
FACILITY_STATUS = "facility_status"
STREAM = "stream"
TONNES = "tonnes"
LOAD = "load"
PAYLOAD = "payload"
ENDS_EMPTY = "ends_empty"
COVERAGE = "coverage"
UNSERVED = "unserved"
CAPACITY = "capacity"
STATION_BALANCE = "station_balance"
STATION_ORDER = "station_order"
BACKLOG = "backlog"
DISTANCE = "distance"
DURATION = "duration"
COST = "cost"
BREAKDOWN = "breakdown"
SOC = "soc"
CHARGE = "charge"
CHARGER_COUNT = "charger_count"

VIOLATION_KINDS = (
    UNKNOWN_SITE,
    UNKNOWN_VEHICLE,
    DUPLICATE_VEHICLE,
    TIER,
    VEHICLE_STREAM,
    ROUTE_SHAPE,
    EMPTY_ROUTE,
    STOP_TIME,
    SHIFT,
    TRAVEL,
    WINDOW,
    SERVICE_TIME,
    GATE,
    BREAK,
    ACTION_SITE,
    FACILITY_STATUS,
    STREAM,
    TONNES,
    LOAD,
    PAYLOAD,
    ENDS_EMPTY,
    COVERAGE,
    UNSERVED,
    CAPACITY,
    STATION_BALANCE,
    STATION_ORDER,
    BACKLOG,
    DISTANCE,
    DURATION,
    COST,
    BREAKDOWN,
    SOC,
    CHARGE,
    CHARGER_COUNT,
)


@dataclass(frozen=True)
class Violation:
    """One broken rule: its kind (see ``VIOLATION_KINDS``), what is wrong, and where."""

    kind: str
    message: str
    vehicle_id: str | None = None
    site_id: str | None = None

    def __str__(self) -> str:
        where = " at ".join(part for part in (self.vehicle_id, self.site_id) if part)
        return (
            f"[{self.kind}] {where}: {self.message}" if where else f"[{self.kind}] {self.message}"
        )


def _t(tonnes: float) -> str:
    return f"{tonnes:.3f} t"


def _c(seconds: int) -> str:
    return seconds_to_clock(seconds)


@dataclass
class _Index:
    """Lookups of the instance and the matrices, built once per check."""

    points: dict[str, CollectionPoint]
    facilities: dict[str, Facility]
    yards: set[str]
    vehicle_types: dict[str, VehicleType]
    matrices: TravelMatrices
    rows: dict[str, int]
    chargers: dict[str, Charger]
    # (until, matrices, rows) in time order: a leg leaving before ``until`` uses the matrices
    earlier: list[tuple[int, TravelMatrices, dict[str, int]]] = field(default_factory=list)

    @classmethod
    def build(cls, instance: Instance, matrices: TravelMatrices) -> _Index:
        n = len(matrices.site_ids)
        for name in ("distance_m", "duration_s"):
            if getattr(matrices, name).shape != (n, n):
                raise ValueError(f"matrices.{name} must be {n}x{n} like matrices.site_ids")
        return cls(
            points={p.id: p for p in instance.points},
            facilities={f.id: f for f in instance.facilities},
            yards={y.id for y in instance.yards},
            vehicle_types={vt.id: vt for vt in instance.vehicle_types},
            matrices=matrices,
            rows=matrices.index(),
            chargers={
                s.id: s.charger
                for s in (*instance.yards, *instance.facilities)
                if s.charger is not None
            },
        )

    def is_site(self, site_id: str) -> bool:
        return site_id in self.points or site_id in self.facilities or site_id in self.yards

    def leg(
        self, origin: str, destination: str, depart_s: int | None = None
    ) -> tuple[int, int] | None:
        """``(metres, seconds)`` from origin to destination leaving at ``depart_s``, None when
        either is unknown."""
        if not (self.is_site(origin) and self.is_site(destination)):
            return None
        matrices, rows = self.matrices, self.rows
        if depart_s is not None:
            matrices, rows = next(
                ((m, r) for until, m, r in self.earlier if depart_s < until), (matrices, rows)
            )
        i, j = rows.get(origin), rows.get(destination)
        if i is None or j is None:
            return None
        return int(matrices.distance_m[i, j]), int(matrices.duration_s[i, j])


@dataclass(frozen=True)
class _Event:
    """An unload or pickup at a facility, as recomputed (time: depart / arrive)."""

    facility_id: str
    tonnes: float
    time_s: int | None
    vehicle_id: str
    tier: str
    stream: str


@dataclass
class _Facts:
    """What the route checks hand to the plan-wide checks."""

    collected: list[str] = field(default_factory=list)
    charging: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # site: times
    handovers: list[_Event] = field(default_factory=list)  # loads left by broken-down trucks
    unloads: list[_Event] = field(default_factory=list)
    pickups: list[_Event] = field(default_factory=list)
    route_cost: float = 0.0
    cost_tol: float = COST_TOL
    cost_known: bool = True


@dataclass
class _Route:
    """One route under check: the route, its vehicle type and the parsed clock times."""

    route: Route
    vt: VehicleType | None
    tier: str
    times: list[tuple[int, int]] | None
    out: list[Violation]

    def report(self, kind: str, message: str, site_id: str | None = None) -> None:
        self.out.append(Violation(kind, message, self.route.vehicle_id, site_id))

    @property
    def broken(self) -> bool:
        """Whether the route ends in a breakdown instead of at its yard."""
        return bool(self.route.stops) and self.route.stops[-1].action == "breakdown"


def check_plan(
    instance: Instance,
    plan: Plan,
    matrices: TravelMatrices,
    earlier: Sequence[tuple[int, TravelMatrices]] = (),
) -> list[Violation]:
    """Every violation of the plan contract by ``plan`` for ``instance``.

    Parameters
    ----------
    instance
        The day's problem the plan claims to solve.
    plan
        Any parsed plan (from the solver or a file).
    matrices
        Travel distance (m) and time (s), indexed by ``matrices.site_ids``.
    earlier
        ``(seconds, matrices)`` in time order: a leg that leaves before the first such time of
        day is checked against its matrices instead (a re-plan's frozen legs, driven before a
        road closed; one pair for each re-plan that changed the roads).

    Returns
    -------
    list[Violation]
        Empty when the plan is clean; otherwise each broken rule once, in route order, then
        the plan-wide rules (duplicates, coverage, capacity, stations, cost).
    """
    index = _Index.build(instance, matrices)
    index.earlier = [(until, m, m.index()) for until, m in earlier]
    facts = _Facts()
    out: list[Violation] = []
    for route in plan.routes:
        _check_route(route, index, facts, out)
    _check_duplicate_vehicles(plan, out)
    _check_coverage(plan, index, facts, out)
    _check_capacity(index, facts, out)
    _check_charger_count(index, facts, out)
    _check_breakdowns(index, facts, out)
    _check_stations(plan, index, facts, out)
    _check_cost(plan, index, facts, out)
    return out


# --- one route ------------------------------------------------------------------------------


def _check_route(route: Route, index: _Index, facts: _Facts, out: list[Violation]) -> None:
    vt = index.vehicle_types.get(route.vehicle_type)
    r = _Route(route, vt, vt.tier if vt else route.tier, _parse_times(route.stops), out)
    _check_vehicle(r)
    _check_shape(r)
    _check_sites_and_clocks(r, index)
    for i, stop in enumerate(route.stops):
        _check_action(r, i, stop, index)
    unloaded = _check_loads(r, index)
    distance_m, complete = _check_legs(r, index)
    _check_breaks(r)
    _check_charging(r, index, facts)
    duration_min = _check_shift_and_duration(r)
    _record_facts(r, index, facts, unloaded, distance_m if complete else None, duration_min)


def _parse_times(stops: list[Stop]) -> list[tuple[int, int]] | None:
    try:
        return [(clock_to_seconds(s.arrive), clock_to_seconds(s.depart)) for s in stops]
    except (ValueError, AttributeError, TypeError):
        return None


def _check_sites_and_clocks(r: _Route, index: _Index) -> None:
    stops = r.route.stops
    for stop in stops:
        if not index.is_site(stop.site_id):
            r.report(UNKNOWN_SITE, "is not a site of the instance", stop.site_id)
        elif stop.site_id not in index.rows:
            r.report(UNKNOWN_SITE, "has no row in the travel matrices", stop.site_id)
    if r.times is None:
        r.report(STOP_TIME, "a stop's arrive/depart is not a clock time HH:MM")
        return
    for stop, (arrive, depart) in zip(stops, r.times, strict=True):
        if arrive > depart:
            r.report(
                STOP_TIME, f"arrives {stop.arrive} after it departs {stop.depart}", stop.site_id
            )


def _check_vehicle(r: _Route) -> None:
    route, vt = r.route, r.vt
    if vt is None:
        r.report(UNKNOWN_VEHICLE, f"vehicle type {route.vehicle_type!r} is not in the instance")
        return
    if route.vehicle_id not in vt.vehicle_ids():
        r.report(
            UNKNOWN_VEHICLE,
            f"is not a vehicle of type {vt.id!r} (its vehicles: {', '.join(vt.vehicle_ids())})",
        )
    if route.tier != vt.tier:
        r.report(TIER, f"route tier {route.tier!r} but vehicle type {vt.id!r} is {vt.tier!r}")
    if route.stream not in vt.streams:
        r.report(
            VEHICLE_STREAM,
            f"carries {route.stream!r} but type {vt.id!r} takes only {', '.join(vt.streams)}",
        )


def _check_shape(r: _Route) -> None:
    stops = r.route.stops
    if not stops:
        r.report(ROUTE_SHAPE, "has no stops; a route starts and ends at its yard")
        return
    last = len(stops) - 1
    if stops[0].action != "start":
        r.report(ROUTE_SHAPE, f"first stop is {stops[0].action!r}, not 'start'", stops[0].site_id)
    if stops[-1].action not in ("end", "breakdown"):
        r.report(ROUTE_SHAPE, f"last stop is {stops[-1].action!r}, not 'end'", stops[-1].site_id)
    for i, stop in enumerate(stops):
        if (stop.action == "start" and i != 0) or (
            stop.action in ("end", "breakdown") and i != last
        ):
            r.report(ROUTE_SHAPE, f"{stop.action!r} stop in the middle of the route", stop.site_id)
    if r.vt is not None:
        for stop in (stops[0],) if r.broken else (stops[0], stops[-1]):
            if stop.site_id != r.vt.yard:
                r.report(
                    ROUTE_SHAPE,
                    f"route must start and end at yard {r.vt.yard!r} of type {r.vt.id!r}",
                    stop.site_id,
                )
    if not r.broken and not any(s.action in ("collect", "pickup") for s in stops):
        r.report(EMPTY_ROUTE, "collects and picks up nothing; an unused vehicle is not listed")


def _check_action(r: _Route, i: int, stop: Stop, index: _Index) -> None:
    if stop.action == "collect":
        _check_collect(r, i, stop, index)
    elif stop.action in ("unload", "pickup"):
        _check_facility_visit(r, i, stop, index)


def _check_collect(r: _Route, i: int, stop: Stop, index: _Index) -> None:
    site = stop.site_id
    if r.tier != "collection":
        r.report(TIER, f"collects on a {r.tier}-tier route; only collection routes collect", site)
    point = index.points.get(site)
    if point is None:
        if index.is_site(site):
            r.report(ACTION_SITE, "collects at a site that is not a collection point", site)
        return
    if point.stream != r.route.stream:
        r.report(STREAM, f"point holds {point.stream!r}, route carries {r.route.stream!r}", site)
    if r.times is None:
        return
    arrive, depart = r.times[i]
    if point.window is not None:
        if arrive < point.window.start_s - TIME_TOL_S:
            r.report(WINDOW, f"arrives {_c(arrive)} before window start {point.window.start}", site)
        if arrive > point.window.end_s + TIME_TOL_S:
            r.report(WINDOW, f"arrives {_c(arrive)} after window end {point.window.end}", site)
    if depart - arrive < point.service_min * 60 - TIME_TOL_S:
        r.report(
            SERVICE_TIME,
            f"stays {(depart - arrive) / 60:g} min, service takes {point.service_min:g} min",
            site,
        )


def _check_facility_visit(r: _Route, i: int, stop: Stop, index: _Index) -> None:
    site, action, stream = stop.site_id, stop.action, r.route.stream
    if action == "pickup" and r.tier != "transfer":
        r.report(TIER, f"picks up on a {r.tier}-tier route; only transfer routes pick up", site)
    facility = index.facilities.get(site)
    if facility is None:
        if index.is_site(site):
            r.report(ACTION_SITE, f"{action} at a site that is not a facility", site)
        return
    if action == "pickup" and facility.kind != "transfer_station":
        r.report(ACTION_SITE, f"picks up at a {facility.kind}, not a transfer station", site)
    if action == "unload" and r.tier == "transfer" and facility.kind == "transfer_station":
        r.report(TIER, "transfer-tier route unloads at a transfer station", site)
    if facility.status != "open":
        r.report(
            FACILITY_STATUS, f"{action} at a facility whose status is {facility.status!r}", site
        )
    if stream not in facility.streams:
        r.report(
            STREAM, f"{action} of {stream!r} where only {', '.join(facility.streams)} go", site
        )
    if r.times is None:
        return
    arrive, depart = r.times[i]
    if arrive < facility.gate.start_s - TIME_TOL_S:
        r.report(GATE, f"arrives {_c(arrive)} before the gate opens at {facility.gate.start}", site)
    if depart > facility.gate.end_s + TIME_TOL_S:
        r.report(GATE, f"leaves {_c(depart)} after the gate closes at {facility.gate.end}", site)
    if action == "unload" and depart - arrive < facility.unload_min * 60 - TIME_TOL_S:
        r.report(
            SERVICE_TIME,
            f"stays {(depart - arrive) / 60:g} min, unloading takes {facility.unload_min:g} min",
            site,
        )


def _check_loads(r: _Route, index: _Index) -> dict[int, float]:
    """Rebuild the load stop by stop; return the tonnes each unload stop really unloads."""
    payload = r.vt.payload_t if r.vt else None
    unloaded: dict[int, float] = {}
    load = 0.0
    for i, stop in enumerate(r.route.stops):
        site = stop.site_id
        if stop.action == "collect":
            point = index.points.get(site)
            if point is None:
                load += max(stop.tonnes, 0.0)
            else:
                if abs(stop.tonnes - point.tonnes_per_day) > TONNE_TOL:
                    r.report(
                        TONNES,
                        f"collects {_t(stop.tonnes)}, the point has {_t(point.tonnes_per_day)}",
                        site,
                    )
                load += point.tonnes_per_day
        elif stop.action == "unload":
            if load <= SUM_TOL_T:
                r.report(TONNES, "unloads an empty truck", site)
            elif abs(stop.tonnes - load) > SUM_TOL_T:
                r.report(
                    TONNES, f"unloads {_t(stop.tonnes)} but carries {_t(load)} (all of it)", site
                )
            unloaded[i] = load
            load = 0.0
        elif stop.action == "breakdown":
            if abs(stop.tonnes - load) > SUM_TOL_T:
                r.report(BREAKDOWN, f"hands over {_t(stop.tonnes)} but carries {_t(load)}", site)
            unloaded[i] = load
            load = 0.0
        elif stop.action == "pickup":
            if stop.tonnes <= 0:
                r.report(TONNES, f"picks up {_t(stop.tonnes)}; a pickup loads > 0 t", site)
            else:
                load += stop.tonnes
        elif stop.action in ("start", "end", "position") and abs(stop.tonnes) > TONNE_TOL:
            r.report(TONNES, f"{stop.action!r} stop carries {_t(stop.tonnes)}; it moves none", site)
        if stop.action == "position":  # the load reported there
            load = max(stop.load_after_t, 0.0)
        if payload is not None and load > payload + SUM_TOL_T:
            r.report(PAYLOAD, f"load {_t(load)} exceeds the payload {_t(payload)}", site)
        if abs(stop.load_after_t - load) > SUM_TOL_T:
            r.report(
                LOAD, f"load after the stop is {_t(load)}, plan says {_t(stop.load_after_t)}", site
            )
    if load > SUM_TOL_T:
        r.report(ENDS_EMPTY, f"ends the day with {_t(load)} on board; unload before going home")
    return unloaded


def _check_legs(r: _Route, index: _Index) -> tuple[int, bool]:
    """Travel feasibility and stated distances; return (metres driven, all legs known)."""
    stops, times = r.route.stops, r.times
    total_m, complete = 0, True
    prev: int | None = None
    for i, stop in enumerate(stops):
        if stop.action == "break":
            continue
        if prev is None:
            if abs(stop.distance_from_prev_km) > KM_TOL:
                r.report(DISTANCE, "first stop must have distance 0", stop.site_id)
            prev = i
            continue
        leg = index.leg(stops[prev].site_id, stop.site_id, times[prev][1] if times else None)
        if leg is None:
            complete = False
        else:
            metres, seconds = leg
            total_m += metres
            if abs(stop.distance_from_prev_km - metres / 1000) > KM_TOL:
                r.report(
                    DISTANCE,
                    f"{stop.distance_from_prev_km:g} km from {stops[prev].site_id}, "
                    f"the matrix says {metres / 1000:g} km",
                    stop.site_id,
                )
            if times is not None:
                breaks_s = sum(times[k][1] - times[k][0] for k in range(prev + 1, i))
                earliest = times[prev][1] + seconds + breaks_s
                if earliest > times[i][0] + TIME_TOL_S:
                    r.report(
                        TRAVEL,
                        f"arrives {stop.arrive} but cannot be there before {_c(earliest)} "
                        f"(leaves {stops[prev].site_id} {stops[prev].depart}, drives "
                        f"{seconds / 60:g} min, breaks {breaks_s / 60:g} min)",
                        stop.site_id,
                    )
        prev = i
    if complete and abs(r.route.distance_km - total_m / 1000) > KM_TOL:
        r.report(
            DISTANCE,
            f"route distance {r.route.distance_km:g} km, legs sum to {total_m / 1000:g} km",
        )
    return total_m, complete


def _check_breaks(r: _Route) -> None:
    stops, times, vt = r.route.stops, r.times, r.vt
    positions = [i for i, s in enumerate(stops) if s.action == "break"]
    if vt is None:
        return
    rule = vt.break_
    if rule is None:
        if positions:
            r.report(BREAK, f"type {vt.id!r} has no break, the route takes {len(positions)}")
        return
    if len(positions) > 1 or not (positions or r.broken):
        r.report(BREAK, f"takes {len(positions)} breaks; exactly one of {rule.duration_min:g} min")
    for i in positions:
        stop = stops[i]
        previous = next(
            (stops[k] for k in range(i - 1, -1, -1) if stops[k].action != "break"), None
        )
        if previous is not None and stop.site_id != previous.site_id:
            r.report(
                BREAK, f"break must be placed at the previous stop {previous.site_id}", stop.site_id
            )
        if abs(stop.tonnes) > TONNE_TOL or abs(stop.distance_from_prev_km) > KM_TOL:
            r.report(BREAK, "a break carries no tonnes and no distance", stop.site_id)
        if times is None:
            continue
        arrive, depart = times[i]
        if depart - arrive < rule.duration_min * 60 - TIME_TOL_S:
            r.report(
                BREAK,
                f"break lasts {(depart - arrive) / 60:g} min, needs {rule.duration_min:g} min",
                stop.site_id,
            )
        if arrive < rule.window.start_s - TIME_TOL_S or depart > rule.window.end_s + TIME_TOL_S:
            r.report(
                BREAK,
                f"break {stop.arrive}-{stop.depart} outside {rule.window.start}-{rule.window.end}",
                stop.site_id,
            )
        if i > 0 and arrive < times[i - 1][1] - TIME_TOL_S:
            r.report(
                BREAK,
                f"break starts {stop.arrive} before leaving {stops[i - 1].site_id}",
                stop.site_id,
            )
        if i + 1 < len(stops) and depart > times[i + 1][0] + TIME_TOL_S:
            r.report(
                BREAK,
                f"break ends {stop.depart} after arriving at {stops[i + 1].site_id}",
                stop.site_id,
            )


def _check_charging(r: _Route, index: _Index, facts: _Facts) -> None:
    """Charge stops and, for a battery truck, the state of charge after every stop."""
    stops, times, vt = r.route.stops, r.times, r.vt
    for i, stop in enumerate(stops):
        if stop.action != "charge":
            continue
        site = stop.site_id
        charger = index.chargers.get(site)
        if vt is not None and vt.battery is None:
            r.report(CHARGE, f"type {vt.id!r} has no battery to charge", site)
        if charger is None:
            if index.is_site(site):
                r.report(CHARGE, "charges where there is no charger", site)
            continue
        if abs(stop.tonnes) > TONNE_TOL or stop.charged_kwh < 0:
            r.report(CHARGE, "a charge stop moves no tonnes and takes in >= 0 kWh", site)
        if times is None:
            continue
        arrive, depart = times[i]
        facts.charging.setdefault(site, []).append((arrive, depart))
        most = charger.power_kw * (depart - arrive + TIME_TOL_S) / 3600
        if stop.charged_kwh > most + SOC_TOL_KWH:
            r.report(
                CHARGE,
                f"takes in {stop.charged_kwh:g} kWh in {(depart - arrive) / 60:g} min;"
                f" a {charger.power_kw:g} kW charger gives at most {most:.2f} kWh",
                site,
            )
    if vt is None or vt.battery is None:
        return
    reserve = vt.battery.reserve_kwh
    walk = soc_walk(r.route, vt)
    for stop, soc in zip(stops, walk, strict=True):
        if stop.soc_kwh is None or abs(stop.soc_kwh - soc) > SOC_TOL_KWH:
            said = "nothing" if stop.soc_kwh is None else f"{stop.soc_kwh:g} kWh"
            message = f"state of charge after the stop is {soc:.3f} kWh, plan says {said}"
            r.report(SOC, message, stop.site_id)
            break
    for stop, soc in zip(stops, walk, strict=True):
        if soc < reserve - SOC_TOL_KWH:
            r.report(
                SOC,
                f"state of charge {soc:.2f} kWh falls below the reserve {reserve:.2f} kWh;"
                " the truck needs a charge stop before",
                stop.site_id,
            )
            break


def _check_shift_and_duration(r: _Route) -> float | None:
    """Shift limits and the stated duration; return the recomputed duration in minutes."""
    stops, times = r.route.stops, r.times
    if times is None or not stops:
        return None
    start_depart, end_arrive = times[0][1], times[-1][0]
    if r.vt is not None:
        shift = r.vt.shift
        if start_depart < shift.start_s - TIME_TOL_S:
            r.report(SHIFT, f"leaves {stops[0].depart}, before the shift starts at {shift.start}")
        if end_arrive > shift.end_s + TIME_TOL_S:
            r.report(SHIFT, f"returns {stops[-1].arrive}, after the shift ends at {shift.end}")
    minutes = (end_arrive - start_depart) / 60
    if abs(r.route.duration_min - minutes) > MINUTE_TOL:
        r.report(DURATION, f"duration {r.route.duration_min:g} min, clocks give {minutes:g} min")
    return minutes


def _record_facts(
    r: _Route,
    index: _Index,
    facts: _Facts,
    unloaded: dict[int, float],
    distance_m: int | None,
    duration_min: float | None,
) -> None:
    stops, times, vid, stream = r.route.stops, r.times, r.route.vehicle_id, r.route.stream
    for i, stop in enumerate(stops):
        if stop.action == "collect":
            facts.collected.append(stop.site_id)
        elif stop.action == "breakdown":
            depart = times[i][1] if times else None
            facts.handovers.append(_Event(stop.site_id, unloaded[i], depart, vid, r.tier, stream))
        elif stop.site_id not in index.facilities:
            continue
        elif stop.action == "unload":
            depart = times[i][1] if times else None
            facts.unloads.append(_Event(stop.site_id, unloaded[i], depart, vid, r.tier, stream))
        elif stop.action == "pickup" and stop.tonnes > 0:
            arrive = times[i][0] if times else None
            facts.pickups.append(_Event(stop.site_id, stop.tonnes, arrive, vid, r.tier, stream))
    if r.vt is None or distance_m is None or duration_min is None:
        facts.cost_known = False
        return
    vt = r.vt
    km = distance_m / 1000
    facts.route_cost += vt.fixed_cost_per_day + vt.cost_per_km * km
    facts.route_cost += vt.cost_per_hour * duration_min / 60
    facts.cost_tol += vt.cost_per_km * KM_TOL + vt.cost_per_hour * MINUTE_TOL / 60


# --- plan-wide ------------------------------------------------------------------------------


def _check_duplicate_vehicles(plan: Plan, out: list[Violation]) -> None:
    counts = Counter(route.vehicle_id for route in plan.routes)
    for vehicle_id, n in counts.items():
        if n > 1:
            out.append(
                Violation(
                    DUPLICATE_VEHICLE, f"drives {n} routes; one route per vehicle", vehicle_id
                )
            )


def _check_coverage(plan: Plan, index: _Index, facts: _Facts, out: list[Violation]) -> None:
    served = Counter(site for site in facts.collected if site in index.points)
    listed: Counter[str] = Counter()
    for entry in plan.unserved:
        pid = entry.point_id
        point = index.points.get(pid)
        if point is None:
            out.append(
                Violation(UNKNOWN_SITE, "unserved entry names no point of the instance", None, pid)
            )
            continue
        listed[pid] += 1
        if abs(entry.tonnes - point.tonnes_per_day) > TONNE_TOL:
            out.append(
                Violation(
                    UNSERVED,
                    f"reported unserved with {_t(entry.tonnes)}, the point has "
                    f"{_t(point.tonnes_per_day)}",
                    site_id=pid,
                )
            )
        if not entry.reason.strip():
            out.append(Violation(UNSERVED, "unserved without a reason", site_id=pid))
    for pid in index.points:
        s, u = served[pid], listed[pid]
        if s + u == 0:
            message = "neither collected nor reported unserved"
        elif s and u:
            message = "both collected and reported unserved"
        elif s > 1:
            message = f"collected {s} times; exactly once"
        elif u > 1:
            message = f"reported unserved {u} times; exactly once"
        else:
            continue
        out.append(Violation(COVERAGE, message, site_id=pid))


def _check_capacity(index: _Index, facts: _Facts, out: list[Violation]) -> None:
    intake: dict[str, float] = defaultdict(float)
    for event in facts.unloads:
        intake[event.facility_id] += event.tonnes
    for fid, tonnes in intake.items():
        facility = index.facilities[fid]
        total = tonnes + facility.external_inflow_t_per_day
        if total > facility.capacity_t_per_day + SUM_TOL_T:
            out.append(
                Violation(
                    CAPACITY,
                    f"receives {_t(tonnes)} + external {_t(facility.external_inflow_t_per_day)}"
                    f" = {_t(total)}, capacity {_t(facility.capacity_t_per_day)}/day",
                    site_id=fid,
                )
            )


def _check_breakdowns(index: _Index, facts: _Facts, out: list[Violation]) -> None:
    """Each load a broken-down truck left is a point of the instance (``left_by``) with its
    tonnes, where it broke down, not collectable before; and each such point has its truck."""
    waiting = {p.left_by: p for p in index.points.values() if p.left_by}
    for handover in facts.handovers:
        vid, site = handover.vehicle_id, handover.facility_id
        point = waiting.pop(vid, None)
        if point is None:
            if handover.tonnes > SUM_TOL_T:
                message = f"breaks down with {_t(handover.tonnes)} on board; no point holds it"
                out.append(Violation(BREAKDOWN, message, vid, site))
            continue
        if abs(point.tonnes_per_day - handover.tonnes) > SUM_TOL_T:
            message = f"holds {_t(point.tonnes_per_day)}, {vid} left {_t(handover.tonnes)}"
            out.append(Violation(BREAKDOWN, message, vid, point.id))
        if index.leg(site, point.id) not in ((0, 0), None):
            message = f"is not where {vid} broke down ({site})"
            out.append(Violation(BREAKDOWN, message, vid, point.id))
        if handover.time_s is not None and (
            point.window is None or point.window.start_s < handover.time_s - TIME_TOL_S
        ):
            message = f"may be collected before {vid} broke down at {_c(handover.time_s)}"
            out.append(Violation(BREAKDOWN, message, vid, point.id))
    for vid, point in waiting.items():
        message = f"stands for the load of {vid}, which does not break down in the plan"
        out.append(Violation(BREAKDOWN, message, None, point.id))


def _check_charger_count(index: _Index, facts: _Facts, out: list[Violation]) -> None:
    """No more trucks charge at a site at once than it has plugs (stays are half-open)."""
    for site, stays in facts.charging.items():
        most = busiest(stays)
        plugs = index.chargers[site].count
        if most > plugs:
            out.append(
                Violation(
                    CHARGER_COUNT, f"{most} trucks charge at once; the site has {plugs}", None, site
                )
            )


def _check_stations(plan: Plan, index: _Index, facts: _Facts, out: list[Violation]) -> None:
    """Day balance and time order per station and stream, and each station's backlog."""
    stations = {fid for fid, f in index.facilities.items() if f.kind == "transfer_station"}
    delivered: dict[tuple[str, str], list[_Event]] = defaultdict(list)
    taken: dict[tuple[str, str], list[_Event]] = defaultdict(list)
    for event in facts.unloads:
        if event.facility_id in stations and event.tier == "collection":
            delivered[(event.facility_id, event.stream)].append(event)
    for event in facts.pickups:
        if event.facility_id in stations:
            taken[(event.facility_id, event.stream)].append(event)
    left = dict.fromkeys(stations, 0.0)
    for key in sorted(delivered.keys() | taken.keys()):
        fid, stream = key
        unloaded = sum(e.tonnes for e in delivered[key])
        picked = sum(e.tonnes for e in taken[key])
        left[fid] += max(0.0, unloaded - picked)
        if picked > unloaded + SUM_TOL_T:
            out.append(
                Violation(
                    STATION_BALANCE,
                    f"{_t(picked)} of {stream!r} picked up, only {_t(unloaded)} delivered today",
                    site_id=fid,
                )
            )
        else:
            _check_station_order(fid, delivered[key], taken[key], out)
    _check_backlog(plan, index, left, out)


def _check_station_order(
    fid: str, unloads: list[_Event], pickups: list[_Event], out: list[Violation]
) -> None:
    if any(e.time_s is None for e in (*unloads, *pickups)):
        return
    cumulative = 0.0
    for pickup in sorted(pickups, key=lambda e: e.time_s):
        cumulative += pickup.tonnes
        ready = sum(u.tonnes for u in unloads if u.time_s <= pickup.time_s + TIME_TOL_S)
        if cumulative > ready + SUM_TOL_T:
            out.append(
                Violation(
                    STATION_ORDER,
                    f"by {_c(pickup.time_s)} {_t(cumulative)} picked up but only {_t(ready)} "
                    "delivered",
                    pickup.vehicle_id,
                    fid,
                )
            )


def _check_backlog(plan: Plan, index: _Index, left: dict[str, float], out: list[Violation]) -> None:
    stated: dict[str, float] = {}
    for entry in plan.backlog:
        fid = entry.facility_id
        if not index.is_site(fid):
            out.append(
                Violation(UNKNOWN_SITE, "backlog entry names no site of the instance", None, fid)
            )
        elif fid not in left:
            out.append(
                Violation(
                    BACKLOG, "backlog entry for a site that is not a transfer station", site_id=fid
                )
            )
        elif fid in stated:
            out.append(Violation(BACKLOG, "station listed twice in the backlog", site_id=fid))
        else:
            stated[fid] = entry.tonnes
    for fid in sorted(left):
        expected = left[fid] if left[fid] > SUM_TOL_T else None
        given = stated.get(fid)
        if expected is None and given is not None:
            out.append(Violation(BACKLOG, f"backlog {_t(given)} but nothing is left", site_id=fid))
        elif expected is not None and given is None:
            out.append(
                Violation(
                    BACKLOG, f"{_t(expected)} left at the station, no backlog entry", site_id=fid
                )
            )
        elif expected is not None and given is not None and abs(given - expected) > SUM_TOL_T:
            out.append(
                Violation(BACKLOG, f"backlog {_t(given)}, left is {_t(expected)}", site_id=fid)
            )


def _check_cost(plan: Plan, index: _Index, facts: _Facts, out: list[Violation]) -> None:
    if not facts.cost_known:
        return
    handling = sum(index.facilities[e.facility_id].cost_per_t * e.tonnes for e in facts.unloads)
    tolerance = facts.cost_tol + sum(
        index.facilities[e.facility_id].cost_per_t * SUM_TOL_T for e in facts.unloads
    )
    expected = facts.route_cost + handling
    if abs(plan.cost - expected) > tolerance:
        out.append(Violation(COST, f"plan cost {plan.cost:.2f} CNY, recomputed {expected:.2f} CNY"))
