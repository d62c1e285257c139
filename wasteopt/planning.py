"""The day's plan: collection tier, then transfer tier, then the independent check.

Collection trucks serve points and unload at any open facility accepting their stream. What
they leave at transfer stations becomes container loads (one hook-lift payload each, released
when enough waste has arrived) that the transfer tier hauls to terminal facilities, within
what those facilities can still take today. Whatever cannot be hauled stays as station backlog;
points that cannot be served are reported with a reason. Nothing is dropped silently.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, get_args

from wasteopt.charging import charge_off_peak
from wasteopt.check import check_plan
from wasteopt.errors import NetworkError, OptionsError, PlanCheckError
from wasteopt.impact import assess
from wasteopt.matrix import GreatCircleProvider, MatrixProvider
from wasteopt.model import (
    Backlog,
    Facility,
    ImpactReport,
    Instance,
    Plan,
    Provenance,
    Route,
    TravelMatrices,
    Unserved,
    VehicleType,
    clock_to_seconds,
    seconds_to_clock,
)
from wasteopt.provenance import caveats
from wasteopt.routing import (
    Job,
    SearchOptions,
    TierProblem,
    TierSolution,
    kg_down,
    solve_tier,
)
from wasteopt.routing.problem import MILLI, Tariff
from wasteopt.units import (
    ROUNDING_TOL,
    TONNE_TOL,
    kg_to_tonnes,
    minutes_to_hours,
    minutes_to_s,
)

log = logging.getLogger(__name__)


FirstSolution = Literal[
    "greedy",
    "path_cheapest_arc",
    "parallel_cheapest_insertion",
    "local_cheapest_insertion",
    "savings",
    "automatic",
]
Metaheuristic = Literal[
    "ruin_recreate", "guided_local_search", "simulated_annealing", "tabu_search", "greedy_descent"
]


@dataclass(frozen=True)
class PlanOptions:
    """Search budget per tier; the same instance, seed and solution limit give the same plan.

    ``time_limit_s`` is the collection tier's search time; the transfer tier, a much smaller
    problem, gets :attr:`transfer_time_limit_s`. Raises OptionsError naming a field out of
    range or a strategy name that does not exist.
    """

    time_limit_s: float = 30.0
    seed: int = 0
    solution_limit: int | None = None
    first_solution: FirstSolution = "greedy"
    metaheuristic: Metaheuristic = "ruin_recreate"
    workers: int = 1
    compiled: bool = True

    def __post_init__(self) -> None:
        problems = []
        for name, kind in (("first_solution", FirstSolution), ("metaheuristic", Metaheuristic)):
            value, known = getattr(self, name), get_args(kind)
            if value not in known:
                problems.append((name, f"unknown {value!r}; one of {', '.join(known)}"))
        if not self.time_limit_s > 0:
            problems.append(("time_limit_s", f"must be positive (got {self.time_limit_s})"))
        if self.solution_limit is not None and self.solution_limit < 1:
            problems.append(("solution_limit", f"must be 1 or more (got {self.solution_limit})"))
        if self.workers < 1:
            problems.append(("workers", f"must be 1 or more (got {self.workers})"))
        if problems:
            raise OptionsError(problems)

    @property
    def transfer_time_limit_s(self) -> float:
        """The transfer tier's search time: a quarter of the collection tier's, at least 1 s."""
        return max(1.0, self.time_limit_s / 4)

    @property
    def day_time_limit_s(self) -> float:
        """Search time of a whole day's plan: both tiers' limits."""
        return self.time_limit_s + self.transfer_time_limit_s

    def search(self, time_limit_s: float) -> SearchOptions:
        return SearchOptions(
            time_limit_s=time_limit_s,
            solution_limit=self.solution_limit,
            seed=self.seed,
            first_solution=self.first_solution,
            metaheuristic=self.metaheuristic,
            workers=self.workers,
            compiled=self.compiled,
        )


@dataclass(frozen=True)
class Progress:
    """Best cost (CNY, solver objective) found so far in a tier."""

    tier: str
    elapsed_s: float
    best_cost: float


@dataclass(frozen=True)
class DayResult:
    """A checked plan, the matrices it was checked against and its impact report (the report
    ``plan.impact`` holds, here never None)."""

    plan: Plan
    matrices: TravelMatrices
    impact: ImpactReport


def graph_path(
    instance: Instance, base_dir: Path | None = None, graph: str | Path | None = None
) -> Path | None:
    """The road graph file named by ``graph`` or else ``settings.graph`` (relative to
    ``base_dir``, the instance's directory); None for great-circle estimates."""
    name = graph or instance.settings.graph
    if name is None:
        return None
    path = Path(name)
    if not path.is_absolute() and graph is None and base_dir is not None:
        path = base_dir / path
    return path


def resolve_provider(
    instance: Instance,
    base_dir: Path | None = None,
    graph: str | Path | None = None,
    speeds: dict[str, float] | None = None,
) -> MatrixProvider:
    """The road network named by ``graph`` or ``settings.graph`` (with truck ``speeds``
    overrides in km/h by road class), else great-circle estimates."""
    path = graph_path(instance, base_dir, graph)
    if path is None:
        if speeds:
            raise NetworkError("truck speeds need a road graph: give --graph or settings.graph")
        return GreatCircleProvider.for_instance(instance)
    if not path.exists():
        raise NetworkError(f"road graph {str(path)!r} not found; build it or drop --graph")
    from wasteopt.network import load_provider

    return load_provider(path, speeds=speeds)


def solver_tariff(instance: Instance) -> Tariff:
    """``settings.tariff`` in solver units: (start s, end s, milli-CNY per kWh) per period."""
    return tuple(
        (p.window.start_s, p.window.end_s, int(round(p.cny_per_kwh * MILLI)))
        for p in instance.settings.tariff
    )


def trip_kwh(
    vehicle_type: VehicleType,
    matrices: TravelMatrices,
    index: dict[str, int],
    site_id: str,
    tonnes: float,
    facility_id: str,
) -> float:
    """Energy of a trip of its own: from the yard empty to ``site_id``, on to ``facility_id``
    with ``tonnes``, home empty, and the work of the collect and the unload."""
    yard, point, facility = index[vehicle_type.yard], index[site_id], index[facility_id]
    distance_m = matrices.distance_m
    return (
        vehicle_type.leg_energy(distance_m[yard, point] / 1000, 0.0)
        + vehicle_type.leg_energy(distance_m[point, facility] / 1000, tonnes)
        + vehicle_type.leg_energy(distance_m[facility, yard] / 1000, 0.0)
        + vehicle_type.stop_energy("collect")
        + vehicle_type.stop_energy("unload")
    )


def _collection_problem(instance: Instance) -> TierProblem:
    jobs = [
        Job(
            id=p.id,
            site_id=p.id,
            stream=p.stream,
            tonnes=p.tonnes_per_day,
            service_s=minutes_to_s(p.service_min),
            window=(p.window.start_s, p.window.end_s) if p.window else None,
        )
        for p in instance.points
    ]
    facilities = instance.open_facilities()
    return TierProblem(
        tier="collection",
        jobs=jobs,
        vehicle_types=[vt for vt in instance.vehicle_types if vt.tier == "collection"],
        facilities=facilities,
        free_capacity_kg={f.id: kg_down(f.free_capacity_t) for f in facilities},
        yards={y.id: y for y in instance.yards},
        unserved_penalty_per_t=instance.settings.unserved_penalty_per_t,
        tariff=solver_tariff(instance),
        stray_share=instance.settings.stray_share,
    )


Deliveries = dict[tuple[str, str], list[tuple[int, float]]]


def _deliveries(routes: list[Route]) -> Deliveries:
    """(facility, stream) -> [(departure seconds, tonnes)] of every unload, in time order."""
    events: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    for route in routes:
        for stop in route.stops:
            if stop.action == "unload":
                events[(stop.site_id, route.stream)].append(
                    (clock_to_seconds(stop.depart), stop.tonnes)
                )
    return {key: sorted(value) for key, value in events.items()}


def _container_jobs(
    station: Facility, stream: str, events: list[tuple[int, float]], container_t: float
) -> list[Job]:
    """Split what arrived at ``station`` into container loads released as they fill."""
    total = sum(t for _, t in events)
    count = math.ceil(total / container_t - ROUNDING_TOL)
    jobs, cumulative, event = [], 0.0, 0
    handling_s = minutes_to_s(station.unload_min)
    latest = station.gate.end_s - handling_s
    for k in range(1, count + 1):
        tonnes = min(container_t, total - (k - 1) * container_t)
        target = (k - 1) * container_t + tonnes - ROUNDING_TOL
        while cumulative < target:
            cumulative += events[event][1]
            event += 1
        release = max(events[event - 1][0], station.gate.start_s)
        window = (release, max(release, latest))
        jobs.append(
            Job(
                id=f"{station.id}#{stream}#{k}",
                site_id=station.id,
                stream=stream,
                tonnes=round(tonnes, 6),
                service_s=handling_s,
                window=window,
                action="pickup",
            )
        )
    return jobs


def _transfer_problem(instance: Instance, deliveries: Deliveries) -> TierProblem:
    haulers = [vt for vt in instance.vehicle_types if vt.tier == "transfer"]
    stations = {f.id: f for f in instance.open_facilities() if f.kind == "transfer_station"}
    jobs: list[Job] = []
    for (facility_id, stream), events in sorted(deliveries.items()):
        if facility_id not in stations:
            continue
        payloads = [vt.payload_t for vt in haulers if stream in vt.streams]
        container_t = min(payloads) if payloads else sum(t for _, t in events)
        jobs += _container_jobs(stations[facility_id], stream, events, container_t)
    delivered: dict[str, float] = defaultdict(float)
    for (facility_id, _), events in deliveries.items():
        delivered[facility_id] += sum(t for _, t in events)
    terminals = [f for f in instance.open_facilities() if f.kind != "transfer_station"]
    return TierProblem(
        tier="transfer",
        jobs=jobs,
        vehicle_types=haulers,
        facilities=terminals,
        free_capacity_kg={
            f.id: kg_down(max(0.0, f.free_capacity_t - delivered[f.id])) for f in terminals
        },
        yards={y.id: y for y in instance.yards},
        unserved_penalty_per_t=instance.settings.unserved_penalty_per_t,
        tariff=solver_tariff(instance),
    )


class _Diagnosis:
    """Why jobs of one solved tier were left undone, in words a dispatcher can act on."""

    def __init__(self, problem: TierProblem, solution: TierSolution, matrices: TravelMatrices):
        self.problem = problem
        self.solution = solution
        self.matrices = matrices
        self.index = matrices.index()
        self.received: dict[str, float] = defaultdict(float)
        for route in solution.routes:
            for stop in route.stops:
                if stop.action == "unload":
                    self.received[stop.site_id] += stop.tonnes
        # each battery truck's charge when it is back at its yard
        self.charge_at_end = {
            route.vehicle_id: route.stops[-1].soc_kwh
            for route in solution.routes
            if route.stops and route.stops[-1].soc_kwh is not None
        }

    def _earliest_service(self, job: Job) -> int | None:
        """Earliest service start at ``job`` by a compatible vehicle leaving its yard at once."""
        starts = [
            v.vehicle_type.shift.start_s
            + int(
                self.matrices.duration_s[self.index[v.vehicle_type.yard], self.index[job.site_id]]
            )
            for v in self.problem.vehicles
            if v.stream == job.stream
        ]
        return min(starts) if starts else None

    def _trip_kwh(self, vehicle_type: VehicleType, job: Job, facilities: list[Facility]) -> float:
        """Energy of the cheapest trip from the yard through ``job`` and an unload back home."""
        return min(
            trip_kwh(vehicle_type, self.matrices, self.index, job.site_id, job.tonnes, f.id)
            for f in facilities
        )

    def _short_of_charge(self, job: Job, facilities: list[Facility]) -> str | None:
        """Why ``job`` was left out, where only battery trucks carry it and none has the
        charge left above its reserve for a trip from its yard through it (``None``
        otherwise): each truck's charge at the end of its day, or a full one if unused."""
        trucks = [v for v in self.problem.vehicles if v.stream == job.stream]
        if not trucks or any(v.vehicle_type.battery is None for v in trucks):
            return None
        left, needed = [], []
        for truck in trucks:
            battery = truck.vehicle_type.battery
            spare = self.charge_at_end.get(truck.vehicle_id, battery.usable_kwh)
            spare -= battery.reserve_kwh
            trip = self._trip_kwh(truck.vehicle_type, job, facilities)
            if spare >= trip:
                return None
            left.append(spare)
            needed.append(trip)
        return (
            f"out of charge: the battery trucks that carry {job.stream!r} waste have at most"
            f" {max(left):.1f} kWh above their reserve left, and a trip from their yard through"
            f" this point to an unload takes at least {min(needed):.1f} kWh; add chargers where"
            " they unload, larger batteries or more trucks"
        )

    def reason(self, job: Job) -> str:
        problem = self.problem
        if not any(v.stream == job.stream for v in problem.vehicles):
            return f"no vehicle of the {problem.tier} tier carries {job.stream!r} waste"
        earliest = self._earliest_service(job)
        if job.window is not None and earliest is not None and earliest > job.window[1]:
            return (
                "no truck can reach it before its window closes at"
                f" {seconds_to_clock(job.window[1])} (earliest arrival"
                f" {seconds_to_clock(earliest)}); widen the window or start earlier"
            )
        if job.id in self.solution.out_of_range:
            return (
                "cut from a battery truck's route: its charge would have fallen below the"
                " reserve before it got home; add chargers where it unloads, a larger battery"
                " or more trucks"
            )
        facilities = problem.facilities_for(job.stream)
        if not facilities:
            return f"no open facility with free capacity accepts {job.stream!r} waste"
        short = self._short_of_charge(job, facilities)
        if short is not None:
            return short
        free = problem.free_capacity_kg
        room = sum(kg_to_tonnes(free[f.id]) - self.received[f.id] for f in facilities)
        if room < job.tonnes:
            return (
                f"the facilities accepting {job.stream!r} waste are full today"
                f" ({room:.1f} t of room left); add capacity or divert waste"
            )
        if not self.solution.routes:
            return (
                "the search found no route at all within its time limit;"
                " give it more time (or check shifts, breaks and gate hours)"
            )
        return (
            f"no {problem.tier} truck had room left in its shift and payload for it within the"
            " search; add vehicles, extend shifts or give the solver more time"
        )


def route_cost(instance: Instance, route: Route) -> float:
    """A truck's day in CNY: its fixed cost, km, hours and the fees of what it unloads."""
    fees = {f.id: f.cost_per_t for f in instance.facilities}
    vt = instance.vehicle_type(route.vehicle_type)
    return (
        vt.fixed_cost_per_day
        + vt.cost_per_km * route.distance_km
        + vt.cost_per_hour * minutes_to_hours(route.duration_min)
        + sum(fees[s.site_id] * s.tonnes for s in route.stops if s.action == "unload")
    )


def _plan_cost(instance: Instance, routes: list[Route]) -> float:
    return round(sum(route_cost(instance, route) for route in routes), 2)


def _backlog(
    instance: Instance, deliveries: Deliveries, transfer: TierSolution, diagnosis: _Diagnosis
) -> list[Backlog]:
    stations = {f.id for f in instance.facilities if f.kind == "transfer_station"}
    left: dict[str, float] = defaultdict(float)
    for (facility_id, _), events in deliveries.items():
        if facility_id in stations:
            left[facility_id] += sum(t for _, t in events)
    for route in transfer.routes:
        for stop in route.stops:
            if stop.action == "pickup":
                left[stop.site_id] -= stop.tonnes
    reasons: dict[str, str] = {}
    for job in transfer.dropped:
        reasons.setdefault(job.site_id, diagnosis.reason(job))
    return [
        Backlog(
            facility_id=facility_id,
            tonnes=round(tonnes, 6),
            reason=reasons.get(facility_id, "not hauled today"),
        )
        for facility_id, tonnes in sorted(left.items())
        if tonnes > TONNE_TOL
    ]


def plan_day(
    instance: Instance,
    provider: MatrixProvider | None = None,
    options: PlanOptions = PlanOptions(),
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    provenance: Provenance | None = None,
) -> Plan:
    """Plan both tiers of ``instance`` and return the checked plan (see :func:`plan_day_full`)."""
    return plan_day_full(instance, provider, options, progress, should_stop, provenance).plan


def plan_day_full(
    instance: Instance,
    provider: MatrixProvider | None = None,
    options: PlanOptions = PlanOptions(),
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    provenance: Provenance | None = None,
) -> DayResult:
    """Plan both tiers, verify the plan with the independent checker, attach its impact.

    ``options.time_limit_s`` is the collection tier's budget; the transfer tier, a much
    smaller problem, gets a quarter of it (at least 1 s). The plan records ``provenance``
    (see :func:`wasteopt.provenance.describe`; its grid factor is the impact's) and what in it
    is assumed or approximate (:func:`wasteopt.provenance.caveats`). Raises InstanceError for an
    instance with semantic problems, InfeasibleError when a tier finds no solution and
    PlanCheckError if the checker rejects the result.
    """
    from wasteopt.validate import ensure_valid

    ensure_valid(instance)
    provider = provider or resolve_provider(instance)
    matrices = provider.matrices(instance.sites)

    def reporter(tier: str) -> Callable[[float, float], None] | None:
        if progress is None:
            return None
        return lambda elapsed, cost: progress(Progress(tier, elapsed, cost))

    collection_problem = _collection_problem(instance)
    collection = solve_tier(
        collection_problem,
        matrices,
        options.search(options.time_limit_s),
        reporter("collection"),
        should_stop,
    )
    collection = replace(collection, routes=charge_off_peak(instance, collection.routes, matrices))
    deliveries = _deliveries(collection.routes)
    transfer_problem = _transfer_problem(instance, deliveries)
    transfer = solve_tier(
        transfer_problem,
        matrices,
        options.search(options.transfer_time_limit_s),
        reporter("transfer"),
        should_stop,
    )
    transfer = replace(transfer, routes=charge_off_peak(instance, transfer.routes, matrices))
    points = {p.id: p for p in instance.points}
    diagnosis = _Diagnosis(collection_problem, collection, matrices)
    unserved = [
        Unserved(
            point_id=job.id,
            tonnes=points[job.id].tonnes_per_day,
            reason=diagnosis.reason(job),
        )
        for job in collection.dropped
    ]
    routes = [*collection.routes, *transfer.routes]
    plan = Plan(
        instance_name=instance.name,
        date=instance.date,
        routes=routes,
        unserved=sorted(unserved, key=lambda u: u.point_id),
        backlog=_backlog(
            instance, deliveries, transfer, _Diagnosis(transfer_problem, transfer, matrices)
        ),
        cost=_plan_cost(instance, routes),
        stats=[
            collection.stats.model_copy(update={"solver": "ortools:collection"}),
            transfer.stats.model_copy(update={"solver": "ortools:transfer"}),
        ],
        caveats=caveats(instance, provider),
        provenance=provenance,
    )
    violations = check_plan(instance, plan, matrices)
    if violations:
        for violation in violations:
            log.error("checker: %s", violation)
        raise PlanCheckError(violations)
    impact = assess(instance, plan)
    plan = plan.model_copy(update={"impact": impact})
    return DayResult(plan, matrices, impact)
